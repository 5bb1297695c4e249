/**
 * Request and response schemas (zod). They validate requests and are the single source of the
 * OpenAPI 3.1 document served at `GET /openapi.json` (see `api/openapi.ts`).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CHANNEL_KINDS } from '../domain/channels';
import { CONVERSATION_STATUSES, PRIORITIES } from '../domain/conversation';
import { DELIVERY_STATUSES } from '../domain/delivery';
import { AUTHOR_TYPES, MESSAGE_DIRECTIONS } from '../domain/message';

extendZodWithOpenApi(z);

const IsoDateTime = z.iso.datetime({ offset: true }).openapi({ example: '2026-01-02T09:00:00Z' });

/** Trimmed, non-empty text of at most `max` characters without NUL bytes (Postgres cannot store them). */
function text(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !v.includes('\u0000'), { message: 'must not contain NUL characters' });
}
const Uuid = z.uuid();

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

// ---- Conversations -------------------------------------------------------------------------

export const ContactSummary = z
  .object({
    id: Uuid,
    name: z.string().nullable(),
    phone: z.string().nullable().openapi({ description: 'E.164' }),
    email: z.string().nullable(),
    whatsapp: z.string().nullable().openapi({ description: 'E.164' }),
    vip: z.boolean(),
  })
  .openapi('ContactSummary');

export const Conversation = z
  .object({
    id: Uuid,
    channel: z.object({ id: Uuid, kind: z.enum(CHANNEL_KINDS), address: z.string() }),
    contact: ContactSummary,
    subject: z.string().nullable(),
    status: z.enum(CONVERSATION_STATUSES),
    snoozedUntil: IsoDateTime.nullable(),
    priority: z.enum(PRIORITIES),
    assigneeId: Uuid.nullable(),
    tags: z.array(z.string()),
    unreadCount: z.number().int(),
    lastMessagePreview: z.string().nullable(),
    lastActivityAt: IsoDateTime,
    lastCustomerMessageAt: IsoDateTime.nullable(),
    sessionExpiresAt: IsoDateTime.nullable().openapi({ description: 'End of the channel session window (WhatsApp 24 h, SMS 4 h)' }),
    sessionExpired: z.boolean(),
    slaDueAt: IsoDateTime.nullable(),
    overdue: z.boolean(),
    closedReason: z.enum(['closed_by_staff', 'session_expired']).nullable(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('Conversation');
export type ConversationView = z.infer<typeof Conversation>;

export const Message = z
  .object({
    id: Uuid,
    orgId: Uuid,
    conversationId: Uuid,
    direction: z.enum(MESSAGE_DIRECTIONS),
    authorType: z.enum(AUTHOR_TYPES),
    authorId: z.string().nullable(),
    text: z.string(),
    attachments: z.array(z.object({ url: z.string(), contentType: z.string(), name: z.string().optional(), size: z.number().optional() })),
    isInternalNote: z.boolean(),
    provider: z.enum(['twilio', 'postmark']).nullable(),
    providerMessageId: z.string().nullable(),
    deliveryStatus: z.enum(DELIVERY_STATUSES).nullable(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    createdAt: IsoDateTime,
  })
  .openapi('Message');

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const ListConversationsQuery = z
  .object({
    status: z.enum(CONVERSATION_STATUSES).optional(),
    channel: z.enum(CHANNEL_KINDS).optional(),
    assignee: z
      .union([z.literal('me'), z.literal('none'), Uuid])
      .optional()
      .openapi({ description: '`me`, `none` or a staff user id' }),
    tag: z.string().min(1).optional(),
    priority: z.enum(PRIORITIES).optional(),
    overdue: booleanQuery.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).optional().openapi({ description: 'Opaque `nextCursor` of the previous page' }),
  })
  .strict();
export type ListConversationsQuery = z.infer<typeof ListConversationsQuery>;

export const ConversationPage = z.object({ data: z.array(Conversation), nextCursor: z.string().nullable() }).openapi('ConversationPage');

export const ListMessagesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before: Uuid.optional().openapi({ description: 'Message id: return messages older than it' }),
    after: Uuid.optional().openapi({ description: 'Message id: return messages newer than it' }),
  })
  .strict()
  .refine((q) => !(q.before && q.after), { message: 'use either before or after, not both' });
export type ListMessagesQuery = z.infer<typeof ListMessagesQuery>;

export const MessagePage = z
  .object({
    data: z.array(Message),
    nextCursor: z.string().nullable().openapi({ description: 'Message id to pass as `before` (or `after`) for the next page' }),
  })
  .openapi('MessagePage');

export const SendMessageBody = z
  .object({ text: text(10_000), isInternalNote: z.boolean().default(false) })
  .strict()
  .openapi('SendMessage');

export const SetStatusBody = z
  .object({
    status: z.enum(CONVERSATION_STATUSES),
    until: IsoDateTime.optional().openapi({ description: 'Only with `snoozed`: wake-up time (ISO-8601, in the future)' }),
  })
  .strict()
  .refine((b) => b.until === undefined || b.status === 'snoozed', {
    message: '`until` is only allowed with status "snoozed"',
    path: ['until'],
  })
  .openapi('SetStatus');

export const AssignBody = z.object({ assigneeId: Uuid.nullable() }).strict().openapi('Assign');

export const PatchConversationBody = z
  .object({
    tags: z.array(text(64)).max(50).optional(),
    priority: z.enum(PRIORITIES).optional(),
    subject: text(500).nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of tags, priority, subject' })
  .openapi('PatchConversation');

// ---- Contacts -------------------------------------------------------------------------------

export const Contact = ContactSummary.extend({ createdAt: IsoDateTime, updatedAt: IsoDateTime }).openapi('Contact');

export const CreateContactBody = z
  .object({
    name: text(200).nullable().optional(),
    phone: z.string().trim().min(3).max(40).optional().openapi({ description: 'Phone number; stored as E.164' }),
    email: z.email().optional(),
    whatsapp: z.string().trim().min(3).max(40).optional().openapi({ description: 'WhatsApp number; stored as E.164' }),
    vip: z.boolean().default(false),
  })
  .strict()
  .refine((b) => b.phone !== undefined || b.email !== undefined || b.whatsapp !== undefined, {
    message: 'give at least one of phone, email, whatsapp',
  })
  .openapi('CreateContact');

export const StartConversationBody = z
  .object({ channel: z.enum(CHANNEL_KINDS) })
  .strict()
  .openapi('StartConversation');

// ---- Me / health ----------------------------------------------------------------------------

export const Me = z
  .object({
    id: Uuid,
    orgId: Uuid,
    email: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'agent']),
    org: z.object({ id: Uuid, name: z.string() }),
  })
  .openapi('Me');

export const Health = z.object({ status: z.enum(['ok', 'degraded']), database: z.boolean(), temporal: z.boolean() }).openapi('Health');

export const IdParams = z.object({ id: Uuid });
