/**
 * Authentication (every `staff` route of the registry), org scoping, `/v1/me`, `/healthz`, `/openapi.json`
 * and unknown routes, through the real Express app (real Postgres, real worker on the shared Temporal dev server).
 */
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createApp } from '../../api/app';
import { openApiPath } from '../../api/http/define-route';
import { API_ROUTES } from '../../api/routes';
import { signStaffToken } from '../../api/auth';
import { createDb } from '../../db/client';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone, type TestOrg, testApiDeps } from '../support/harness';
import { expressRoutes } from '../support/routes';
import { api, type ConversationBody, expectError, inboundAndWait, listAll, type Page } from './rest-helpers';

/** The routes that take a staff JWT, from the route registry. */
const STAFF_ROUTES = API_ROUTES.filter((r) => r.auth === 'staff');
/** The routes only admins may call (`role: 'admin'` in their declaration). */
const ADMIN_ROUTES = API_ROUTES.filter((r) => r.role === 'admin');

let h: Harness;
let other: TestOrg;
let otherToken: string;
let conversation: ConversationBody;
let contactId: string;

beforeAll(async () => {
  h = await createHarness();
  other = await createTestOrg(h.db);
  otherToken = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
  conversation = await inboundAndWait(h, randomPhone(), { body: 'Where is my parcel?' });
  const contact = await api(h).post('/v1/contacts', { name: 'Grace', email: `grace-${randomUUID()}@example.test` });
  expect(contact.status).toBe(201);
  contactId = (contact.body as { id: string }).id;
});
afterAll(async () => {
  await h?.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('bearer token', () => {
  const claims = () => ({ sub: h.org.adminId, org: h.org.orgId, role: 'admin' });

  test('a valid HS256 token signed with JWT_SECRET is accepted (hand-built claims sub/org/role/exp)', async () => {
    const token = jwt.sign({ ...claims(), exp: nowSeconds() + 60 }, JWT_SECRET, { algorithm: 'HS256' });
    const res = await request(h.app).get('/v1/me').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: h.org.adminId, orgId: h.org.orgId });
  });

  test('missing Authorization header → 401 with the error shape', async () => {
    const res = await request(h.app).get(`/v1/conversations/${conversation.id}`);
    const body = expectError(res, 401, 'unauthorized');
    expect(body.error.details).toBeNull();
    expect(res.body).not.toHaveProperty('id');
  });

  test.each([
    ['not a bearer scheme', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['empty bearer', () => 'Bearer '],
    ['garbage token', () => 'Bearer not-a-jwt'],
    ['truncated signature', () => `Bearer ${h.tokens.admin.slice(0, -5)}`],
    [
      'wrong secret',
      () => `Bearer ${jwt.sign({ ...claims(), exp: nowSeconds() + 60 }, 'some-other-secret-0123456789abcdef', { algorithm: 'HS256' })}`,
    ],
    ['alg none', () => `Bearer ${jwt.sign({ ...claims(), exp: nowSeconds() + 60 }, '', { algorithm: 'none' })}`],
    ['HS512 instead of HS256', () => `Bearer ${jwt.sign({ ...claims(), exp: nowSeconds() + 60 }, JWT_SECRET, { algorithm: 'HS512' })}`],
    [
      'no org claim',
      () => `Bearer ${jwt.sign({ sub: h.org.adminId, role: 'admin', exp: nowSeconds() + 60 }, JWT_SECRET, { algorithm: 'HS256' })}`,
    ],
    ['no exp claim', () => `Bearer ${jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS256', noTimestamp: true })}`],
    [
      'unknown role',
      () => `Bearer ${jwt.sign({ ...claims(), role: 'owner', exp: nowSeconds() + 60 }, JWT_SECRET, { algorithm: 'HS256' })}`,
    ],
    ['sub not a uuid', () => `Bearer ${jwt.sign({ ...claims(), sub: 'ada', exp: nowSeconds() + 60 }, JWT_SECRET, { algorithm: 'HS256' })}`],
  ])('%s → 401', async (_name, header) => {
    const res = await request(h.app).get('/v1/conversations').set('Authorization', header());
    const body = expectError(res, 401, 'unauthorized');
    expect(body).not.toHaveProperty('data');
  });

  test('expired token → 401 token_expired', async () => {
    const expired = jwt.sign({ ...claims(), exp: nowSeconds() - 30 }, JWT_SECRET, { algorithm: 'HS256' });
    expectError(await request(h.app).get('/v1/me').set('Authorization', `Bearer ${expired}`), 401, 'token_expired');
    const viaHelper = signStaffToken(JWT_SECRET, { userId: h.org.adminId, orgId: h.org.orgId, role: 'admin' }, -10);
    expectError(await request(h.app).get('/v1/conversations').set('Authorization', `Bearer ${viaHelper}`), 401, 'token_expired');
  });

  test('401 is returned before validation and before any command reaches the workflow', async () => {
    const res = await request(h.app).post(`/v1/conversations/${conversation.id}/status`).send({ status: 'closed' });
    expectError(res, 401, 'unauthorized');
    const after = await api(h).get(`/v1/conversations/${conversation.id}`);
    expect((after.body as ConversationBody).status).toBe('open');
  });
});

describe('every staff route of the registry', () => {
  /** The route's path with a fresh UUID for each `:param`. */
  const concrete = (path: string) => path.replace(/:\w+/g, () => randomUUID());

  test('the app serves exactly the registry (and GET /openapi.json)', () => {
    const served = expressRoutes(h.app).map((r) => `${r.method} ${r.path}`);
    const declared = API_ROUTES.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`);
    expect(served.sort()).toEqual([...declared, 'GET /openapi.json'].sort());
  });

  test.each(STAFF_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    '%s without a token → 401, with a token of another org id header → 403',
    async (_name, route) => {
      const path = concrete(route.path);
      expectError(await request(h.app)[route.method](path), 401, 'unauthorized');
      expectError(await request(h.app)[route.method](path).set('Authorization', h.auth).set('X-Org-Id', randomUUID()), 403, 'forbidden');
    },
  );

  test('admin-only routes are declared (role: admin)', () => {
    expect(ADMIN_ROUTES.length).toBeGreaterThan(0);
    for (const route of ADMIN_ROUTES) expect(route.auth).toBe('staff');
  });

  test.each(ADMIN_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    '%s with an agent token → 403 forbidden before the request is read',
    async (_name, route) => {
      const path = concrete(route.path);
      // a body that fails every schema: the role check answers first
      const res = await request(h.app)[route.method](path).set('Authorization', `Bearer ${h.tokens.agent}`).send({ '\u0000': 1 });
      expectError(res, 403, 'forbidden');
    },
  );
});

describe('X-Org-Id', () => {
  test('equal to the token org → OK', async () => {
    const res = await api(h).get(`/v1/conversations/${conversation.id}`).set('X-Org-Id', h.org.orgId);
    expect(res.status).toBe(200);
    expect((res.body as ConversationBody).id).toBe(conversation.id);
  });

  test('different from the token org → 403 (even when it is a real org)', async () => {
    expectError(await api(h).get('/v1/conversations').set('X-Org-Id', other.orgId), 403, 'forbidden');
    expectError(await api(h).get('/v1/me').set('X-Org-Id', randomUUID()), 403, 'forbidden');
    const cmd = await api(h).post(`/v1/conversations/${conversation.id}/status`, { status: 'closed' }).set('X-Org-Id', other.orgId);
    expectError(cmd, 403, 'forbidden');
    const after = await api(h).get(`/v1/conversations/${conversation.id}`);
    expect((after.body as ConversationBody).status).toBe('open');
  });
});

describe('org scoping: another org sees nothing of ours', () => {
  test('reads of our conversation, its messages and our contact → 404', async () => {
    const as = api(h, otherToken);
    expectError(await as.get(`/v1/conversations/${conversation.id}`), 404, 'not_found');
    expectError(await as.get(`/v1/conversations/${conversation.id}/messages`), 404, 'not_found');
    expectError(await as.get(`/v1/contacts/${conversation.contact.id}`), 404, 'not_found');
    expectError(await as.get(`/v1/contacts/${contactId}`), 404, 'not_found');
    expectError(await as.post(`/v1/contacts/${contactId}/conversations`, { channel: 'sms' }), 404, 'not_found');
  });

  test('commands on our conversation → 404 and nothing changes', async () => {
    const as = api(h, otherToken);
    expectError(await as.post(`/v1/conversations/${conversation.id}/status`, { status: 'closed' }), 404, 'not_found');
    expectError(await as.post(`/v1/conversations/${conversation.id}/assign`, { assigneeId: other.adminId }), 404, 'not_found');
    expectError(await as.patch(`/v1/conversations/${conversation.id}`, { tags: ['pwned'] }), 404, 'not_found');
    expectError(await as.post(`/v1/conversations/${conversation.id}/messages`, { text: 'hi from elsewhere' }), 404, 'not_found');

    const after = (await api(h).get(`/v1/conversations/${conversation.id}`)).body as ConversationBody;
    expect(after).toMatchObject({ status: 'open', assigneeId: null, tags: [], unreadCount: 1 });
    const messages = (await api(h).get(`/v1/conversations/${conversation.id}/messages`)).body as Page<{ text: string }>;
    expect(messages.data.map((m) => m.text)).toEqual(['Where is my parcel?']);
    expect(h.twilioStub!.requests.some((r) => r.form.Body === 'hi from elsewhere')).toBe(false);
  });

  test("the other org's list does not contain our conversation, ours does", async () => {
    expect((await listAll(h, '', otherToken)).map((c) => c.id)).not.toContain(conversation.id);
    expect((await listAll(h)).map((c) => c.id)).toContain(conversation.id);
  });
});

describe('GET /v1/me', () => {
  test('returns the admin and the org', async () => {
    const res = await api(h).get('/v1/me');
    expect(res.status).toBe(200);
    const org = await h.db.selectFrom('orgs').select('name').where('id', '=', h.org.orgId).executeTakeFirstOrThrow();
    expect(res.body).toEqual({
      id: h.org.adminId,
      orgId: h.org.orgId,
      email: `admin-${h.org.adminId}@example.test`,
      name: 'Ada Admin',
      role: 'admin',
      org: { id: h.org.orgId, name: org.name },
      teams: [],
    });
  });

  test('returns the agent for the agent token, and the other org for its token', async () => {
    expect((await api(h, h.tokens.agent).get('/v1/me')).body).toMatchObject({
      id: h.org.agentId,
      role: 'agent',
      name: 'Alan Agent',
      org: { id: h.org.orgId },
    });
    expect((await api(h, otherToken).get('/v1/me')).body).toMatchObject({
      id: other.adminId,
      orgId: other.orgId,
      org: { id: other.orgId },
    });
  });

  test('a validly signed token for a user that does not exist (or is in another org) → 401', async () => {
    const ghost = signStaffToken(JWT_SECRET, { userId: randomUUID(), orgId: h.org.orgId, role: 'admin' });
    expectError(await api(h, ghost).get('/v1/me'), 401, 'unauthorized');
    const crossed = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: h.org.orgId, role: 'admin' });
    expectError(await api(h, crossed).get('/v1/me'), 401, 'unauthorized');
  });
});

describe('public endpoints', () => {
  test('GET /healthz needs no auth and reports database and Temporal', async () => {
    const res = await request(h.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: true, temporal: true });
  });

  test('GET /healthz answers 503 degraded when the database is unreachable', async () => {
    const deadDb = createDb('postgres://nobody@127.0.0.1:1/nothing', { max: 1 });
    try {
      const app = createApp(testApiDeps({ db: deadDb, conversations: h.conversations }));
      const res = await request(app).get('/healthz');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'degraded', database: false, temporal: true });
    } finally {
      await deadDb.destroy();
    }
  });

  test('GET /openapi.json is an OpenAPI 3.1 document covering every /v1 route of the registry', async () => {
    const res = await request(h.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const doc = res.body as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    // exactly the registry's staff routes, which are exactly the /v1 routes the app serves but the public /v1/auth/*
    const staffPath = (p: string): boolean => p.startsWith('/v1') && !p.startsWith('/v1/auth/');
    const documented = Object.entries(doc.paths)
      .filter(([p]) => staffPath(p))
      .flatMap(([p, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))
          .map((m) => `${m.toUpperCase()} ${p}`),
      );
    const staff = STAFF_ROUTES.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`);
    const served = expressRoutes(h.app)
      .filter((r) => staffPath(r.path))
      .map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual([...staff].sort());
    expect(API_ROUTES.filter((r) => r.path.startsWith('/v1/auth/')).map((r) => r.auth)).toEqual(['none', 'none', 'none', 'none', 'none']);
    expect(served.sort()).toEqual([...staff].sort());
    expect(doc.paths['/healthz']?.get).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Conversation', 'Message', 'Error']));
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    // every documented 401 refers to the Error schema
    const conv = doc.paths['/v1/conversations/{id}']!.get!;
    expect(JSON.stringify(conv.responses['401'])).toContain('#/components/schemas/Error');
    expect(JSON.stringify(conv.responses['200'])).toContain('#/components/schemas/Conversation');
  });

  test('unknown routes → 404 JSON error (with and without /v1)', async () => {
    const root = expectError(await request(h.app).get('/nope'), 404, 'route_not_found');
    expect(root.error.message).toContain('/nope');
    expectError(await api(h).get('/v1/nope'), 404, 'route_not_found');
    expectError(await api(h).post('/v1/conversations', {}), 404, 'route_not_found');
    expectError(await api(h).get(`/v1/conversations/${conversation.id}/nope`), 404, 'route_not_found');
  });

  test('malformed JSON body → 400 JSON error', async () => {
    const res = await request(h.app)
      .post(`/v1/conversations/${conversation.id}/messages`)
      .set('Authorization', h.auth)
      .set('Content-Type', 'application/json')
      .send('{"text": ');
    expectError(res, 400, 'invalid_body');
  });
});
