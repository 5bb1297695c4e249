/** Channels (`channels`: an org's numbers and addresses) as the API's routing and start-a-conversation code reads them. */
import type { Db } from './client';
import type { ChannelRow } from './schema';

/** The org's oldest channel (by `created_at`) of `kind`, or `undefined` if it has none. */
export async function findFirstChannelOfKind(db: Db, orgId: string, kind: ChannelRow['kind']): Promise<ChannelRow | undefined> {
  return db
    .selectFrom('channels')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .orderBy('created_at')
    .executeTakeFirst();
}

/** Every channel of `kinds` of every org (id, org, kind, address), unordered; none for an empty list. */
export async function listChannelsOfKinds(
  db: Db,
  kinds: readonly ChannelRow['kind'][],
): Promise<Pick<ChannelRow, 'id' | 'org_id' | 'kind' | 'address'>[]> {
  if (kinds.length === 0) return [];
  return db.selectFrom('channels').select(['id', 'org_id', 'kind', 'address']).where('kind', 'in', kinds).execute();
}

/** The channel (id and org) of `kind` with exactly this address (any org: addresses are unique per kind), or `undefined`. */
export async function findChannelByAddress(
  db: Db,
  kind: ChannelRow['kind'],
  address: string,
): Promise<Pick<ChannelRow, 'id' | 'org_id'> | undefined> {
  return db.selectFrom('channels').select(['id', 'org_id']).where('kind', '=', kind).where('address', '=', address).executeTakeFirst();
}
