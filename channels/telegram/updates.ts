/**
 * Reading a Telegram webhook Update into what Switchboard stores: a new customer message, an edit
 * of one, or nothing (updates a support inbox does not handle).
 *
 * Source: core.telegram.org/bots/api#update ("Update": `update_id` plus at most one of `message`,
 * `edited_message`, …; Telegram redelivers an update until the webhook answers 2xx), #message
 * (`message_id` is unique inside its chat only; `text`, or `caption` with `photo` — an array of
 * sizes, smallest first — or `document`; `edit_date` on edits), #user (`first_name`, `last_name`,
 * `username`).
 */
import { z } from 'zod';
import type { Attachment } from '../../domain/message';

/** Text as received minus NUL bytes (Postgres cannot store them). */
const TelegramText = z.string().transform((v) => v.replaceAll('\u0000', ''));

const FileRef = z.looseObject({
  file_id: z.string().min(1),
  file_unique_id: z.string().min(1),
  file_size: z.number().int().nonnegative().optional(),
});

const TelegramMessage = z.looseObject({
  message_id: z.number().int().positive(),
  /** Unix time (s). */
  date: z.number().int(),
  edit_date: z.number().int().optional(),
  chat: z.looseObject({ id: z.number().int(), type: z.string() }),
  from: z
    .looseObject({
      id: z.number().int(),
      is_bot: z.boolean(),
      first_name: TelegramText,
      last_name: TelegramText.optional(),
      username: z.string().optional(),
    })
    .optional(),
  text: TelegramText.optional(),
  caption: TelegramText.optional(),
  photo: z
    .array(FileRef.extend({ width: z.number().int(), height: z.number().int() }))
    .min(1)
    .optional(),
  document: FileRef.extend({ file_name: TelegramText.optional(), mime_type: z.string().optional() }).optional(),
});

/** The Update fields we read; every other field is accepted and ignored. */
export const TelegramUpdate = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: TelegramMessage.optional(),
  edited_message: TelegramMessage.optional(),
});
/** A parsed Update (see {@link TelegramUpdate}). */
export type TelegramUpdate = z.infer<typeof TelegramUpdate>;

/** What an Update means for the inbox. */
export type TelegramInbound =
  | {
      type: 'message';
      /** The private chat's id as a decimal string: the contact's Telegram address. */
      chatId: string;
      /** `<chat id>:<message_id>`: unique per bot, the message's provider message id. */
      providerMessageId: string;
      /** Text, or the caption of a photo / document (`''` for neither). */
      text: string;
      /** Files to fetch (`providerFileId` = Telegram `file_id`; downloaded by the media import). */
      attachments: Attachment[];
      /** "First Last (@username)" of the sender. */
      profileName: string | null;
      /** When the customer sent it, ISO-8601. */
      sentAt: string;
    }
  | {
      type: 'edit';
      chatId: string;
      providerMessageId: string;
      /** The new text (or caption). */
      text: string;
      /** When the customer edited it, ISO-8601. */
      editedAt: string;
    }
  | {
      type: 'ignored';
      /** Why, for the log: `not_private_chat`, `from_bot`, `unsupported_update`, `no_content`. */
      reason: string;
    };

/** The provider message id of message `messageId` in chat `chatId` (Telegram ids are per chat). */
export function telegramProviderMessageId(chatId: string | number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

const isoOf = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** "Ada Lovelace (@ada)" from a Telegram user. */
function profileNameOf(from: z.infer<typeof TelegramMessage>['from']): string | null {
  if (!from) return null;
  const name = [from.first_name, from.last_name].filter((p) => p && p.trim() !== '').join(' ');
  return from.username ? `${name} (@${from.username})` : name || null;
}

/** The files of a message: the largest size of a photo, or the document. */
function attachmentsOf(message: z.infer<typeof TelegramMessage>): Attachment[] {
  const files: Attachment[] = [];
  if (message.photo) {
    const largest = message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    files.push({
      providerFileId: largest.file_id,
      contentType: 'image/jpeg',
      name: `photo-${message.message_id}.jpg`,
      ...(largest.file_size !== undefined ? { size: largest.file_size } : {}),
    });
  }
  if (message.document) {
    const d = message.document;
    files.push({
      providerFileId: d.file_id,
      contentType: d.mime_type ?? 'application/octet-stream',
      name: d.file_name ?? `document-${message.message_id}`,
      ...(d.file_size !== undefined ? { size: d.file_size } : {}),
    });
  }
  return files;
}

/**
 * What a parsed Update means (see {@link TelegramInbound}). Only private chats with a person are a
 * conversation: groups, channels and other bots are ignored, as are updates other than
 * `message` / `edited_message` and messages with neither text nor a photo / document (stickers,
 * locations, … — a later version may store them).
 */
export function readTelegramUpdate(update: TelegramUpdate): TelegramInbound {
  const message = update.message ?? update.edited_message;
  if (!message) return { type: 'ignored', reason: 'unsupported_update' };
  if (message.chat.type !== 'private') return { type: 'ignored', reason: 'not_private_chat' };
  if (message.from?.is_bot) return { type: 'ignored', reason: 'from_bot' };
  const chatId = String(message.chat.id);
  const providerMessageId = telegramProviderMessageId(chatId, message.message_id);
  const text = message.text ?? message.caption ?? '';
  if (update.edited_message) {
    return { type: 'edit', chatId, providerMessageId, text, editedAt: isoOf(message.edit_date ?? message.date) };
  }
  const attachments = attachmentsOf(message);
  if (text === '' && attachments.length === 0) return { type: 'ignored', reason: 'no_content' };
  return {
    type: 'message',
    chatId,
    providerMessageId,
    text,
    attachments,
    profileName: profileNameOf(message.from),
    sentAt: isoOf(message.date),
  };
}
