/**
 * Twilio send reconciliation: the message list, matched by `pickCandidate` (channels/reconciliation.ts).
 */
import type { Twilio } from 'twilio';
import type { Db } from '../../db/client';
import {
  CLOCK_SKEW_MS,
  type CarrierCandidate,
  RECONCILE_PAGE_SIZE,
  claimedElsewhere,
  describeError,
  pickCandidate,
} from '../reconciliation';
import type { Reconciliation } from '../types';
import { fromTwilioStatus } from './status';

/** What to look for in the Twilio list. */
export interface TwilioReconcileInput {
  messageId: string;
  /** Twilio address (`+1…` or `whatsapp:+1…`) of the customer. */
  to: string;
  /** Our sender address; `undefined` when sending through a Messaging Service (then `messagingServiceSid`). */
  from: string | undefined;
  messagingServiceSid: string | undefined;
  /** The text we sent; `null` for a Content template (Twilio renders the body: any body matches). */
  body: string | null;
  /** When the attempt being reconciled began. */
  since: Date;
}

/**
 * Asks Twilio's message list whether an earlier attempt of this message was accepted.
 * Never throws for carrier errors (they make the outcome `undecided`); database errors propagate.
 */
export async function reconcileTwilio(deps: { db: Db; twilio: Twilio }, input: TwilioReconcileInput): Promise<Reconciliation> {
  let page: Awaited<ReturnType<Twilio['messages']['list']>>;
  try {
    page = await deps.twilio.messages.list({
      to: input.to,
      ...(input.from ? { from: input.from } : {}),
      pageSize: RECONCILE_PAGE_SIZE,
      limit: RECONCILE_PAGE_SIZE,
    });
  } catch (err) {
    return { outcome: 'undecided', reason: `the Twilio message list is unavailable: ${describeError(err)}` };
  }
  const listed: CarrierCandidate[] = page
    .filter((m) => m.direction !== 'inbound')
    .filter((m) => input.messagingServiceSid === undefined || m.messagingServiceSid === input.messagingServiceSid)
    .map((m) => ({ sid: m.sid, body: m.body ?? null, createdAt: m.dateCreated ?? null, status: m.status }));
  const oldest = page.at(-1)?.dateCreated;
  const complete = page.length < RECONCILE_PAGE_SIZE || (oldest != null && oldest.getTime() < input.since.getTime() - CLOCK_SKEW_MS);
  const claimed = await claimedElsewhere(
    deps.db,
    input.messageId,
    'twilio',
    listed.map((c) => c.sid),
  );
  const picked = pickCandidate(listed, { body: input.body, since: input.since, claimed, complete });
  if (picked.match)
    return { outcome: 'sent', providerMessageId: picked.match.sid, status: fromTwilioStatus(picked.match.status) ?? 'queued' };
  return picked.ambiguous ? { outcome: 'undecided', reason: picked.reason } : { outcome: 'not_sent' };
}
