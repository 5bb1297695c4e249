/**
 * Connecting a bot to a Telegram channel (`POST` / `PATCH /v1/channels`): `getMe` (checks the token,
 * gives the bot's username) and `setWebhook` with the channel's webhook URL and secret token
 * (core.telegram.org/bots/api#setwebhook: Telegram then sends every update there with
 * `X-Telegram-Bot-Api-Secret-Token`). Errors become {@link TelegramSetupError} with Telegram's
 * description only: never the token, the secret or the request.
 */
import { randomBytes } from 'node:crypto';
import { GrammyError } from 'grammy';
import { createTelegramApi } from './bot-api';

/** A Bot API call of the setup failed: Telegram's answer (`status` = its `error_code`) or no answer (`status` null). */
export class TelegramSetupError extends Error {
  override readonly name = 'TelegramSetupError';
  constructor(
    readonly method: 'getMe' | 'setWebhook',
    /** Telegram's `error_code` (401 bad token, 400 bad URL, …); `null` when the Bot API could not be reached. */
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

/** A new webhook secret: 32 random bytes, base64url (43 of A-Z a-z 0-9 _ -, as Telegram allows). */
export function newTelegramWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The bot as `getMe` describes it. */
export interface TelegramBotIdentity {
  id: number;
  /** Without `@`. */
  username: string;
}

async function call<T>(method: 'getMe' | 'setWebhook', run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof GrammyError) throw new TelegramSetupError(method, err.error_code, `Telegram ${method} failed: ${err.description}`);
    throw new TelegramSetupError(method, null, `Telegram ${method} failed: the Bot API could not be reached`);
  }
}

/**
 * The bot of `botToken` (`getMe`).
 * @param apiRoot Bot API root (`TELEGRAM_API_ROOT`); `undefined` = api.telegram.org
 * @throws TelegramSetupError (e.g. 401 for a revoked token)
 */
export async function telegramBotIdentity(botToken: string, apiRoot: string | undefined): Promise<TelegramBotIdentity> {
  const api = createTelegramApi({ token: botToken, ...(apiRoot !== undefined ? { apiRoot } : {}) });
  const me = await call('getMe', () => api.getMe());
  return { id: me.id, username: me.username };
}

/**
 * Registers the channel's webhook: `setWebhook` with `url` and `secret_token`, message updates only.
 * @throws TelegramSetupError (e.g. 400 "bad webhook: HTTPS url must be provided")
 */
export async function registerTelegramWebhook(input: {
  botToken: string;
  apiRoot: string | undefined;
  /** The channel's `webhookUrl` (`<public base>/webhooks/telegram/<channel id>`). */
  url: string;
  /** The channel's `webhookSecret`. */
  secretToken: string;
}): Promise<void> {
  const api = createTelegramApi({ token: input.botToken, ...(input.apiRoot !== undefined ? { apiRoot: input.apiRoot } : {}) });
  await call('setWebhook', () =>
    api.setWebhook(input.url, { secret_token: input.secretToken, allowed_updates: ['message', 'edited_message'] }),
  );
}
