/**
 * The Twilio adapter: SMS / MMS and WhatsApp through the real `twilio` SDK.
 *
 * Send: `POST /2010-04-01/Accounts/{Sid}/Messages.json` — free-form `Body` + `MediaUrl` (stored
 * attachments as signed, expiring URLs), or a WhatsApp Content template (`ContentSid` +
 * `ContentVariables`); from the channel's number, or its Messaging Service when
 * `channels.settings.messagingServiceSid` is set; `StatusCallback =
 * <PUBLIC_BASE_URL>/webhooks/twilio/status?messageId=<id>`. Permanent errors: every 4xx but 408 / 429
 * (twilio.com/docs/usage/twilios-response), stored with Twilio's error code and a readable reason.
 * Reconcile: the message list (channels/twilio/reconcile.ts). Inbound: channels/twilio/webhooks.ts;
 * inbound media are downloaded with the account's credentials on Twilio's hosts (channels/twilio/media.ts).
 */
import type { Twilio } from 'twilio';
import { twilioWebhookRoutes, twilioWebhooksRouter } from './webhooks';
import { type ChannelAdapter, type ChannelAdapterDefinition, type OutboundMessage, PermanentSendError } from '../types';
import { TWILIO_DEV_STAND_IN } from './dev';
import { type TwilioKind, toTwilioAddress } from './addresses';
import { type TwilioClientOptions, createTwilioClient } from './client';
import { SMS_KIND, WHATSAPP_KIND } from './kinds';
import { type TwilioMediaAccess, twilioMediaDownload, twilioMediaHosts } from './media';
import { reconcileTwilio } from './reconcile';
import { fromTwilioStatus, isPermanentTwilioError, twilioErrorReason } from './status';

/** The configuration the Twilio adapter needs (a subset of `Config['twilio']`). */
export interface TwilioAdapterConfig {
  twilio: TwilioClientOptions & {
    /**
     * Host names besides `twilio.com` / `*.twilio.com` (and `apiBaseUrl`'s host) whose inbound media
     * URLs get the account's credentials, e.g. `['127.0.0.1']` for test media servers; default none.
     */
    mediaHosts?: readonly string[];
  };
}

interface TwilioErrorLike {
  status: number;
  code?: number;
  message: string;
}

/** Whether `err` is a Twilio REST error (`RestException`: HTTP `status`, Twilio `code`). */
function isTwilioRestError(err: unknown): err is TwilioErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/** The Twilio addresses of a message: `to`, and `from` or the channel's Messaging Service; `null` without a number. */
function twilioAddresses(outbound: OutboundMessage & { kind: TwilioKind }) {
  if (outbound.contact.address === null) return null;
  const { settings } = outbound.channel;
  const messagingServiceSid = typeof settings.messagingServiceSid === 'string' ? settings.messagingServiceSid : undefined;
  return {
    to: toTwilioAddress(outbound.kind, outbound.contact.address),
    from: messagingServiceSid ? undefined : toTwilioAddress(outbound.kind, outbound.channel.address),
    messagingServiceSid,
  };
}

/** Narrows a message to the kinds Twilio carries. @throws Error for another kind (a registry bug). */
function twilioOutbound(outbound: OutboundMessage): OutboundMessage & { kind: TwilioKind } {
  if (outbound.kind !== SMS_KIND.kind && outbound.kind !== WHATSAPP_KIND.kind) {
    throw new Error(`the Twilio adapter does not carry ${outbound.kind}`);
  }
  return outbound as OutboundMessage & { kind: TwilioKind };
}

/**
 * Builds the Twilio adapter around an SDK client (tests pass one pointed at a stand-in) and the
 * credentials inbound media downloads use (the client's account; `extraHosts` as in {@link twilioMediaHosts}).
 */
export function twilioAdapter(twilio: Twilio, media: TwilioMediaAccess): ChannelAdapter {
  return {
    provider: 'twilio',
    kinds: [SMS_KIND, WHATSAPP_KIND],
    async send(ctx, message) {
      const outbound = twilioOutbound(message);
      const addresses = twilioAddresses(outbound);
      if (addresses === null) {
        throw new PermanentSendError('no_address', `The contact has no ${outbound.kind === 'whatsapp' ? 'WhatsApp' : 'phone'} number.`);
      }
      const { to, from, messagingServiceSid } = addresses;
      const mediaUrl = outbound.attachments
        .map((a) => (a.attachmentId ? ctx.mediaUrl(a.attachmentId) : a.url))
        .filter((u): u is string => typeof u === 'string');
      const template = outbound.template;
      const content =
        template?.contentSid != null
          ? { contentSid: template.contentSid, ...(template.contentVariables ? { contentVariables: template.contentVariables } : {}) }
          : { body: outbound.text, ...(mediaUrl.length > 0 ? { mediaUrl } : {}) };
      try {
        const sent = await twilio.messages.create({
          to,
          ...(messagingServiceSid ? { messagingServiceSid } : { from }),
          ...content,
          statusCallback: `${ctx.publicBaseUrl}/webhooks/twilio/status?messageId=${encodeURIComponent(outbound.id)}`,
        });
        return { providerMessageId: sent.sid, status: fromTwilioStatus(sent.status) ?? 'queued' };
      } catch (err) {
        if (isTwilioRestError(err) && isPermanentTwilioError(err.status)) {
          const code = err.code !== undefined ? String(err.code) : `http_${err.status}`;
          throw new PermanentSendError(code, twilioErrorReason(code, err.message), { status: err.status });
        }
        throw err;
      }
    },
    async reconcile(ctx, message) {
      const outbound = twilioOutbound(message);
      const addresses = twilioAddresses(outbound);
      if (addresses === null) return { outcome: 'not_sent' };
      const body = outbound.template?.contentSid != null ? null : outbound.text;
      const since = outbound.sendStartedAt ?? outbound.createdAt;
      return reconcileTwilio({ db: ctx.db, twilio }, { messageId: outbound.id, ...addresses, body, since });
    },
    mediaDownload: twilioMediaDownload(media),
  };
}

/** Twilio: SMS and WhatsApp; webhooks at `/webhooks/twilio` (`/messaging`, `/status`). */
export const TWILIO_CHANNEL: ChannelAdapterDefinition<TwilioAdapterConfig> = {
  provider: 'twilio',
  kinds: [SMS_KIND, WHATSAPP_KIND],
  create: (config) =>
    twilioAdapter(createTwilioClient(config.twilio), {
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      extraHosts: twilioMediaHosts(config.twilio),
    }),
  webhooks: twilioWebhooksRouter,
  webhookRoutes: twilioWebhookRoutes,
  dev: TWILIO_DEV_STAND_IN,
};
