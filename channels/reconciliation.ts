/**
 * Reconciling a send whose previous attempt left the message `sending` (the worker died, or the
 * attempt timed out, between calling the carrier and recording its answer): before sending again,
 * ask the carrier whether it already accepted the message. Each adapter's `reconcile` does the asking
 * (channels/<provider>/reconcile.ts); this module holds what they share.
 *
 * - Twilio: `GET /2010-04-01/Accounts/{Sid}/Messages.json?To=…&From=…&PageSize=…` (newest first),
 *   candidates created since the attempt began (minus {@link CLOCK_SKEW_MS}), outbound, with our
 *   body (any body for a Content template), whose SID no other message row holds.
 *   `DateSent>` is not used as a server-side filter: `date_sent` is empty until the carrier hands
 *   the message on, so it would hide exactly the queued message we look for.
 * - Postmark: outbound message search `GET /messages/outbound?recipient=…&metadata_message_id=<our id>`
 *   (every send carries `Metadata.message_id`, unique per message).
 *
 * The outcome is `sent` (adopt the carrier's id and status), `not_sent` (the carrier's list is
 * complete for the window and holds no message of ours: sending again cannot duplicate), or
 * `undecided` (list unavailable, more candidates than one page, several matches, or an in-window
 * message no row accounts for whose body differs): the caller flags the message `unknown` /
 * `send_unconfirmed` and does not re-send it.
 */
import type { Db } from '../db/client';
import type { MessageProvider } from './kinds';

export type { Reconciliation } from './types';

/** Tolerance (ms) between our clock (the attempt start, Postgres `now()`) and the carrier's `date_created`. */
export const CLOCK_SKEW_MS = 2 * 60 * 1000;
/** How many of the newest carrier messages one reconciliation reads (a single page). */
export const RECONCILE_PAGE_SIZE = 50;
/** `error_code` of a message whose send could not be confirmed (delivery status `unknown`). */
export const SEND_UNCONFIRMED = 'send_unconfirmed';

/** One message of the carrier's list, reduced to what matching needs. */
export interface CarrierCandidate {
  sid: string;
  body: string | null;
  /** When the carrier created it; `null` if it did not say. */
  createdAt: Date | null;
  status: string;
}

const normalizeBody = (text: string | null): string => (text ?? '').replace(/\r\n/g, '\n').trim();

/**
 * Picks the match among carrier candidates (pure): those created since `since − CLOCK_SKEW_MS`, with
 * the same body (unless `body` is `null`), not already recorded on another row (`claimed`).
 * `complete` = the list reaches back before the window (else more candidates may exist beyond it).
 */
export function pickCandidate(
  candidates: CarrierCandidate[],
  opts: { body: string | null; since: Date; claimed: ReadonlySet<string>; complete: boolean },
): { match: CarrierCandidate } | { match: null; ambiguous: false } | { match: null; ambiguous: true; reason: string } {
  const windowStart = opts.since.getTime() - CLOCK_SKEW_MS;
  const inWindow = candidates.filter((c) => c.createdAt === null || c.createdAt.getTime() >= windowStart);
  const matching = inWindow.filter(
    (c) => !opts.claimed.has(c.sid) && (opts.body === null || normalizeBody(c.body) === normalizeBody(opts.body)),
  );
  if (matching.length === 1) return { match: matching[0]! };
  if (matching.length > 1) return { match: null, ambiguous: true, reason: `${matching.length} carrier messages match` };
  if (!opts.complete) return { match: null, ambiguous: true, reason: 'the carrier list does not reach back to the attempt start' };
  // a message in the window that no row accounts for may be ours with a body the carrier changed
  // (smart encoding, a Messaging Service's opt-out text): not proof that nothing was sent
  const unexplained = inWindow.filter((c) => !opts.claimed.has(c.sid));
  if (unexplained.length > 0)
    return { match: null, ambiguous: true, reason: `${unexplained.length} carrier message(s) in the window with another body` };
  return { match: null, ambiguous: false };
}

/** Carrier ids among `ids` that other message rows (of `provider`) already hold. */
export async function claimedElsewhere(db: Db, messageId: string, provider: MessageProvider, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('messages')
    .select('provider_message_id')
    .where('provider', '=', provider)
    .where('provider_message_id', 'in', ids)
    .where('id', '!=', messageId)
    .execute();
  return new Set(rows.map((r) => r.provider_message_id!));
}

/** An error's message, for a reconciliation's `reason`. */
export const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));
