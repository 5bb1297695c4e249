/**
 * `GET /v1/audit-log` (issue 10): admins only (agents and non-admin API keys → 403), the org's entries
 * only, newest first with keyset pagination (stable across equal and microsecond timestamps), the
 * `action` / `targetType` / `targetId` / `actorId` filters, actor names (staff user, API key, none for
 * `system`), and entries written by real admin actions. Real Postgres and the real Express app.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import { recordAudit } from '../../db/audit-log';
import { createDb, type Db } from '../../db/client';
import { appWithoutTemporal } from '../support/app-without-temporal';
import { globalResources } from '../support/global-resources';
import { createTestOrg, JWT_SECRET, type TestOrg } from '../support/harness';
import { expectError } from './rest-helpers';

interface Entry {
  id: string;
  actor: { type: string; id: string | null; name?: string };
  action: string;
  target: { type: string; id: string | null };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

let db: Db;
let app: Express;
let org: TestOrg;
let other: TestOrg;
let adminJwt: string;
/** The ids of the seeded entries, newest first (by exact created_at, then id, both descending). */
let seededNewestFirst: string[];
const keyId = randomUUID();
const targetA = randomUUID();

const get = (path: string, token = adminJwt) => request(app).get(path).set('Authorization', `Bearer ${token}`);

/** Every entry of `query`, following `nextCursor` with `limit` per page; also returns the page sizes. */
async function all(query: string, limit: number): Promise<{ entries: Entry[]; pages: number[] }> {
  const entries: Entry[] = [];
  const pages: number[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(`/v1/audit-log?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    entries.push(...(res.body.data as Entry[]));
    pages.push(res.body.data.length);
    cursor = res.body.nextCursor as string | null;
  } while (cursor !== null && pages.length < 50);
  return { entries, pages };
}

beforeAll(async () => {
  db = createDb(globalResources().databaseUrl, { max: 4 });
  app = appWithoutTemporal(db);
  org = await createTestOrg(db);
  other = await createTestOrg(db);
  adminJwt = signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' });
  await db
    .insertInto('api_keys')
    .values({
      id: keyId,
      org_id: org.orgId,
      name: 'Billing sync',
      prefix: 'sb_x',
      key_hash: randomUUID(),
      scopes: ['admin'],
      created_by: org.adminId,
    })
    .execute();
  // seven entries; three share one timestamp, two differ by a microsecond
  const entry = (
    second: string,
    actor_type: 'system' | 'staff' | 'api_key',
    actor_id: string | null,
    action: string,
    target_type: string,
    target_id: string,
  ) => ({ at: `2026-03-01T10:00:${second}Z`, actor_type, actor_id, action, target_type, target_id });
  const seed = [
    entry('00.000000', 'system', null, 'org.create', 'org', org.orgId),
    entry('01.000000', 'staff', org.adminId, 'channel.create', 'channel', targetA),
    entry('02.000000', 'staff', org.adminId, 'channel.update', 'channel', targetA),
    entry('02.000000', 'api_key', keyId, 'channel.update', 'channel', targetA),
    entry('02.000000', 'api_key', keyId, 'staff.update', 'staff', org.agentId),
    entry('03.000001', 'staff', org.adminId, 'staff.deactivate', 'staff', org.agentId),
    entry('03.000002', 'system', null, 'staff.reset_password', 'staff', org.adminId),
  ];
  const rows = await db
    .insertInto('audit_log')
    .values(
      seed.map((s, i) => ({
        org_id: org.orgId,
        actor_type: s.actor_type,
        actor_id: s.actor_id,
        action: s.action,
        target_type: s.target_type,
        target_id: s.target_id,
        before: i === 0 ? null : JSON.stringify({ step: i - 1 }),
        after: JSON.stringify({ step: i }),
        created_at: s.at,
      })),
    )
    .returning(['id', 'created_at'])
    .execute();
  // the expected order, computed independently of the API: Postgres's own sort
  const ordered = await db
    .selectFrom('audit_log')
    .select('id')
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  seededNewestFirst = ordered.map((r) => r.id);
  // another org's entry, which must never show
  await recordAudit(db, {
    orgId: other.orgId,
    actor: { type: 'system' },
    action: 'channel.update',
    targetType: 'channel',
    targetId: targetA,
  });
});
afterAll(async () => {
  await db?.destroy();
});

test('newest first, every page follows the last, the same across page sizes; only the org’s entries', async () => {
  const whole = await all('', 100);
  expect(whole.entries.map((e) => e.id)).toEqual(seededNewestFirst);
  for (const limit of [1, 2, 3]) {
    const paged = await all('', limit);
    expect(paged.entries.map((e) => e.id)).toEqual(seededNewestFirst);
    expect(paged.pages.every((n) => n <= limit)).toBe(true);
  }
  expect((await all('', 3)).pages).toEqual([3, 3, 1]);
  const first = whole.entries[0]!;
  expect(first).toEqual({
    id: seededNewestFirst[0],
    actor: { type: 'system', id: null },
    action: 'staff.reset_password',
    target: { type: 'staff', id: org.adminId },
    before: { step: 5 },
    after: { step: 6 },
    createdAt: '2026-03-01T10:00:03.000Z',
  });
  const last = whole.entries.at(-1)!;
  expect(last).toMatchObject({ action: 'org.create', before: null, after: { step: 0 } });
});

test('filters: action, targetType, targetId, actorId (combined with AND, paged)', async () => {
  const actions = async (query: string) => (await all(query, 2)).entries.map((e) => e.action);
  expect(await actions('&action=channel.update')).toEqual(['channel.update', 'channel.update']);
  expect(await actions('&targetType=staff')).toEqual(['staff.reset_password', 'staff.deactivate', 'staff.update']);
  expect(await actions(`&targetId=${targetA}`)).toHaveLength(3);
  expect(await actions(`&targetId=${targetA}&action=channel.create`)).toEqual(['channel.create']);
  const byKey = (await all(`&actorId=${keyId}`, 1)).entries;
  expect(byKey.map((e) => e.action).sort()).toEqual(['channel.update', 'staff.update']);
  expect(byKey.every((e) => e.actor.type === 'api_key' && e.actor.name === 'Billing sync')).toBe(true);
  const byAdmin = (await all(`&actorId=${org.adminId}&targetType=channel`, 10)).entries;
  expect(byAdmin.map((e) => e.action)).toEqual(['channel.update', 'channel.create']);
  expect(byAdmin[0]!.actor).toEqual({ type: 'staff', id: org.adminId, name: 'Ada Admin' });
  expect(await actions('&action=nothing.like.this')).toEqual([]);
});

test('entries written by the API keys routes show up with their actor', async () => {
  const created = await request(app)
    .post('/v1/api-keys')
    .set('Authorization', `Bearer ${adminJwt}`)
    .send({ name: 'Audit me', scopes: ['read'] });
  expect(created.status).toBe(201);
  const res = await get(`/v1/audit-log?targetId=${created.body.id}`);
  expect(res.body.data).toEqual([
    expect.objectContaining({
      actor: { type: 'staff', id: org.adminId, name: 'Ada Admin' },
      action: 'api_key.create',
      target: { type: 'api_key', id: created.body.id },
      before: null,
      after: expect.objectContaining({ id: created.body.id, name: 'Audit me', scopes: ['read'] }),
    }),
  ]);
  expect(res.text).not.toContain(created.body.key);
});

test('agents and non-admin keys → 403; bad queries → 400', async () => {
  const agentJwt = signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'agent' });
  expectError(await get('/v1/audit-log', agentJwt), 403, 'forbidden');
  const key = await request(app)
    .post('/v1/api-keys')
    .set('Authorization', `Bearer ${adminJwt}`)
    .send({ name: 'reader', scopes: ['read', 'write'] });
  expectError(await get('/v1/audit-log', key.body.key), 403, 'forbidden');
  expectError(await get('/v1/audit-log?cursor=not-a-cursor'), 400, 'invalid_cursor');
  expectError(await get('/v1/audit-log?actorId=someone'), 400, 'validation_failed');
  expectError(await get('/v1/audit-log?limit=0'), 400, 'validation_failed');
  expectError(await get('/v1/audit-log?limit=101'), 400, 'validation_failed');
  expectError(await get('/v1/audit-log?sort=asc'), 400, 'validation_failed');
  expectError(await request(app).get('/v1/audit-log'), 401, 'unauthorized');
});
