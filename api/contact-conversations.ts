/**
 * Staff-started conversations: finds or starts a contact's conversation on one of the org's channels.
 */
import type { ContactRow } from '../db/schema';
import { findFirstChannelOfKind } from '../db/channels';
import { getConversation, latestContactConversationId } from '../db/queries';
import { type ChannelKind, contactAddressOf, kindSpec } from '../channels/kinds';
import { conversationIdFor } from '../domain/routing';
import type { ApiDeps } from './deps';
import { HttpError } from './errors';

/**
 * The contact's conversation on the org's (first) channel of `kind`, started if needed.
 * Kinds without threading (SMS, WhatsApp): the conversation of the contact's address (the same one
 * inbound messages use). Threaded kinds (email): the contact's most recent conversation on the
 * channel, else a new one keyed by the address.
 * @param viewerId the staff user the row is read for (their unread count and star); `null` = nobody's
 * @returns the stored conversation row and whether it was created now
 * @throws HttpError 422 `channel_not_supported` (a kind with no contact address: web chat), `no_channel`,
 *   `contact_has_no_address`
 */
export async function openContactConversation(
  { db, conversations }: Pick<ApiDeps, 'db' | 'conversations'>,
  orgId: string,
  contact: ContactRow,
  kind: ChannelKind,
  viewerId: string | null = null,
) {
  const spec = kindSpec(kind);
  if (spec.identityKinds.length === 0) {
    throw new HttpError(422, 'channel_not_supported', `Starting a ${spec.label.toLowerCase()} conversation is not supported`);
  }
  const channel = await findFirstChannelOfKind(db, orgId, kind);
  if (!channel) throw new HttpError(422, 'no_channel', `The organisation has no ${kind} channel`);
  const address = contactAddressOf(kind, contact.identities);
  if (address === null) throw new HttpError(422, 'contact_has_no_address', `The contact has no ${spec.addressLabel} for ${kind}`);
  let conversationId = conversationIdFor(orgId, channel.id, address);
  if (spec.capabilities.threading) {
    const latest = await latestContactConversationId(db, orgId, channel.id, contact.id);
    if (latest) conversationId = latest;
  }
  const conversation = { conversationId, orgId, channelId: channel.id, channelKind: kind, contactId: contact.id };
  const existed = (await getConversation(db, orgId, conversationId)) !== undefined;
  await conversations.ensureStarted(conversation);
  const row = await getConversation(db, orgId, conversationId, viewerId);
  if (!row) throw new Error(`conversation ${conversationId} was not stored by its workflow`);
  return { row, created: !existed };
}
