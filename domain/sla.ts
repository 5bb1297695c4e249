/**
 * SLA (service-level agreement) policy: how long a customer may wait for a staff reply.
 *
 * - First response: the customer's first unanswered message in a conversation that has never
 *   had a staff reply must be answered within `firstResponseMinutes`.
 * - Next response: after the team has replied at least once, a new customer message must be
 *   answered within `nextResponseMinutes`.
 * The clock starts at the first unanswered customer message (later messages do not move it)
 * and is cleared by a staff reply (not by an internal note) or by closing; snoozing keeps it running.
 */
export interface SlaPolicy {
  /** Minutes allowed for the first staff response. */
  firstResponseMinutes: number;
  /** Minutes allowed for each later staff response. */
  nextResponseMinutes: number;
}

/** Defaults applied to a new org: 60 min first response, 240 min (4 h) next response. */
export const DEFAULT_SLA_POLICY: SlaPolicy = { firstResponseMinutes: 60, nextResponseMinutes: 240 };

/**
 * The SLA deadline (epoch ms) for a customer message received at `receivedAtMs`.
 * @param hasStaffReplied whether the conversation already had a staff reply (selects the target)
 */
export function slaDueAt(policy: SlaPolicy, receivedAtMs: number, hasStaffReplied: boolean): number {
  const minutes = hasStaffReplied ? policy.nextResponseMinutes : policy.firstResponseMinutes;
  return receivedAtMs + minutes * 60_000;
}
