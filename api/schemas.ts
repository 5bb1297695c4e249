/**
 * Request and response schemas (zod). They validate requests and are the single source of the
 * OpenAPI 3.1 document served at `GET /openapi.json` (see `api/openapi.ts`).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { AI_SUGGESTION_DECISIONS, AI_SUGGESTION_STATUSES, COMPLEXITIES } from '../domain/ai-assistant';
import { CHANNEL_KINDS, MESSAGE_PROVIDERS } from '../channels/kinds';
import { CONVERSATION_STATUSES, PRIORITIES } from '../domain/conversation';
import { DELIVERY_STATUSES } from '../domain/delivery';
import { AUTHOR_TYPES, MESSAGE_DIRECTIONS } from '../domain/message';
import { SESSION_STATUSES } from '../domain/session-status';

extendZodWithOpenApi(z);

/** An ISO-8601 date-time with a zone (`Z` or `±hh:mm`). */
export const IsoDateTime = z.iso.datetime({ offset: true }).openapi({ example: '2026-01-02T09:00:00Z' });

/** Trimmed, non-empty text of at most `max` characters without NUL bytes (Postgres cannot store them). */
export function text(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !v.includes('\u0000'), { message: 'must not contain NUL characters' });
}
const Uuid = z.uuid();

/** Body of every error response (4xx/5xx): `{ error: { code, message, details } }` (see `api/errors.ts`). */
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

/** A contact as embedded in a {@link Conversation}; `phone` and `whatsapp` are E.164. */
export const ContactSummary = z
  .object({
    id: Uuid,
    name: z.string().nullable(),
    phone: z.string().nullable().openapi({ description: 'E.164' }),
    email: z.string().nullable(),
    whatsapp: z.string().nullable().openapi({ description: 'E.164' }),
    vip: z.boolean(),
    emailBouncedAt: IsoDateTime.nullable().openapi({
      description:
        'When an email to `email` hard-bounced (or was marked as spam); `null` = not flagged. Replies to a flagged address are refused ' +
        '(422 `email_address_bounced`) unless sent with `force: true`; the next email from the address clears the flag',
    }),
    emailBounceReason: z.string().nullable().openapi({ description: 'Postmark bounce type and description, e.g. `HardBounce: …`' }),
  })
  .openapi('ContactSummary');

/** One draft of the AI assistant and what became of it. Timestamps ISO-8601 UTC. */
export const AiSuggestion = z
  .object({
    id: Uuid,
    conversationId: Uuid,
    triggerMessageId: Uuid.nullable().openapi({ description: 'The customer message the draft answers' }),
    decision: z.enum(AI_SUGGESTION_DECISIONS).openapi({
      description: 'What the assistant decided (domain `decideAiAction`); `failed`: no usable draft (see `reasons`, `errorMessage`)',
    }),
    status: z.enum(AI_SUGGESTION_STATUSES).openapi({
      description:
        '`pending` (waiting for staff), `scheduled` (auto-send held until `sendAt`), `sent` (by staff), `auto_sent`, ' +
        '`answered` (staff replied in their own words), `dismissed`, `superseded` (a newer customer message), `cancelled` (closed), `handed_off`, ' +
        '`failed` (the model refused, its output was unusable, or OpenAI stayed unavailable: nothing to send)',
    }),
    reasons: z.array(z.string()).openapi({
      description:
        'Why it was suggested rather than auto-sent (failed auto-send rules, e.g. `human_owner`), the hand-off reason, ' +
        'or for `failed` one of `refusal`, `invalid_output`, `unavailable`',
    }),
    reply: z.string(),
    confidence: z.number().min(0).max(1),
    complexity: z.enum(COMPLEXITIES),
    intent: z.string(),
    handoff: z.boolean(),
    handoffReason: z.string().nullable(),
    model: z.string(),
    sendAt: IsoDateTime.nullable().openapi({ description: 'When a `scheduled` auto-send goes out' }),
    messageId: Uuid.nullable().openapi({ description: 'The message sent from it, or the staff reply that answered instead' }),
    resolvedBy: z.string().nullable().openapi({ description: 'Staff user id, or `ai-assistant`' }),
    resolvedAt: IsoDateTime.nullable(),
    errorMessage: z.string().nullable().openapi({ description: 'For `failed`: what went wrong (for staff); otherwise `null`' }),
    createdAt: IsoDateTime,
  })
  .openapi('AiSuggestion');
/**
 * A warning shown with a conversation: `email_address_bounced` when the contact's email address is
 * flagged (an email conversation only; `details`: `{ email, bouncedAt, reason }`).
 */
export const ConversationWarning = z
  .object({
    code: z.enum(['email_address_bounced']),
    message: z.string(),
    details: z.object({ email: z.string().nullable(), bouncedAt: IsoDateTime, reason: z.string().nullable() }),
  })
  .openapi('ConversationWarning');

// ---- SLA (issue 11) ----
/** The SLA targets of a conversation: due instants in business time (ISO-8601 UTC) and flags. */
export const ConversationSla = z
  .object({
    firstResponseDueAt: IsoDateTime.nullable().openapi({
      description: 'When the first staff reply is due (business time); `null` when not waiting for one, or paused',
    }),
    nextResponseDueAt: IsoDateTime.nullable().openapi({
      description: 'When the next staff reply is due (business time); `null` when not waiting for one, or paused',
    }),
    resolutionDueAt: IsoDateTime.nullable().openapi({
      description: 'When the conversation should be closed (resolution target); `null` without one, when closed, or paused',
    }),
    atRisk: z.boolean().openapi({ description: 'A target passed its warning instant (`warningMinutes` before) and is not breached yet' }),
    overdue: z.boolean().openapi({ description: 'A target is breached' }),
  })
  .openapi('ConversationSla');
// ---- end SLA ----

/**
 * A conversation with its channel and contact: 200 body of `GET /v1/conversations/{id}` and of the
 * commands (status, assign, `PATCH`), 200/201 of `POST /v1/contacts/{id}/conversations`. Timestamps ISO-8601 UTC.
 */
export const Conversation = z
  .object({
    id: Uuid,
    channel: z.enum(CHANNEL_KINDS).openapi({ description: 'The channel kind the conversation runs on' }),
    inbox: z
      .object({
        id: Uuid,
        name: z.string(),
        kind: z.enum(CHANNEL_KINDS),
        address: z.string().openapi({ description: 'E.164 number, email address or bot username' }),
      })
      .openapi({ description: 'The channel instance (the org number, address or bot) it runs on' }),
    contact: ContactSummary,
    subject: z.string().nullable(),
    status: z.enum(CONVERSATION_STATUSES),
    snoozedUntil: IsoDateTime.nullable(),
    priority: z.enum(PRIORITIES),
    assigneeId: Uuid.nullable(),
    assigneeInactive: z.boolean().openapi({
      description: 'The assignee is deactivated (the conversation stays assigned to them until someone reassigns it)',
    }),
    teamId: Uuid.nullable().openapi({ description: 'The team the conversation is assigned to; `null` = none' }),
    tags: z.array(z.string()),
    unreadCount: z.number().int().openapi({
      description:
        "The caller's own unread count: customer messages after their read marker (`POST …/read`, `…/unread`; replying or closing marks read for the one who did it)",
    }),
    lastMessagePreview: z.string().nullable(),
    lastActivityAt: IsoDateTime,
    lastCustomerMessageAt: IsoDateTime.nullable(),
    sessionExpiresAt: IsoDateTime.nullable().openapi({
      description: 'End of the channel session window (WhatsApp 24 h, SMS 4 h; `null` on kinds without one)',
    }),
    sessionExpired: z.boolean(),
    slaDueAt: IsoDateTime.nullable(),
    overdue: z.boolean(),
    closedReason: z.enum(['closed_by_staff', 'session_expired']).nullable(),
    // ---- SLA (issue 11) ----
    sla: ConversationSla,
    // ---- end SLA ----
    aiAssist: z.boolean().openapi({
      description:
        "Whether the AI assistant works on this conversation: `aiAssistSetting` if set, else the org's default (assistant enabled and the channel in its list)",
    }),
    aiAssistSetting: z.boolean().nullable().openapi({ description: "The conversation's own AI-assist switch; `null` = the org's default" }),
    needsHuman: z.boolean().openapi({ description: 'The AI assistant handed the conversation off; cleared by a staff reply or closing' }),
    pendingSuggestion: AiSuggestion.nullable().openapi({
      description: "The assistant's draft waiting for staff (or held for an auto-send), if any",
    }),
    warnings: z.array(ConversationWarning).openapi({
      description: "Things staff should know before replying, e.g. `email_address_bounced` (the contact's email address hard-bounced)",
    }),
    // ---- per-person state, archive, session status (issue 11) ----
    starred: z.boolean().openapi({ description: 'Starred by the caller (stars are per staff user)' }),
    archivedAt: IsoDateTime.nullable().openapi({
      description: 'When the conversation was archived (for the whole org); `null` = not archived. A new customer message unarchives it',
    }),
    sessionStatus: z.enum(SESSION_STATUSES).openapi({
      description:
        'Derived session status (seed 003): `expired` (closed by a lapsed session window), `completed` (closed by staff), ' +
        '`needs_human` (handed off by the AI assistant), `waiting_reply` (pending on the customer, or the last word was a staff / AI reply), ' +
        '`active` (open, the customer is waiting or the AI assistant is handling it); first match wins, in this order',
    }),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('Conversation');
/** JSON shape of {@link Conversation} (built by `toConversationView` in `api/views.ts`). */
export type ConversationView = z.infer<typeof Conversation>;

/**
 * A file on a message (domain `Attachment`): `attachmentId` to download it from `GET /v1/attachments/{id}`
 * (stored files), or the carrier's `url` (media not downloaded); `size` in bytes, `sha256` lower-case hex,
 * `contentId` the `Content-ID` of an inline email image; `skipped: "too_large"` = a placeholder for an
 * inbound email file above `MAX_ATTACHMENT_BYTES` that was not stored (only name, type and size).
 */
export const MessageAttachment = z
  .object({
    attachmentId: Uuid.optional(),
    url: z.string().optional(),
    contentType: z.string(),
    name: z.string().optional(),
    size: z.number().int().min(0).optional().openapi({ description: 'Bytes' }),
    sha256: z.string().optional(),
    contentId: z.string().optional().openapi({ description: '`Content-ID` of an inline email image (without `cid:`)' }),
    skipped: z.enum(['too_large']).optional(),
  })
  .openapi('MessageAttachment');

/**
 * A stored message or internal note: items of `GET /v1/conversations/{id}/messages` and the 201 body
 * of `POST /v1/conversations/{id}/messages`. `providerMessageId` is the carrier's id (Twilio MessageSid, Postmark
 * MessageID, Telegram `<chat id>:<message_id>`); `createdAt` ISO-8601 UTC.
 */
export const Message = z
  .object({
    id: Uuid,
    orgId: Uuid,
    conversationId: Uuid,
    direction: z.enum(MESSAGE_DIRECTIONS),
    authorType: z.enum(AUTHOR_TYPES),
    authorId: z.string().nullable(),
    text: z.string(),
    attachments: z.array(MessageAttachment),
    isInternalNote: z.boolean(),
    provider: z.enum(MESSAGE_PROVIDERS).nullable(),
    providerMessageId: z.string().nullable(),
    deliveryStatus: z.enum(DELIVERY_STATUSES).nullable(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    email: z
      .object({
        from: z.object({ email: z.string(), name: z.string().nullable() }),
        to: z.array(z.object({ email: z.string(), name: z.string().nullable() })),
        cc: z.array(z.object({ email: z.string(), name: z.string().nullable() })),
        subject: z.string(),
        date: z.string().nullable(),
        textBody: z.string(),
        htmlBody: z.string().nullable(),
        messageId: z.string(),
        inReplyTo: z.array(z.string()),
        references: z.array(z.string()),
        bcc: z
          .array(z.object({ email: z.string(), name: z.string().nullable() }))
          .optional()
          .openapi({ description: 'Blind copies (outbound email only)' }),
        autoReply: z
          .boolean()
          .optional()
          .openapi({
            description:
              'An automatic reply (RFC 3834: `Auto-Submitted`, `X-Autoreply`, `X-Autorespond`, `Precedence: auto_reply|bulk|junk`): ' +
              'it did not reopen the conversation, restart SLA clocks or trigger the AI assistant',
          }),
      })
      .nullable()
      .openapi({
        description:
          'Email envelope, full text and HTML bodies, thread Message-IDs (email channel only). Outbound email carries it once sent: ' +
          'our Message-ID, To, Cc (reply-all: the Cc of the thread plus the `cc` asked for), Bcc, Subject, In-Reply-To, References',
      }),
    template: z
      .object({
        templateId: z.string(),
        name: z.string(),
        contentSid: z.string().nullable(),
        contentVariables: z.string().nullable(),
        subject: z.string().nullable(),
      })
      .nullable(),
    truncated: z.boolean().openapi({
      description:
        '`text` is shorter than what was received (email bodies above 256 KiB): the full body is kept as the attachment `message.txt`',
    }),
    editedAt: IsoDateTime.nullable()
      .optional()
      .openapi({
        description:
          'When the message was last edited: by the customer on the carrier (Telegram), or by its staff author ' +
          '(their own internal note or scheduled reply; the previous text is kept in the audit); `text` is the edited text',
      }),
    sendAt: IsoDateTime.nullable()
      .optional()
      .openapi({ description: 'Send later: when a `scheduled` reply goes out (`null` for every other message)' }),
    cancelIfCustomerReplies: z
      .boolean()
      .optional()
      .openapi({ description: 'Send later: a customer message arriving before `sendAt` cancels this scheduled reply' }),
    createdAt: IsoDateTime,
  })
  .openapi('Message');

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

/**
 * Query of `GET /v1/conversations`: optional filters (AND-combined), `limit` 1–100 (default 25) and the
 * opaque `cursor`; unknown keys or bad values → 400 (`validation_failed`, or `invalid_cursor` for a foreign cursor).
 */
export const ListConversationsQuery = z
  .object({
    status: z
      .enum([...CONVERSATION_STATUSES, 'active'])
      .optional()
      .openapi({ description: "`active` = open + pending (the inbox's Active tab)" }),
    channel: z.enum(CHANNEL_KINDS).optional().openapi({ description: 'Only conversations on this channel kind' }),
    inboxId: Uuid.optional().openapi({ description: 'Only conversations of this inbox (channel id)' }),
    assignee: z
      .union([z.literal('me'), z.literal('none'), Uuid])
      .optional()
      .openapi({ description: '`me`, `none` or a staff user id' }),
    scope: z.enum(['mine', 'team', 'all']).optional().openapi({
      description: '`mine` = assigned to me, `team` = assigned to one of my teams, `all` (default) = every conversation of the org',
    }),
    teamId: Uuid.optional().openapi({ description: 'Only conversations assigned to this team' }),
    tag: text(64).optional().openapi({ description: 'Conversations carrying this tag (1–64 chars, no NUL)' }),
    priority: z.enum(PRIORITIES).optional(),
    overdue: booleanQuery.optional(),
    atRisk: booleanQuery.optional().openapi({
      description: 'Only conversations with an SLA target past its warning instant and not breached yet (true) or not (false)',
    }),
    needsHuman: booleanQuery.optional().openapi({ description: 'Only conversations the AI assistant handed off (true) or not (false)' }),
    deliveryStatus: z.enum(DELIVERY_STATUSES).optional().openapi({
      description: 'Only conversations with at least one outbound message in this delivery status (e.g. `unknown`: a send to check)',
    }),
    // ---- per-person state, archive, contact, search, session status (issue 11) ----
    unread: booleanQuery
      .optional()
      .openapi({ description: 'Only conversations with (true) / without (false) customer messages unread by me' }),
    starred: booleanQuery.optional().openapi({ description: 'Only conversations I starred (true) / did not star (false)' }),
    archived: booleanQuery.default(false).openapi({
      description: 'Archived conversations only (true), or not archived ones (false, the default)',
    }),
    contactId: Uuid.optional().openapi({ description: "Only this contact's conversations (sessions)" }),
    q: text(200)
      .optional()
      .openapi({
        description:
          'Full-text search over message text, subject and contact name (Postgres `websearch_to_tsquery`, `simple` configuration): ' +
          'words are ANDed, `"a phrase"` in quotes, `or` between alternatives, `-word` excludes; case-insensitive, no stemming. ' +
          'Ordered by rank (subject / contact name hits first), then newest activity',
      }),
    sessionStatus: z.enum(SESSION_STATUSES).optional().openapi({ description: 'Only conversations in this session status' }),
    activeWithinDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(365)
      .optional()
      .openapi({ description: 'Only conversations with activity in the last this many days (1–365; the Recents view uses 7)' }),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: text(2_000).optional().openapi({ description: 'Opaque `nextCursor` of the previous page' }),
  })
  .strict();
/** Parsed {@link ListConversationsQuery}: `overdue` as a boolean, `limit` a number with its default. */
export type ListConversationsQuery = z.infer<typeof ListConversationsQuery>;

/** 200 body of `GET /v1/conversations`: newest activity first; `nextCursor` is `null` on the last page. */
export const ConversationPage = z.object({ data: z.array(Conversation), nextCursor: z.string().nullable() }).openapi('ConversationPage');

/**
 * Query of `GET /v1/conversations/{id}/messages`: `limit` 1–100 (default 50) and at most one of the
 * message-id cursors `before` / `after` (both, unknown keys or bad values → 400 `validation_failed`; a cursor
 * message outside the conversation → 400 `invalid_cursor`).
 */
export const ListMessagesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before: Uuid.optional().openapi({ description: 'Message id: return messages older than it' }),
    after: Uuid.optional().openapi({ description: 'Message id: return messages newer than it' }),
    deliveryStatus: z
      .enum(DELIVERY_STATUSES)
      .optional()
      .openapi({ description: 'Only messages in this delivery status (e.g. `unknown`: sends the carrier could not confirm)' }),
  })
  .strict()
  .refine((q) => !(q.before && q.after), { message: 'use either before or after, not both' });
/** Parsed {@link ListMessagesQuery} (`limit` a number with its default). */
export type ListMessagesQuery = z.infer<typeof ListMessagesQuery>;

/** 200 body of `GET /v1/conversations/{id}/messages`: messages in chronological order, `nextCursor` a message id or `null`. */
export const MessagePage = z
  .object({
    data: z.array(Message),
    nextCursor: z.string().nullable().openapi({ description: 'Message id to pass as `before` (or `after`) for the next page' }),
  })
  .openapi('MessagePage');

/** A template to render and send: its `name` and `{ variable: value }` (values ≤ 2 000 chars). Unknown template → 404, missing variables → 422. */
export const TemplateRequestSchema = z
  .object({
    name: text(100),
    variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/), z.string().max(2_000)).default({}),
  })
  .strict()
  .openapi('TemplateRequest');

/**
 * Body of `POST /v1/conversations/{id}/messages`: either `text` (trimmed, 1–10 000 chars, no NUL) or
 * `template`, optional `attachments` (≤ 10 upload ids), and `isInternalNote` (default false; notes take text only).
 * Both or neither of text/template → 400 `validation_failed`. Email only: `cc` / `bcc` (≤ 20 addresses each;
 * on another channel → 400 `validation_failed`); `force: true` sends to a hard-bounced address (else 422
 * `email_address_bounced`).
 */
export const SendMessageBody = z
  .object({
    text: text(10_000).optional(),
    template: TemplateRequestSchema.optional().openapi({
      description: 'Send an approved template instead of free text (allowed outside the WhatsApp 24 h window)',
    }),
    attachments: z
      .array(z.uuid())
      .max(10)
      .optional()
      .openapi({ description: 'Ids from POST /v1/attachments: email attachments or MMS media' }),
    isInternalNote: z.boolean().default(false),
    cc: z
      .array(z.email())
      .max(20)
      .optional()
      .openapi({ description: "Email only: extra Cc (the customer's Cc on the thread is kept anyway, reply-all)" }),
    bcc: z.array(z.email()).max(20).optional().openapi({ description: 'Email only: blind copies' }),
    force: z.boolean().default(false).openapi({
      description: "Send even though the contact's email address hard-bounced (otherwise 422 `email_address_bounced`)",
    }),
    sendAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({
        description:
          'Send later (staff replies only, not internal notes): ISO-8601 instant, in the future and at most 1 year ahead ' +
          '(422 `invalid_send_at` otherwise). The reply is stored `scheduled` and sent at that instant; ' +
          'WhatsApp window rules apply at send time',
      }),
    cancelIfCustomerReplies: z.boolean().optional().openapi({
      description: 'With `sendAt`: a customer message arriving before the instant cancels the scheduled reply',
    }),
    ifNoNewActivitySince: Uuid.optional().openapi({
      description:
        'Collision guard: the id of the newest message the author saw; if a customer message or another staff reply ' +
        'arrived after it, 409 `conversation_changed` (`details.messageIds`: the new messages) and nothing is stored',
    }),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.template === undefined), { message: 'give either text or template', path: ['text'] })
  .refine((b) => b.cancelIfCustomerReplies === undefined || b.sendAt !== undefined, {
    message: 'cancelIfCustomerReplies needs sendAt',
    path: ['cancelIfCustomerReplies'],
  })
  .refine((b) => !(b.isInternalNote && (b.cc?.length || b.bcc?.length)), { message: 'internal notes have no recipients', path: ['cc'] })
  .refine((b) => !(b.isInternalNote && (b.template || b.attachments?.length)), {
    message: 'internal notes take text only',
    path: ['isInternalNote'],
  })
  .openapi('SendMessage');

/** Parsed {@link SendMessageBody} (defaults applied). */
export type SendMessageBody = z.infer<typeof SendMessageBody>;

// ---- Per-person state, archive, the reply alias (issue 11) ------------------------------------

/** Body of `POST /v1/conversations/{id}/archive`: `true` archives (for the whole org), `false` unarchives. */
export const ArchiveBody = z.object({ archived: z.boolean() }).strict().openapi('Archive');

/**
 * Body of `POST /v1/conversations/reply` (seed 003's API): `sessionId` is the conversation id, `message`
 * the reply text (trimmed, 1–10 000 chars, no NUL). The same as `POST /v1/conversations/{sessionId}/messages`
 * with `{ text: message }`: same rules, same answers.
 */
export const ReplyAliasBody = z
  .object({
    sessionId: Uuid.openapi({ description: 'The conversation (session) id' }),
    message: text(10_000).openapi({ description: 'The reply text' }),
  })
  .strict()
  .openapi('ReplyAlias');

/** Body of `PATCH /v1/conversations/{id}/messages/{messageId}`: the new text of your own note or scheduled reply. */
export const EditMessageBody = z
  .object({ text: text(10_000) })
  .strict()
  .openapi('EditMessage');

/** Body of `POST /v1/send-template`: the template by name, the contact (uuid) and channel, and the variables. */
export const SendTemplateBody = z
  .object({
    templateName: text(100),
    contactId: z.uuid(),
    channel: z.enum(CHANNEL_KINDS),
    variables: z.record(z.string(), z.string().max(2_000)).default({}),
    force: z
      .boolean()
      .default(false)
      .openapi({ description: 'Email: send even to a hard-bounced address (else 422 `email_address_bounced`)' }),
  })
  .strict()
  .openapi('SendTemplate');

/** Answer of `POST /v1/send-template`: the conversation (opened or reused) and the stored message. */
export const SendTemplateResult = z.object({ conversation: Conversation, message: Message });

/** Body of `POST /v1/conversations/{id}/status`: the new status; `until` (ISO-8601 with zone) only with `snoozed`, else 400. */
export const SetStatusBody = z
  .object({
    status: z.enum(CONVERSATION_STATUSES),
    resolutionNote: text(10_000).optional().openapi({ description: 'Only with `closed`: stored as an internal note' }),
    until: IsoDateTime.optional().openapi({ description: 'Only with `snoozed`: wake-up time (ISO-8601, in the future)' }),
  })
  .strict()
  .refine((b) => b.until === undefined || b.status === 'snoozed', {
    message: '`until` is only allowed with status "snoozed"',
    path: ['until'],
  })
  .refine((b) => b.resolutionNote === undefined || b.status === 'closed', {
    message: '`resolutionNote` is only allowed with status "closed"',
    path: ['resolutionNote'],
  })
  .openapi('SetStatus');

/**
 * Body of `POST /v1/conversations/{id}/assign`: at least one of `assigneeId` (a staff user id of the
 * org, 422 `assignee_not_member` otherwise; `null` unassigns) and `teamId` (a team of the org, 422
 * `team_not_found` otherwise; `null` removes the team). An absent field is left unchanged.
 */
export const AssignBody = z
  .object({
    assigneeId: Uuid.nullable().optional().openapi({ description: 'A staff user of the org; `null` unassigns; absent = unchanged' }),
    teamId: Uuid.nullable().optional().openapi({ description: 'A team of the org; `null` = no team; absent = unchanged' }),
  })
  .strict()
  .refine((b) => b.assigneeId !== undefined || b.teamId !== undefined, { message: 'give assigneeId, teamId or both', path: ['assigneeId'] })
  .openapi('Assign');

/**
 * Body of `PATCH /v1/conversations/{id}`: at least one of `tags` (at most 50, each 1–64 chars),
 * `priority`, `subject` (1–500 chars, `null` clears it); otherwise 400 `validation_failed`.
 */
export const PatchConversationBody = z
  .object({
    tags: z.array(text(64)).max(50).optional(),
    priority: z.enum(PRIORITIES).optional(),
    subject: text(500).nullable().optional(),
    aiAssist: z
      .boolean()
      .nullable()
      .optional()
      .openapi({ description: "The conversation's AI-assist switch; `null` = back to the org's default" }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of tags, priority, subject, aiAssist' })
  .openapi('PatchConversation');

// ---- Contacts -------------------------------------------------------------------------------

/** One address of a contact on a channel kind (normalised: E.164, lower-cased email). */
export const ContactIdentity = z.object({ kind: z.enum(CHANNEL_KINDS), address: z.string() }).openapi('ContactIdentity');

/**
 * A contact with its identities and ISO-8601 UTC timestamps: 201 body of `POST /v1/contacts`, 200 of
 * `GET /v1/contacts/{id}`.
 */
export const Contact = ContactSummary.extend({
  identities: z.array(ContactIdentity).openapi({
    description: 'Every address of the contact, oldest first; `phone` / `whatsapp` / `email` are its sms / whatsapp / email identity',
  }),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
}).openapi('Contact');

/**
 * Body of `POST /v1/contacts`: at least one of phone, email, whatsapp; phone numbers are stored as
 * E.164 (400 if not a valid number), email lower-cased; 409 `contact_exists` if one is already taken.
 */
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

/**
 * Body of `POST /v1/contacts/{id}/conversations`: the channel kind. Any kind whose contacts have an
 * address (not `chat`: 422 `channel_not_supported`); 422 `no_channel` when the org has no channel of
 * that kind, 422 `contact_has_no_address` when the contact has no address for it.
 */
export const StartConversationBody = z
  .object({ channel: z.enum(CHANNEL_KINDS) })
  .strict()
  .openapi('StartConversation');

// ---- Me / health ----------------------------------------------------------------------------

/** A team as embedded in a staff user or `Me`: `{ id, name }`. */
export const TeamRef = z.object({ id: Uuid, name: z.string() }).openapi('TeamRef');

/** 200 body of `GET /v1/me`: the signed-in staff user, their org and their teams (by name). */
export const Me = z
  .object({
    id: Uuid,
    orgId: Uuid,
    email: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'agent']),
    org: z.object({ id: Uuid, name: z.string() }),
    teams: z.array(TeamRef),
  })
  .openapi('Me');

/** Body of `GET /healthz` (no auth): 200 `ok` when Postgres and Temporal both answer, else 503 `degraded`. */
export const Health = z.object({ status: z.enum(['ok', 'degraded']), database: z.boolean(), temporal: z.boolean() }).openapi('Health');

/** Path params `{ id }` (UUID) of every `/{id}` route; anything else → 400 `validation_failed`. */
export const IdParams = z.object({ id: Uuid });
/** Path of `POST /v1/conversations/{id}/messages/{messageId}/retry`. */
export const MessageParams = z.object({ id: Uuid, messageId: Uuid });
