/**
 * The Bot API's size limits (pure constants, workflow-safe).
 * Source: core.telegram.org/bots/api — "sendMessage" (text 1–4096 characters), "sendPhoto" /
 * "sendDocument" (caption 0–1024 characters after entity parsing; photos ≤ 10 MB by upload),
 * "sendMediaGroup" (2–10 items).
 */

/** Longest text of one `sendMessage` (characters). */
export const TELEGRAM_MAX_TEXT_LENGTH = 4096;
/** Longest caption of a photo or document (characters). */
export const TELEGRAM_MAX_CAPTION_LENGTH = 1024;
/** Largest photo `sendPhoto` accepts by upload (bytes); larger images go as documents. */
export const TELEGRAM_MAX_PHOTO_BYTES = 10 * 1024 * 1024;
/** Most items of one `sendMediaGroup` album. */
export const TELEGRAM_MAX_ALBUM_ITEMS = 10;
