/**
 * Twilio webhooks (form-encoded, signed with `X-Twilio-Signature`):
 * - `POST /webhooks/twilio/messaging`: inbound SMS / WhatsApp / MMS → signal-with-start of the
 *   conversation workflow. Needs no Postgres: the channel comes from the cached channel map
 *   (channels/channel-directory.ts), the contact is found or created by the workflow's first activity
 *   (the start input carries the customer's number), so while the database is down messages wait
 *   in Temporal instead of being refused. 200 with empty TwiML only once Temporal accepted the
 *   signal; 503 if it could not, or if the `To` is not in the map and Postgres cannot be asked
 *   (Twilio retries once, then calls the fallback URL); 403 bad signature; 404 unknown `To`; 400 malformed.
 * - `POST /webhooks/twilio/status?messageId=<id>`: delivery status callbacks → the message row in
 *   Postgres directly (provider id + status, never backwards); 503 if Postgres is unreachable.
 * Source: twilio.com/docs/messaging/guides/webhook-request, /docs/usage/security#validating-requests,
 * /docs/messaging/guides/outbound-message-status-in-status-callbacks.
 */
import express, { type Request, type RequestHandler, type Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { findTwilioMessageForStatus } from './status-routing';
import { parseTwilioAddress } from './addresses';
import { fromTwilioStatus, twilioErrorReason } from './status';
import type { NewConversation } from '../../domain/conversation';
import type { Attachment } from '../../domain/message';
import { conversationIdFor } from '../../domain/routing';
import { ChannelDirectory } from '../channel-directory';
import { TWILIO_KINDS } from './kinds';
import type { ApiDeps } from '../../api/deps';
import { HttpError } from '../../api/errors';
import { defineRoute, type RouteDefinition, routerFor, type WebhookAuth } from '../../api/http/define-route';
import { applyDeliveryUpdate } from '../../activities/conversation-store';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** The fields of Twilio's inbound message webhook we use; unknown extra fields are accepted. */
/** Carrier text as received, minus NUL bytes (Postgres cannot store them; nothing else is lost). */
const carrierText = z.string().transform((v) => v.replaceAll('\u0000', ''));

const InboundForm = z.looseObject({
  MessageSid: z.string().min(1),
  From: z.string().min(1),
  To: z.string().min(1),
  Body: carrierText.default(''),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
  ProfileName: carrierText.optional(),
});

/** The fields of a status callback we use. */
const StatusForm = z.looseObject({
  MessageSid: z.string().min(1),
  MessageStatus: z.string().min(1),
  ErrorCode: z.string().optional(),
  ErrorMessage: z.string().optional(),
});

/** Verifies `X-Twilio-Signature` over `PUBLIC_BASE_URL + originalUrl` and the form params (403 if wrong). */
function verifySignature(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req: Request, _res, next) => {
    const signature = req.header('x-twilio-signature');
    const url = publicBaseUrl + req.originalUrl;
    const params = (req.body ?? {}) as Record<string, string | string[]>;
    if (!signature || !twilio.validateRequest(authToken, signature, url, params)) {
      return next(new HttpError(403, 'invalid_signature', 'X-Twilio-Signature does not match this request'));
    }
    next();
  };
}

function mediaOf(form: Record<string, unknown>, count: number): Attachment[] {
  const media: Attachment[] = [];
  for (let i = 0; i < count; i++) {
    const url = form[`MediaUrl${i}`];
    const contentType = form[`MediaContentType${i}`];
    if (typeof url === 'string' && url !== '') {
      media.push({ url, contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream' });
    }
  }
  return media;
}

/** What the Twilio webhook routes need. */
export type TwilioWebhookDeps = Pick<ApiDeps, 'db' | 'conversations' | 'config' | 'logger'>;

/** The form body of a Twilio webhook as documented: every parameter a string. */
const TwilioForm = z.record(z.string(), z.string());

/** Answers of both Twilio webhooks besides 200 (their own descriptions; 503 carries `Retry-After`). */
const TWILIO_ERRORS = [
  { status: 400, description: 'Malformed' },
  { status: 403, description: 'Bad signature' },
  { status: 404, description: 'Unknown To / message' },
  { status: 503, description: 'Not accepted: retry' },
];

/** 200 with empty TwiML. */
const TWIML_ACCEPTED = { status: 200, description: 'Accepted (empty TwiML)', schema: z.string(), contentType: 'text/xml' };

/** How Twilio's webhooks authenticate: `X-Twilio-Signature` (checked by the router; 403 when wrong). */
export const TWILIO_WEBHOOK_AUTH: WebhookAuth = {
  webhook: 'twilio',
  scheme: 'twilioSignature',
  definition: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Twilio-Signature',
    description:
      "Twilio's request signature (https://www.twilio.com/docs/usage/security): the base64 HMAC-SHA1, keyed with " +
      'TWILIO_AUTH_TOKEN, of PUBLIC_BASE_URL + the request path and query string, followed by every form parameter ' +
      'name and value, sorted by name. Checked on every request; missing or wrong → 403 `invalid_signature`.',
  },
  errors: [403],
};

/** The routes under `/webhooks/twilio` (form-encoded, `X-Twilio-Signature` checked by the router). */
export const twilioWebhookRoutes: RouteDefinition<TwilioWebhookDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/webhooks/twilio/messaging',
      auth: TWILIO_WEBHOOK_AUTH,
      operationId: 'twilioMessagingWebhook',
      tags: ['webhooks'],
      summary: 'Twilio webhook (form-encoded, X-Twilio-Signature)',
      request: { body: TwilioForm, bodyContentType: 'application/x-www-form-urlencoded' },
      response: TWIML_ACCEPTED,
      errors: TWILIO_ERRORS,
    },
    ({ db, conversations, logger }) => {
      const channels = new ChannelDirectory(db, logger, TWILIO_KINDS);
      return async (req, res) => {
        const form = InboundForm.parse(req.body);
        const to = parseTwilioAddress(form.To);
        const from = parseTwilioAddress(form.From);
        // a To we cannot read (short code, alphanumeric sender) cannot be one of our channels
        if (!to) throw new HttpError(404, 'unknown_channel', `No channel for ${form.To}`);
        if (!from) throw new HttpError(400, 'invalid_address', 'From is not a valid phone number');
        const lookup = await channels.lookup(to.kind, to.phone);
        if (!lookup.found && lookup.reason === 'unknown')
          throw new HttpError(404, 'unknown_channel', `No ${to.kind} channel for ${form.To}`);
        if (!lookup.found) {
          logger.warn(
            { err: String(lookup.error), to: form.To },
            'channel not cached and the database is unreachable: asking Twilio to retry',
          );
          res.setHeader('Retry-After', '30');
          throw new HttpError(503, 'temporarily_unavailable', 'The message could not be routed right now; retry later');
        }
        const channel = lookup.route;
        // No contact id: the run's first activity finds or creates the contact from `customer`
        // (retrying until Postgres answers), so accepting the message needs only Temporal.
        const conversation: NewConversation = {
          conversationId: conversationIdFor(channel.orgId, channel.channelId, from.phone),
          orgId: channel.orgId,
          channelId: channel.channelId,
          channelKind: to.kind,
          customer: { kind: to.kind, address: from.phone, profileName: form.ProfileName ?? null },
        };
        try {
          await conversations.deliverInbound(conversation, {
            provider: 'twilio',
            providerMessageId: form.MessageSid,
            text: form.Body,
            attachments: mediaOf(form, form.NumMedia),
            profileName: form.ProfileName ?? null,
          });
        } catch (err) {
          logger.error({ err, conversationId: conversation.conversationId }, 'could not signal conversation workflow');
          throw new HttpError(503, 'temporarily_unavailable', 'The message could not be accepted right now; retry later');
        }
        res.status(200).type('text/xml').send(EMPTY_TWIML);
      };
    },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/webhooks/twilio/status',
      auth: TWILIO_WEBHOOK_AUTH,
      operationId: 'twilioStatusWebhook',
      tags: ['webhooks'],
      summary: 'Twilio webhook (form-encoded, X-Twilio-Signature)',
      request: {
        query: z.object({
          messageId: z
            .string()
            .optional()
            .openapi({ description: 'Our message id, put on the StatusCallback URL of the send (ignored unless a UUID)' }),
        }),
        body: TwilioForm,
        bodyContentType: 'application/x-www-form-urlencoded',
      },
      response: TWIML_ACCEPTED,
      errors: TWILIO_ERRORS,
    },
    ({ db, logger }) =>
      async (req, res) => {
        const form = StatusForm.parse(req.body);
        const errorCode = form.ErrorCode && form.ErrorCode !== '0' ? form.ErrorCode : null;
        // 63016 (WhatsApp free-form outside the 24 h window) never delivers: always `failed`.
        const status = errorCode === '63016' ? 'failed' : fromTwilioStatus(form.MessageStatus);
        const messageIdParam = z.uuid().safeParse(req.query.messageId);
        const messageId = messageIdParam.success ? messageIdParam.data : undefined;
        const message = await findTwilioMessageForStatus(db, messageId, form.MessageSid);
        if (!message) throw new HttpError(404, 'message_not_found', 'No outbound message matches this status callback');
        if (status === null) {
          logger.info({ status: form.MessageStatus }, 'ignoring unknown Twilio message status');
          res.status(200).type('text/xml').send(EMPTY_TWIML);
          return;
        }
        // Straight to Postgres, not through the workflow: the MessageSid must be on the row even while
        // no worker makes progress (a send retried meanwhile then finds it and does not send again).
        // Idempotent and monotonic (applyDeliveryUpdate); the workflow's state does not depend on it.
        await applyDeliveryUpdate(db, {
          messageId: message.message_id,
          providerMessageId: form.MessageSid,
          status,
          errorCode,
          errorMessage: errorCode ? twilioErrorReason(errorCode, form.ErrorMessage) : null,
        });
        res.status(200).type('text/xml').send(EMPTY_TWIML);
      },
  ),
];

/** Builds the Twilio webhooks router (mounted at `/webhooks/twilio`): form parser, then the signature check, then the routes. */
export function twilioWebhooksRouter(deps: TwilioWebhookDeps): Router {
  return routerFor(twilioWebhookRoutes, deps, {
    prefix: '/webhooks/twilio',
    auth: TWILIO_WEBHOOK_AUTH,
    before: [
      express.urlencoded({ extended: false, limit: '256kb' }),
      verifySignature(deps.config.twilio.authToken, deps.config.publicBaseUrl),
    ],
  });
}
