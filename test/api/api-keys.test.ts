/**
 * API keys (issue 10): created by an admin and shown once, only a SHA-256 hash at rest, `Bearer sb_…`
 * on reads and writes acting as the org (and as the creating admin for authored rows), scopes
 * (`read` → 403 `insufficient_scope` on a write; `admin` needed for admin routes), revocation → 401,
 * another org's key → 404, `last_used_at` (written at most once a minute), audit entries, and the
 * admin CLI's `create-api-key` on a fresh database (run as a child process, actor `system`).
 * Real Postgres and the real Express app (no Temporal: these routes never reach it).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { signStaffToken } from '../../api/auth';
import { createDb, type Db } from '../../db/client';
import { deactivateStaff } from '../../db/staff-auth';
import { runAdminCli, scratchDatabase } from '../support/admin-cli';
import { appWithoutTemporal } from '../support/app-without-temporal';
import { bearerRequests } from '../support/bearer-requests';
import { globalResources } from '../support/global-resources';
import { createTestOrg, JWT_SECRET, type TestOrg } from '../support/harness';
import { insertConversation } from './db-fixtures';
import { expectError } from './rest-helpers';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

describe('API keys through the API (shared test database)', () => {
  let db: Db;
  let app: Express;
  let org: TestOrg;
  let other: TestOrg;
  let adminJwt: string;
  let agentJwt: string;
  const as = (token: string) => bearerRequests(app, token);

  /** Creates a key as the org's admin (JWT) and returns the 201 body. */
  async function createKey(scopes: string[], name = `key ${scopes.join('+')}`) {
    const res = await as(adminJwt).post('/v1/api-keys', { name, scopes });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string; prefix: string; scopes: string[]; createdBy: string | null };
  }

  beforeAll(async () => {
    db = createDb(globalResources().databaseUrl, { max: 4 });
    app = appWithoutTemporal(db);
    org = await createTestOrg(db);
    other = await createTestOrg(db);
    adminJwt = signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' });
    agentJwt = signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'agent' });
  });
  afterAll(async () => {
    await db?.destroy();
  });

  test('created once-shown and hashed at rest; listed without the secret; audited', async () => {
    const res = await as(adminJwt).post('/v1/api-keys', { name: '  CRM sync ', scopes: ['write', 'read', 'write'] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'CRM sync',
      prefix: res.body.key.slice(0, 12),
      scopes: ['read', 'write'],
      createdBy: org.adminId,
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
      key: expect.stringMatching(/^sb_[A-Za-z0-9_-]{43}$/),
    });
    const key = res.body.key as string;

    // at rest: the hash of the whole key, never the key
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(sha256(key));
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row.prefix).toBe(key.slice(0, 12));

    const list = await as(adminJwt).get('/v1/api-keys');
    expect(list.status).toBe(200);
    const listed = (list.body.data as { id: string }[]).find((k) => k.id === res.body.id);
    expect(listed).toEqual({ ...res.body, key: undefined });
    expect(Object.keys(listed!)).not.toContain('key');
    expect(list.text).not.toContain(key);

    const audit = await db.selectFrom('audit_log').selectAll().where('target_id', '=', res.body.id).execute();
    expect(audit).toEqual([
      expect.objectContaining({ org_id: org.orgId, actor_type: 'staff', actor_id: org.adminId, action: 'api_key.create', before: null }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(key);

    // validation
    for (const body of [{ name: 'x', scopes: [] }, { name: '', scopes: ['read'] }, { name: 'x', scopes: ['root'] }, { name: 'x' }]) {
      expectError(await as(adminJwt).post('/v1/api-keys', body), 400, 'validation_failed');
    }
  });

  test('a write key works as a bearer on a GET and a write, acting as the org and its creating admin', async () => {
    const { key, id } = await createKey(['write']);
    const conversationId = await insertConversation(db, org);
    const listed = await as(key).get('/v1/conversations');
    expect(listed.status).toBe(200);
    expect((listed.body.data as { id: string }[]).map((c) => c.id)).toContain(conversationId);

    const todo = await as(key).post('/v1/todos', { title: 'Call back', sourceType: 'inbox', sourceId: conversationId });
    expect(todo.status).toBe(201);
    expect(todo.body).toMatchObject({ createdByType: 'staff', createdBy: org.adminId });
    const me = await as(key).get('/v1/me');
    expect(me.body).toMatchObject({ id: org.adminId, orgId: org.orgId });

    // acting as its org: another org's conversation is 404
    const theirs = await insertConversation(db, other);
    expectError(await as(key).get(`/v1/conversations/${theirs}`), 404, 'not_found');
    expectError(await as(key).get('/v1/me').set('X-Org-Id', other.orgId), 403, 'forbidden');

    // write does not include admin: admin routes answer 403 as for an agent
    expectError(await as(key).get('/v1/api-keys'), 403, 'forbidden');
    expectError(await as(key).get('/v1/audit-log'), 403, 'forbidden');
    expectError(await as(key).put('/v1/ai-assistant', { enabled: false }), 403, 'forbidden');

    // last_used_at is set, and not written again within a minute
    const first = await db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(first.last_used_at).toBeInstanceOf(Date);
    const stale = new Date(Date.now() - 30_000);
    await db.updateTable('api_keys').set({ last_used_at: stale }).where('id', '=', id).execute();
    expect((await as(key).get('/v1/me')).status).toBe(200);
    const unchanged = await db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(unchanged.last_used_at?.getTime()).toBe(stale.getTime());
    await db
      .updateTable('api_keys')
      .set({ last_used_at: new Date(Date.now() - 61_000) })
      .where('id', '=', id)
      .execute();
    expect((await as(key).get('/v1/me')).status).toBe(200);
    const touched = await db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(touched.last_used_at!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  test('a read key: GET works, any write is 403 insufficient_scope (and changes nothing)', async () => {
    const { key } = await createKey(['read']);
    const conversationId = await insertConversation(db, org);
    expect((await as(key).get('/v1/todos')).status).toBe(200);
    expect((await as(key).head('/v1/todos')).status).toBe(200);
    const refused = expectError(
      await as(key).post('/v1/todos', { title: 'Nope', sourceType: 'inbox', sourceId: conversationId }),
      403,
      'insufficient_scope',
    );
    expect(refused.error.details).toEqual({ scopes: ['read'] });
    expect(await db.selectFrom('todos').select('id').where('source_id', '=', conversationId).execute()).toEqual([]);
    expectError(await as(key).delete(`/v1/api-keys/${randomUUID()}`), 403, 'insufficient_scope');
  });

  test('an admin key reaches admin routes (it can list, create and revoke keys itself)', async () => {
    const { key, id } = await createKey(['admin']);
    const list = await as(key).get('/v1/api-keys');
    expect(list.status).toBe(200);
    expect((list.body.data as { id: string }[]).map((k) => k.id)).toContain(id);
    expect((await as(key).get('/v1/audit-log')).status).toBe(200);
    // admin includes write
    const made = await as(key).post('/v1/api-keys', { name: 'made by a key', scopes: ['read'] });
    expect(made.status).toBe(201);
    expect(made.body.createdBy).toBe(org.adminId);
    expect((await as(key).delete(`/v1/api-keys/${made.body.id}`)).status).toBe(204);
    const audit = await db
      .selectFrom('audit_log')
      .select(['action', 'actor_type', 'actor_id'])
      .where('target_id', '=', made.body.id)
      .orderBy('created_at')
      .execute();
    expect(audit).toEqual([
      { action: 'api_key.create', actor_type: 'api_key', actor_id: id },
      { action: 'api_key.revoke', actor_type: 'api_key', actor_id: id },
    ]);
  });

  test('agents get 403 on every /v1/api-keys route', async () => {
    const { id } = await createKey(['read']);
    expectError(await as(agentJwt).get('/v1/api-keys'), 403, 'forbidden');
    expectError(await as(agentJwt).post('/v1/api-keys', { name: 'x', scopes: ['read'] }), 403, 'forbidden');
    expectError(await as(agentJwt).delete(`/v1/api-keys/${id}`), 403, 'forbidden');
  });

  test('revoked or unknown keys → 401; revoking again → 204; another org’s key id → 404', async () => {
    const { key, id } = await createKey(['read', 'write']);
    expect((await as(key).get('/v1/me')).status).toBe(200);
    expect((await as(adminJwt).delete(`/v1/api-keys/${id}`)).status).toBe(204);
    expectError(await as(key).get('/v1/me'), 401, 'unauthorized');
    expect((await as(adminJwt).delete(`/v1/api-keys/${id}`)).status).toBe(204);
    const revocations = await db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', id)
      .where('action', '=', 'api_key.revoke')
      .execute();
    expect(revocations).toHaveLength(1);
    const listed = await as(adminJwt).get('/v1/api-keys');
    expect((listed.body.data as { id: string; revokedAt: string | null }[]).find((k) => k.id === id)?.revokedAt).toEqual(
      expect.any(String),
    );

    expectError(await as(`sb_${'A'.repeat(43)}`).get('/v1/me'), 401, 'unauthorized');
    expectError(await as('sb_').get('/v1/me'), 401, 'unauthorized');

    // another org's admin cannot see or revoke our key
    const otherAdmin = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
    const ours = await createKey(['read']);
    expectError(await as(otherAdmin).delete(`/v1/api-keys/${ours.id}`), 404, 'not_found');
    expectError(await as(otherAdmin).delete(`/v1/api-keys/${randomUUID()}`), 404, 'not_found');
    expectError(await as(otherAdmin).delete('/v1/api-keys/not-a-uuid'), 400, 'validation_failed');
    const theirList = await as(otherAdmin).get('/v1/api-keys');
    expect((theirList.body.data as { id: string }[]).map((k) => k.id)).not.toContain(ours.id);
    expect((await as(ours.key).get('/v1/me')).status).toBe(200);
  });

  test('a key never has more rights than its creator has now: deactivated → 401, demoted → no admin routes', async () => {
    const third = await createTestOrg(db);
    const thirdAdmin = signStaffToken(JWT_SECRET, { userId: third.adminId, orgId: third.orgId, role: 'admin' });
    // the agent becomes an admin, makes an admin key, and is demoted again
    await db.updateTable('staff_users').set({ role: 'admin' }).where('id', '=', third.agentId).execute();
    const promoted = signStaffToken(JWT_SECRET, { userId: third.agentId, orgId: third.orgId, role: 'admin' });
    const adminKey = await as(promoted).post('/v1/api-keys', { name: 'automation', scopes: ['admin'] });
    expect(adminKey.status).toBe(201);
    expect((await as(adminKey.body.key).get('/v1/api-keys')).status).toBe(200);
    await db.updateTable('staff_users').set({ role: 'agent' }).where('id', '=', third.agentId).execute();
    expectError(await as(adminKey.body.key).get('/v1/api-keys'), 403, 'forbidden');
    expect((await as(adminKey.body.key).get('/v1/me')).status).toBe(200);

    const created = await as(thirdAdmin).post('/v1/api-keys', { name: 'integration', scopes: ['read'] });
    expect(created.status).toBe(201);
    expect((await as(created.body.key).get('/v1/me')).body).toMatchObject({ id: third.adminId, orgId: third.orgId });
    await deactivateStaff(db, third.adminId);
    expectError(await as(created.body.key).get('/v1/me'), 401, 'unauthorized');
    // reactivated, the key works again (revoking it is what ends it for good)
    await db.updateTable('staff_users').set({ deactivated_at: null }).where('id', '=', third.adminId).execute();
    expect((await as(created.body.key).get('/v1/me')).status).toBe(200);
  });
});

describe('create-api-key in the admin CLI on a fresh database', () => {
  const scratch = scratchDatabase('switchboard_apikeys');
  let db: Db | undefined;

  /** Runs `npm run admin -- …` (as `node --import tsx scripts/admin.ts …`) against the fresh database. */
  const admin = (...args: string[]) => runAdminCli(scratch.url, args);

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  });

  test('by org name, printed once, works as the org (acting as its oldest active admin), audited as system', async () => {
    const org = await admin('create-org', '--name', 'Key Corp', '--admin-email', 'ops@keycorp.test');
    expect(org.code).toBe(0);
    const orgId = /org ([0-9a-f-]{36})/.exec(org.stdout)![1]!;
    const adminId = /\(([0-9a-f-]{36})\)/.exec(org.stdout)![1]!;

    const created = await admin('create-api-key', '--org', 'key corp', '--name', 'Zapier', '--scopes', 'read, write');
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(
      new RegExp(`^created: API key [0-9a-f-]{36} "Zapier" in org ${orgId} "Key Corp", scopes read,write$`, 'm'),
    );
    const key = /^key: (sb_\S+)$/m.exec(created.stdout)![1]!;
    const keyId = /API key ([0-9a-f-]{36})/.exec(created.stdout)![1]!;
    expect((await admin('create-api-key', '--org', orgId, '--name', 'by id', '--scopes', 'admin')).code).toBe(0);

    // usage errors: exit code 2
    expect((await admin('create-api-key', '--org', 'No Such Org', '--name', 'x', '--scopes', 'read')).code).toBe(2);
    expect((await admin('create-api-key', '--org', orgId, '--name', 'x', '--scopes', 'read,root')).code).toBe(2);
    expect((await admin('create-api-key', '--org', orgId, '--scopes', 'read')).code).toBe(2);
    expect((await admin('list-orgs')).stdout).toContain(orgId);

    db = createDb(scratch.url, { max: 2 });
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: orgId, name: 'Zapier', scopes: ['read', 'write'], created_by: null, key_hash: sha256(key) });

    const app = appWithoutTemporal(db);
    const as = (token: string) => bearerRequests(app, token);
    const me = await as(key).get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: adminId, orgId });

    // the CLI's actions are in the audit log with actor system
    const audit = await db
      .selectFrom('audit_log')
      .select(['actor_type', 'actor_id', 'action', 'target_id'])
      .orderBy('created_at')
      .execute();
    expect(audit).toEqual([
      { actor_type: 'system', actor_id: null, action: 'org.create', target_id: orgId },
      { actor_type: 'system', actor_id: null, action: 'api_key.create', target_id: keyId },
      { actor_type: 'system', actor_id: null, action: 'api_key.create', target_id: expect.any(String) },
    ]);

    // with no active admin left, a CLI-created key has no one to act as: 401
    expect((await admin('deactivate', '--email', 'ops@keycorp.test')).code).toBe(0);
    expectError(await as(key).get('/v1/me'), 401, 'unauthorized');
    const deactivation = await db.selectFrom('audit_log').selectAll().where('action', '=', 'staff.deactivate').executeTakeFirstOrThrow();
    expect(deactivation).toMatchObject({
      actor_type: 'system',
      target_type: 'staff',
      target_id: adminId,
      before: { email: 'ops@keycorp.test', role: 'admin', deactivatedAt: null },
      after: { email: 'ops@keycorp.test', role: 'admin', deactivatedAt: expect.any(String) },
    });
  }, 120_000);
});
