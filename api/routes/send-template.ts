/**
 * `POST /v1/send-template` `{ templateName, contactId, channel, variables }`: opens or reuses the
 * contact's conversation on that channel and sends the rendered template through its outbox.
 * 201 `{ conversation, message }`; 404 unknown contact or template; 422 missing variables
 * (`details.missing`), channel mismatch, unapproved WhatsApp template, contact without an address.
 */
import type { Router } from 'express';
import { findContact } from '../../db/contacts';
import { getConversation } from '../../db/queries';
import { replyUpdate } from '../../workflows/conversation/contract';
import { principalOf } from '../auth';
import { assertEmailDeliverable } from '../bounced-address';
import { openContactConversation } from '../contact-conversations';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { commandClient, idempotent } from '../idempotency';
import { renderTemplateRequest } from '../outbound-content';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { SendTemplateBody, SendTemplateResult } from '../schemas';
import { toConversationView } from '../views';
import { workflowConversationOf } from '../../workflows/conversation/contract';

/** What the send-template route needs. */
export type SendTemplateRoutesDeps = Pick<ApiDeps, 'db' | 'conversations' | 'logger'>;

/** `POST /v1/send-template` (behind auth and `express.json()`, idempotent). */
export const sendTemplateRoutes: RouteDefinition<SendTemplateRoutesDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/v1/send-template',
      auth: 'staff',
      operationId: 'sendTemplate',
      tags: ['templates'],
      summary: "Send a template to a contact on a channel, opening or reusing the contact's conversation",
      idempotent: true,
      request: { body: SendTemplateBody },
      response: { status: 201, schema: SendTemplateResult, description: 'The conversation and the stored message' },
      errors: [400, 404, 409, 422],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = SendTemplateBody.parse(req.body);
        const contact = await findContact(db, me.orgId, body.contactId);
        if (!contact) throw notFound('Contact');
        assertEmailDeliverable(
          {
            channelKind: body.channel,
            email: contact.email,
            emailBouncedAt: contact.email_bounced_at,
            emailBounceReason: contact.email_bounce_reason,
          },
          body.force,
        );
        // render first: a missing variable or unapproved template must not open a conversation
        const rendered = await renderTemplateRequest(db, me.orgId, body.channel, { name: body.templateName, variables: body.variables });
        const { row } = await openContactConversation({ db, conversations }, me.orgId, contact, body.channel, me.userId);
        const message = await commandClient(conversations, res).update(workflowConversationOf(row), replyUpdate, {
          text: rendered.text,
          isInternalNote: false,
          authorId: me.userId,
          attachments: [],
          template: rendered.template,
        });
        const conversation = await getConversation(db, me.orgId, row.id, me.userId);
        res.status(201).json({ conversation: toConversationView(conversation ?? row), message });
      },
  ),
];

/** Builds the router (mounted at `/v1/send-template`, behind auth and `express.json()`). */
export function sendTemplateRouter(deps: SendTemplateRoutesDeps): Router {
  return routerFor(sendTemplateRoutes, deps, {
    prefix: '/v1/send-template',
    auth: 'staff',
    idempotency: idempotent(deps.db, deps.logger),
  });
}
