/**
 * The Postmark adapter: email through the real `postmark` SDK.
 *
 * Send: `POST /email` from the channel's address, `Reply-To: <local>+<reply token>@<inbound domain>`,
 * `Subject: Re: …`, our own `Message-ID`, and `In-Reply-To` / `References` from the thread so the
 * customer's mail client threads it (RFC 5322 §3.6.4); reply-all Cc; attachments read from the blob
 * store; `Metadata.message_id` (what reconciliation searches for). The sent envelope and our
 * Message-ID are recorded on the message row. Permanent errors: channels/postmark/client.ts
 * `isPermanentPostmarkError`. Reconcile: the outbound message search (channels/postmark/reconcile.ts).
 * Inbound: channels/postmark/webhooks.ts.
 */
import type { ServerClient } from 'postmark';
import { sql } from 'kysely';
import { postmarkWebhookRoutes, postmarkWebhooksRouter } from './webhooks';
import type { Db } from '../../db/client';
import { formatMessageIdHeader, outboundMessageId, replyAllCc, replySubject, replyToAddress, threadReferences } from '../../domain/email';
import type { EmailAddress, EmailDetails } from '../../domain/message';
import { type ChannelAdapter, type ChannelAdapterDefinition, type OutboundMessage, PermanentSendError, type SendContext } from '../types';
import { POSTMARK_DEV_STAND_IN } from './dev';
import { type PostmarkClientOptions, createPostmarkClient, isPermanentPostmarkError } from './client';
import { EMAIL_KIND } from './kinds';
import { reconcilePostmark } from './reconcile';

/** The configuration the Postmark adapter needs (a subset of `Config['postmark']`). */
export interface PostmarkAdapterConfig {
  postmark: PostmarkClientOptions & {
    /** Domain of our inbound addresses (`<local>+<reply token>@<domain>`); `undefined` = the channel's own domain. */
    inboundDomain: string | undefined;
  };
}

/** Our Message-ID of an outbound email, at the inbound email domain (else the channel's own domain). */
function ownMessageIdOf(outbound: OutboundMessage, inboundDomain: string | undefined): string {
  return outboundMessageId(outbound.id, inboundDomain ?? outbound.channel.address.split('@')[1] ?? 'switchboard.invalid');
}

/** Records our Message-ID (later replies thread on it) and, for a send, the sent envelope. */
async function recordSent(db: Db, messageId: string, ownMessageId: string, envelope?: EmailDetails): Promise<void> {
  await db
    .updateTable('messages')
    .set({ email_message_id: ownMessageId, ...(envelope ? { email: JSON.stringify(envelope) } : {}) })
    .where('id', '=', messageId)
    .execute();
}

/** Builds the Postmark adapter around an SDK client (tests pass one pointed at the stand-in). */
export function postmarkAdapter(postmark: ServerClient, opts: { inboundDomain: string | undefined }): ChannelAdapter {
  const { inboundDomain } = opts;

  const send = async (ctx: SendContext, outbound: OutboundMessage) => {
    const { db } = ctx;
    const to = outbound.contact.address;
    if (to === null) throw new PermanentSendError('no_address', 'The contact has no email address.');
    if (outbound.replyToken === null) throw new PermanentSendError('no_reply_token', 'The email conversation has no reply token.');
    const channelAddress = outbound.channel.address;
    const channelName = outbound.channel.name;
    const contactName = outbound.contact.name;
    const thread = await db
      .selectFrom('messages')
      .select(['email_message_id', 'direction'])
      .where('conversation_id', '=', outbound.conversationId)
      .where('email_message_id', 'is not', null)
      .where('id', '!=', outbound.id)
      .orderBy('seq')
      .execute();
    const references = threadReferences(thread.map((m) => m.email_message_id!));
    // In-Reply-To: the customer's latest email (the one this answers), else our latest in the thread
    const inReplyTo = [...thread].reverse().find((m) => m.direction === 'inbound')?.email_message_id ?? references.at(-1);
    const ownMessageId = ownMessageIdOf(outbound, inboundDomain);
    // reply-all: the other people on the customer's latest email stay in Cc, plus the Cc staff asked for
    const latestInbound = await db
      .selectFrom('messages')
      .select([sql<EmailAddress[] | null>`email->'to'`.as('to'), sql<EmailAddress[] | null>`email->'cc'`.as('cc')])
      .where('conversation_id', '=', outbound.conversationId)
      .where('direction', '=', 'inbound')
      .where('email', 'is not', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const cc = replyAllCc({
      thread: [...(latestInbound?.to ?? []), ...(latestInbound?.cc ?? [])],
      extra: outbound.emailRecipients?.cc ?? [],
      to,
      channelAddress,
      inboundDomain: inboundDomain ?? null,
    });
    const bcc = outbound.emailRecipients?.bcc ?? [];
    const formatAddress = (a: EmailAddress): string => (a.name ? `${a.name.replace(/["<>,]/g, '')} <${a.email}>` : a.email);
    const attachments = [];
    for (const a of outbound.attachments) {
      if (!a.attachmentId) continue;
      const bytes = await ctx.blobs.get(`${outbound.orgId}/${a.attachmentId}`);
      if (!bytes) throw new PermanentSendError('attachment_missing', `Attachment ${a.attachmentId} is no longer stored.`);
      attachments.push({
        Name: a.name ?? 'attachment',
        Content: bytes.toString('base64'),
        ContentType: a.contentType,
        ContentID: a.contentId ? `cid:${a.contentId}` : null,
      });
    }
    const template = outbound.template;
    // a reply in a thread is "Re: <subject>" (even from a template: another subject would split the
    // thread in mail clients); the first email of a staff-started conversation is not a reply
    const subject =
      references.length > 0
        ? replySubject(outbound.subject ?? template?.subject ?? '')
        : (template?.subject ?? outbound.subject ?? `Message from ${channelName || channelAddress}`);
    let sent: Awaited<ReturnType<ServerClient['sendEmail']>>;
    try {
      sent = await postmark.sendEmail({
        From: channelName ? `${channelName.replace(/["<>]/g, '')} <${channelAddress}>` : channelAddress,
        To: contactName ? `${contactName.replace(/["<>]/g, '')} <${to}>` : to,
        ...(cc.length > 0 ? { Cc: cc.map(formatAddress).join(', ') } : {}),
        ...(bcc.length > 0 ? { Bcc: bcc.map(formatAddress).join(', ') } : {}),
        ReplyTo: replyToAddress(channelAddress, outbound.replyToken, inboundDomain ?? null),
        Subject: subject,
        TextBody: outbound.text,
        Headers: [
          { Name: 'Message-ID', Value: formatMessageIdHeader(ownMessageId) },
          ...(references.length > 0
            ? [
                { Name: 'In-Reply-To', Value: formatMessageIdHeader(inReplyTo ?? references.at(-1)!) },
                { Name: 'References', Value: references.map(formatMessageIdHeader).join(' ') },
              ]
            : []),
        ],
        ...(attachments.length > 0 ? { Attachments: attachments } : {}),
        MessageStream: 'outbound',
        Metadata: { conversation_id: outbound.conversationId, message_id: outbound.id },
      });
    } catch (err) {
      const permanent = isPermanentPostmarkError(err);
      if (permanent) {
        throw new PermanentSendError(String(permanent.code), `Postmark rejected the email: ${permanent.message}`, {
          status: permanent.status,
        });
      }
      throw err;
    }
    // the sent envelope, like an inbound email's (our Message-ID, To, Cc, Bcc, Subject, thread ids)
    const envelope: EmailDetails = {
      from: { email: channelAddress, name: channelName || null },
      to: [{ email: to, name: contactName }],
      cc,
      ...(bcc.length > 0 ? { bcc } : {}),
      subject,
      date: new Date().toUTCString(),
      textBody: outbound.text,
      htmlBody: null,
      messageId: ownMessageId,
      inReplyTo: references.length > 0 ? [inReplyTo ?? references.at(-1)!] : [],
      references,
    };
    await recordSent(db, outbound.id, ownMessageId, envelope);
    return { providerMessageId: sent.MessageID, status: 'sent' as const };
  };

  return {
    provider: 'postmark',
    kinds: [EMAIL_KIND],
    send,
    async reconcile(ctx, outbound) {
      if (outbound.contact.address === null) return { outcome: 'not_sent' };
      const result = await reconcilePostmark({ postmark }, { messageId: outbound.id, recipient: outbound.contact.address });
      // what a send records besides delivery: our Message-ID (later replies thread on it)
      if (result.outcome === 'sent') await recordSent(ctx.db, outbound.id, ownMessageIdOf(outbound, inboundDomain));
      return result;
    },
  };
}

/** Postmark: email; webhooks at `/webhooks/postmark` (`/inbound`, `/events`). */
export const POSTMARK_CHANNEL: ChannelAdapterDefinition<PostmarkAdapterConfig> = {
  provider: 'postmark',
  kinds: [EMAIL_KIND],
  // the SDK's request timeout defaults to 50 s: below the send activity's start-to-close timeout
  create: (config) =>
    postmarkAdapter(createPostmarkClient({ timeoutSeconds: 50, ...config.postmark }), { inboundDomain: config.postmark.inboundDomain }),
  webhooks: postmarkWebhooksRouter,
  webhookRoutes: postmarkWebhookRoutes,
  dev: POSTMARK_DEV_STAND_IN,
};
