/**
 * Telegram Bot API calls through the `grammy` SDK (its `Api` class; `apiRoot` points it at a local
 * stand-in in tests and `npm start`), and how their errors classify.
 *
 * Source: core.telegram.org/bots/api — "sendMessage" (text 1–4096 characters), "sendPhoto" /
 * "sendDocument" (caption 0–1024 characters; photos ≤ 10 MB, other files ≤ 50 MB by upload),
 * "sendMediaGroup" (2–10 items sent as one album), "getFile" (download link valid ≥ 1 hour at
 * `<root>/file/bot<token>/<file_path>`, files ≤ 20 MB), and "Making requests" (`error_code` +
 * `description`, `parameters.retry_after` in seconds on 429).
 */
import { Api, GrammyError, HttpError, InputFile } from 'grammy';
import type { InputMediaDocument, InputMediaPhoto } from 'grammy/types';

import {
  TELEGRAM_MAX_ALBUM_ITEMS,
  TELEGRAM_MAX_CAPTION_LENGTH,
  TELEGRAM_MAX_PHOTO_BYTES,
  TELEGRAM_MAX_TEXT_LENGTH,
} from './limits';

/** The official Bot API server. */
export const TELEGRAM_API_ROOT = 'https://api.telegram.org';

/** How to reach a bot: its token (`<bot id>:<secret>`, from @BotFather) and the API root. */
export interface TelegramBotConfig {
  token: string;
  /** Default {@link TELEGRAM_API_ROOT}; a stand-in's base URL in tests. */
  apiRoot?: string;
}

/** A grammy `Api` for the bot (no polling, no middleware: we only call methods). */
export function createTelegramApi(config: TelegramBotConfig): Api {
  return new Api(config.token, { apiRoot: config.apiRoot ?? TELEGRAM_API_ROOT, timeoutSeconds: 30 });
}

/** A file to upload with a message. */
export interface TelegramUpload {
  bytes: Buffer;
  /** File name shown to the user. */
  name: string;
  /** MIME type, e.g. `image/jpeg`. */
  contentType: string;
}

/** What to send to one chat. */
export interface TelegramOutbound {
  /** Telegram chat id (a private chat's id is the user's id), as a decimal string. */
  chatId: string;
  text: string;
  uploads: TelegramUpload[];
}

/** Whether an upload goes as a photo (an image Telegram compresses and shows inline) or a document. */
function isPhoto(upload: TelegramUpload): boolean {
  return /^image\/(jpeg|png|webp|gif)$/i.test(upload.contentType) && upload.bytes.length <= TELEGRAM_MAX_PHOTO_BYTES;
}

/**
 * Sends one message as exactly one Bot API call, so a failed call never leaves part of it sent:
 * text only → `sendMessage`; one file → `sendPhoto` / `sendDocument` with the text as caption;
 * 2–10 files → `sendMediaGroup` (all photos as a photo album, otherwise all as documents), the text
 * as the first item's caption. Callers keep captions ≤ {@link TELEGRAM_MAX_CAPTION_LENGTH} and
 * texts ≤ {@link TELEGRAM_MAX_TEXT_LENGTH} (the API answers 400 otherwise).
 * @returns the `message_id` of the (first) sent message
 * @throws GrammyError (Telegram answered `ok: false`) or HttpError (network); see {@link classifyTelegramError}
 */
export async function sendTelegramMessage(api: Api, outbound: TelegramOutbound): Promise<number> {
  const { chatId, text, uploads } = outbound;
  const caption = text === '' ? {} : { caption: text };
  if (uploads.length === 0) return (await api.sendMessage(chatId, text)).message_id;
  if (uploads.length === 1) {
    const upload = uploads[0]!;
    const file = new InputFile(upload.bytes, upload.name);
    const sent = isPhoto(upload) ? await api.sendPhoto(chatId, file, caption) : await api.sendDocument(chatId, file, caption);
    return sent.message_id;
  }
  if (uploads.length > TELEGRAM_MAX_ALBUM_ITEMS) throw new RangeError(`Telegram albums hold at most ${TELEGRAM_MAX_ALBUM_ITEMS} files`);
  const photos = uploads.every(isPhoto);
  const media = uploads.map((upload, i) => ({
    type: photos ? ('photo' as const) : ('document' as const),
    media: new InputFile(upload.bytes, upload.name),
    ...(i === 0 ? caption : {}),
  }));
  const sent = await api.sendMediaGroup(chatId, media as InputMediaPhoto[] | InputMediaDocument[]);
  return sent[0]!.message_id;
}

/**
 * Where a received file can be downloaded: `getFile`, then `<root>/file/bot<token>/<file_path>`.
 * The URL embeds the bot token: use it at once, never store or log it.
 * @throws GrammyError (e.g. 400 `invalid file_id`) or HttpError
 */
export async function telegramFileUrl(api: Api, config: TelegramBotConfig, fileId: string): Promise<string> {
  const file = await api.getFile(fileId);
  if (!file.file_path)
    throw new GrammyError(
      'getFile returned no file_path',
      { ok: false, error_code: 400, description: 'Bad Request: file is too big' },
      'getFile',
      { file_id: fileId },
    );
  return `${config.apiRoot ?? TELEGRAM_API_ROOT}/file/bot${config.token}/${file.file_path}`;
}

/** How a failed Bot API call classifies. */
export type TelegramFailure =
  | {
      /** Retrying cannot succeed: the user blocked the bot (403), the chat does not exist (400), a bad token (401), … */
      permanent: true;
      /** `telegram_<error_code>`, e.g. `telegram_403`. */
      code: string;
      reason: string;
    }
  | {
      permanent: false;
      /** Telegram's `retry_after` (429) in ms; `null` = use the retry policy's backoff. */
      retryAfterMs: number | null;
      /** true when Telegram answered (so the message was not sent); false for network errors (it may have been). */
      answered: boolean;
      reason: string;
    };

/**
 * Classifies an error from a Bot API call: 429 (flood control, with `retry_after`) and 5xx are
 * retryable and known unsent (a `GrammyError` is the Bot API's own JSON answer `ok: false`: the
 * method did not run; a proxy's non-JSON error page reaches grammy as an `HttpError` instead), as are
 * network failures (`HttpError`: no answer from the Bot API, so the call may have gone through);
 * every other `error_code` (400 chat not found / bad request, 401 token revoked, 403 bot blocked or
 * kicked, 404 unknown method) is permanent. Anything else (a bug) is left to the caller (`null`).
 */
export function classifyTelegramError(err: unknown): TelegramFailure | null {
  if (err instanceof GrammyError) {
    const status = err.error_code;
    if (status === 429 || status >= 500) {
      const retryAfter = err.parameters?.retry_after;
      return {
        permanent: false,
        retryAfterMs: typeof retryAfter === 'number' ? retryAfter * 1000 : null,
        answered: true,
        reason: err.description,
      };
    }
    return { permanent: true, code: `telegram_${status}`, reason: telegramErrorReason(status, err.description) };
  }
  if (err instanceof HttpError) return { permanent: false, retryAfterMs: null, answered: false, reason: err.message };
  return null;
}

/** A sentence for staff from a Telegram error (shown on the failed message). */
export function telegramErrorReason(status: number, description: string): string {
  if (status === 403) return `The customer blocked the bot or left the chat (Telegram: ${description}).`;
  if (status === 400 && /chat not found/i.test(description))
    return `Telegram does not know this chat: the customer has not started the bot (Telegram: ${description}).`;
  if (status === 401) return `The bot token was rejected: check the Telegram channel's credentials (Telegram: ${description}).`;
  return `Telegram refused the message (${status}: ${description}).`;
}
