/**
 * Race-free routing: the same external thread always maps to the same conversation id.
 *
 * The conversation id is a UUIDv5 (RFC 9562 §5.5) of `org id | channel id | normalised customer
 * address` in a fixed Switchboard namespace, so webhook retries and concurrent first messages of
 * a new contact compute the same id — and the same workflow id — without a lookup. Neither id
 * carries personal data (the address is hashed). Not for workflow code: it hashes with Node's crypto.
 */
import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace for Switchboard's UUIDv5 ids (a random v4, generated once). */
export const SWITCHBOARD_NAMESPACE = '6f1c9f7e-3a52-4d8e-9d31-2b6c8f0e4a17';

/** Conversation id for a customer address on a channel (address already normalised, e.g. E.164). */
export function conversationIdFor(orgId: string, channelId: string, customerAddress: string): string {
  return uuidv5(`${orgId}|${channelId}|${customerAddress.toLowerCase()}`, SWITCHBOARD_NAMESPACE);
}
