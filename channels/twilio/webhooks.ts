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
 *
 * Verification per channel (issue 10): Twilio signs each request with the auth token of the account
 * that owns the number, so each org's channels verify with their own account's token:
 * - inbound: the channel is found by `To` first (cached map), then `X-Twilio-Signature` is checked with
 *   that channel's auth token (a channel without its own credentials: the environment's
 *   `TWILIO_AUTH_TOKEN`), and a channel with credentials also requires the form's `AccountSid` to be
 *   its account (403 `account_mismatch`). A `To` that is none of our channels, or a form that cannot be
 *   read, is checked with the environment's token (403 before 404 / 400, as before). A channel whose
 *   sealed credentials do not open answers 403.
 * - status callbacks: the account named by `AccountSid` is looked up first (the directory's AccountSid
 *   map), and the signature is checked with that account's token only (the environment's token only
 *   when the account is none of our channels', e.g. the environment's own, or there is no `AccountSid`);
 *   a failure reloads the map at most once per 5 s (a rotated token) and checks only a token not tried
 *   yet. Then the message must belong to a channel on that account whose token is the one that signed
 *   (its own account's token, or the environment's for a channel without credentials; compared in
 *   constant time, not validated again): a request signed with another org's account token → 403,
 *   nothing stored.
 * Each request runs `twilio.validateRequest` at most once per distinct token that can apply (once; a
 *   second time only with a rotated token found by the reload); the form is parsed once (the router's `express.urlencoded`, then the
 *   route's schema), and the signature is over those raw params.
 * Source: twilio.com/docs/messaging/guides/webhook-request, /docs/usage/security#validating-requests,
 * /docs/messaging/guides/outbound-message-status-in-status-callbacks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { findTwilioMessageForStatus } from './status-routing';
import { parseTwilioAddress } from './addresses';
import { fromTwilioStatus, twilioErrorReason } from './status';
import type { NewConversation } from '../../domain/conversation';
import type { Attachment } from '../../domain/message';
import { conversationIdFor } from '../../domain/routing';
import { type ChannelDirectory, channelDirectoryOf, type ChannelRoute, twilioCredentialsOf } from '../channel-directory';
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

/** A Twilio form as `express.urlencoded` parsed it: once → string, repeated (`MediaUrl`) → array. */
type TwilioParams = Record<string, string | string[]>;

/** The request's form, as the router's `express.urlencoded` parsed it (the body is parsed once, here). */
const paramsOf = (req: Request): TwilioParams => (req.body ?? {}) as TwilioParams;

/**
 * Checks one request's `X-Twilio-Signature` (over `PUBLIC_BASE_URL + originalUrl` and `params`) against
 * auth tokens, running `twilio.validateRequest` at most once per distinct token for the request (a
 * token asked about again, e.g. after a reload that did not change it, answers from memory).
 * @returns `(token) => whether token signed the request`; always `false` without a signature header
 */
function signatureChecker(req: Request, params: TwilioParams, publicBaseUrl: string): (token: string) => boolean {
  const signature = req.header('x-twilio-signature');
  const url = publicBaseUrl + req.originalUrl;
  const checked = new Map<string, boolean>();
  return (token) => {
    if (!signature) return false;
    let valid = checked.get(token);
    if (valid === undefined) {
      valid = twilio.validateRequest(token, signature, url, params);
      checked.set(token, valid);
    }
    return valid;
  };
}

/** The first of `tokens` that signed the request, if any (see {@link signatureChecker}). */
const signingToken = (signedBy: (token: string) => boolean, tokens: readonly string[]): string | undefined =>
  tokens.find((token) => signedBy(token));

/** Whether two secrets are equal, in constant time (both are hashed first, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const invalidSignature = (): HttpError => new HttpError(403, 'invalid_signature', 'X-Twilio-Signature does not match this request');

/**
 * The auth token a channel's webhooks are signed with: its own account's, the environment's when it has
 * no credentials, `undefined` when its credentials do not open (its webhooks are refused).
 */
function authTokenOf(route: ChannelRoute, envToken: string): string | undefined {
  if (route.credentials === 'none') return envToken;
  return twilioCredentialsOf(route)?.authToken;
}

/**
 * Why an inbound request is refused for this channel, or `null`: 403 `invalid_signature` unless the
 * channel's token signed it, 403 `account_mismatch` when a channel with credentials gets another `AccountSid`.
 * @param signedBy the request's {@link signatureChecker}
 * @param accountSid the form's `AccountSid`
 */
function inboundRefusal(
  signedBy: (token: string) => boolean,
  accountSid: string | undefined,
  channel: ChannelRoute,
  envToken: string,
): HttpError | null {
  const token = authTokenOf(channel, envToken);
  if (token === undefined || !signedBy(token)) return invalidSignature();
  const own = twilioCredentialsOf(channel);
  if (own && accountSid !== own.accountSid) {
    return new HttpError(403, 'account_mismatch', "AccountSid is not this channel's Twilio account");
  }
  return null;
}

/** The form's `AccountSid` (a string), if any. */
function accountSidOf(body: unknown): string | undefined {
  const value = (body as { AccountSid?: unknown } | undefined)?.AccountSid;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The channel directory of this router's dependencies, shared by the messaging and status routes. */
function directoryOf(deps: TwilioWebhookDeps): ChannelDirectory {
  return channelDirectoryOf(deps, TWILIO_KINDS);
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
export type TwilioWebhookDeps = Pick<ApiDeps, 'db' | 'conversations' | 'config' | 'logger' | 'keyring' | 'channelChanges'>;

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
      'the auth token of the Twilio account that owns the number, of PUBLIC_BASE_URL + the request path and query string, ' +
      'followed by every form parameter name and value, sorted by name. Verified per channel: inbound messages with the ' +
      "auth token of the channel named by `To` (its own Twilio account's, or TWILIO_AUTH_TOKEN for a channel without " +
      "credentials), whose `AccountSid` must also be the channel's account; status callbacks with the token of the " +
      "account named by `AccountSid` (TWILIO_AUTH_TOKEN when it is none of our channels' accounts), and the message must " +
      'belong to a channel of that account. Missing or wrong → 403 `invalid_signature` (`account_mismatch` for another ' +
      'account), nothing stored.',
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
    (deps) => {
      const { conversations, logger, config } = deps;
      const channels = directoryOf(deps);
      const envToken = config.twilio.authToken;
      return async (req, res) => {
        // the form is parsed once (express.urlencoded, then InboundForm); the signature is over the raw
        // params, the rest reads the parsed form
        const params = paramsOf(req);
        const signedBy = signatureChecker(req, params, config.publicBaseUrl);
        const parsed = InboundForm.safeParse(params);
        // the channel first (by `To`), then its own account's signature; anything that names no channel
        // of ours is checked with the environment's token, so an unsigned request learns nothing
        const to = parsed.success ? parseTwilioAddress(parsed.data.To) : null;
        const lookup = to ? await channels.lookup(to.kind, to.phone) : undefined;
        if (lookup && !lookup.found && lookup.reason === 'unavailable') {
          // the channel (hence its token) is unknown until Postgres answers: nothing is stored, Twilio retries
          logger.warn(
            { err: String(lookup.error), to: parsed.success ? parsed.data.To : undefined },
            'channel not cached and the database is unreachable: asking Twilio to retry',
          );
          res.setHeader('Retry-After', '30');
          throw new HttpError(503, 'temporarily_unavailable', 'The message could not be routed right now; retry later');
        }
        if (!parsed.success || !to || !lookup?.found) {
          if (!signedBy(envToken)) throw invalidSignature();
          if (!parsed.success) throw parsed.error; // 400 validation_failed
          // a To we cannot read (short code, alphanumeric sender) cannot be one of our channels
          const form = parsed.data;
          throw new HttpError(404, 'unknown_channel', to ? `No ${to.kind} channel for ${form.To}` : `No channel for ${form.To}`);
        }
        const form = parsed.data;
        const accountSid = accountSidOf(params);
        let channel = lookup.route;
        let refused = inboundRefusal(signedBy, accountSid, channel, envToken);
        if (refused) {
          // the cached credentials may be older than a rotation: read the channel again (rate-limited)
          const fresh = await channels.recheck(channel);
          if (fresh) {
            channel = fresh;
            refused = inboundRefusal(signedBy, accountSid, fresh, envToken);
          }
          if (refused) throw refused;
        }
        const from = parseTwilioAddress(form.From);
        if (!from) throw new HttpError(400, 'invalid_address', 'From is not a valid phone number');
        // No contact id: the run's first activity finds or creates the contact from `customer`
        // (retrying until Postgres answers), so accepting the message needs only Temporal.
        const sender = { kind: to.kind, address: from.phone };
        const conversation: NewConversation = {
          conversationId: conversationIdFor(channel.orgId, channel.channelId, from.phone),
          orgId: channel.orgId,
          channelId: channel.channelId,
          channelKind: to.kind,
          customer: { ...sender, profileName: form.ProfileName ?? null },
        };
        try {
          await conversations.deliverInbound(conversation, {
            provider: 'twilio',
            providerMessageId: form.MessageSid,
            text: form.Body,
            attachments: mediaOf(form, form.NumMedia),
            profileName: form.ProfileName ?? null,
            // a run already going on an erased stand-in moves to the sender's contact (adoptSenderAfterErase)
            from: sender,
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
    (deps) => {
      const { db, logger, config } = deps;
      const channels = directoryOf(deps);
      return async (req, res) => {
        const params = paramsOf(req);
        const signedBy = signatureChecker(req, params, config.publicBaseUrl);
        // the tokens that can apply: those of the account the callback names (ours), else the
        // environment's (an account none of our channels uses, typically the environment's own, or no
        // AccountSid); each is validated at most once per request
        const accountSid = accountSidOf(params);
        const candidateTokens = async (): Promise<string[]> => {
          const accountTokens = accountSid ? await channels.twilioAccountTokens(accountSid) : [];
          return accountTokens.length > 0 ? accountTokens : [config.twilio.authToken];
        };
        let verifiedToken = signingToken(signedBy, await candidateTokens());
        if (verifiedToken === undefined) {
          // the account's token may have been rotated since the last refresh: reload once (rate-limited);
          // a token already tried is not validated again
          const reloaded = accountSid !== undefined && (await channels.reloadForAccount());
          if (reloaded) verifiedToken = signingToken(signedBy, await candidateTokens());
          if (verifiedToken === undefined) throw invalidSignature();
        }
        const form = StatusForm.parse(params);
        const errorCode = form.ErrorCode && form.ErrorCode !== '0' ? form.ErrorCode : null;
        // 63016 (WhatsApp free-form outside the 24 h window) never delivers: always `failed`.
        const status = errorCode === '63016' ? 'failed' : fromTwilioStatus(form.MessageStatus);
        const messageIdParam = z.uuid().safeParse(req.query.messageId);
        const messageId = messageIdParam.success ? messageIdParam.data : undefined;
        const message = await findTwilioMessageForStatus(db, messageId, form.MessageSid);
        if (!message) throw new HttpError(404, 'message_not_found', 'No outbound message matches this status callback');
        // the message's channel must be signed for by the token that signed the request (its own
        // account's token, or the environment's for a channel without credentials; compared, not
        // validated again) and be on the account the callback names: another org's account cannot
        // touch this org's messages (an archived channel's messages keep the environment's rule)
        const lookup = await channels.lookupById(message.channel_id);
        if (!lookup.found && lookup.reason === 'unavailable') throw lookup.error;
        const signedToken = verifiedToken;
        const signsFor = (route: ChannelRoute | undefined): boolean => {
          const channelToken = route ? authTokenOf(route, config.twilio.authToken) : config.twilio.authToken;
          const channelAccount = route ? twilioCredentialsOf(route)?.accountSid : undefined;
          return (
            channelToken !== undefined &&
            sameSecret(channelToken, signedToken) &&
            (channelAccount === undefined || channelAccount === accountSid)
          );
        };
        const route = lookup.found ? lookup.route : undefined;
        if (!signsFor(route)) {
          const fresh = route ? await channels.recheck(route) : undefined;
          if (!fresh || !signsFor(fresh)) {
            throw new HttpError(403, 'account_mismatch', "The callback's account does not own this message's channel");
          }
        }
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
      };
    },
  ),
];

/**
 * Builds the Twilio webhooks router (mounted at `/webhooks/twilio`): form parser, then the routes, which
 * check the signature with the auth token of the channel / account the request is for.
 */
export function twilioWebhooksRouter(deps: TwilioWebhookDeps): Router {
  return routerFor(twilioWebhookRoutes, deps, {
    prefix: '/webhooks/twilio',
    auth: TWILIO_WEBHOOK_AUTH,
    before: [express.urlencoded({ extended: false, limit: '256kb' })],
  });
}
