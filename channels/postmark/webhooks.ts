/**
 * Postmark webhooks, protected the way Postmark protects them: HTTP Basic credentials in the
 * configured webhook URL (wrong or missing → 401, nothing stored).
 * - `POST /webhooks/postmark/inbound`: an inbound email → its conversation (signal-with-start).
 *   Routing, in order (decided by `decideEmailThread`, channels/postmark/threading.ts): the reply
 *   token in `MailboxHash`; a Message-ID of the thread in `In-Reply-To` / `References`; else a new
 *   conversation whose id derives from the thread's root Message-ID.
 *   Automatic replies (RFC 3834) are flagged (`autoReply`); an attachment above `MAX_ATTACHMENT_BYTES`
 *   becomes a `skipped: 'too_large'` placeholder; HTML-only mail gets its text from the HTML part.
 * - `POST /webhooks/postmark/events`: Delivery → `delivered`, Open / Click → `read`, a permanent
 *   Bounce or a SpamComplaint → `failed` (`bounce_<Type>`, final: no later event undoes it) and the
 *   contact's address flagged. Written to the message row directly (with Postmark's `MessageID`),
 *   not through the conversation's workflow.
 * Source: postmarkapp.com/developer/webhooks/inbound-webhook, …/delivery-webhook, …/bounce-webhook,
 * …/spam-complaint-webhook, …/open-tracking-webhook, …/click-webhook.
 *
 * Postgres down: unlike Twilio's, inbound email routing needs the database (reply tokens, thread
 * Message-IDs, channel addresses), so the inbound webhook answers 503 while it is unreachable
 * (api/errors.ts maps connection errors to 503). Nothing is lost: Postmark retries every non-200
 * answer except 403, 10 times over about 10.5 h at growing intervals (1 min, 5 min, 10 min, … 2 h,
 * 6 h), then lists the message as an Inbound Error that can be retried by hand
 * (postmarkapp.com/support/article/understanding-inbound-webhook-retries-in-postmark).
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { v5 as uuidv5 } from 'uuid';
import { findOrCreateContactByEmail, markContactEmailBounced } from '../../db/contacts';
import {
  findEmailChannel,
  findEmailConversationByReplyToken,
  findEmailConversationByThread,
  findOutboundPostmarkMessage,
} from './email-routing';
import { isAutoReply, normalizeMessageId, parseEmailAddress, parseEmailAddressList } from '../../domain/email';
import { decideEmailThread, emailThreadHeaders } from './threading';
import { htmlToPlainText } from '../../api/email-body';
import type { Attachment, EmailDetails } from '../../domain/message';
import { SWITCHBOARD_NAMESPACE } from '../../domain/routing';
import { attachmentRef, storeAttachment } from '../../db/attachment-store';
import type { ApiDeps } from '../../api/deps';
import { HttpError } from '../../api/errors';
import { defineRoute, type RouteDefinition, routerFor, type WebhookAuth } from '../../api/http/define-route';
import {
  keepRawBody,
  PostmarkBounceWebhook,
  PostmarkClickWebhook,
  PostmarkDeliveryWebhook,
  PostmarkOpenWebhook,
  PostmarkSpamComplaintWebhook,
  PostmarkInboundWebhook,
  PostmarkWebhookAnswer,
  type RawBodyRequest,
  withExactBounceId,
} from './schemas';
import { workflowConversationOf } from '../../workflows/conversation/contract';
import { applyDeliveryUpdate } from '../../activities/conversation-store';
import type { DeliveryStatus } from '../../domain/delivery';

/** Bounce `TypeCode`s that mean the address is bad for good (postmarkapp.com/developer/api/bounce-api#bounce-types). */
const PERMANENT_BOUNCE_TYPES = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated', 'SpamComplaint', 'Blocked']);

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HTTP Basic auth with the configured webhook credentials (401 + `WWW-Authenticate` otherwise). */
function requireBasicAuth(user: string, password: string): RequestHandler {
  return (req, res, next) => {
    const match = /^Basic\s+(.+)$/i.exec(req.header('authorization') ?? '');
    const [givenUser, ...rest] = match ? Buffer.from(match[1]!, 'base64').toString('utf8').split(':') : [];
    if (givenUser === undefined || !safeEqual(givenUser, user) || !safeEqual(rest.join(':'), password)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="switchboard-webhooks"');
      return next(new HttpError(401, 'unauthorized', 'Webhook credentials are missing or wrong'));
    }
    next();
  };
}

/** Largest email body (bytes) carried inline in the workflow signal; longer ones are stored as attachments. */
const BODY_INLINE_LIMIT = 256 * 1024;

/** `text` cut to at most `maxBytes` UTF-8 bytes (on a character boundary). */
function truncate(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut) > maxBytes) cut = cut.slice(0, -1);
  return cut;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Our message id from a webhook's `Metadata` (`sendEmail` sets `message_id`), if it is a UUID. */
function metadataMessageId(metadata: unknown): string | undefined {
  const value = (metadata as { message_id?: unknown } | null | undefined)?.message_id;
  return typeof value === 'string' && UUID.test(value) ? value : undefined;
}

/** What the Postmark webhook routes need. */
export type PostmarkWebhookDeps = Pick<ApiDeps, 'db' | 'blobs' | 'conversations' | 'config' | 'logger'>;

/** The JSON body of a Postmark webhook as documented: an object (each route validates its record type). */
const PostmarkBody = z.record(z.string(), z.unknown());

/** How Postmark's webhooks authenticate: HTTP Basic credentials in the webhook URL (401 when wrong). */
export const POSTMARK_WEBHOOK_AUTH: WebhookAuth = {
  webhook: 'postmark',
  scheme: 'postmarkWebhookBasic',
  definition: {
    type: 'http',
    scheme: 'basic',
    description:
      'POSTMARK_INBOUND_USER / POSTMARK_INBOUND_PASSWORD, put in the webhook URLs configured at Postmark ' +
      '(`https://user:password@host/webhooks/postmark/…`), which Postmark sends as `Authorization: Basic`. ' +
      'Missing or wrong → 401 `unauthorized` with `WWW-Authenticate`, nothing stored.',
  },
  errors: [401],
};

/** The routes under `/webhooks/postmark` (HTTP Basic and the JSON body parser run in the router first). */
export const postmarkWebhookRoutes: RouteDefinition<PostmarkWebhookDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/webhooks/postmark/inbound',
      auth: POSTMARK_WEBHOOK_AUTH,
      operationId: 'postmarkInboundWebhook',
      tags: ['webhooks'],
      summary: 'Postmark inbound email (HTTP Basic credentials in the webhook URL)',
      request: { body: PostmarkBody },
      response: { status: 200, schema: PostmarkWebhookAnswer, description: 'Accepted' },
      errors: [400, 404, 413],
    },
    ({ db, blobs, conversations, config, logger }) =>
      async (req, res) => {
        const mail = PostmarkInboundWebhook.parse(req.body);
        const headers = mail.Headers;
        const { messageId, inReplyTo, references } = emailThreadHeaders(mail);
        // A file above MAX_ATTACHMENT_BYTES is not stored, but it no longer costs the whole email: it
        // becomes a placeholder attachment (`skipped: 'too_large'`) next to the stored ones.
        const files = mail.Attachments.map((file) => ({ file, bytes: Buffer.from(file.Content, 'base64') }));
        const from = mail.FromFull?.Email ? parseEmailAddress(mail.FromFull) : { email: mail.From, name: mail.FromName || null };
        if (!from.email.includes('@')) throw new HttpError(400, 'invalid_address', 'From is not an email address');

        // reply token, else a Message-ID of a thread of the addressed org, else a new conversation on the
        // addressed channel (channels/postmark/threading.ts)
        const decision = await decideEmailThread(mail, {
          conversationByReplyToken: (tokens) => findEmailConversationByReplyToken(db, tokens),
          emailChannel: (recipients) => findEmailChannel(db, recipients),
          conversationByThread: (orgId, threadIds) => findEmailConversationByThread(db, orgId, threadIds),
        });
        if (decision.kind === 'unknown_channel') throw new HttpError(404, 'unknown_channel', 'No email channel for these recipients');
        let target: { id: string; org_id: string; channel_id: string; channel_kind: 'email'; contact_id: string; subject: string | null };
        let contactName: string | null = from.name;
        if (decision.kind === 'new') {
          const { channel } = decision;
          const contactId = await findOrCreateContactByEmail(db, channel.org_id, from.email, from.name);
          target = {
            id: decision.conversationId,
            org_id: channel.org_id,
            channel_id: channel.id,
            channel_kind: 'email',
            contact_id: contactId,
            subject: mail.Subject || null,
          };
          contactName = null;
        } else {
          target = { ...decision.conversation, channel_kind: 'email' };
        }

        // Attachments: bytes stored by us under ids derived from the message, so a retried webhook
        // stores nothing twice.
        const attachments: Attachment[] = [];
        for (const [index, { file, bytes }] of files.entries()) {
          if (bytes.length > config.attachments.maxBytes) {
            logger.warn(
              { name: file.Name, size: bytes.length, maxBytes: config.attachments.maxBytes },
              'email attachment too large: skipped',
            );
            attachments.push({ name: file.Name || 'attachment', contentType: file.ContentType, size: bytes.length, skipped: 'too_large' });
            continue;
          }
          const row = await storeAttachment(
            db,
            blobs,
            {
              id: uuidv5(`${target.org_id}|email-attachment|${messageId}|${index}`, SWITCHBOARD_NAMESPACE),
              orgId: target.org_id,
              name: file.Name,
              contentType: file.ContentType,
              bytes,
              source: 'email',
              contentId: file.ContentID ? normalizeMessageId(file.ContentID.replace(/^cid:/i, '')) : null,
            },
            { maxBytes: config.attachments.maxBytes },
          );
          attachments.push(attachmentRef(row));
        }

        // Temporal payloads are limited (2 MB by default): bodies above BODY_INLINE_LIMIT are kept whole
        // as attachments (`message.html` / `message.txt`) and only a cut-down copy travels in the signal.
        const keepBody = async (body: string, name: string, contentType: string): Promise<string | null> => {
          if (Buffer.byteLength(body) <= BODY_INLINE_LIMIT) return body || null;
          const row = await storeAttachment(db, blobs, {
            id: uuidv5(`${target.org_id}|email-body|${messageId}|${name}`, SWITCHBOARD_NAMESPACE),
            orgId: target.org_id,
            name,
            contentType,
            bytes: Buffer.from(body, 'utf8'),
            source: 'email',
          });
          attachments.push(attachmentRef(row));
          return contentType.startsWith('text/plain') ? `${truncate(body, BODY_INLINE_LIMIT)}\n[…full text in ${name}]` : null;
        };
        const textBody = (await keepBody(mail.TextBody, 'message.txt', 'text/plain; charset=utf-8')) ?? '';
        const htmlBody = await keepBody(mail.HtmlBody, 'message.html', 'text/html; charset=utf-8');
        // The message text: the reply without quoted history, else the text part, else (HTML-only mail)
        // text derived from the HTML part, so `text` and the list preview are never blank for content.
        const fullText = mail.StrippedTextReply || mail.TextBody || htmlToPlainText(mail.HtmlBody);
        const truncated = Buffer.byteLength(fullText) > BODY_INLINE_LIMIT;
        // a cut text says so, and its full version is kept: `message.txt` (stored above when it is the
        // text part; stored here when the text came from the HTML part or a short text part)
        if (truncated && Buffer.byteLength(mail.TextBody) <= BODY_INLINE_LIMIT)
          await keepBody(fullText, 'message.txt', 'text/plain; charset=utf-8');
        const autoReply = isAutoReply(headers);
        const email: EmailDetails = {
          from,
          to: parseEmailAddressList(mail.ToFull),
          cc: parseEmailAddressList(mail.CcFull),
          subject: mail.Subject,
          date: mail.Date || null,
          textBody,
          htmlBody,
          messageId,
          inReplyTo,
          references,
          ...(autoReply ? { autoReply: true } : {}),
        };
        try {
          await conversations.deliverInbound(
            { ...workflowConversationOf(target), subject: target.subject },
            {
              provider: 'postmark',
              providerMessageId: mail.MessageID,
              text: truncate(fullText, BODY_INLINE_LIMIT),
              attachments,
              profileName: contactName,
              email,
              ...(autoReply ? { autoReply: true } : {}),
              ...(truncated ? { truncated: true } : {}),
            },
          );
        } catch (err) {
          logger.error({ err, conversationId: target.id }, 'could not signal conversation workflow');
          throw new HttpError(503, 'temporarily_unavailable', 'The email could not be accepted right now; retry later');
        }
        res.status(200).json({ ok: true, conversationId: target.id });
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/webhooks/postmark/events',
      auth: POSTMARK_WEBHOOK_AUTH,
      operationId: 'postmarkEventsWebhook',
      tags: ['webhooks'],
      summary:
        'Postmark Delivery, Bounce, SpamComplaint, Open and Click webhooks (HTTP Basic credentials in the webhook URL); ' +
        'written to the message directly, a hard bounce or spam complaint is final',
      request: { body: PostmarkBody },
      response: { status: 200, schema: PostmarkWebhookAnswer, description: 'Accepted' },
      errors: [400, 404, 413],
    },
    ({ db, logger }) =>
      async (req: RawBodyRequest & express.Request, res) => {
        const recordType = (req.body as { RecordType?: unknown } | undefined)?.RecordType;
        let report: {
          postmarkMessageId: string;
          /** Our message id, echoed by Postmark from the `Metadata` we sent. */
          ourMessageId: string | undefined;
          status: DeliveryStatus;
          errorCode: string | null;
          errorMessage: string | null;
        };
        let bounce: { email: string; type: string; description: string } | undefined;
        if (recordType === 'Delivery') {
          const delivery = PostmarkDeliveryWebhook.parse(req.body);
          report = {
            postmarkMessageId: delivery.MessageID,
            ourMessageId: metadataMessageId(delivery.Metadata),
            status: 'delivered',
            errorCode: null,
            errorMessage: null,
          };
        } else if (recordType === 'Open' || recordType === 'Click') {
          // the recipient opened / clicked: the furthest progress there is (`read`)
          const event = recordType === 'Open' ? PostmarkOpenWebhook.parse(req.body) : PostmarkClickWebhook.parse(req.body);
          report = {
            postmarkMessageId: event.MessageID,
            ourMessageId: metadataMessageId(event.Metadata),
            status: 'read',
            errorCode: null,
            errorMessage: null,
          };
        } else if (recordType === 'Bounce' || recordType === 'SpamComplaint') {
          const b =
            recordType === 'Bounce'
              ? PostmarkBounceWebhook.parse(withExactBounceId(req.body, req.rawBody))
              : PostmarkSpamComplaintWebhook.parse(withExactBounceId(req.body, req.rawBody));
          const type = recordType === 'SpamComplaint' ? 'SpamComplaint' : b.Type;
          const permanent = PERMANENT_BOUNCE_TYPES.has(type) || b.Inactive === true;
          if (!permanent) {
            // a soft bounce is not final: Postmark keeps retrying; record nothing as failed yet
            logger.info({ type, messageId: b.MessageID, bounceId: b.ID }, 'soft bounce ignored');
            res.status(200).json({ ok: true, ignored: 'soft bounce' });
            return;
          }
          // `bounce_<Type>` marks the outcome final (domain/delivery.ts isFinalDeliveryFailure)
          report = {
            postmarkMessageId: b.MessageID,
            ourMessageId: metadataMessageId(b.Metadata),
            status: 'failed',
            errorCode: `bounce_${type}`,
            errorMessage: `${b.Description || type}${b.Details ? ` (${b.Details})` : ''}`,
          };
          bounce = { email: b.Email, type, description: b.Description || type };
        } else {
          res.status(200).json({ ok: true, ignored: `record type ${String(recordType)}` });
          return;
        }
        // by Postmark's id; or, if the send crashed before recording it, by the id we put in Metadata
        const message = await findOutboundPostmarkMessage(db, report.postmarkMessageId, report.ourMessageId);
        if (!message) throw new HttpError(404, 'message_not_found', 'No outbound email matches this event');
        if (bounce) {
          // the contact is not conversation state: flag the bounced address directly
          await markContactEmailBounced(db, message.contact_id, bounce.email, `${bounce.type}: ${bounce.description}`);
        }
        // The path of record: written here, not through the conversation's workflow, so the provider
        // id and outcome are stored even while no worker makes progress. Idempotent and monotonic
        // (a retried or late event never moves the status backwards, nothing undoes a hard bounce).
        const applied = await applyDeliveryUpdate(db, {
          messageId: message.message_id,
          providerMessageId: report.postmarkMessageId,
          status: report.status,
          errorCode: report.errorCode,
          errorMessage: report.errorMessage,
        });
        res.status(200).json({ ok: true, applied });
      },
  ),
];

/**
 * Builds the Postmark webhooks router (mounted at `/webhooks/postmark`): HTTP Basic first (nothing is
 * read before), then the JSON body parser that keeps the raw text (exact bounce ids), then the routes.
 */
export function postmarkWebhooksRouter(deps: PostmarkWebhookDeps): Router {
  const { config } = deps;
  // Postmark allows 35 MB inbound messages; base64 makes attachments 4/3 larger. Accept at least
  // that much whatever MAX_ATTACHMENT_BYTES is: a file above it becomes a placeholder, not a 413.
  const bodyLimit = Math.max(Math.ceil(config.attachments.maxBytes * 1.4) + 5 * 1024 * 1024, 50 * 1024 * 1024);
  return routerFor(postmarkWebhookRoutes, deps, {
    prefix: '/webhooks/postmark',
    auth: POSTMARK_WEBHOOK_AUTH,
    before: [
      requireBasicAuth(config.postmark.webhookUser, config.postmark.webhookPassword),
      express.json({ limit: bodyLimit, verify: keepRawBody }),
    ],
  });
}
