/**
 * Postmark webhooks, protected the way Postmark protects them: HTTP Basic credentials in the
 * configured webhook URL (wrong or missing → 401, nothing stored).
 *
 * Two sets of URLs (issue 10: each channel may have its own Postmark server and credentials):
 * - per channel, `POST /webhooks/postmark/:channelId/inbound` and `…/:channelId/events`: verified with
 *   that channel's own `webhookUser` / `webhookPassword` (constant-time; a channel without its own
 *   credentials: the environment's `POSTMARK_INBOUND_USER` / `POSTMARK_INBOUND_PASSWORD`; a channel whose
 *   credentials do not open: 401), routed only to that channel: the email must be addressed to the
 *   channel's address or its reply-token address (`<local>+<token>@<inbound domain>`), reply tokens and
 *   thread Message-IDs are looked up among its conversations only, and an event must be about one of
 *   its messages. Unknown (or archived) channel → 404, before the body is read.
 * - global, `POST /webhooks/postmark/inbound` and `…/events`: the environment's credentials, for
 *   channels without their own (dev seed, single-tenant deployments); an email or event that routes to
 *   a channel with its own credentials → 401 (it must come through that channel's URL).
 * - `POST /webhooks/postmark/inbound`: an inbound email → its conversation (signal-with-start).
 *   Routing, in order (decided by `decideEmailThread`, channels/postmark/threading.ts): the reply
 *   token in `MailboxHash`; a Message-ID of the thread in `In-Reply-To` / `References`; else a new
 *   conversation whose id derives from the thread's root Message-ID (the sender's contact found or
 *   created by address, unless a conversation of that id exists: then its stored contact). A routed
 *   reply carries the stored conversation's contact; when that is an erased contact's stand-in, the
 *   workflow's recording moves the conversation to the sender's contact (found or created by address;
 *   activities/conversation-store.ts `adoptSenderAfterErase`); a redelivered email is a duplicate
 *   and moves nothing.
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
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { v5 as uuidv5 } from 'uuid';
import { findOrCreateContactByEmail, markContactEmailBounced } from '../../db/contacts';
import {
  findEmailChannel,
  findEmailConversationByReplyToken,
  findEmailConversationByThread,
  findOutboundPostmarkMessage,
  recipientsIncludeChannel,
} from './email-routing';
import { type ChannelDirectory, channelDirectoryOf, type ChannelRoute, postmarkCredentialsOf } from '../channel-directory';
import { EMAIL_KIND } from './kinds';
import { isAutoReply, normalizeMessageId, parseEmailAddress, parseEmailAddressList } from '../../domain/email';
import { decideEmailThread, emailThreadHeaders, type EmailThreadLookups } from './threading';
import { htmlToPlainText } from '../../api/email-body';
import type { Attachment, EmailDetails } from '../../domain/message';
import { SWITCHBOARD_NAMESPACE } from '../../domain/routing';
import { attachmentRef, storeAttachment } from '../../db/attachment-store';
import type { ApiDeps } from '../../api/deps';
import { HttpError } from '../../api/errors';
import { defineRoute, type RouteDefinition, type RouteSpec, routerFor, type WebhookAuth } from '../../api/http/define-route';
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

/** Whether the request's HTTP Basic credentials are exactly `user` / `password` (constant-time compares). */
function basicAuthMatches(req: Request, user: string, password: string): boolean {
  const match = /^Basic\s+(.+)$/i.exec(req.header('authorization') ?? '');
  const [givenUser, ...rest] = match ? Buffer.from(match[1]!, 'base64').toString('utf8').split(':') : [];
  // both compared, whatever the first gives: no early exit on the user name
  const userOk = givenUser !== undefined && safeEqual(givenUser, user);
  const passwordOk = givenUser !== undefined && safeEqual(rest.join(':'), password);
  return userOk && passwordOk;
}

/** The 401 of a webhook with missing or wrong credentials (sets `WWW-Authenticate`). */
function unauthorized(res: Response, message = 'Webhook credentials are missing or wrong'): HttpError {
  res.setHeader('WWW-Authenticate', 'Basic realm="switchboard-webhooks"');
  return new HttpError(401, 'unauthorized', message);
}

/** HTTP Basic auth with the environment's webhook credentials (401 + `WWW-Authenticate` otherwise). */
function requireBasicAuth(user: string, password: string): RequestHandler {
  return (req, res, next) => {
    if (!basicAuthMatches(req, user, password)) return next(unauthorized(res));
    next();
  };
}

/** Runs Express middleware in order, as one handler (an error or a rejected promise goes to `next`). */
function sequence(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let index = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      const handler = handlers[index++];
      if (!handler) return next();
      try {
        Promise.resolve(handler(req, res, step)).catch(next);
      } catch (error) {
        next(error);
      }
    };
    step();
  };
}

/** The channel a per-channel webhook URL names (set on `res.locals` by its auth step). */
const CHANNEL_LOCAL = 'postmarkChannel';

/** The channel directory of this router's dependencies, shared by the per-channel and global routes. */
function directoryOf(deps: PostmarkWebhookDeps): ChannelDirectory {
  return channelDirectoryOf(deps, [EMAIL_KIND.kind]);
}

/**
 * Whether the request carries the channel's webhook credentials: its own, or the environment's for a
 * channel without any (`false` for a channel whose credentials do not open).
 */
function channelAuthMatches(req: Request, route: ChannelRoute, config: PostmarkWebhookDeps['config']): boolean {
  const own = postmarkCredentialsOf(route);
  if (own) return basicAuthMatches(req, own.webhookUser, own.webhookPassword);
  if (route.credentials === 'none') return basicAuthMatches(req, config.postmark.webhookUser, config.postmark.webhookPassword);
  return false;
}

/**
 * The auth step of a per-channel URL: 404 for an unknown or archived channel, 503 while it cannot be
 * looked up, 401 without its credentials; puts the channel on `res.locals` for the handler.
 */
function requireChannelAuth(deps: PostmarkWebhookDeps): RequestHandler {
  const channels = directoryOf(deps);
  return async (req: Request, res: Response, next: NextFunction) => {
    const lookup = await channels.lookupById(String(req.params.channelId));
    if (!lookup.found && lookup.reason === 'unknown') return next(new HttpError(404, 'unknown_channel', 'No email channel with this id'));
    if (!lookup.found) return next(lookup.error);
    let route = lookup.route;
    if (!channelAuthMatches(req, route, deps.config)) {
      // the cached credentials may be older than a change: read the channel again (rate-limited)
      const fresh = await channels.recheck(route);
      if (!fresh || !channelAuthMatches(req, fresh, deps.config)) return next(unauthorized(res));
      route = fresh;
    }
    res.locals[CHANNEL_LOCAL] = route;
    next();
  };
}

/**
 * For a global URL (environment credentials): refuses (401) a target channel that has credentials of
 * its own, which only its own URL accepts. 404 for an archived channel; 503 while it cannot be looked up.
 */
async function assertGlobalTarget(deps: PostmarkWebhookDeps, res: Response, channelId: string): Promise<void> {
  const lookup = await directoryOf(deps).lookupById(channelId);
  if (!lookup.found && lookup.reason === 'unknown') throw new HttpError(404, 'unknown_channel', 'No email channel for these recipients');
  if (!lookup.found) throw lookup.error;
  if (lookup.route.credentials !== 'none') {
    throw unauthorized(res, 'This channel has its own webhook credentials: use its URL /webhooks/postmark/<channel id>/…');
  }
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
export type PostmarkWebhookDeps = Pick<ApiDeps, 'db' | 'blobs' | 'conversations' | 'config' | 'logger' | 'keyring' | 'channelChanges'>;

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
      'HTTP Basic credentials put in the webhook URLs configured at Postmark (`https://user:password@host/webhooks/postmark/…`), ' +
      'which Postmark sends as `Authorization: Basic`. Per-channel URLs (`/webhooks/postmark/{channelId}/inbound`, `…/events`): ' +
      "the channel's own `webhookUser` / `webhookPassword` (POSTMARK_INBOUND_USER / POSTMARK_INBOUND_PASSWORD for a channel " +
      'without credentials). Global URLs (`/webhooks/postmark/inbound`, `…/events`): POSTMARK_INBOUND_USER / ' +
      'POSTMARK_INBOUND_PASSWORD, for channels without their own. Missing or wrong → 401 `unauthorized` with ' +
      '`WWW-Authenticate`, nothing stored.',
  },
  errors: [401],
};

/** The channel a per-channel route's auth step put on `res.locals`, or `undefined` on a global route. */
function channelOf(res: Response): ChannelRoute | undefined {
  return res.locals[CHANNEL_LOCAL] as ChannelRoute | undefined;
}

/**
 * The inbound email handler: routes and signals the conversation. On a per-channel URL (its channel on
 * `res.locals`) only to that channel; on a global URL to a channel without credentials of its own.
 */
function inboundHandler(deps: PostmarkWebhookDeps): RequestHandler {
  const { db, blobs, conversations, config, logger } = deps;
  return async (req, res) => {
    const channel = channelOf(res);
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
    // (a per-channel URL: only that channel's address, reply tokens and threads)
    const lookups: EmailThreadLookups = channel
      ? {
          conversationByReplyToken: (tokens) => findEmailConversationByReplyToken(db, tokens, channel.channelId),
          emailChannel: async (recipients) =>
            recipientsIncludeChannel(recipients, channel.address, config.postmark.inboundDomain)
              ? { id: channel.channelId, org_id: channel.orgId }
              : undefined,
          conversationByThread: (orgId, threadIds) => findEmailConversationByThread(db, orgId, threadIds, channel.channelId),
        }
      : {
          conversationByReplyToken: (tokens) => findEmailConversationByReplyToken(db, tokens),
          emailChannel: (recipients) => findEmailChannel(db, recipients),
          conversationByThread: (orgId, threadIds) => findEmailConversationByThread(db, orgId, threadIds),
        };
    const decision = await decideEmailThread(mail, lookups);
    if (decision.kind === 'unknown_channel') {
      throw new HttpError(
        404,
        'unknown_channel',
        channel ? "No recipient is this channel's address" : 'No email channel for these recipients',
      );
    }
    // a global URL (environment credentials) takes mail only for channels without their own
    if (!channel) await assertGlobalTarget(deps, res, decision.kind === 'token' ? decision.conversation.channel_id : decision.channel.id);
    let target: { id: string; org_id: string; channel_id: string; channel_kind: 'email'; contact_id: string; subject: string | null };
    let contactName: string | null = from.name;
    if (decision.kind === 'new') {
      const { channel } = decision;
      // The thread's conversation may exist already (a redelivery, or a follow-up that overtook its
      // first email): its stored contact wins anyway (the run loads it). Not creating the sender's
      // contact then keeps a redelivered email of an erased thread from bringing the person back.
      const stored = await db.selectFrom('conversations').select('contact_id').where('id', '=', decision.conversationId).executeTakeFirst();
      const contactId = stored?.contact_id ?? (await findOrCreateContactByEmail(db, channel.org_id, from.email, from.name));
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
        logger.warn({ name: file.Name, size: bytes.length, maxBytes: config.attachments.maxBytes }, 'email attachment too large: skipped');
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
  };
}

/**
 * The delivery-event handler (Delivery, Open, Click, Bounce, SpamComplaint): written to the message row.
 * On a per-channel URL only about that channel's messages (else 404); on a global URL only about
 * channels without credentials of their own (else 401).
 */
function eventsHandler(deps: PostmarkWebhookDeps): RequestHandler {
  const { db, logger } = deps;
  return async (req: RawBodyRequest & express.Request, res) => {
    const channel = channelOf(res);
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
    // a per-channel URL reports on that channel's messages only; a global URL on channels without credentials
    if (!message || (channel && message.channel_id !== channel.channelId))
      throw new HttpError(404, 'message_not_found', 'No outbound email matches this event');
    if (!channel) await assertGlobalTarget(deps, res, message.channel_id);
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
  };
}

/** The largest webhook body (bytes) accepted. */
function bodyLimitOf(config: PostmarkWebhookDeps['config']): number {
  // Postmark allows 35 MB inbound messages; base64 makes attachments 4/3 larger. Accept at least
  // that much whatever MAX_ATTACHMENT_BYTES is: a file above it becomes a placeholder, not a 413.
  return Math.max(Math.ceil(config.attachments.maxBytes * 1.4) + 5 * 1024 * 1024, 50 * 1024 * 1024);
}

/** Auth first (nothing is read before), then the JSON body parser keeping the raw text (exact bounce ids), then `handler`. */
function withAuth(deps: PostmarkWebhookDeps, scope: 'channel' | 'global', handler: RequestHandler): RequestHandler {
  const auth =
    scope === 'channel'
      ? requireChannelAuth(deps)
      : requireBasicAuth(deps.config.postmark.webhookUser, deps.config.postmark.webhookPassword);
  return sequence(auth, express.json({ limit: bodyLimitOf(deps.config), verify: keepRawBody }), handler);
}

/** The `:channelId` of the per-channel URLs. */
const ChannelParams = z.object({ channelId: z.string().openapi({ description: 'The email channel (inbox) id' }) });

const INBOUND_SUMMARY = 'Postmark inbound email (HTTP Basic credentials in the webhook URL)';
const EVENTS_SUMMARY =
  'Postmark Delivery, Bounce, SpamComplaint, Open and Click webhooks (HTTP Basic credentials in the webhook URL); ' +
  'written to the message directly, a hard bounce or spam complaint is final';

/** What the four routes below declare alike: POST, Postmark's Basic auth, the answer and the errors. */
const WEBHOOK_ROUTE = {
  method: 'post',
  auth: POSTMARK_WEBHOOK_AUTH,
  tags: ['webhooks'],
  response: { status: 200, schema: PostmarkWebhookAnswer, description: 'Accepted' },
  errors: [400, 404, 413],
} satisfies Partial<RouteSpec>;

/** The routes under `/webhooks/postmark` (each checks its HTTP Basic credentials, then parses the JSON body). */
export const postmarkWebhookRoutes: RouteDefinition<PostmarkWebhookDeps>[] = [
  defineRoute(
    {
      ...WEBHOOK_ROUTE,
      path: '/webhooks/postmark/inbound',
      operationId: 'postmarkInboundWebhook',
      summary: `${INBOUND_SUMMARY}; environment credentials, for channels without their own`,
      request: { body: PostmarkBody },
    },
    (deps) => withAuth(deps, 'global', inboundHandler(deps)),
  ),
  defineRoute(
    {
      ...WEBHOOK_ROUTE,
      path: '/webhooks/postmark/events',
      operationId: 'postmarkEventsWebhook',
      summary: `${EVENTS_SUMMARY}; environment credentials, for channels without their own`,
      request: { body: PostmarkBody },
    },
    (deps) => withAuth(deps, 'global', eventsHandler(deps)),
  ),
  defineRoute(
    {
      ...WEBHOOK_ROUTE,
      path: '/webhooks/postmark/:channelId/inbound',
      operationId: 'postmarkChannelInboundWebhook',
      summary: `${INBOUND_SUMMARY}; the channel's own credentials, routed to that channel only`,
      request: { params: ChannelParams, body: PostmarkBody },
    },
    (deps) => withAuth(deps, 'channel', inboundHandler(deps)),
  ),
  defineRoute(
    {
      ...WEBHOOK_ROUTE,
      path: '/webhooks/postmark/:channelId/events',
      operationId: 'postmarkChannelEventsWebhook',
      summary: `${EVENTS_SUMMARY}; the channel's own credentials, about that channel's messages only`,
      request: { params: ChannelParams, body: PostmarkBody },
    },
    (deps) => withAuth(deps, 'channel', eventsHandler(deps)),
  ),
];

/**
 * Builds the Postmark webhooks router (mounted at `/webhooks/postmark`). Each route checks its
 * credentials first (nothing is read before), then parses the JSON body (keeping the raw text).
 */
export function postmarkWebhooksRouter(deps: PostmarkWebhookDeps): Router {
  return routerFor(postmarkWebhookRoutes, deps, { prefix: '/webhooks/postmark', auth: POSTMARK_WEBHOOK_AUTH });
}
