/**
 * `PgChannelChanges` (db/channel-changes.ts, migration 0024) on real Postgres: a committed channel change
 * is announced with its id, a rolled-back one is not, and after its connection is killed the listener
 * re-opens it, announces `null` (anything may have changed meanwhile) and hears later changes again.
 */
import { sql } from 'kysely';
import { createDb, type Db } from '../../db/client';
import { PgChannelChanges } from '../../db/channel-changes';
import { globalResources } from '../support/global-resources';
import { createTestOrg, type TestOrg } from '../support/harness';

let db: Db;
let org: TestOrg;
const quiet = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  db = createDb(globalResources().databaseUrl, { max: 2 });
  org = await createTestOrg(db);
});
afterAll(async () => {
  await db?.destroy();
});

/** Resolves with the first announcement `accept` takes (rejects after `ms`). */
function nextAnnouncement(changes: PgChannelChanges, accept: (id: string | null) => boolean, ms = 10_000): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no announcement'));
    }, ms);
    const off = changes.subscribe((id) => {
      if (!accept(id)) return;
      clearTimeout(timer);
      off();
      resolve(id);
    });
  });
}

const touch = (channelId: string) => db.updateTable('channels').set({ updated_at: new Date() }).where('id', '=', channelId).execute();

test('a committed change is announced with the channel id; a rolled-back one is not', async () => {
  const changes = new PgChannelChanges(globalResources().databaseUrl, quiet);
  await changes.ready;
  try {
    const heard: (string | null)[] = [];
    changes.subscribe((id) => heard.push(id));
    await db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('channels').set({ updated_at: new Date() }).where('id', '=', org.whatsappChannelId).execute();
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const announced = nextAnnouncement(changes, (id) => id === org.smsChannelId);
    await touch(org.smsChannelId);
    expect(await announced).toBe(org.smsChannelId);
    expect(heard).not.toContain(org.whatsappChannelId);
  } finally {
    await changes.close();
  }
});

test('after its connection is killed it reconnects, announces null, and hears later changes', async () => {
  const changes = new PgChannelChanges(globalResources().databaseUrl, quiet);
  await changes.ready;
  try {
    const reconnected = nextAnnouncement(changes, (id) => id === null);
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and query = 'listen switchboard_channel_changed'`.execute(db);
    expect(await reconnected).toBeNull();
    const announced = nextAnnouncement(changes, (id) => id === org.emailChannelId);
    await touch(org.emailChannelId);
    expect(await announced).toBe(org.emailChannelId);
  } finally {
    await changes.close();
  }
});
