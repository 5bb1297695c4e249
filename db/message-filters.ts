/** SQL conditions on `messages` rows shared by reads (feeds, statistics). */
import { type RawBuilder, sql } from 'kysely';
import { UNSENT_DELIVERY_STATUSES } from '../domain/delivery';

/**
 * True for a message that was said: inbound, a note, or a reply that is not held or canceled
 * (`delivery_status` not in {@link UNSENT_DELIVERY_STATUSES}; `null` for inbound and notes).
 * @param column the `delivery_status` column reference, e.g. `m.delivery_status`
 */
export function wasSaid(column: string): RawBuilder<boolean> {
  const unsent = sql.join(UNSENT_DELIVERY_STATUSES.map((s) => sql.lit(s)));
  return sql<boolean>`(${sql.ref(column)} is null or ${sql.ref(column)} not in (${unsent}))`;
}
