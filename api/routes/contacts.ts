/**
 * `/v1/contacts`: create, list / search, read and update contacts (not conversation state: the API
 * writes them), start a staff-initiated conversation with a contact, merge two contacts and erase one
 * (whose running conversations learn of it through the durable `contactChangeBroadcastWorkflow`).
 * Every staff user (agents too) may use them, erase excepted (admins): contacts are not admin data.
 */
import type { Router } from 'express';
import { findContact, insertContact, listContacts, updateContact } from '../../db/contacts';
import { kindSpec } from '../../channels/kinds';
import { normalizePhone } from '../../domain/addresses';
import { principalOf } from '../auth';
import { openContactConversation } from '../contact-conversations';
import type { ApiDeps } from '../deps';
import {
  ContactListQuery,
  ContactPage,
  decodeContactCursor,
  encodeContactCursor,
  MergeContactBody,
  PatchContactBody,
} from '../contact-schemas';
import { mergeContacts, previousMerge } from '../../db/contact-merge';
import { auditActorOf, recordAudit } from '../../db/audit-log';
import { eraseContact, previousErase } from '../../db/contact-erase';
import type { ContactChangeBroadcastInput } from '../../activities/contact-change-broadcast';
import {
  CONTACT_CHANGE_BROADCAST_WORKFLOW_TYPE,
  contactEraseBroadcastWorkflowId,
  contactMergeBroadcastWorkflowId,
} from '../../workflows/contact-change-broadcast';
import { type FieldError, HttpError, notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import type { ContactIdentity } from '../../db/schema';
import { Contact, Conversation, CreateContactBody, IdParams, StartConversationBody } from '../schemas';
import { toContactView, toConversationView } from '../views';

function phoneOrThrow(field: 'phone' | 'whatsapp', value: string | undefined): string | null {
  if (value === undefined) return null;
  const e164 = normalizePhone(value);
  if (e164 === null) {
    throw new HttpError(400, 'validation_failed', `${field} is not a valid phone number`, {
      fields: [{ path: field, message: 'must be a phone number in international format, e.g. +15551234567', code: 'invalid_phone' }],
    });
  }
  return e164;
}

/**
 * The body's identities normalised by their kind (`kindSpec(kind).normalizeAddress`), duplicates dropped.
 * @throws HttpError 422 `invalid_address` with `details.fields` (`identities.<i>.address`) naming every bad one
 */
function normalizedIdentities(input: NonNullable<PatchContactBody['identities']>): ContactIdentity[] {
  const fields: FieldError[] = [];
  const identities: ContactIdentity[] = [];
  input.forEach(({ kind, address }, i) => {
    const spec = kindSpec(kind);
    const normalized = spec.normalizeAddress(address);
    if (normalized === null) {
      fields.push({
        path: `identities.${i}.address`,
        message: `is not a valid ${spec.label} ${spec.addressLabel}`,
        code: 'invalid_address',
      });
    } else if (!identities.some((x) => x.kind === kind && x.address === normalized)) {
      identities.push({ kind, address: normalized });
    }
  });
  if (fields.length > 0) throw new HttpError(422, 'invalid_address', 'An address is not valid for its kind', { fields });
  return identities;
}

/** What the contacts routes need. */
export type ContactRoutesDeps = Pick<ApiDeps, 'db' | 'conversations' | 'blobs' | 'logger'>;

/**
 * Starts the change's broadcast (`ConversationClient.startOnce`: a repeated request finds it started
 * or done and starts nothing). Nothing to start when the change affected no conversation.
 * @throws HttpError 503 `temporarily_unavailable` when Temporal did not accept the start (the change is
 *   committed: repeating the request starts it)
 */
async function startBroadcast(
  conversations: Pick<ApiDeps['conversations'], 'startOnce'>,
  workflowId: string,
  input: ContactChangeBroadcastInput,
  conversationCount: number,
  what: string,
): Promise<void> {
  if (conversationCount === 0) return;
  try {
    await conversations.startOnce(CONTACT_CHANGE_BROADCAST_WORKFLOW_TYPE, workflowId, input);
  } catch {
    throw new HttpError(
      503,
      'temporarily_unavailable',
      `The ${what} is done, but its running conversations could not be told yet; repeat the request shortly`,
    );
  }
}

/** The routes under `/v1/contacts` (behind auth and `express.json()`). */
export const contactRoutes: RouteDefinition<ContactRoutesDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/v1/contacts',
      auth: 'staff',
      operationId: 'createContact',
      tags: ['contacts'],
      summary: 'Create a contact',
      request: { body: CreateContactBody },
      response: { status: 201, schema: Contact, description: 'The contact' },
      errors: [400, 409],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = CreateContactBody.parse(req.body);
        const phone = phoneOrThrow('phone', body.phone);
        const whatsapp = phoneOrThrow('whatsapp', body.whatsapp);
        const inserted = await insertContact(db, me.orgId, {
          name: body.name ?? null,
          phone,
          email: body.email?.toLowerCase() ?? null,
          whatsapp,
          vip: body.vip,
        });
        if (!inserted) {
          throw new HttpError(409, 'contact_exists', 'A contact with this phone, WhatsApp number or email already exists');
        }
        res.status(201).json(toContactView(inserted));
      },
  ),
  /**
   * The org's contacts, newest first (`created_at`, then id), keyset-paginated; `q` searches names and
   * addresses (db/contacts.ts `listContacts`).
   */
  defineRoute(
    {
      method: 'get',
      path: '/v1/contacts',
      auth: 'staff',
      operationId: 'listContacts',
      tags: ['contacts'],
      summary: 'List or search the org’s contacts, newest first (cursor pagination; `q` matches name or any address)',
      request: { query: ContactListQuery },
      response: { status: 200, schema: ContactPage, description: 'A page' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const q = ContactListQuery.parse(req.query);
        const page = await listContacts(
          db,
          me.orgId,
          { q: q.q },
          { limit: q.limit, cursor: q.cursor !== undefined ? decodeContactCursor(q.cursor) : undefined },
        );
        const body: ContactPage = { data: page.contacts.map(toContactView), nextCursor: page.next ? encodeContactCursor(page.next) : null };
        res.json(body);
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/contacts/:id',
      auth: 'staff',
      operationId: 'getContact',
      tags: ['contacts'],
      summary: 'Get a contact',
      request: { params: IdParams },
      response: { status: 200, schema: Contact, description: 'The contact' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const row = await findContact(db, me.orgId, id);
        if (!row) throw notFound('Contact');
        res.json(toContactView(row));
      },
  ),
  /**
   * Updates name, vip and / or the complete list of identities (db/contacts.ts `updateContact`).
   * Removing the address a running conversation sends to is allowed: the conversation's later replies
   * fail `no_address` at send time (the existing rule for a contact without an address of the kind).
   */
  defineRoute(
    {
      method: 'patch',
      path: '/v1/contacts/:id',
      auth: 'staff',
      operationId: 'updateContact',
      tags: ['contacts'],
      summary: 'Update a contact’s name, VIP flag or addresses (identities: the complete new list)',
      request: { params: IdParams, body: PatchContactBody },
      response: { status: 200, schema: Contact, description: 'The updated contact' },
      errors: [
        400,
        404,
        {
          status: 409,
          description: '`identity_taken`: another contact of the org has an address (`details: { kind, address, contactId }`)',
        },
        { status: 422, description: '`invalid_address`: an address is not valid for its kind (`details.fields`)' },
      ],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = PatchContactBody.parse(req.body);
        const identities = body.identities !== undefined ? normalizedIdentities(body.identities) : undefined;
        const result = await updateContact(db, me.orgId, id, { name: body.name, vip: body.vip, identities });
        if (result.status === 'not_found') throw notFound('Contact');
        if (result.status === 'identity_taken') {
          const { kind, address } = result.identity;
          throw new HttpError(409, 'identity_taken', `Another contact already has the ${kind} address ${address}`, {
            kind,
            address,
            contactId: result.contactId,
          });
        }
        res.json(toContactView(result.contact));
      },
  ),
  /**
   * Starts (or returns) the contact's conversation on a channel of the org (201 new, 200 existing).
   * A WhatsApp conversation started by staff has no open session window: its first message must be
   * an approved template (free-form → 422 `whatsapp_session_expired`). Chat → 422 `channel_not_supported`.
   */
  defineRoute(
    {
      method: 'post',
      path: '/v1/contacts/:id/conversations',
      auth: 'staff',
      operationId: 'startConversation',
      tags: ['contacts'],
      summary: 'Start (or return) a staff-initiated conversation on a channel',
      request: { params: IdParams, body: StartConversationBody },
      response: { status: 201, schema: Conversation, description: 'The conversation (200 if it already existed)' },
      errors: [400, 404, 422],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = StartConversationBody.parse(req.body);
        const contact = await findContact(db, me.orgId, id);
        if (!contact) throw notFound('Contact');
        const { row, created } = await openContactConversation({ db, conversations }, me.orgId, contact, body.channel, me.userId);
        res.status(created ? 201 : 200).json(toConversationView(row));
      },
  ),
  /**
   * Merges `otherContactId` into `:id` (db/contact-merge.ts `mergeContacts`, one transaction with the
   * audit row `contact.merge`), then starts `contactChangeBroadcastWorkflow` (id
   * `contactMergeBroadcastWorkflowId`, from the audit row), which tells the open runs of the moved
   * conversations their new contact (`contactChanged` update, under each run's lock; retried until
   * done; a conversation without an open run loads it from its row when it next starts). 503 only when
   * Temporal does not accept that start; repeating the same merge then starts it and answers 200 (a
   * repeat after it started starts nothing and answers 200 too).
   */
  defineRoute(
    {
      method: 'post',
      path: '/v1/contacts/:id/merge',
      auth: 'staff',
      operationId: 'mergeContact',
      tags: ['contacts'],
      summary: 'Merge another contact into this one: its identities and conversations move here and it is removed',
      request: { params: IdParams, body: MergeContactBody },
      response: {
        status: 200,
        schema: Contact,
        description:
          'The merged contact (also for a repeated merge). Running conversations adopt it through a durable broadcast ' +
          'started before this answer (it completes shortly after)',
      },
      errors: [
        400,
        { status: 404, description: '`not_found`: either contact is not one of the org’s' },
        { status: 422, description: '`merge_with_itself`: `otherContactId` is `{id}`' },
        {
          status: 503,
          description:
            '`temporarily_unavailable`: the merge is committed but the broadcast to its running conversations could not be ' +
            'started (or the database is unavailable): repeat the same merge after `Retry-After` seconds',
        },
      ],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = MergeContactBody.parse(req.body);
        if (body.otherContactId === id) throw new HttpError(422, 'merge_with_itself', 'A contact cannot be merged with itself');
        let auditId: string | undefined;
        const result = await mergeContacts(db, me.orgId, id, body.otherContactId, async (trx, merged) => {
          auditId = await recordAudit(trx, {
            orgId: me.orgId,
            actor: auditActorOf(me),
            action: 'contact.merge',
            targetType: 'contact',
            targetId: id,
            before: { contact: toContactView(merged.before.contact), other: toContactView(merged.before.other) },
            after: { contact: toContactView(merged.contact), movedConversationIds: merged.movedConversationIds },
          });
        });
        // a repeated merge (e.g. after a 503 from the start below: the merge itself is committed) answers
        // the merged contact and starts the broadcast if it was not started
        const recorded =
          result.status === 'merged'
            ? { auditId: auditId!, movedConversationIds: result.movedConversationIds }
            : await previousMerge(db, me.orgId, id, body.otherContactId);
        const contact = result.status === 'merged' ? result.contact : recorded ? await findContact(db, me.orgId, id) : undefined;
        if (!contact || !recorded) throw notFound('Contact');
        await startBroadcast(
          conversations,
          contactMergeBroadcastWorkflowId(me.orgId, body.otherContactId, id, recorded.auditId),
          {
            change: 'merge',
            orgId: me.orgId,
            auditId: recorded.auditId,
            fromContactId: body.otherContactId,
            toContactId: id,
            actorId: me.userId,
          },
          recorded.movedConversationIds.length,
          'merge',
        );
        res.json(toContactView(contact));
      },
  ),
  /**
   * Erases a contact (GDPR; db/contact-erase.ts `eraseContact`, one transaction with the audit row
   * `contact.erase`, which names ids and counts only). Then the attachment bytes leave the blob store
   * and `contactChangeBroadcastWorkflow` starts (id `contactEraseBroadcastWorkflowId`, from the audit
   * row; its input holds ids only), which has the open runs of its conversations purge their state
   * (`contactErased` update, retried until done). 503 only when Temporal does not accept that start; a
   * repeated DELETE of the erased id then starts it and answers 204 (a repeat after it started starts
   * nothing and answers 204 too). Admins only: it cannot be undone.
   */
  defineRoute(
    {
      method: 'delete',
      path: '/v1/contacts/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'eraseContact',
      tags: ['contacts'],
      summary:
        'Erase a contact (GDPR, admins only, irreversible): every message text of its conversations becomes `[erased]`, attachments are deleted, its identities and the contact are removed',
      request: { params: IdParams },
      response: {
        status: 204,
        description:
          'Erased (also for a contact this org already erased). Running conversations purge their state through a durable ' +
          'broadcast started before this answer (it completes shortly after)',
      },
      errors: [
        400,
        { status: 404, description: '`not_found`: no such contact in this org' },
        {
          status: 503,
          description:
            '`temporarily_unavailable`: the erase is committed but the broadcast purging its running conversations could not be ' +
            'started (or the database is unavailable): repeat the DELETE after `Retry-After` seconds',
        },
      ],
    },
    ({ db, conversations, blobs, logger }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        let auditId: string | undefined;
        const erased = await eraseContact(db, me.orgId, id, async (trx, e) => {
          auditId = await recordAudit(trx, {
            orgId: me.orgId,
            actor: auditActorOf(me),
            action: 'contact.erase',
            targetType: 'contact',
            targetId: id,
            // ids and counts only: the audit log must not keep what was erased
            before: { id },
            after: {
              standInContactId: e.standInContactId,
              conversationIds: e.conversationIds,
              messagesErased: e.messageCount,
              attachmentsErased: e.attachmentIds.length,
            },
          });
        });
        // a repeated DELETE of a contact this org erased answers 204 and starts the runs' purge if it was
        // not started (e.g. after a 503 from the start below: the erase itself is committed)
        const done = erased
          ? { auditId: auditId!, standInContactId: erased.standInContactId, conversationIds: erased.conversationIds }
          : await previousErase(db, me.orgId, id);
        if (!done) throw notFound('Contact');
        for (const key of erased?.blobKeys ?? []) {
          try {
            await blobs.delete(key);
          } catch (err) {
            // the row is tombstoned already; a leftover blob is unreachable through the API
            logger.error({ err, key }, 'erase: deleting an attachment blob failed');
          }
        }
        await startBroadcast(
          conversations,
          contactEraseBroadcastWorkflowId(me.orgId, id, done.auditId),
          {
            change: 'erase',
            orgId: me.orgId,
            auditId: done.auditId,
            contactId: id,
            standInContactId: done.standInContactId,
            actorId: me.userId,
          },
          done.conversationIds.length,
          'erase',
        );
        res.status(204).end();
      },
  ),
];

/** Builds the contacts router (mounted under `/v1/contacts`, behind auth and `express.json()`). */
export function contactsRouter(deps: ContactRoutesDeps): Router {
  return routerFor(contactRoutes, deps, { prefix: '/v1/contacts', auth: 'staff' });
}
