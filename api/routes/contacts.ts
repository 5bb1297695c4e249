/**
 * `/v1/contacts`: create and read contacts (not conversation state: the API writes them), and
 * start a staff-initiated conversation with a contact.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { getConversation } from '../../db/queries';
import { normalizePhone } from '../../domain/addresses';
import { conversationIdFor } from '../../domain/routing';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { CreateContactBody, IdParams, StartConversationBody } from '../schemas';
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

/** Builds the contacts router (mounted under `/v1/contacts`, behind auth). */
export function contactsRouter({ db, conversations }: ApiDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const me = principalOf(res);
    const body = CreateContactBody.parse(req.body);
    const phone = phoneOrThrow('phone', body.phone);
    const whatsapp = phoneOrThrow('whatsapp', body.whatsapp);
    const inserted = await db
      .insertInto('contacts')
      .values({
        id: randomUUID(),
        org_id: me.orgId,
        name: body.name ?? null,
        phone,
        email: body.email?.toLowerCase() ?? null,
        whatsapp,
        vip: body.vip,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) {
      throw new HttpError(409, 'contact_exists', 'A contact with this phone, WhatsApp number or email already exists');
    }
    res.status(201).json(toContactView(inserted));
  });

  router.get('/:id', async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const row = await db.selectFrom('contacts').selectAll().where('org_id', '=', me.orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Contact');
    res.json(toContactView(row));
  });

  /**
   * Starts (or returns) the contact's conversation on a channel of the org. SMS works now;
   * WhatsApp needs an approved template to open a conversation (422 `template_required`);
   * email and chat are not available yet (422 `channel_not_supported`).
   */
  router.post('/:id/conversations', async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const body = StartConversationBody.parse(req.body);
    const contact = await db.selectFrom('contacts').selectAll().where('org_id', '=', me.orgId).where('id', '=', id).executeTakeFirst();
    if (!contact) throw notFound('Contact');
    if (body.channel === 'whatsapp') {
      throw new HttpError(
        422,
        'template_required',
        'A staff-started WhatsApp conversation must begin with an approved message template (outside the 24-hour window free-form messages are refused)',
      );
    }
    if (body.channel !== 'sms') {
      throw new HttpError(422, 'channel_not_supported', `Starting a conversation on ${body.channel} is not supported yet`);
    }
    if (contact.phone === null) throw new HttpError(422, 'contact_has_no_phone', 'The contact has no phone number');
    const channel = await db
      .selectFrom('channels')
      .selectAll()
      .where('org_id', '=', me.orgId)
      .where('kind', '=', 'sms')
      .orderBy('created_at')
      .executeTakeFirst();
    if (!channel) throw new HttpError(422, 'no_channel', 'The organisation has no SMS channel');
    const conversation = {
      conversationId: conversationIdFor(me.orgId, channel.id, contact.phone),
      orgId: me.orgId,
      channelId: channel.id,
      channelKind: 'sms' as const,
      contactId: contact.id,
    };
    const existed = (await getConversation(db, me.orgId, conversation.conversationId)) !== undefined;
    await conversations.ensureStarted(conversation);
    const row = await getConversation(db, me.orgId, conversation.conversationId);
    if (!row) throw new Error(`conversation ${conversation.conversationId} was not stored by its workflow`);
    res.status(existed ? 200 : 201).json(toConversationView(row));
  });

  return router;
}
