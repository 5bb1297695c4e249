/**
 * `/v1/contacts`: create and read contacts (not conversation state: the API writes them), and
 * start a staff-initiated conversation with a contact.
 */
import type { Router } from 'express';
import { findContact, insertContact } from '../../db/contacts';
import { normalizePhone } from '../../domain/addresses';
import { principalOf } from '../auth';
import { openContactConversation } from '../contact-conversations';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
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

/** What the contacts routes need. */
export type ContactRoutesDeps = Pick<ApiDeps, 'db' | 'conversations'>;

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
        const { row, created } = await openContactConversation({ db, conversations }, me.orgId, contact, body.channel);
        res.status(created ? 201 : 200).json(toConversationView(row));
      },
  ),
];

/** Builds the contacts router (mounted under `/v1/contacts`, behind auth and `express.json()`). */
export function contactsRouter(deps: ContactRoutesDeps): Router {
  return routerFor(contactRoutes, deps, { prefix: '/v1/contacts', auth: 'staff' });
}
