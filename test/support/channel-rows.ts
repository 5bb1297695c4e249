/** Channel rows written straight to the database, for tests that need channels with credentials of their own. */
import { randomUUID } from 'node:crypto';
import type { ChannelKind, ChannelProvider } from '../../channels/kinds';
import type { Db } from '../../db/client';
import type { SealedCredentialColumns } from '../../db/channel-credentials';

/** The columns a test chooses; the name is `<kind> <first 6 characters of the id>`, settings `{}`. */
export interface ChannelRowFixture {
  kind: ChannelKind;
  address: string;
  provider: ChannelProvider;
  /** Archived now (`archived_at`). */
  archived?: boolean;
}

/**
 * Inserts a channel of `orgId` with a new id, its credentials sealed by `seal(id)` (the sealing is
 * bound to the channel id; `null` for none). Returns the id.
 */
export async function insertChannelRow(
  db: Db,
  orgId: string,
  row: ChannelRowFixture,
  seal: (id: string) => SealedCredentialColumns | null,
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('channels')
    .values({
      id,
      org_id: orgId,
      kind: row.kind,
      address: row.address,
      name: `${row.kind} ${id.slice(0, 6)}`,
      provider: row.provider,
      settings: JSON.stringify({}),
      ...(seal(id) ?? {}),
      ...(row.archived ? { archived_at: new Date() } : {}),
    })
    .execute();
  return id;
}
