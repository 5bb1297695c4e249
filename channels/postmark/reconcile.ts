/**
 * Postmark send reconciliation: the outbound message search by our `Metadata.message_id`.
 */
import type { ServerClient } from 'postmark';
import { RECONCILE_PAGE_SIZE, describeError } from '../reconciliation';
import type { Reconciliation } from '../types';

/**
 * Asks Postmark's outbound message search for the email carrying `Metadata.message_id = messageId`.
 * Several matches (it was already sent twice) adopt the earliest. Carrier errors → `undecided`.
 */
export async function reconcilePostmark(
  deps: { postmark: ServerClient },
  input: { messageId: string; recipient: string },
): Promise<Reconciliation> {
  try {
    const found = await deps.postmark.getOutboundMessages({
      count: RECONCILE_PAGE_SIZE,
      offset: 0,
      recipient: input.recipient,
      messageStream: 'outbound',
      metadata_message_id: input.messageId,
    });
    const matches = (found.Messages ?? [])
      .filter((m) => m.Metadata?.message_id === input.messageId)
      .sort((a, b) => Date.parse(a.ReceivedAt) - Date.parse(b.ReceivedAt));
    const first = matches[0];
    return first ? { outcome: 'sent', providerMessageId: first.MessageID, status: 'sent' } : { outcome: 'not_sent' };
  } catch (err) {
    return { outcome: 'undecided', reason: `the Postmark message search is unavailable: ${describeError(err)}` };
  }
}
