/**
 * `/v1/conversations`: list, read, messages, and the commands (updates to the workflow).
 * Commands return the stored result: the message (201) or the updated conversation (200).
 */
import { Router } from 'express';
import { getConversation, listConversations, listMessages, messageExists } from '../../db/queries';
import { getSuggestion, listConversationSuggestions } from '../../db/suggestions';
import { messageRecordFromRow } from '../../db/mappers';
import {
  assignUpdate,
  dismissSuggestionUpdate,
  replyUpdate,
  retryMessageUpdate,
  sendSuggestionUpdate,
  setStatusUpdate,
  updateAttributesUpdate,
  workflowConversationOf,
} from '../../workflows/conversation/contract';
import { assertEmailDeliverable, bounceFlagOf } from '../bounced-address';
import { SendSuggestionBody, SuggestionParams, toSuggestionView } from '../ai-suggestion-schemas';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { commandClient, idempotent } from '../idempotency';
import { outboundContent } from '../outbound-content';
import {
  AssignBody,
  IdParams,
  ListConversationsQuery,
  ListMessagesQuery,
  MessageParams,
  PatchConversationBody,
  SendMessageBody,
  SetStatusBody,
} from '../schemas';
import { decodeCursor, encodeCursor, toConversationView } from '../views';

/** Builds the conversations router (mounted under `/v1/conversations`, behind auth). */
export function conversationsRouter({ db, conversations, logger }: ApiDeps): Router {
  const router = Router();
  const idem = idempotent(db, logger);

  const load = async (orgId: string, id: string) => {
    const row = await getConversation(db, orgId, id);
    if (!row) throw notFound('Conversation');
    return row;
  };
  const reload = async (orgId: string, id: string) => toConversationView(await load(orgId, id));

  router.get('/', async (req, res) => {
    const me = principalOf(res);
    const q = ListConversationsQuery.parse(req.query);
    const assigneeId = q.assignee === undefined ? undefined : q.assignee === 'me' ? me.userId : q.assignee === 'none' ? null : q.assignee;
    const page = await listConversations(
      db,
      me.orgId,
      {
        status: q.status,
        channel: q.channel,
        assigneeId,
        tag: q.tag,
        priority: q.priority,
        overdue: q.overdue,
        needsHuman: q.needsHuman,
        deliveryStatus: q.deliveryStatus,
      },
      { limit: q.limit, cursor: q.cursor ? decodeCursor(q.cursor) : undefined },
    );
    res.json({ data: page.rows.map(toConversationView), nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  router.get('/:id', async (req, res) => {
    const { id } = IdParams.parse(req.params);
    res.json(await reload(principalOf(res).orgId, id));
  });

  router.get('/:id/messages', async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const q = ListMessagesQuery.parse(req.query);
    await load(me.orgId, id);
    const page = await listMessages(db, me.orgId, id, q);
    if (!page) throw new HttpError(400, 'invalid_cursor', 'The cursor message is not in this conversation');
    res.json({ data: page.rows.map(messageRecordFromRow), nextCursor: page.next });
  });

  router.post('/:id/messages', idem, async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const body = SendMessageBody.parse(req.body);
    const row = await load(me.orgId, id);
    const isEmail = row.channel_kind === 'email';
    if (!isEmail && (body.cc?.length || body.bcc?.length)) {
      throw new HttpError(400, 'validation_failed', 'cc and bcc are for email conversations only', { channel: row.channel_kind });
    }
    if (!body.isInternalNote) assertEmailDeliverable(bounceFlagOf(row), body.force);
    const content = await outboundContent(db, me.orgId, row.channel_kind, body);
    const asAddresses = (list: string[] | undefined) => (list ?? []).map((email) => ({ email, name: null }));
    const message = await commandClient(conversations, res).update(workflowConversationOf(row), replyUpdate, {
      text: content.text,
      isInternalNote: body.isInternalNote,
      authorId: me.userId,
      attachments: content.attachments,
      template: content.template,
      ...(body.cc?.length || body.bcc?.length ? { emailRecipients: { cc: asAddresses(body.cc), bcc: asAddresses(body.bcc) } } : {}),
    });
    res.status(201).json(message);
  });

  /**
   * A human's retry of a send that was not confirmed (`unknown` / `send_unconfirmed`) or failed: the
   * message is queued again and sent (200 with the message, now `queued`); 404 unknown message; 409
   * `message_not_retryable` in any other state (e.g. sent, queued, sending, an internal note).
   */
  router.post('/:id/messages/:messageId/retry', idem, async (req, res) => {
    const me = principalOf(res);
    const { id, messageId } = MessageParams.parse(req.params);
    const row = await load(me.orgId, id);
    if (!(await messageExists(db, me.orgId, id, messageId))) throw notFound('Message');
    const retried = await commandClient(conversations, res).update(workflowConversationOf(row), retryMessageUpdate, {
      messageId,
      actorId: me.userId,
    });
    res.json(retried);
  });

  router.post('/:id/status', idem, async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const body = SetStatusBody.parse(req.body);
    const row = await load(me.orgId, id);
    await commandClient(conversations, res).update(workflowConversationOf(row), setStatusUpdate, {
      status: body.status,
      until: body.until ?? null,
      resolutionNote: body.resolutionNote ?? null,
      actorId: me.userId,
    });
    res.json(await reload(me.orgId, id));
  });

  router.post('/:id/assign', idem, async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const body = AssignBody.parse(req.body);
    const row = await load(me.orgId, id);
    await commandClient(conversations, res).update(workflowConversationOf(row), assignUpdate, {
      assigneeId: body.assigneeId,
      actorId: me.userId,
    });
    res.json(await reload(me.orgId, id));
  });

  router.patch('/:id', async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const body = PatchConversationBody.parse(req.body);
    const row = await load(me.orgId, id);
    await conversations.update(workflowConversationOf(row), updateAttributesUpdate, {
      tags: body.tags,
      priority: body.priority,
      subject: body.subject,
      aiAssist: body.aiAssist,
      actorId: me.userId,
    });
    res.json(await reload(me.orgId, id));
  });

  router.get('/:id/suggestions', async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    await load(me.orgId, id);
    const rows = await listConversationSuggestions(db, me.orgId, id);
    res.json({ data: rows.map(toSuggestionView) });
  });

  /** Sends the pending suggestion (optionally edited) as the caller's reply: 201 with the message; 409 if it is not pending. */
  router.post('/:id/suggestions/:suggestionId/send', idem, async (req, res) => {
    const me = principalOf(res);
    const { id, suggestionId } = SuggestionParams.parse(req.params);
    const body = SendSuggestionBody.parse(req.body ?? {});
    const row = await load(me.orgId, id);
    assertEmailDeliverable(bounceFlagOf(row), body.force);
    const message = await commandClient(conversations, res).update(workflowConversationOf(row), sendSuggestionUpdate, {
      suggestionId,
      text: body.text ?? null,
      actorId: me.userId,
    });
    res.status(201).json(message);
  });

  /** Dismisses the pending suggestion (cancelling a held auto-send): 200 with the suggestion; 409 if it is not pending. */
  router.post('/:id/suggestions/:suggestionId/dismiss', async (req, res) => {
    const me = principalOf(res);
    const { id, suggestionId } = SuggestionParams.parse(req.params);
    const row = await load(me.orgId, id);
    await conversations.update(workflowConversationOf(row), dismissSuggestionUpdate, { suggestionId, actorId: me.userId });
    const suggestion = await getSuggestion(db, suggestionId);
    res.json(toSuggestionView(suggestion));
  });

  return router;
}
