/**
 * The saved views' counts from the per-process projection (db/view-counts/) against the SQL scan
 * (`countSavedViews`, the list's own filter builder) as the oracle, on real Postgres: random
 * conversations, messages, read markers, stars and teams; every list filter alone and in random
 * combinations; then rounds of random writes (status, assignee, team, tags, archive, new conversations,
 * customer messages, reads, stars, team membership) between counts, two viewers, a transaction that
 * commits after a later one (the change-stamp watermark), and the SQL fallback of an org too large to
 * project.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createDb, type Db } from '../../db/client';
import type { ConversationFilters } from '../../db/queries';
import { countSavedViews, type ViewToCount } from '../../db/saved-views';
import { ViewCounter } from '../../db/view-counts/counter';
import { SESSION_STATUSES } from '../../domain/session-status';
import { globalResources } from '../support/global-resources';
import { createTestOrg, type TestOrg } from '../support/harness';
import { prng } from '../support/prng';

let db: Db;
let org: TestOrg;
let other: TestOrg;
let teamA: string;
let teamB: string;
let contactIds: string[];
const SEED = 20261207;
const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const STATUSES = ['open', 'pending', 'snoozed', 'closed'] as const;
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
const TAG_SETS = [[], [], ['vip'], ['billing'], ['vip', 'billing']];

beforeAll(async () => {
  db = createDb(globalResources().databaseUrl, { max: 4 });
  org = await createTestOrg(db);
  other = await createTestOrg(db);
  teamA = (await db.insertInto('teams').values({ org_id: org.orgId, name: 'A' }).returning('id').executeTakeFirstOrThrow()).id;
  teamB = (await db.insertInto('teams').values({ org_id: org.orgId, name: 'B' }).returning('id').executeTakeFirstOrThrow()).id;
  await db.insertInto('team_members').values({ team_id: teamA, staff_id: org.agentId }).execute();
  contactIds = [];
  for (let i = 0; i < 8; i++) {
    const id = randomUUID();
    await db
      .insertInto('contacts')
      .values({ id, org_id: org.orgId, name: `Contact ${i}` })
      .execute();
    contactIds.push(id);
  }
  await insertConversations(org, 240);
  await insertConversations(other, 30);
}, 60_000);
afterAll(async () => {
  await db?.destroy();
});

/** Inserts `n` random conversations of `o`, each with 0–3 messages (random directions), and returns their ids. */
async function insertConversations(o: TestOrg, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    ids.push(id);
    const channel = pick(['sms', 'whatsapp', 'email'] as const);
    const status = pick(STATUSES);
    const at = new Date(Date.now() - random() * 14 * 86_400_000);
    await db
      .insertInto('conversations')
      .values({
        id,
        org_id: o.orgId,
        channel_id: channel === 'sms' ? o.smsChannelId : channel === 'whatsapp' ? o.whatsappChannelId : o.emailChannelId,
        channel_kind: channel,
        contact_id: o === org ? pick(contactIds) : await contactOf(o),
        subject: random() < 0.2 ? 'Refund request' : null,
        status,
        priority: pick(PRIORITIES),
        assignee_id: pick([null, o.adminId, o.agentId]),
        team_id: o === org ? pick([null, teamA, teamB]) : null,
        tags: pick(TAG_SETS),
        unread_count: pick([0, 0, 1, 2]),
        last_message_preview: null,
        last_activity_at: at,
        session_expired: false,
        overdue: random() < 0.2,
        sla_at_risk: random() < 0.2,
        needs_human: random() < 0.15,
        has_staff_replied: random() < 0.5,
        closed_reason: status === 'closed' ? pick(['closed_by_staff', 'session_expired'] as const) : null,
        archived_at: random() < 0.15 ? at : null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    const messages = Math.floor(random() * 4);
    for (let m = 0; m < messages; m++) await insertMessage(o, id, random() < 0.6 ? 'inbound' : 'outbound');
    if (o === org && random() < 0.4) await markRead(org.agentId, id, random() < 0.7 ? 'end' : 'zero');
    if (o === org && random() < 0.2) await markRead(org.adminId, id, 'end');
    if (o === org && random() < 0.1) await star(org.agentId, id, true);
  }
  return ids;
}

async function contactOf(o: TestOrg): Promise<string> {
  const id = randomUUID();
  await db.insertInto('contacts').values({ id, org_id: o.orgId, name: 'Other' }).execute();
  return id;
}

async function insertMessage(o: TestOrg, conversationId: string, direction: 'inbound' | 'outbound'): Promise<void> {
  await db
    .insertInto('messages')
    .values({
      id: randomUUID(),
      org_id: o.orgId,
      conversation_id: conversationId,
      direction,
      author_type: direction === 'inbound' ? 'customer' : 'staff',
      text: direction === 'inbound' ? 'refund please' : 'on it',
      attachments: JSON.stringify([]),
      is_internal_note: false,
      created_at: new Date(),
      updated_at: new Date(),
      delivery_status: direction === 'outbound' ? pick(['sent', 'delivered', 'failed'] as const) : null,
    })
    .execute();
}

async function markRead(staffId: string, conversationId: string, to: 'end' | 'zero'): Promise<void> {
  await sql`insert into conversation_reads (conversation_id, staff_id, last_read_seq)
    values (${conversationId}, ${staffId}, ${to === 'end' ? sql`coalesce((select max(seq) from messages where conversation_id = ${conversationId}), 0)` : sql`0`})
    on conflict (conversation_id, staff_id) do update set last_read_seq = excluded.last_read_seq`.execute(db);
}

async function star(staffId: string, conversationId: string, on: boolean): Promise<void> {
  if (on)
    await db
      .insertInto('conversation_stars')
      .values({ conversation_id: conversationId, staff_id: staffId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  else await db.deleteFrom('conversation_stars').where('conversation_id', '=', conversationId).where('staff_id', '=', staffId).execute();
}

/** Every list filter alone (each value), and random combinations of two to four. */
function viewsFor(viewerId: string): ViewToCount[] {
  const single: ConversationFilters[] = [
    {},
    ...(['open', 'pending', 'snoozed', 'closed', 'active'] as const).map((status) => ({ status })),
    ...(['sms', 'whatsapp', 'email', 'telegram'] as const).map((channel) => ({ channel })),
    { inboxId: org.smsChannelId },
    { inboxId: other.smsChannelId },
    { assigneeId: null },
    { assigneeId: org.agentId },
    { assigneeId: org.adminId },
    { assigneeId: randomUUID() },
    { mineOfStaffId: viewerId },
    { teamId: teamA },
    { teamId: teamB },
    { teamOfStaffId: viewerId },
    { teamOfStaffId: org.adminId },
    { tag: 'vip' },
    { tag: ' Billing ' },
    { tag: 'none-such' },
    ...PRIORITIES.map((priority) => ({ priority })),
    { overdue: true },
    { overdue: false },
    { atRisk: true },
    { atRisk: false },
    { needsHuman: true },
    { needsHuman: false },
    { deliveryStatus: 'failed' },
    { unread: true },
    { unread: false },
    { starred: true },
    { starred: false },
    { archived: true },
    { archived: false },
    { contactId: contactIds[0]! },
    { q: 'refund' },
    ...SESSION_STATUSES.map((sessionStatus) => ({ sessionStatus })),
    { activeWithinDays: 1 },
    { activeWithinDays: 7 },
    // ids in upper case (the list's schema accepts them; SQL compares uuids in any case)
    { inboxId: org.smsChannelId.toUpperCase() },
    { assigneeId: org.agentId.toUpperCase() },
    { teamId: teamA.toUpperCase() },
    { mineOfStaffId: viewerId.toUpperCase() },
    { teamOfStaffId: viewerId.toUpperCase() },
  ];
  const combos: ConversationFilters[] = [];
  for (let i = 0; i < 60; i++) {
    const parts = 2 + Math.floor(random() * 3);
    let filters: ConversationFilters = {};
    for (let p = 0; p < parts; p++) filters = { ...filters, ...pick(single) };
    combos.push(filters);
  }
  return [...single, ...combos].map((filters) => ({ id: randomUUID(), filters }));
}

/** Expects the projection's counts to equal the SQL scan's for every view (a failure names the view's filters). */
async function expectSameCounts(counter: ViewCounter, viewerId: string, views: ViewToCount[]): Promise<void> {
  const [projected, scanned] = await Promise.all([
    counter.count(org.orgId, viewerId, views),
    countSavedViews(db, org.orgId, viewerId, views),
  ]);
  const label = (i: number) => JSON.stringify(views[i]!.filters);
  expect(projected.map((c, i) => ({ view: label(i), ...c }))).toEqual(scanned.map((c, i) => ({ view: label(i), ...c })));
}

/** One round of random writes through the tables the projection reads (as the workflows and the API write them). */
async function randomWrites(): Promise<void> {
  const ids = (await db.selectFrom('conversations').select('id').where('org_id', '=', org.orgId).execute()).map((r) => r.id);
  for (let i = 0; i < 25; i++) {
    const id = pick(ids);
    const status = pick(STATUSES);
    switch (Math.floor(random() * 9)) {
      case 0:
        await db
          .updateTable('conversations')
          .set({ status, closed_reason: status === 'closed' ? 'closed_by_staff' : null })
          .where('id', '=', id)
          .execute();
        break;
      case 1:
        await db
          .updateTable('conversations')
          .set({ assignee_id: pick([null, org.adminId, org.agentId]), team_id: pick([null, teamA, teamB]) })
          .where('id', '=', id)
          .execute();
        break;
      case 2:
        await db
          .updateTable('conversations')
          .set({ tags: pick(TAG_SETS), priority: pick(PRIORITIES), overdue: random() < 0.5, sla_at_risk: random() < 0.5 })
          .where('id', '=', id)
          .execute();
        break;
      case 3:
        await db
          .updateTable('conversations')
          .set({
            archived_at: random() < 0.5 ? new Date() : null,
            needs_human: random() < 0.3,
            last_activity_at: new Date(Date.now() - random() * 10 * 86_400_000),
          })
          .where('id', '=', id)
          .execute();
        break;
      case 4:
        await insertMessage(org, id, 'inbound');
        break;
      case 5:
        await markRead(pick([org.agentId, org.adminId]), id, pick(['end', 'zero'] as const));
        break;
      case 6:
        await star(org.agentId, id, random() < 0.5);
        break;
      case 7:
        await insertConversations(org, 2);
        break;
      default:
        await db
          .updateTable('conversations')
          .set({ unread_count: pick([0, 3]), has_staff_replied: random() < 0.5 })
          .where('id', '=', id)
          .execute();
    }
  }
  // team membership changes too (scope=team)
  if (random() < 0.5)
    await db
      .insertInto('team_members')
      .values({ team_id: teamB, staff_id: org.agentId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  else await db.deleteFrom('team_members').where('team_id', '=', teamB).where('staff_id', '=', org.agentId).execute();
}

test('every filter and random combinations count the same as the SQL scan, for two viewers', async () => {
  const counter = new ViewCounter(db);
  await expectSameCounts(counter, org.agentId, viewsFor(org.agentId));
  await expectSameCounts(counter, org.adminId, viewsFor(org.adminId));
  expect(counter.rowsHeld).toBe(240);
});

test('after rounds of random writes the refreshed projection still counts the same', async () => {
  const counter = new ViewCounter(db);
  const views = viewsFor(org.agentId);
  await expectSameCounts(counter, org.agentId, views);
  for (let round = 0; round < 8; round++) {
    await randomWrites();
    await expectSameCounts(counter, org.agentId, round % 2 === 0 ? views : viewsFor(org.agentId));
    if (round % 3 === 0) await expectSameCounts(counter, org.adminId, viewsFor(org.adminId));
  }
}, 60_000);

test('a transaction that commits after a later one is still seen (the watermark is the snapshot xmin, not the newest stamp)', async () => {
  const counter = new ViewCounter(db);
  const views: ViewToCount[] = [
    { id: randomUUID(), filters: { tag: 'late' } },
    { id: randomUUID(), filters: { tag: 'early' } },
  ];
  await counter.count(org.orgId, org.agentId, views);
  const [late, early] = (await db.selectFrom('conversations').select('id').where('org_id', '=', org.orgId).limit(2).execute()).map(
    (r) => r.id,
  );
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const isStarted = new Promise<void>((resolve) => (started = resolve));
  // T1 (older xid) tags `late` and waits; T2 (newer) tags `early` and commits first
  const t1 = db.transaction().execute(async (trx) => {
    await trx
      .updateTable('conversations')
      .set({ tags: ['late'] })
      .where('id', '=', late!)
      .execute();
    started();
    await held;
  });
  await isStarted;
  await db
    .updateTable('conversations')
    .set({ tags: ['early'] })
    .where('id', '=', early!)
    .execute();
  expect((await counter.count(org.orgId, org.agentId, views)).map((c) => c.total)).toEqual([0, 1]);
  release();
  await t1;
  expect((await counter.count(org.orgId, org.agentId, views)).map((c) => c.total)).toEqual([1, 1]);
  await expectSameCounts(counter, org.agentId, views);
});

test('concurrent counts of one org are applied in order and agree with the scan', async () => {
  const counter = new ViewCounter(db);
  const views = viewsFor(org.agentId);
  await Promise.all([randomWrites(), counter.count(org.orgId, org.agentId, views), counter.count(org.orgId, org.adminId, views)]);
  await expectSameCounts(counter, org.agentId, views);
});

test('an org that does not fit the memory budget is counted in SQL; other orgs, then viewers, are dropped least recently used first', async () => {
  const views = viewsFor(org.agentId);
  const small = new ViewCounter(db, { maxBytes: 5_000, loadChunkRows: 50 });
  await expectSameCounts(small, org.agentId, views);
  expect(small.rowsHeld).toBe(0);
  const none = new ViewCounter(db, { maxBytes: 0 });
  await expectSameCounts(none, org.agentId, views);
  expect(none.rowsHeld).toBe(0);

  const sizing = new ViewCounter(db);
  await sizing.count(other.orgId, other.adminId, [{ id: randomUUID(), filters: {} }]);
  const otherBytes = sizing.bytesHeld;
  await sizing.count(org.orgId, org.agentId, views);
  const orgBytes = sizing.bytesHeld - otherBytes;
  const orgRows = sizing.rowsHeld - 30;
  const budget = new ViewCounter(db, { maxBytes: orgBytes + otherBytes - 1 });
  await budget.count(other.orgId, other.adminId, [{ id: randomUUID(), filters: {} }]);
  expect(budget.rowsHeld).toBe(30);
  await expectSameCounts(budget, org.agentId, views);
  // the org counted last stays; the other one (30 rows) was dropped to stay within the budget
  expect(budget.rowsHeld).toBe(orgRows);
  const [otherCount] = await budget.count(other.orgId, other.adminId, [{ id: randomUUID(), filters: {} }]);
  expect(otherCount!.total).toBe(30);

  // one viewer per org: the admin's count drops the agent's read markers; the agent's next count reloads them
  const oneViewer = new ViewCounter(db, { maxViewersPerOrg: 1 });
  await expectSameCounts(oneViewer, org.agentId, views);
  await expectSameCounts(oneViewer, org.adminId, viewsFor(org.adminId));
  await randomWrites();
  await expectSameCounts(oneViewer, org.agentId, views);
});

test('loading in chunks, a bulk change larger than a chunk, and many changes between counts (the change log resets) count the same', async () => {
  const counter = new ViewCounter(db, { loadChunkRows: 7 });
  const views = viewsFor(org.agentId);
  await expectSameCounts(counter, org.agentId, views);
  for (let round = 0; round < 20; round++) {
    // every conversation changes (more than a chunk), with tag sets never seen before (the tag-set table compacts)
    await sql`update conversations set priority = (array['low', 'normal', 'high', 'urgent'])[1 + floor(random() * 4)::int],
        tags = case when random() < 0.5 then array['vip', 'round-' || ${round} || '-' || id::text] else array[]::text[] end
      where org_id = ${org.orgId}`.execute(db);
    if (round % 5 === 4) await expectSameCounts(counter, org.agentId, views);
    else await counter.count(org.orgId, org.agentId, views);
  }
  await randomWrites();
  await expectSameCounts(counter, org.agentId, views);
}, 60_000);
