/**
 * `npm start` without TELEGRAM_BOT_TOKEN: the bot talks to a local Bot API stand-in (the real grammy
 * client still builds every request) and each message it sends is logged.
 */
import type { DevStandIn } from '../types';
import { startTelegramStandIn } from './standin';

/** The Telegram stand-in of `npm start` (development only). */
export const TELEGRAM_DEV_STAND_IN: DevStandIn = {
  async start(config, logger) {
    const { botToken, apiRoot, credentialsConfigured } = config.telegram;
    if (config.env === 'production' || apiRoot || credentialsConfigured || botToken === undefined) return null;
    return startTelegramStandIn({
      token: botToken,
      acceptAnyChat: true,
      onRequest: (r) =>
        r.method.startsWith('send')
          ? logger.info(
              { method: r.method, chatId: r.params.chat_id, text: r.params.text ?? r.params.caption, status: r.status },
              'Telegram stand-in received an outbound message',
            )
          : logger.debug({ method: r.method, status: r.status }, 'Telegram stand-in answered a call'),
    });
  },
  pointAt: (config, url) => ({ ...config, telegram: { ...config.telegram, apiRoot: url } }),
  summary: (config, standIn) => [
    `  Telegram:    ${standIn ? `local Bot API stand-in at ${standIn.url} (no TELEGRAM_BOT_TOKEN set; outbound messages are logged)` : (config.telegram.apiRoot ?? 'api.telegram.org')}`,
    `  Telegram in: ${config.publicBaseUrl}/webhooks/telegram/<channel id> (X-Telegram-Bot-Api-Secret-Token)`,
  ],
};
