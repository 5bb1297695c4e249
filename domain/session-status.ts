/**
 * The session status of seed 003's conversation view (`sessionStatus`): a derived label over the
 * conversation state, for inboxes that think in "sessions" rather than statuses. Pure: no I/O.
 * `db/personal-state.ts` `sessionStatusSql` is the same rule in SQL (for `?sessionStatus=`); a test
 * checks that both agree on every combination of the inputs.
 */
import type { ClosedReason, ConversationStatus } from './conversation';

/** Every session status, in the order of {@link sessionStatusOf}'s precedence where it matters. */
export const SESSION_STATUSES = ['active', 'waiting_reply', 'needs_human', 'completed', 'expired'] as const;
/** One of {@link SESSION_STATUSES}. */
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** What the session status is derived from (columns of the `conversations` row). */
export interface SessionStatusInput {
  status: ConversationStatus;
  closedReason: ClosedReason | null;
  /** The AI assistant handed the conversation off and no human has answered yet. */
  needsHuman: boolean;
  /**
   * Customer messages since the last staff / AI reply (or since closing): the workflow's
   * conversation-wide count (`conversations.unread_count`; not a person's unread count). `> 0` = the
   * customer spoke last and is waiting.
   */
  unansweredCount: number;
  /** Any staff (or AI) reply was ever sent in the conversation. */
  hasStaffReplied: boolean;
}

/**
 * The session status of a conversation. The first rule that matches wins:
 * 1. `closed` with `closedReason: session_expired` (a pending conversation whose session window — WhatsApp
 *    24 h, SMS 4 h — lapsed) → `expired`;
 * 2. any other `closed` (closed by staff) → `completed`;
 * 3. `needsHuman` (handed off by the AI assistant, not yet answered by a human; closing and a staff reply
 *    clear it) → `needs_human`, whatever the status (open, pending or snoozed);
 * 4. `pending` (waiting on the customer, e.g. after a staff or AI reply) → `waiting_reply`;
 * 5. `open` or `snoozed` with unanswered customer messages (`unansweredCount > 0`: the customer is waiting,
 *    a human or the AI assistant is handling it) → `active`;
 * 6. `open` or `snoozed` with no unanswered customer message after a staff / AI reply (the last word was
 *    ours, e.g. staff re-opened a pending conversation) → `waiting_reply`;
 * 7. otherwise (`open` or `snoozed`, nothing exchanged yet, e.g. a conversation staff just started) → `active`.
 * An `open` conversation whose session window lapsed stays `active` / `waiting_reply` (only a closed one is
 * `expired`).
 */
export function sessionStatusOf(input: SessionStatusInput): SessionStatus {
  if (input.status === 'closed') return input.closedReason === 'session_expired' ? 'expired' : 'completed';
  if (input.needsHuman) return 'needs_human';
  if (input.status === 'pending') return 'waiting_reply';
  if (input.unansweredCount > 0) return 'active';
  return input.hasStaffReplied ? 'waiting_reply' : 'active';
}
