/**
 * Request and response schemas (zod, with OpenAPI metadata) of the cross-channel feed,
 * `GET /v1/inbox/messages`, `GET /v1/inbox/chats` and `GET /v1/inbox/sources` (`api/routes/inbox-feed.ts`);
 * the rows come from `db/inbox-feed.ts`.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  INBOX_SOURCES,
  type InboxChat as InboxChatData,
  type InboxMessage as InboxMessageData,
  type InboxSource,
  isInboxSource,
} from '../db/inbox-feed';
import { LAST_MESSAGE_TEXT_MAX, MAX_INBOX_CHATS } from '../db/inbox-feed';
import type { Assert, Same } from './type-assertions';

extendZodWithOpenApi(z);

/** Default `limit` of `GET /v1/inbox/messages`. */
export const INBOX_MESSAGES_DEFAULT_LIMIT = 100;
/** Largest `limit` of `GET /v1/inbox/messages` (a larger one is a 400, not clamped). */
export const INBOX_MESSAGES_MAX_LIMIT = 500;

const SOURCES_LIST = INBOX_SOURCES.join(', ');

/** A feed source (`sms`, `whatsapp`, `email`, `telegram`): the channel kind; web chat is not one. */
export const InboxSourceSchema = z.enum(INBOX_SOURCES).openapi('InboxSource', {
  description: 'A channel kind of the feed (the seed’s `gmail` tag is `email`); web chat (`chat`) is never in the feed',
});

const sourcesParam = z.string().openapi({
  description: `Comma-separated sources to include (default: all of ${SOURCES_LIST}); an unknown one → 400 listing the valid ones`,
  example: 'sms,telegram',
});

/**
 * `sources` as a list: comma-separated, items trimmed, duplicates dropped; an empty item, an unknown
 * source (also `chat`) → a zod issue on `sources` whose message lists the valid sources.
 */
const SourcesList = z.string().transform((value, ctx): InboxSource[] => {
  const items = value.split(',').map((s) => s.trim());
  const bad = items.filter((s) => !isInboxSource(s));
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown source ${bad.map((s) => JSON.stringify(s)).join(', ')}; valid sources: ${SOURCES_LIST}`,
    });
    return z.NEVER;
  }
  return [...new Set(items)].filter(isInboxSource);
});

/** Query of `GET /v1/inbox/messages` as documented; parse with {@link InboxMessagesQuery}. */
export const InboxMessagesParams = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(INBOX_MESSAGES_MAX_LIMIT)
      .default(INBOX_MESSAGES_DEFAULT_LIMIT)
      .openapi({
        description: `Most messages to return, 1–${INBOX_MESSAGES_MAX_LIMIT} (default ${INBOX_MESSAGES_DEFAULT_LIMIT}; above → 400)`,
      }),
    sources: sourcesParam.optional(),
    roomId: z.uuid().optional().openapi({
      description: "Only this conversation's messages; a conversation of another org (or none) → 404",
    }),
  })
  .strict();

/**
 * Parses the query of `GET /v1/inbox/messages`: `limit` a number (default 100, 1–500), `sources` a
 * list (default all). A bad value or an unknown key → 400 `validation_failed` naming the field.
 */
export const InboxMessagesQuery = InboxMessagesParams.extend({
  sources: SourcesList.optional(),
}).transform((q) => ({ ...q, sources: q.sources ?? [...INBOX_SOURCES] }));
/** Parsed {@link InboxMessagesQuery}. */
export type InboxMessagesQuery = z.infer<typeof InboxMessagesQuery>;

/** Query of `GET /v1/inbox/chats` as documented; parse with {@link InboxChatsQuery}. */
export const InboxChatsParams = z.object({ sources: sourcesParam.optional() }).strict();

/** Parses the query of `GET /v1/inbox/chats` (`sources` as in {@link InboxMessagesQuery}). */
export const InboxChatsQuery = z
  .object({ sources: SourcesList.optional() })
  .strict()
  .transform((q) => ({ sources: q.sources ?? [...INBOX_SOURCES] }));

/** One message of the feed. */
export const InboxMessage = z
  .object({
    id: z.uuid().openapi({ description: 'The message id' }),
    role: z
      .enum(['user', 'assistant'])
      .openapi({ description: '`user` = the customer (inbound); `assistant` = staff or the AI (outbound)' }),
    text: z.string(),
    timestamp: z.number().int().openapi({ description: 'When the message was created, epoch milliseconds', example: 1718000000000 }),
    source: InboxSourceSchema,
    roomId: z.uuid().openapi({ description: 'The conversation id' }),
    from: z.string().optional().openapi({
      description: "Display name: the contact's name (else their handle), the staff user's name, or `AI assistant`; absent when unknown",
    }),
    fromUserName: z.string().optional().openapi({
      description: 'Customer messages only: Telegram `@username` (when the profile has one), the email address, or the E.164 number',
    }),
    avatarUrl: z.url().optional().openapi({ description: 'Never set: Switchboard stores no avatars (kept for the seed’s shape)' }),
  })
  .openapi('InboxMessage');

/** 200 body of `GET /v1/inbox/messages`: newest first; `count` = `messages.length`. */
export const InboxMessagePage = z.object({ messages: z.array(InboxMessage), count: z.number().int().min(0) }).openapi('InboxMessagePage');
/** JSON shape of {@link InboxMessagePage}. */
export type InboxMessagePageView = z.infer<typeof InboxMessagePage>;

/** One room (conversation) of `GET /v1/inbox/chats`. */
export const InboxChat = z
  .object({
    id: z.uuid().openapi({ description: 'The conversation id (the `roomId` of its messages)' }),
    source: InboxSourceSchema,
    title: z.string().openapi({ description: 'The conversation\'s subject, else the contact\'s name, else `"<source> chat"`' }),
    lastMessageText: z
      .string()
      .max(LAST_MESSAGE_TEXT_MAX)
      .openapi({
        description: `The newest feed message's text, cut to ${LAST_MESSAGE_TEXT_MAX} characters (the last one \`…\` when cut)`,
      }),
    lastMessageAt: z.number().int().openapi({ description: 'When the newest feed message was created, epoch milliseconds' }),
    messageCount: z.number().int().min(0).openapi({ description: 'Feed messages in the room (no notes, no system messages) when read' }),
  })
  .openapi('InboxChat');

/** 200 body of `GET /v1/inbox/chats`: newest last message first, at most 500 rooms. */
export const InboxChatList = z
  .object({
    chats: z.array(InboxChat).openapi({
      description: `Rooms with a feed message, newest last message first; of the ${MAX_INBOX_CHATS} conversations with the latest activity`,
    }),
    count: z.number().int().min(0),
  })
  .openapi('InboxChatList');
/** JSON shape of {@link InboxChatList}. */
export type InboxChatListView = z.infer<typeof InboxChatList>;

/** 200 body of `GET /v1/inbox/sources`. */
export const InboxSourceList = z
  .object({ sources: z.array(InboxSourceSchema).openapi({ description: 'Sources with at least one feed message, in display order' }) })
  .openapi('InboxSourceList');
/** JSON shape of {@link InboxSourceList}. */
export type InboxSourceListView = z.infer<typeof InboxSourceList>;

/** Compile-time guard: `db/inbox-feed.ts` rows are exactly the response schemas (`avatarUrl` never set). */
export type InboxFeedMatchSchema = [
  Assert<Same<Omit<z.infer<typeof InboxMessage>, 'avatarUrl'>, InboxMessageData>>,
  Assert<Same<z.infer<typeof InboxChat>, InboxChatData>>,
];
