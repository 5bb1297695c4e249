/**
 * `/v1/conversations`: list, read, messages, and the commands (updates to the workflow).
 * Commands return the stored result: the message (201) or the updated conversation (200).
 */
import type { Response, Router } from 'express';
import type { Db } from '../../db/client';
import { conversationExists, getConversation, listConversations, listMessages, messageExists } from '../../db/queries';
import { markRead, markReadThrough, markUnread, setArchived, setStarred } from '../../db/personal-state';
import { getSuggestion, listConversationSuggestions } from '../../db/suggestions';
import { messageRecordFromRow } from '../../db/mappers';
import {
  assignUpdate,
  cancelScheduledUpdate,
  deleteNoteUpdate,
  dismissSuggestionUpdate,
  editMessageUpdate,
  replyUpdate,
  retryMessageUpdate,
  sendSuggestionUpdate,
  setStatusUpdate,
  updateAttributesUpdate,
  workflowConversationOf,
} from '../../workflows/conversation/contract';
import { assertEmailDeliverable, bounceFlagOf } from '../bounced-address';
import { CHANNEL_KIND_SPECS, kindSpec } from '../../channels/kinds';
import { AiSuggestion, AiSuggestionList, SendSuggestionBody, SuggestionParams, toSuggestionView } from '../ai-suggestion-schemas';
import { type Principal, principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { commandClient, idempotent } from '../idempotency';
import { outboundContent } from '../outbound-content';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import {
  ArchiveBody,
  AssignBody,
  Conversation,
  ConversationPage,
  EditMessageBody,
  IdParams,
  ListConversationsQuery,
  ListMessagesQuery,
  Message,
  MessagePage,
  MessageParams,
  PatchConversationBody,
  ReplyAliasBody,
  SendMessageBody,
  SetStatusBody,
} from '../schemas';
import { decodeCursor, encodeCursor, toConversationView } from '../views';
import { conversationFiltersOf } from '../conversation-view-schemas';
import { assertValidSchedule } from '../../domain/scheduled';

/**
 * What kind of message `messageId` of the conversation is: `inbound` (a customer's), `note` (an
 * internal note) or `reply` (outbound).
 * @throws HttpError 404 `not_found` when it is not a message of this conversation of the org
 */
async function messageKindOf(db: Db, orgId: string, conversationId: string, messageId: string): Promise<'inbound' | 'note' | 'reply'> {
  const row = await db
    .selectFrom('messages')
    .select(['direction', 'is_internal_note'])
    .where('id', '=', messageId)
    .where('org_id', '=', orgId)
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst();
  if (!row) throw notFound('Message');
  return row.direction === 'inbound' ? 'inbound' : row.is_internal_note ? 'note' : 'reply';
}

/** 409 `message_not_editable`: customer messages are never edited or deleted by staff. */
const customerMessageImmutable = (messageId: string): HttpError =>
  new HttpError(409, 'message_not_editable', "Customer messages are never edited or deleted: they are the customer's words", { messageId });

/** The reply command's send-later and collision-guard options, as given in the body (absent ones left out). */
function replyOptionsOf(body: { sendAt?: string; cancelIfCustomerReplies?: boolean; ifNoNewActivitySince?: string }) {
  return {
    ...(body.sendAt ? { sendAt: body.sendAt, cancelIfCustomerReplies: body.cancelIfCustomerReplies === true } : {}),
    ...(body.ifNoNewActivitySince ? { ifNoNewActivitySince: body.ifNoNewActivitySince } : {}),
  };
}

/** The labels of the kinds whose replies may copy recipients (`capabilities.copyRecipients`), for error messages (`Email`). */
const copyRecipientKindLabels = CHANNEL_KIND_SPECS.filter((s) => s.capabilities.copyRecipients)
  .map((s) => s.label)
  .join(' / ');

/** What the conversations routes need. */
export type ConversationRoutesDeps = Pick<ApiDeps, 'db' | 'conversations' | 'logger'>;

/**
 * The conversation row of `id` in `orgId`, or HttpError 404 `not_found`; `viewerId`: whose unread
 * count and star it carries.
 */
async function load(db: Db, orgId: string, id: string, viewerId: string | null = null) {
  const row = await getConversation(db, orgId, id, viewerId);
  if (!row) throw notFound('Conversation');
  return row;
}
/** The conversation as the `Conversation` schema, as `viewerId` sees it (404 like {@link load}). */
const reload = async (db: Db, orgId: string, id: string, viewerId: string) => toConversationView(await load(db, orgId, id, viewerId));

/**
 * A reply or internal note on the org's conversation `id` (the handler of `POST …/:id/messages`, also
 * behind its alias `POST /v1/conversations/reply`): the channel's rules, the bounce check, then the
 * workflow's `reply` update. A reply (not a note) marks the conversation read for its author up to it.
 * Answers 201 with the stored message; 404 for an unknown or another org's conversation.
 */
async function sendReply(
  { db, conversations }: Pick<ConversationRoutesDeps, 'db' | 'conversations'>,
  res: Response,
  me: Principal,
  id: string,
  body: SendMessageBody,
): Promise<void> {
  const row = await load(db, me.orgId, id);
  const spec = kindSpec(row.channel_kind);
  if (!spec.capabilities.copyRecipients && (body.cc?.length || body.bcc?.length)) {
    const message = `cc and bcc are for ${copyRecipientKindLabels} conversations only, not ${spec.label}`;
    throw new HttpError(400, 'validation_failed', message, { channel: row.channel_kind });
  }
  if (!body.isInternalNote) assertEmailDeliverable(bounceFlagOf(row), body.force);
  const content = await outboundContent(db, me.orgId, row.channel_kind, body);
  const asAddresses = (list: string[] | undefined) => (list ?? []).map((email) => ({ email, name: null }));
  // send later: 422 `invalid_send_at` here already (the workflow checks again with its own clock)
  if (body.sendAt) assertValidSchedule({ sendAt: body.sendAt, isInternalNote: body.isInternalNote }, Date.now());
  const message = await commandClient(conversations, res).update(workflowConversationOf(row), replyUpdate, {
    text: content.text,
    isInternalNote: body.isInternalNote,
    authorId: me.userId,
    attachments: content.attachments,
    template: content.template,
    ...(body.cc?.length || body.bcc?.length ? { emailRecipients: { cc: asAddresses(body.cc), bcc: asAddresses(body.bcc) } } : {}),
    ...replyOptionsOf(body),
  });
  // whoever answers has read what they answered (a note is not an answer)
  if (!body.isInternalNote) await markReadThrough(db, me.orgId, id, me.userId, message.id);
  res.status(201).json(message);
}

/**
 * A route that changes only the caller's own state of a conversation (read marker, star): 404 for an
 * unknown or another org's conversation, else `change` and 200 with the conversation as the caller sees it.
 */
function personalStateRoute(
  method: 'post' | 'delete',
  path: string,
  operationId: string,
  summary: string,
  description: string,
  change: (db: Db, orgId: string, conversationId: string, userId: string) => Promise<unknown>,
): RouteDefinition<ConversationRoutesDeps> {
  return defineRoute(
    {
      method,
      path,
      auth: 'staff',
      operationId,
      tags: ['conversations'],
      summary,
      request: { params: IdParams },
      response: { status: 200, schema: Conversation, description },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        if (!(await conversationExists(db, me.orgId, id))) throw notFound('Conversation');
        await change(db, me.orgId, id, me.userId);
        res.json(await reload(db, me.orgId, id, me.userId));
      },
  );
}

/**
 * The routes under `/v1/conversations` (behind auth and `express.json()`), in Express match order.
 * `GET /v1/conversations/stats` is its own router (`conversation-stats.ts`), mounted before this one.
 */
export const conversationRoutes: RouteDefinition<ConversationRoutesDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations',
      auth: 'staff',
      operationId: 'listConversations',
      tags: ['conversations'],
      summary: 'List conversations, newest activity first (cursor pagination)',
      request: { query: ListConversationsQuery },
      response: { status: 200, schema: ConversationPage, description: 'A page' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const q = ListConversationsQuery.parse(req.query);
        const page = await listConversations(
          db,
          me.orgId,
          // the filters a saved view applies too (api/conversation-view-schemas.ts)
          conversationFiltersOf(q, me.userId),
          { limit: q.limit, cursor: q.cursor ? decodeCursor(q.cursor, q.q !== undefined) : undefined },
          me.userId,
        );
        res.json({ data: page.rows.map(toConversationView), nextCursor: page.next ? encodeCursor(page.next) : null });
      },
  ),
  /**
   * Seed 003's reply: `{ sessionId, message }` is `POST /v1/conversations/{sessionId}/messages` with
   * `{ text: message }` (the same handler: same rules, same answers, 404 for another org's session).
   * Declared before the `/:id` routes so `reply` is never read as an id.
   */
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/reply',
      auth: 'staff',
      operationId: 'replyToSession',
      tags: ['conversations'],
      summary: 'Reply on a conversation (seed 003 alias of `POST /v1/conversations/{id}/messages` with `{ text }`)',
      idempotent: true,
      request: { body: ReplyAliasBody },
      response: { status: 201, schema: Message, description: 'The stored message (queued for sending)' },
      errors: [400, 404, 422],
    },
    (deps) =>
      async (req, res) => {
        const me = principalOf(res);
        const { sessionId, message } = ReplyAliasBody.parse(req.body);
        await sendReply(deps, res, me, sessionId, SendMessageBody.parse({ text: message }));
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/:id',
      auth: 'staff',
      operationId: 'getConversation',
      tags: ['conversations'],
      summary: 'Get a conversation',
      request: { params: IdParams },
      response: { status: 200, schema: Conversation, description: 'The conversation' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const { id } = IdParams.parse(req.params);
        const me = principalOf(res);
        res.json(await reload(db, me.orgId, id, me.userId));
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/:id/messages',
      auth: 'staff',
      operationId: 'listMessages',
      tags: ['conversations'],
      summary: 'List messages in chronological order (message-id cursors), optionally only one delivery status',
      request: { params: IdParams, query: ListMessagesQuery },
      response: { status: 200, schema: MessagePage, description: 'A page' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const q = ListMessagesQuery.parse(req.query);
        await load(db, me.orgId, id);
        const page = await listMessages(db, me.orgId, id, q);
        if (!page) throw new HttpError(400, 'invalid_cursor', 'The cursor message is not in this conversation');
        res.json({ data: page.rows.map(messageRecordFromRow), nextCursor: page.next });
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/:id/messages',
      auth: 'staff',
      operationId: 'sendMessage',
      tags: ['conversations'],
      summary:
        "Reply (queued for sending) or add an internal note; email: `cc` / `bcc`, reply-all keeps the thread's Cc; " +
        '422 `email_address_bounced` for a hard-bounced address unless `force: true`',
      idempotent: true,
      request: { params: IdParams, body: SendMessageBody },
      response: { status: 201, schema: Message, description: 'The stored message' },
      errors: [400, 404, 409, 422],
    },
    (deps) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = SendMessageBody.parse(req.body);
        await sendReply(deps, res, me, id, body);
      },
  ),
  /**
   * Deletes a message of the caller's: a scheduled reply is canceled before its instant (200 with
   * the message, now `canceled`; the row is kept for the history, never sent); an internal note is
   * deleted (200 with the note as it was; its text kept in the `message_edits` audit). 404 unknown
   * message; 409 `message_not_scheduled` for a reply not held for sending (already sent / sending);
   * 409 `message_not_editable` for a customer message; 403 `not_your_message` for another author's.
   */
  defineRoute(
    {
      method: 'delete',
      path: '/v1/conversations/:id/messages/:messageId',
      auth: 'staff',
      operationId: 'deleteMessage',
      tags: ['conversations'],
      summary:
        'Cancel your scheduled reply before it is sent (it becomes `canceled`) or delete your internal note; ' +
        '409 `message_not_scheduled` once sent, 409 `message_not_editable` for customer messages, 403 `not_your_message` for another author’s',
      request: { params: MessageParams },
      response: { status: 200, schema: Message, description: 'The message, now canceled' },
      errors: [400, 403, 404, 409],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id, messageId } = MessageParams.parse(req.params);
        const row = await load(db, me.orgId, id);
        const kind = await messageKindOf(db, me.orgId, id, messageId);
        if (kind === 'inbound') throw customerMessageImmutable(messageId);
        const command = { messageId, actorId: me.userId };
        const update = kind === 'note' ? deleteNoteUpdate : cancelScheduledUpdate;
        res.json(await conversations.update(workflowConversationOf(row), update, command));
      },
  ),
  /**
   * Edits the caller's own internal note or scheduled reply (not sent yet): 200 with the message
   * (`editedAt` set; the previous text kept in `message_edits`). 403 `not_your_message`; 409
   * `message_not_editable` for a customer message or a template reply; 409 `message_not_scheduled`
   * for a reply already released for sending; 404 unknown message.
   */
  defineRoute(
    {
      method: 'patch',
      path: '/v1/conversations/:id/messages/:messageId',
      auth: 'staff',
      operationId: 'editMessage',
      tags: ['conversations'],
      summary: 'Edit your internal note or your scheduled reply before it is sent (history kept); customer messages are never edited (409)',
      request: { params: MessageParams, body: EditMessageBody },
      response: { status: 200, schema: Message, description: 'The edited message' },
      errors: [400, 403, 404, 409],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id, messageId } = MessageParams.parse(req.params);
        const body = EditMessageBody.parse(req.body);
        const row = await load(db, me.orgId, id);
        const kind = await messageKindOf(db, me.orgId, id, messageId);
        if (kind === 'inbound') throw customerMessageImmutable(messageId);
        res.json(
          await conversations.update(workflowConversationOf(row), editMessageUpdate, { messageId, text: body.text, actorId: me.userId }),
        );
      },
  ),
  /**
   * A human's retry of a send that was not confirmed (`unknown` / `send_unconfirmed`) or failed: the
   * message is queued again and sent (200 with the message, now `queued`); 404 unknown message; 409
   * `message_not_retryable` in any other state (e.g. sent, queued, sending, an internal note).
   */
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/:id/messages/:messageId/retry',
      auth: 'staff',
      operationId: 'retryMessage',
      tags: ['conversations'],
      summary:
        'Send again a message whose send was not confirmed (`deliveryStatus: unknown`, `errorCode: send_unconfirmed`) or failed; ' +
        '409 `message_not_retryable` in any other state',
      idempotent: true,
      request: { params: MessageParams },
      response: { status: 200, schema: Message, description: 'The message, queued for sending' },
      errors: [400, 404, 409],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id, messageId } = MessageParams.parse(req.params);
        const row = await load(db, me.orgId, id);
        if (!(await messageExists(db, me.orgId, id, messageId))) throw notFound('Message');
        const retried = await commandClient(conversations, res).update(workflowConversationOf(row), retryMessageUpdate, {
          messageId,
          actorId: me.userId,
        });
        res.json(retried);
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/:id/status',
      auth: 'staff',
      operationId: 'setConversationStatus',
      tags: ['conversations'],
      summary: 'Change status (snoozed may carry `until`)',
      idempotent: true,
      request: { params: IdParams, body: SetStatusBody },
      response: { status: 200, schema: Conversation, description: 'The updated conversation' },
      errors: [400, 404],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = SetStatusBody.parse(req.body);
        const row = await load(db, me.orgId, id);
        await commandClient(conversations, res).update(workflowConversationOf(row), setStatusUpdate, {
          status: body.status,
          until: body.until ?? null,
          resolutionNote: body.resolutionNote ?? null,
          actorId: me.userId,
        });
        // whoever closes a conversation has dealt with what it holds
        if (body.status === 'closed') await markReadThrough(db, me.orgId, id, me.userId, null);
        res.json(await reload(db, me.orgId, id, me.userId));
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/:id/assign',
      auth: 'staff',
      operationId: 'assignConversation',
      tags: ['conversations'],
      summary: 'Assign to an org member and/or a team; null removes either, an absent field stays unchanged',
      idempotent: true,
      request: { params: IdParams, body: AssignBody },
      response: { status: 200, schema: Conversation, description: 'The updated conversation' },
      errors: [400, 404, 422],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = AssignBody.parse(req.body);
        const row = await load(db, me.orgId, id);
        await commandClient(conversations, res).update(workflowConversationOf(row), assignUpdate, {
          // only the given fields: a command without `teamId` is the one runs before teams recorded
          ...(body.assigneeId !== undefined ? { assigneeId: body.assigneeId } : {}),
          ...(body.teamId !== undefined ? { teamId: body.teamId } : {}),
          actorId: me.userId,
        });
        res.json(await reload(db, me.orgId, id, me.userId));
      },
  ),
  defineRoute(
    {
      method: 'patch',
      path: '/v1/conversations/:id',
      auth: 'staff',
      operationId: 'updateConversation',
      tags: ['conversations'],
      summary: "Change tags, priority, subject, or the conversation's AI-assist switch",
      request: { params: IdParams, body: PatchConversationBody },
      response: { status: 200, schema: Conversation, description: 'The updated conversation' },
      errors: [400, 404],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = PatchConversationBody.parse(req.body);
        const row = await load(db, me.orgId, id);
        await conversations.update(workflowConversationOf(row), updateAttributesUpdate, {
          tags: body.tags,
          priority: body.priority,
          subject: body.subject,
          aiAssist: body.aiAssist,
          actorId: me.userId,
        });
        res.json(await reload(db, me.orgId, id, me.userId));
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/:id/suggestions',
      auth: 'staff',
      operationId: 'listSuggestions',
      tags: ['suggestions'],
      summary:
        "The AI assistant's drafts for this conversation and what became of them (newest first, at most 50), including failed " +
        'turns (status `failed`, reason refusal / invalid_output / unavailable)',
      request: { params: IdParams },
      response: { status: 200, schema: AiSuggestionList, description: 'The suggestions' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        await load(db, me.orgId, id);
        const rows = await listConversationSuggestions(db, me.orgId, id);
        res.json({ data: rows.map(toSuggestionView) });
      },
  ),
  /** Sends the pending suggestion (optionally edited) as the caller's reply: 201 with the message; 409 if it is not pending. */
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/:id/suggestions/:suggestionId/send',
      auth: 'staff',
      operationId: 'sendSuggestion',
      tags: ['suggestions'],
      summary: 'Send the pending suggestion as your reply, as drafted or with edited text (stores a training pair)',
      idempotent: true,
      request: { params: SuggestionParams, body: SendSuggestionBody },
      response: { status: 201, schema: Message, description: 'The stored message (queued for sending)' },
      errors: [400, 404, 409, 422],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id, suggestionId } = SuggestionParams.parse(req.params);
        const body = SendSuggestionBody.parse(req.body ?? {});
        const row = await load(db, me.orgId, id);
        assertEmailDeliverable(bounceFlagOf(row), body.force);
        const message = await commandClient(conversations, res).update(workflowConversationOf(row), sendSuggestionUpdate, {
          suggestionId,
          text: body.text ?? null,
          actorId: me.userId,
        });
        await markReadThrough(db, me.orgId, id, me.userId, message.id);
        res.status(201).json(message);
      },
  ),
  /** Dismisses the pending suggestion (cancelling a held auto-send): 200 with the suggestion; 409 if it is not pending. */
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/:id/suggestions/:suggestionId/dismiss',
      auth: 'staff',
      operationId: 'dismissSuggestion',
      tags: ['suggestions'],
      summary: 'Dismiss the pending suggestion (cancels a held auto-send)',
      request: { params: SuggestionParams },
      response: { status: 200, schema: AiSuggestion, description: 'The dismissed suggestion' },
      errors: [400, 404, 409],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id, suggestionId } = SuggestionParams.parse(req.params);
        const row = await load(db, me.orgId, id);
        await conversations.update(workflowConversationOf(row), dismissSuggestionUpdate, { suggestionId, actorId: me.userId });
        const suggestion = await getSuggestion(db, suggestionId);
        res.json(toSuggestionView(suggestion));
      },
  ),
  // ---- per-person state and archive (issue 11) ----
  personalStateRoute(
    'post',
    '/v1/conversations/:id/read',
    'markConversationRead',
    'Mark every message read for me (my `unreadCount` becomes 0); opening the messages does not',
    'The conversation as I see it',
    (db, orgId, id, userId) => markRead(db, orgId, id, userId),
  ),
  personalStateRoute(
    'post',
    '/v1/conversations/:id/unread',
    'markConversationUnread',
    'Mark unread for me: the newest customer message (and any later) becomes unread again',
    'The conversation as I see it',
    (db, orgId, id, userId) => markUnread(db, orgId, id, userId),
  ),
  personalStateRoute(
    'post',
    '/v1/conversations/:id/star',
    'starConversation',
    'Star the conversation for me (stars are per staff user; idempotent)',
    'The conversation as I see it (`starred: true`)',
    (db, orgId, id, userId) => setStarred(db, orgId, id, userId, true),
  ),
  personalStateRoute(
    'delete',
    '/v1/conversations/:id/star',
    'unstarConversation',
    'Remove my star (idempotent)',
    'The conversation as I see it (`starred: false`)',
    (db, orgId, id, userId) => setStarred(db, orgId, id, userId, false),
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/conversations/:id/archive',
      auth: 'staff',
      operationId: 'archiveConversation',
      tags: ['conversations'],
      summary:
        'Archive (`archived: true`) or unarchive the conversation for the whole org: archived ones leave the default lists ' +
        '(`?archived=true` lists them); a new customer message unarchives',
      request: { params: IdParams, body: ArchiveBody },
      response: { status: 200, schema: Conversation, description: 'The updated conversation' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = ArchiveBody.parse(req.body);
        if (!(await conversationExists(db, me.orgId, id))) throw notFound('Conversation');
        await setArchived(db, me.orgId, id, body.archived);
        res.json(await reload(db, me.orgId, id, me.userId));
      },
  ),
];

/** Builds the conversations router (mounted under `/v1/conversations`, behind auth and `express.json()`). */
export function conversationsRouter(deps: ConversationRoutesDeps): Router {
  return routerFor(conversationRoutes, deps, {
    prefix: '/v1/conversations',
    auth: 'staff',
    idempotency: idempotent(deps.db, deps.logger),
  });
}
