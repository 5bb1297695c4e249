/**
 * `GET /v1/conversations/between/{parties}` (seed 000's `:parties`): the conversations between one
 * contact and one staff user of the caller's org.
 *
 * "Between" means: conversations whose customer is the contact AND in which the staff user takes part,
 * i.e. is the current assignee or wrote at least one message there (a reply or an internal note; an
 * AI reply is not theirs). A conversation of the contact the staff user never touched is not between
 * them, and a conversation they wrote in for another contact is not either.
 *
 * Mounted in api/app.ts before the conversations router (whose `/:id` would take `between`).
 */
import type { Router } from 'express';
import { findContact } from '../../db/contacts';
import { listConversationsBetween } from '../../db/queries';
import { findStaffUserWithOrg } from '../../db/staff-users';
import { principalOf } from '../auth';
import { BetweenParams, ConversationsBetween, partiesOf } from '../contact-schemas';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { toConversationView } from '../views';

/** At most this many conversations are answered (most recently active first). */
export const BETWEEN_LIMIT = 100;

/** What the route needs. */
export type ConversationsBetweenDeps = Pick<ApiDeps, 'db'>;

/** The route under `/v1/conversations/between` (behind auth). */
export const conversationsBetweenRoutes: RouteDefinition<ConversationsBetweenDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/between/:parties',
      auth: 'staff',
      operationId: 'listConversationsBetween',
      tags: ['conversations'],
      summary:
        'The conversations between a contact and a staff user (`<contactId>+<staffId>`): the contact’s conversations that the staff user is assigned to or wrote in, most recently active first (at most 100)',
      request: { params: BetweenParams },
      response: { status: 200, schema: ConversationsBetween, description: 'The conversations (possibly none)' },
      errors: [
        { status: 400, description: '`validation_failed`: `parties` is not `<contactId>+<staffId>`' },
        { status: 404, description: '`not_found`: the contact or the staff user is not the org’s' },
      ],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { contactId, staffId } = partiesOf(BetweenParams.parse(req.params));
        if (!(await findContact(db, me.orgId, contactId))) throw notFound('Contact');
        if (!(await findStaffUserWithOrg(db, me.orgId, staffId))) throw notFound('Staff user');
        const rows = await listConversationsBetween(db, me.orgId, contactId, staffId, me.userId, BETWEEN_LIMIT);
        const data: ConversationsBetween['data'] = rows.map(toConversationView);
        const body: ConversationsBetween = { data };
        res.json(body);
      },
  ),
];

/** Builds the router (mount at `/v1/conversations/between`, before the conversations router). */
export function conversationsBetweenRouter(deps: ConversationsBetweenDeps): Router {
  return routerFor(conversationsBetweenRoutes, deps, { prefix: '/v1/conversations/between', auth: 'staff' });
}
