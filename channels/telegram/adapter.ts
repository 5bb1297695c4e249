/**
 * The Telegram adapter: a bot's private chats through the Bot API with the `grammy` SDK.
 *
 * Send: one Bot API call per message (channels/telegram/bot-api.ts): `sendMessage`, `sendPhoto` /
 * `sendDocument` with the text as caption, or `sendMediaGroup`; the provider message id is
 * `<chat id>:<message_id>`, the status `sent` (bots get no delivery receipts). Errors: 400 / 401 /
 * 403 permanent (chat not found, token revoked, bot blocked); 429 (with `retry_after`) and 5xx
 * retried and known unsent; network errors retried through reconciliation.
 * Reconcile: the Bot API cannot list what a bot sent, so an attempt whose outcome is unknown stays
 * `unknown` / `send_unconfirmed` (never sent twice silently).
 * Inbound: `POST /webhooks/telegram/:channelId` (channels/telegram/webhooks.ts); received files are
 * downloaded through `getFile`.
 * Source: core.telegram.org/bots/api.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Api } from 'grammy';
import {
  type ChannelAdapter,
  type ChannelAdapterDefinition,
  type OutboundMessage,
  PermanentSendError,
  type SendContext,
  TransientSendError,
} from '../types';
import { classifyTelegramError, createTelegramApi, sendTelegramMessage, type TelegramBotConfig, telegramFileUrl } from './bot-api';
import { TELEGRAM_KIND } from './kinds';
import { TELEGRAM_MAX_ALBUM_ITEMS, TELEGRAM_MAX_CAPTION_LENGTH } from './limits';
import { telegramProviderMessageId } from './updates';
import { TELEGRAM_DEV_STAND_IN } from './dev';
import { telegramWebhookRoutes, telegramWebhooksRouter } from './webhooks';

/** The configuration the Telegram adapter needs (`Config['telegram']`). */
export interface TelegramAdapterConfig {
  telegram: {
    /** The bot's token from @BotFather (`TELEGRAM_BOT_TOKEN`); `undefined` = no Telegram bot (sends fail `not_configured`). */
    botToken: string | undefined;
    /** Bot API root (`TELEGRAM_API_ROOT`); `undefined` = `https://api.telegram.org`. */
    apiRoot: string | undefined;
  };
}

/** The files of an outbound message, read from the blob store. @throws PermanentSendError `attachment_missing` */
async function uploadsOf(ctx: SendContext, outbound: OutboundMessage) {
  const uploads = [];
  for (const a of outbound.attachments) {
    if (!a.attachmentId) continue;
    const bytes = await ctx.blobs.get(`${outbound.orgId}/${a.attachmentId}`);
    if (!bytes) throw new PermanentSendError('attachment_missing', `Attachment ${a.attachmentId} is no longer stored.`);
    uploads.push({ bytes, name: a.name ?? 'attachment', contentType: a.contentType });
  }
  return uploads;
}

/**
 * Builds the Telegram adapter around a grammy `Api` (tests pass one pointed at the stand-in);
 * `null` = no bot configured.
 */
export function telegramAdapter(api: Api | null, bot: TelegramBotConfig | null): ChannelAdapter {
  return {
    provider: 'telegram',
    kinds: [TELEGRAM_KIND],
    async send(ctx, outbound) {
      if (api === null) throw new PermanentSendError('not_configured', 'No Telegram bot is configured (TELEGRAM_BOT_TOKEN).');
      const chatId = outbound.contact.address;
      if (chatId === null) throw new PermanentSendError('no_address', 'The contact has no Telegram chat.');
      const uploads = await uploadsOf(ctx, outbound);
      if (uploads.length > TELEGRAM_MAX_ALBUM_ITEMS)
        throw new PermanentSendError('too_many_attachments', `Telegram sends at most ${TELEGRAM_MAX_ALBUM_ITEMS} files in one message.`);
      if (uploads.length > 0 && outbound.text.length > TELEGRAM_MAX_CAPTION_LENGTH)
        throw new PermanentSendError(
          'caption_too_long',
          `A Telegram message with files carries at most ${TELEGRAM_MAX_CAPTION_LENGTH} characters of text.`,
        );
      try {
        const messageId = await sendTelegramMessage(api, { chatId, text: outbound.text, uploads });
        return { providerMessageId: telegramProviderMessageId(chatId, messageId), status: 'sent' };
      } catch (err) {
        const failure = classifyTelegramError(err);
        if (failure === null) throw err;
        if (failure.permanent) throw new PermanentSendError(failure.code, failure.reason);
        throw new TransientSendError(`Telegram: ${failure.reason}`, { notSent: failure.answered, retryAfterMs: failure.retryAfterMs });
      }
    },
    async reconcile(_ctx, outbound) {
      // without a chat nothing could have been sent; otherwise the Bot API cannot tell
      if (outbound.contact.address === null) return { outcome: 'not_sent' };
      return { outcome: 'undecided', reason: 'the Telegram Bot API cannot list the messages a bot sent' };
    },
    async mediaDownload(attachment) {
      // an attachment with its own URL (none from Telegram today) is fetched as it is
      if (!attachment.providerFileId) return attachment.url ? { url: attachment.url, headers: {} } : null;
      if (api === null || bot === null) return null;
      try {
        return { url: await telegramFileUrl(api, bot, attachment.providerFileId), headers: {} };
      } catch (err) {
        const failure = classifyTelegramError(err);
        // e.g. 400 `invalid file_id`, or a file above the Bot API's 20 MB download limit: never fetchable
        if (failure?.permanent) throw ApplicationFailure.nonRetryable(failure.reason, 'MediaFetchFailed', { code: failure.code });
        throw err;
      }
    },
  };
}

/** Telegram: private chats with the org's bot; webhooks at `/webhooks/telegram/:channelId`. */
export const TELEGRAM_CHANNEL: ChannelAdapterDefinition<TelegramAdapterConfig> = {
  provider: 'telegram',
  kinds: [TELEGRAM_KIND],
  create: (config) => {
    const { botToken, apiRoot } = config.telegram;
    if (botToken === undefined) return telegramAdapter(null, null);
    const bot = { token: botToken, ...(apiRoot !== undefined ? { apiRoot } : {}) };
    return telegramAdapter(createTelegramApi(bot), bot);
  },
  webhooks: telegramWebhooksRouter,
  webhookRoutes: telegramWebhookRoutes,
  dev: TELEGRAM_DEV_STAND_IN,
};
