/**
 * Channels (`channels`: an org's numbers and addresses) as the API's routing and start-a-conversation
 * code reads them. Archived channels (`archived_at` set: deleted while they still had conversations)
 * are skipped by every query here: they take no new messages and are not routed to.
 */
import type { Db } from './client';
import type { ChannelRow } from './schema';

/** The org's oldest live channel (by `created_at`) of `kind`, or `undefined` if it has none. */
export async function findFirstChannelOfKind(db: Db, orgId: string, kind: ChannelRow['kind']): Promise<ChannelRow | undefined> {
  return db
    .selectFrom('channels')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .where('archived_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
}

/**
 * The columns inbound routing reads of a channel: id, org, kind, address, settings, provider and the
 * sealed credentials (opened by the channel directory with the keyring; never logged).
 */
export type ChannelRouteRow = Pick<
  ChannelRow,
  'id' | 'org_id' | 'kind' | 'address' | 'settings' | 'provider' | 'credentials_ciphertext' | 'credentials_key_id'
>;
const ROUTE_COLUMNS = ['id', 'org_id', 'kind', 'address', 'settings', 'provider', 'credentials_ciphertext', 'credentials_key_id'] as const;

/** Every live channel of `kinds` of every org (the {@link ChannelRouteRow} columns), unordered; none for an empty list. */
export async function listChannelsOfKinds(db: Db, kinds: readonly ChannelRow['kind'][]): Promise<ChannelRouteRow[]> {
  if (kinds.length === 0) return [];
  return db.selectFrom('channels').select(ROUTE_COLUMNS).where('kind', 'in', kinds).where('archived_at', 'is', null).execute();
}

/** The live channel with this id (any org), or `undefined` (also for a malformed id: never throws on one). */
export async function findChannelById(db: Db, channelId: string): Promise<ChannelRouteRow | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(channelId)) return undefined;
  return db.selectFrom('channels').select(ROUTE_COLUMNS).where('id', '=', channelId).where('archived_at', 'is', null).executeTakeFirst();
}

/** The live channel of `kind` with exactly this address (any org: live addresses are unique per kind), or `undefined`. */
export async function findChannelByAddress(db: Db, kind: ChannelRow['kind'], address: string): Promise<ChannelRouteRow | undefined> {
  return db
    .selectFrom('channels')
    .select(ROUTE_COLUMNS)
    .where('kind', '=', kind)
    .where('address', '=', address)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
}
