/**
 * The two-org isolation matrix (issue 10: "every admin route, every list and every webhook is
 * org-scoped"), through the real path (Express → Postgres / the Temporal worker of the harness).
 *
 * Org A (the harness org) gets a fixture of every resource a route's path parameter names. Then, read
 * from the route registry (`API_ROUTES`), so a new route cannot slip past:
 * - every staff route with a path parameter, called with org B's admin token (and, for a sample, org B's
 *   admin-scope API key `sb_…`) on org A's ids with an otherwise valid body → 404, and org A's rows are
 *   unchanged afterwards; a parameter without a fixture fails the test ("no fixture for :param of ROUTE");
 * - every admin route, called with org A's agent token on org A's real ids → 403, nothing changed;
 * - every list route (GET without path parameters): org B's answer contains none of org A's ids, while
 *   org A's own answer does (so the check can fail);
 * - org A's ids in org B's bodies and list filters (todo source, template send, assignee, team, team
 *   members, attachments) → 4xx, nothing changed; an `Idempotency-Key` of org A replayed by org B → 404;
 *   org B inviting org A's staff email creates org B's own user;
 * - every webhook route: org A's channel addressed with org B's channel credentials (Twilio signature with
 *   the other account's token → 403, the other bot's Telegram secret → 403, Postmark Basic credentials of
 *   the other channel → 401, Postmark's documented Basic-auth answer) is refused, and nothing is stored.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import { authName, type RouteSpec } from '../../api/http/define-route';
import { API_ROUTES } from '../../api/routes';
import { Keyring } from '../../config/keyring';
import { sealChannelCredentials } from '../../db/channel-credentials';
import { conversationIdFor } from '../../domain/routing';
import { insertChannelRow } from '../support/channel-rows';
import {
  createHarness,
  createTestOrg,
  type Harness,
  JWT_SECRET,
  POSTMARK_SERVER_TOKEN,
  randomPhone,
  TEST_CREDENTIALS_KEYS,
  type TestOrg,
} from '../support/harness';
import { inboundEmail } from '../support/postmark-inbound';
import { buildInboundMessageForm, newTwilioSid } from '../support/twilio-webhooks';
import { postJsonWebhook, postSignedTwilioForm } from '../support/webhook-requests';
import { insertSuggestion, insertTrainingPairs } from './db-fixtures';
import { type ConversationBody, type ErrorBody, inboundAndWait } from './rest-helpers';

const keyring = new Keyring(TEST_CREDENTIALS_KEYS);
const routeName = (r: RouteSpec) => `${r.method.toUpperCase()} ${r.path}`;

/** Staff routes with a path parameter: the other-org matrix. */
const PARAM_ROUTES = API_ROUTES.filter((r) => r.auth === 'staff' && /:\w+/.test(r.path));
/** Staff GET routes without a path parameter: the lists. */
const LIST_ROUTES = API_ROUTES.filter((r) => r.auth === 'staff' && r.method === 'get' && !/:\w+/.test(r.path));
/** Admin-only routes: the agent matrix. */
const ADMIN_ROUTES = API_ROUTES.filter((r) => r.role === 'admin');
/** Webhook routes (a provider's own authentication). */
const WEBHOOK_ROUTES = API_ROUTES.filter((r) => authName(r.auth).startsWith('webhook:'));

/** Org A's fixtures, one per resource a path parameter can name. */
interface Fixtures {
  conversation: ConversationBody;
  /** An outbound reply of the conversation (retry target). */
  messageId: string;
  suggestionId: string;
  contactId: string;
  templateId: string;
  templateName: string;
  todoId: string;
  attachmentId: string;
  channelId: string;
  staffId: string;
  teamId: string;
  apiKeyId: string;
  trainingPairId: string;
  auditEntryId: string;
}

/** A Twilio account (the stand-in knows it) and a Postmark / Telegram channel with its own credentials. */
interface Tenant {
  org: TestOrg;
  adminToken: string;
  account: { sid: string; authToken: string };
  sms: { id: string; number: string };
  email: { id: string; address: string; user: string; password: string };
  telegram: { id: string; secret: string };
}

let h: Harness;
let a: Tenant;
let b: Tenant;
let f: Fixtures;
/** Org B's admin-scope API key (`sb_…`). */
let bApiKey: string;
/** A contact of org B (the other side of org B's merge attempt on org A's contact). */
let bContactId: string;

/** An org with its own Twilio account, SMS channel, Postmark channel and Telegram bot (all sealed). */
async function createTenant(org: TestOrg): Promise<Tenant> {
  const account = { sid: `AC${randomBytes(16).toString('hex')}`, authToken: `token-${randomBytes(12).toString('hex')}` };
  h.twilioStub!.addAccount(account);
  const number = randomPhone();
  const smsId = await insertChannelRow(h.db, org.orgId, { kind: 'sms', address: number, provider: 'twilio' }, (id) =>
    sealChannelCredentials(keyring, id, 'twilio', { accountSid: account.sid, authToken: account.authToken }),
  );
  const email = {
    address: `help-${randomBytes(4).toString('hex')}@tenant.example.test`,
    user: `pm-${randomBytes(3).toString('hex')}`,
    password: `pw-${randomBytes(12).toString('hex')}`,
  };
  const emailId = await insertChannelRow(h.db, org.orgId, { kind: 'email', address: email.address, provider: 'postmark' }, (id) =>
    sealChannelCredentials(keyring, id, 'postmark', {
      serverToken: POSTMARK_SERVER_TOKEN,
      webhookUser: email.user,
      webhookPassword: email.password,
    }),
  );
  const secret = `tg-secret-${randomBytes(16).toString('hex')}`;
  const telegramId = await insertChannelRow(
    h.db,
    org.orgId,
    { kind: 'telegram', address: `bot_${randomBytes(4).toString('hex')}_bot`, provider: 'telegram' },
    (id) =>
      sealChannelCredentials(keyring, id, 'telegram', {
        botToken: `${Math.floor(Math.random() * 1e9)}:bot-${randomBytes(8).toString('hex')}`,
        webhookSecret: secret,
      }),
  );
  return {
    org,
    adminToken: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }),
    account,
    sms: { id: smsId, number },
    email: { id: emailId, ...email },
    telegram: { id: telegramId, secret },
  };
}

/** A request as `bearer` (a staff JWT or an `sb_…` key). */
function call(method: RouteSpec['method'], path: string, bearer: string, body?: object) {
  const req = request(h.app)[method](path).set('Authorization', `Bearer ${bearer}`);
  return body === undefined ? req : req.send(body);
}

beforeAll(async () => {
  h = await createHarness();
  a = await createTenant(h.org);
  b = await createTenant(await createTestOrg(h.db));
  const adminA = h.tokens.admin;

  const conversation = await inboundAndWait(h, randomPhone(), { body: 'Isolation fixture' });
  const reply = await call('post', `/v1/conversations/${conversation.id}/messages`, adminA, { text: 'Fixture reply' });
  expect(reply.status).toBe(201);
  const template = await call('post', '/v1/templates', adminA, {
    name: `iso-${randomBytes(3).toString('hex')}`,
    channel: 'sms',
    body: 'Original body',
  });
  expect(template.status).toBe(201);
  const todo = await call('post', '/v1/todos', adminA, { title: 'Fixture todo', sourceType: 'inbox', sourceId: conversation.id });
  expect(todo.status).toBe(201);
  const attachment = await request(h.app)
    .post('/v1/attachments')
    .set('Authorization', `Bearer ${adminA}`)
    .attach('file', Buffer.from('org A secret file'), { filename: 'a.txt', contentType: 'text/plain' });
  expect(attachment.status).toBe(201);
  const team = await call('post', '/v1/teams', adminA, { name: `Team A ${randomBytes(3).toString('hex')}` });
  expect(team.status).toBe(201);
  expect((await call('put', `/v1/teams/${team.body.id}/members`, adminA, { staffIds: [h.org.agentId] })).status).toBe(200);
  const key = await call('post', '/v1/api-keys', adminA, { name: 'Org A integration', scopes: ['read'] });
  expect(key.status).toBe(201);
  // the reply is sent and the conversation settled (a staff reply makes it `pending`) before anything is compared
  await h.waitFor(async () => {
    const row = await h.db.selectFrom('messages').select('provider_message_id').where('id', '=', reply.body.id).executeTakeFirst();
    return row?.provider_message_id;
  }, 'the fixture reply sent');
  await h.waitFor(async () => {
    const row = await h.db.selectFrom('conversations').select('status').where('id', '=', conversation.id).executeTakeFirst();
    return row?.status === 'pending';
  }, 'the fixture conversation pending');
  // org A's Twilio account connected through onboarding (org B never connects one)
  const setup = await call('post', '/v1/communications/twilio/setup', adminA, {
    accountSid: a.account.sid,
    authToken: a.account.authToken,
  });
  expect(setup.status).toBe(200);
  const [trainingPairId] = await insertTrainingPairs(h.db, h.org.orgId, conversation.id, [{ at: new Date() }]);
  const audit = await h.db.selectFrom('audit_log').select('id').where('org_id', '=', h.org.orgId).executeTakeFirstOrThrow();
  f = {
    conversation,
    messageId: reply.body.id,
    suggestionId: await insertSuggestion(h.db, h.org.orgId, conversation.id, { at: new Date() }),
    contactId: conversation.contact.id,
    templateId: template.body.id,
    templateName: template.body.name,
    todoId: todo.body.id,
    attachmentId: attachment.body.id,
    channelId: a.sms.id,
    staffId: h.org.agentId,
    teamId: team.body.id,
    apiKeyId: key.body.id,
    trainingPairId: trainingPairId!,
    auditEntryId: audit.id,
  };

  const bKey = await call('post', '/v1/api-keys', b.adminToken, { name: 'Org B admin key', scopes: ['read', 'write', 'admin'] });
  expect(bKey.status).toBe(201);
  bApiKey = bKey.body.key;
  expect(bApiKey).toMatch(/^sb_/);
  const bContact = await call('post', '/v1/contacts', b.adminToken, { phone: randomPhone() });
  expect(bContact.status).toBe(201);
  bContactId = bContact.body.id;
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/**
 * Org A's fixture for the `:param` of `route`: named by the path segment before it
 * (`/v1/conversations/:id/messages/:messageId` → conversation, then message).
 * @throws Error "no fixture for :param of ROUTE" when the segment names nothing known
 */
function fixtureFor(route: RouteSpec, param: string): string {
  const segments = route.path.split('/');
  const resource = segments[segments.indexOf(`:${param}`) - 1];
  const byResource: Record<string, string> = {
    conversations: f.conversation.id,
    messages: f.messageId,
    suggestions: f.suggestionId,
    contacts: f.contactId,
    templates: f.templateId,
    todos: f.todoId,
    attachments: f.attachmentId,
    channels: f.channelId,
    staff: f.staffId,
    teams: f.teamId,
    'api-keys': f.apiKeyId,
    'training-pairs': f.trainingPairId,
    between: `${f.contactId}+${h.org.agentId}`,
  };
  const id = resource === undefined ? undefined : byResource[resource];
  if (!id) throw new Error(`no fixture for :${param} of ${routeName(route)}`);
  return id;
}

/** The four built-in saved views, by key (a `PUT /v1/conversations/views` list must hold them). */
const SAVED_VIEW_BUILTINS = [{ builtin: 'unread' }, { builtin: 'recents' }, { builtin: 'starred' }, { builtin: 'all' }];

/** The route's path on org A's fixtures. */
const concretePath = (route: RouteSpec) => route.path.replace(/:(\w+)/g, (_m, param: string) => fixtureFor(route, param));

/**
 * A body that org A's admin could send with success (so only the org check can refuse it), by route;
 * `undefined` = no body. A write route missing here fails the test.
 */
function validBody(route: RouteSpec): object | undefined {
  const bodies: Record<string, object | undefined> = {
    'POST /v1/conversations/:id/messages': { text: 'Injected by org B' },
    'POST /v1/conversations/:id/messages/:messageId/retry': undefined,
    'DELETE /v1/conversations/:id/messages/:messageId': undefined,
    'PATCH /v1/conversations/:id/messages/:messageId': { text: 'Injected by org B' },
    'POST /v1/conversations/:id/status': { status: 'closed' },
    'POST /v1/conversations/:id/assign': { assigneeId: null },
    'PATCH /v1/conversations/:id': { tags: ['pwned'], priority: 'urgent' },
    'POST /v1/conversations/:id/read': undefined,
    'POST /v1/conversations/:id/unread': undefined,
    'POST /v1/conversations/:id/star': undefined,
    'DELETE /v1/conversations/:id/star': undefined,
    'POST /v1/conversations/:id/archive': { archived: true },
    'POST /v1/conversations/:id/suggestions/:suggestionId/send': {},
    'POST /v1/conversations/:id/suggestions/:suggestionId/dismiss': undefined,
    'POST /v1/contacts/:id/conversations': { channel: 'sms' },
    'PATCH /v1/contacts/:id': { name: 'Pwned', vip: true, identities: [] },
    'POST /v1/contacts/:id/merge': { otherContactId: bContactId },
    'DELETE /v1/contacts/:id': undefined,
    'PATCH /v1/templates/:id': { body: 'Pwned body' },
    'DELETE /v1/templates/:id': undefined,
    'PATCH /v1/todos/:id': { status: 'done' },
    'DELETE /v1/api-keys/:id': undefined,
    'PATCH /v1/staff/:id': { active: false, name: 'Pwned' },
    'PATCH /v1/teams/:id': { name: 'Pwned team' },
    'DELETE /v1/teams/:id': undefined,
    'PUT /v1/teams/:id/members': { staffIds: [] },
    'PATCH /v1/channels/:id': { name: 'Pwned channel' },
    'DELETE /v1/channels/:id': undefined,
  };
  const name = routeName(route);
  if (route.method === 'get') return undefined;
  if (!(name in bodies)) throw new Error(`no body for ${name}: add an otherwise valid body to the isolation matrix`);
  return bodies[name];
}

/** The state of org A's fixtures that a leaked write would change (read from the database). */
async function orgAState() {
  const db = h.db;
  const conversation = await db
    .selectFrom('conversations')
    .select(['status', 'tags', 'priority', 'assignee_id', 'archived_at'])
    .where('id', '=', f.conversation.id)
    .executeTakeFirstOrThrow();
  // per-person state org B could only have written through a leak
  const reads = await db.selectFrom('conversation_reads').select('staff_id').where('conversation_id', '=', f.conversation.id).execute();
  const stars = await db.selectFrom('conversation_stars').select('staff_id').where('conversation_id', '=', f.conversation.id).execute();
  const messages = await db
    .selectFrom('messages')
    .select(['id', 'text'])
    .where('conversation_id', '=', f.conversation.id)
    .orderBy('created_at')
    .execute();
  const template = await db.selectFrom('templates').select(['body']).where('id', '=', f.templateId).executeTakeFirst();
  const todo = await db.selectFrom('todos').select(['status']).where('id', '=', f.todoId).executeTakeFirst();
  const staff = await db.selectFrom('staff_users').select(['name', 'deactivated_at']).where('id', '=', f.staffId).executeTakeFirst();
  const team = await db.selectFrom('teams').select(['name']).where('id', '=', f.teamId).executeTakeFirst();
  const members = await db.selectFrom('team_members').select('staff_id').where('team_id', '=', f.teamId).execute();
  const channel = await db.selectFrom('channels').select(['name', 'archived_at']).where('id', '=', f.channelId).executeTakeFirst();
  const apiKey = await db.selectFrom('api_keys').select(['revoked_at']).where('id', '=', f.apiKeyId).executeTakeFirst();
  const suggestion = await db.selectFrom('ai_suggestions').select(['status']).where('id', '=', f.suggestionId).executeTakeFirst();
  const conversationsOfContact = await db.selectFrom('conversations').select('id').where('contact_id', '=', f.contactId).execute();
  const contact = await db.selectFrom('contacts').select(['name', 'vip']).where('id', '=', f.contactId).executeTakeFirst();
  const contactIdentities = await db
    .selectFrom('contact_identities')
    .select(['kind', 'address'])
    .where('contact_id', '=', f.contactId)
    .execute();
  return {
    conversation,
    messages,
    template,
    todo,
    staff,
    team,
    members,
    channel,
    apiKey,
    suggestion,
    conversationsOfContact,
    contact,
    contactIdentities,
    reads,
    stars,
  };
}

describe('the matrix covers the registry', () => {
  test('every path parameter of every staff route has an org A fixture, every write a body', () => {
    expect(PARAM_ROUTES.length).toBeGreaterThanOrEqual(27);
    for (const route of PARAM_ROUTES) {
      expect(() => concretePath(route)).not.toThrow();
      expect(() => validBody(route)).not.toThrow();
    }
    expect(LIST_ROUTES.length).toBeGreaterThanOrEqual(14);
  });

  test('a route whose parameter names no known resource fails with a clear message', () => {
    const unknown = { ...PARAM_ROUTES[0]!, path: '/v1/widgets/:widgetId' };
    expect(() => concretePath(unknown)).toThrow('no fixture for :widgetId of GET /v1/widgets/:widgetId');
  });
});

describe("org B's admin on org A's ids → 404, nothing changes", () => {
  let before: Awaited<ReturnType<typeof orgAState>>;
  beforeAll(async () => {
    before = await orgAState();
  });

  test.each(PARAM_ROUTES.map((r) => [routeName(r), r] as const))('%s', async (_name, route) => {
    const res = await call(route.method, concretePath(route), b.adminToken, validBody(route));
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 404,
      body: { error: expect.objectContaining({ code: expect.any(String) }) },
    });
    expect(res.text).not.toContain('Fixture reply');
    expect(res.text).not.toContain('org A secret file');
  });

  test("org A's rows are unchanged and nothing was sent for org B", async () => {
    expect(await orgAState()).toEqual(before);
    expect(before).toMatchObject({
      conversation: { status: 'pending', assignee_id: null, tags: [], priority: 'normal' },
      template: { body: 'Original body' },
      todo: { status: 'open' },
      staff: { deactivated_at: null },
      channel: { archived_at: null },
      apiKey: { revoked_at: null },
      suggestion: { status: 'pending' },
      members: [{ staff_id: h.org.agentId }],
      contact: { vip: false },
    });
    expect(before.contactIdentities.length).toBeGreaterThan(0);
    expect(h.twilioStub!.requests.some((r) => r.form?.Body === 'Injected by org B')).toBe(false);
  });
});

describe("org B's admin-scope API key (sb_…) behaves like its JWT", () => {
  const sample = [
    'GET /v1/conversations/:id',
    'GET /v1/conversations/:id/messages',
    'POST /v1/conversations/:id/status',
    'GET /v1/contacts/:id',
    'PATCH /v1/contacts/:id',
    'PATCH /v1/templates/:id',
    'GET /v1/attachments/:id',
    'PATCH /v1/staff/:id',
    'PUT /v1/teams/:id/members',
    'DELETE /v1/channels/:id',
    'DELETE /v1/api-keys/:id',
  ];

  test.each(sample)('%s → 404', async (name) => {
    const route = PARAM_ROUTES.find((r) => routeName(r) === name);
    if (!route) throw new Error(`${name} is no longer in the registry`);
    const before = await orgAState();
    const res = await call(route.method, concretePath(route), bApiKey, validBody(route));
    expect([res.status, (res.body as ErrorBody).error?.code]).toEqual([404, expect.any(String)]);
    expect(await orgAState()).toEqual(before);
  });

  test("the key's lists show none of org A's ids", async () => {
    for (const route of LIST_ROUTES) {
      const res = await call('get', route.path, bApiKey);
      expect(res.status).toBeLessThan(500);
      for (const id of orgAIds())
        expect({ route: route.path, leaked: res.text.includes(id) ? id : null }).toEqual({ route: route.path, leaked: null });
    }
  });
});

describe("org A's agent on admin routes with org A's real ids → 403, nothing changes", () => {
  test.each(ADMIN_ROUTES.map((r) => [routeName(r), r] as const))('%s', async (_name, route) => {
    const before = await orgAState();
    const body = route.method === 'get' ? undefined : /:\w+/.test(route.path) ? validBody(route) : { name: 'x' };
    const res = await call(route.method, /:\w+/.test(route.path) ? concretePath(route) : route.path, h.tokens.agent, body);
    expect([res.status, (res.body as ErrorBody).error?.code]).toEqual([403, 'forbidden']);
    expect(await orgAState()).toEqual(before);
  });
});

/** Every id of org A a list must not leak to org B. */
function orgAIds(): string[] {
  return [
    h.org.orgId,
    h.org.adminId,
    h.org.agentId,
    h.org.smsChannelId,
    h.org.emailChannelId,
    h.org.telegramChannelId,
    a.sms.id,
    a.sms.number,
    a.account.sid,
    a.email.id,
    a.email.address,
    a.telegram.id,
    f.conversation.id,
    f.messageId,
    f.suggestionId,
    f.contactId,
    f.templateId,
    f.todoId,
    f.attachmentId,
    f.teamId,
    f.apiKeyId,
    f.trainingPairId,
    f.auditEntryId,
  ];
}

describe('every list route: org B sees none of org A', () => {
  /** For the lists that show org A's resources: an id org A's own admin sees there (the positive control). */
  const ownId: Record<string, () => string> = {
    '/v1/conversations': () => f.conversation.id,
    '/v1/contacts': () => f.contactId,
    '/v1/templates': () => f.templateId,
    '/v1/todos': () => f.todoId,
    '/v1/staff': () => f.staffId,
    '/v1/teams': () => f.teamId,
    '/v1/channels': () => f.channelId,
    '/v1/api-keys': () => f.apiKeyId,
    '/v1/audit-log': () => f.auditEntryId,
    '/v1/ai-assistant/training-pairs': () => f.conversation.id,
    '/v1/me': () => h.org.orgId,
    '/v1/communications/twilio/system-phone': () => h.org.smsChannelId,
  };

  /** The query a list needs to answer 200 (a list that needs one and is missing here fails on its 400). */
  const queryOf: Record<string, () => string> = {
    '/v1/contacts': () => '?limit=100',
    '/v1/conversations/stats': () =>
      `?from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`,
  };

  test.each(LIST_ROUTES.map((r) => [r.path, r] as const))('GET %s', async (_path, route) => {
    const path = `${route.path}${queryOf[route.path]?.() ?? ''}`;
    const other = await call('get', path, b.adminToken);
    // 404 only where org B has nothing to show (e.g. no Twilio account connected)
    expect([200, 404]).toContain(other.status);
    const leaked = orgAIds().filter((id) => other.text.includes(id));
    expect(leaked).toEqual([]);

    const own = await call('get', path, h.tokens.admin);
    expect(own.status).toBe(200);
    const expected = ownId[route.path];
    if (expected) expect(own.text).toContain(expected());
  });

  test("org B's Twilio onboarding does not reach org A's connected account", async () => {
    const verify = await call('post', '/v1/communications/twilio/verify', b.adminToken);
    expect([verify.status, verify.body.error?.code]).toEqual([404, 'twilio_not_connected']);
    const numbers = await call('get', '/v1/communications/twilio/available-numbers', b.adminToken);
    expect([numbers.status, numbers.body.error?.code]).toEqual([404, 'twilio_not_connected']);
    expect(JSON.stringify(numbers.body)).not.toContain(a.account.sid);
    expect((await call('post', '/v1/communications/twilio/verify', h.tokens.admin)).body).toMatchObject({ ok: true });
  });

  test("GET /v1/conversations/stats counts only the caller's org (org B has no conversation yet)", async () => {
    const path = `/v1/conversations/stats${queryOf['/v1/conversations/stats']!()}`;
    type Stats = { totals: { conversations: number }; ai: { decisions: { suggest: number } } };
    const own = (await call('get', path, h.tokens.admin)).body as Stats;
    const other = (await call('get', path, b.adminToken)).body as Stats;
    expect(own.totals.conversations).toBeGreaterThanOrEqual(1);
    expect(own.ai.decisions.suggest).toBeGreaterThanOrEqual(1);
    expect({ conversations: other.totals.conversations, suggest: other.ai.decisions.suggest }).toEqual({ conversations: 0, suggest: 0 });
  });

  test("query filters naming org A's ids show org B nothing of org A", async () => {
    // the fixture conversation is on org A's harness SMS channel: org A's own filter finds it (the control)
    const own = await call('get', `/v1/conversations?inboxId=${h.org.smsChannelId}`, h.tokens.admin);
    expect((own.body as { data: { id: string }[] }).data.map((c) => c.id)).toContain(f.conversation.id);
    for (const query of [`inboxId=${h.org.smsChannelId}`, `inboxId=${a.sms.id}`, `teamId=${f.teamId}`, `assignee=${h.org.agentId}`]) {
      const res = await call('get', `/v1/conversations?${query}`, b.adminToken);
      expect({ query, status: res.status, data: (res.body as { data?: unknown[] }).data }).toEqual({ query, status: 200, data: [] });
    }
  });
});

describe("ids of org A in org B's bodies", () => {
  test("org B cannot open a conversation, a todo or a template send on org A's contact / conversation, nor assign or add org A's staff", async () => {
    const before = await orgAState();
    const orgAViewId = ((await call('get', '/v1/conversations/views', h.tokens.admin)).body as { data: { id: string }[] }).data[0]!.id;
    const bConversation = await inboundAndWaitFor(b);
    const bContactId = (
      await h.db.selectFrom('conversations').select('contact_id').where('id', '=', bConversation).executeTakeFirstOrThrow()
    ).contact_id;
    const bTemplate = `b-${randomBytes(3).toString('hex')}`;
    expect((await call('post', '/v1/templates', b.adminToken, { name: bTemplate, channel: 'sms', body: 'Hello' })).status).toBe(201);
    const answers = {
      todo: await call('post', '/v1/todos', b.adminToken, { title: 'x', sourceType: 'inbox', sourceId: f.conversation.id }),
      // org B's own template, org A's contact
      sendTemplate: await call('post', '/v1/send-template', b.adminToken, {
        templateName: bTemplate,
        contactId: f.contactId,
        channel: 'sms',
        variables: {},
      }),
      assign: await call('post', `/v1/conversations/${bConversation}/assign`, b.adminToken, { assigneeId: h.org.agentId }),
      assignTeam: await call('post', `/v1/conversations/${bConversation}/assign`, b.adminToken, { teamId: f.teamId }),
      // org A's uploaded file sent to org B's customer
      attachment: await call('post', `/v1/conversations/${bConversation}/messages`, b.adminToken, {
        text: 'Here is a file',
        attachments: [f.attachmentId],
      }),
      // org A's template name, org B's own contact
      foreignTemplate: await call('post', '/v1/send-template', b.adminToken, {
        templateName: f.templateName,
        contactId: bContactId,
        channel: 'sms',
        variables: {},
      }),
      // saved views (issue 11): org A's team, org A's view id in org B's lists
      savedViewTeam: await call('put', '/v1/conversations/views', b.adminToken, {
        views: SAVED_VIEW_BUILTINS,
        teams: [{ teamId: f.teamId, views: [{ name: 'Pwned', filters: {} }] }],
      }),
      savedViewId: await call('put', '/v1/conversations/views', b.adminToken, {
        views: [...SAVED_VIEW_BUILTINS, { id: orgAViewId, name: 'Pwned', filters: {} }],
      }),
    };
    const codes = Object.fromEntries(
      Object.entries(answers).map(([name, res]) => [name, [res.status, (res.body as ErrorBody).error?.code]]),
    );
    expect(codes).toEqual({
      todo: [422, 'unknown_source'],
      sendTemplate: [404, 'not_found'],
      assign: [422, 'assignee_not_member'],
      assignTeam: [422, 'team_not_found'],
      attachment: [422, 'attachment_not_found'],
      foreignTemplate: [404, 'template_not_found'],
      savedViewTeam: [422, 'team_not_found'],
      savedViewId: [422, 'unknown_view'],
    });
    const leakedFile = await h.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', bConversation)
      .where('text', '=', 'Here is a file')
      .execute();
    expect(leakedFile).toEqual([]);
    const bTeam = await call('post', '/v1/teams', b.adminToken, { name: `B team ${randomBytes(2).toString('hex')}` });
    const members = await call('put', `/v1/teams/${bTeam.body.id}/members`, b.adminToken, { staffIds: [h.org.agentId] });
    expect([members.status, (members.body as ErrorBody).error?.code]).toEqual([422, 'staff_not_found']);
    expect(await h.db.selectFrom('team_members').select('staff_id').where('team_id', '=', bTeam.body.id).execute()).toEqual([]);
    const assigned = await h.db
      .selectFrom('conversations')
      .select(['assignee_id', 'team_id'])
      .where('id', '=', bConversation)
      .executeTakeFirstOrThrow();
    expect(assigned).toEqual({ assignee_id: null, team_id: null });
    expect(await orgAState()).toEqual(before);
  });

  test("org B merging org A's contact into its own → 404, both contacts unchanged", async () => {
    const before = await orgAState();
    const res = await call('post', `/v1/contacts/${bContactId}/merge`, b.adminToken, { otherContactId: f.contactId });
    expect([res.status, (res.body as ErrorBody).error?.code]).toEqual([404, 'not_found']);
    expect(await orgAState()).toEqual(before);
    expect((await call('get', `/v1/contacts/${bContactId}`, b.adminToken)).status).toBe(200);
  });

  test("org B's seed-003 reply naming org A's conversation as its sessionId → 404, nothing sent", async () => {
    const before = await orgAState();
    const res = await call('post', '/v1/conversations/reply', b.adminToken, { sessionId: f.conversation.id, message: 'Injected by org B' });
    expect([res.status, (res.body as ErrorBody).error?.code]).toEqual([404, 'not_found']);
    expect(await orgAState()).toEqual(before);
  });
});

describe('Idempotency-Key is kept per org', () => {
  test("org B replaying org A's key on org A's conversation gets 404, not org A's stored answer", async () => {
    const key = `iso-${randomUUID()}`;
    const path = `/v1/conversations/${f.conversation.id}/messages`;
    const body = { text: 'Internal note with a key', isInternalNote: true };
    const first = await call('post', path, h.tokens.admin, body).set('Idempotency-Key', key);
    expect(first.status).toBe(201);
    const replayed = await call('post', path, b.adminToken, body).set('Idempotency-Key', key);
    expect([replayed.status, (replayed.body as ErrorBody).error?.code]).toEqual([404, 'not_found']);
    expect(replayed.headers['idempotent-replayed']).toBeUndefined();
    expect(replayed.text).not.toContain(first.body.id);
    // org A's own retry still replays
    const again = await call('post', path, h.tokens.admin, body).set('Idempotency-Key', key);
    expect([again.status, again.headers['idempotent-replayed'], again.body.id]).toEqual([201, 'true', first.body.id]);
  });
});

describe("org B inviting org A's staff email", () => {
  test("creates org B's own user: org A's user, password and sessions are untouched", async () => {
    const email = `agent-${h.org.agentId}@example.test`;
    const before = await h.db.selectFrom('staff_users').selectAll().where('id', '=', h.org.agentId).executeTakeFirstOrThrow();
    const invited = await call('post', '/v1/staff', b.adminToken, { email, name: 'Impostor', role: 'admin' });
    expect(invited.status).toBe(201);
    expect(invited.body.staff.id).not.toBe(h.org.agentId);
    // the invite token sets the password of org B's new user only
    const set = await request(h.app)
      .post('/v1/auth/set-password')
      .send({ token: invited.body.invite.token, password: 'impostor password 123' });
    expect(set.status).toBe(204);
    expect(await h.db.selectFrom('staff_users').selectAll().where('id', '=', h.org.agentId).executeTakeFirstOrThrow()).toEqual(before);
    const created = await h.db
      .selectFrom('staff_users')
      .select(['org_id', 'role'])
      .where('id', '=', invited.body.staff.id)
      .executeTakeFirstOrThrow();
    expect(created).toEqual({ org_id: b.org.orgId, role: 'admin' });
    // org A's agent token still works and still names org A
    expect((await call('get', '/v1/me', h.tokens.agent)).body).toMatchObject({ id: h.org.agentId, org: { id: h.org.orgId } });
  });
});

/** Opens a conversation on org B's own SMS channel (signed with B's account) and returns its id once stored. */
async function inboundAndWaitFor(t: Tenant): Promise<string> {
  const from = randomPhone();
  const form = buildInboundMessageForm({ from, body: 'Hello B', to: t.sms.number, accountSid: t.account.sid });
  expect((await postSignedTwilioForm(h.app, '/webhooks/twilio/messaging', form, t.account.authToken)).status).toBe(200);
  const id = conversationIdFor(t.org.orgId, t.sms.id, from);
  await h.waitFor(() => h.db.selectFrom('conversations').select('id').where('id', '=', id).executeTakeFirst(), 'org B conversation');
  return id;
}

describe("every webhook: org A's channel with org B's credentials is refused, nothing stored", () => {
  const bCreds = () => ({ user: b.email.user, password: b.email.password });
  /** A Postmark Delivery event about a message no org has. */
  const deliveryEvent = () => ({
    RecordType: 'Delivery',
    MessageID: randomUUID(),
    Recipient: 'x@example.test',
    DeliveredAt: new Date().toISOString(),
  });
  const noMessage = async (providerId: string) =>
    expect(await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', providerId).execute()).toEqual([]);

  /** One cross-org attempt per webhook route; a webhook route without one fails the test. */
  const cases: Record<string, () => Promise<void>> = {
    'POST /webhooks/twilio/messaging': async () => {
      const from = randomPhone();
      const sid = newTwilioSid('SM');
      for (const accountSid of [b.account.sid, a.account.sid]) {
        const form = buildInboundMessageForm({ from, body: 'Cross-org', to: a.sms.number, sid, accountSid });
        expect((await postSignedTwilioForm(h.app, '/webhooks/twilio/messaging', form, b.account.authToken)).status).toBe(403);
      }
      await noMessage(sid);
      const stored = await h.db
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', conversationIdFor(h.org.orgId, a.sms.id, from))
        .execute();
      expect(stored).toEqual([]);
    },
    'POST /webhooks/twilio/status': async () => {
      // org A's reply, its status callback forged by org B's account
      const sent = await h.db
        .selectFrom('messages')
        .select(['id', 'delivery_status'])
        .where('id', '=', f.messageId)
        .executeTakeFirstOrThrow();
      for (const accountSid of [b.account.sid, a.account.sid]) {
        const form = new URLSearchParams({
          MessageSid: newTwilioSid('SM'),
          MessageStatus: 'failed',
          ErrorCode: '30003',
          AccountSid: accountSid,
        }).toString();
        expect(
          (await postSignedTwilioForm(h.app, `/webhooks/twilio/status?messageId=${f.messageId}`, form, b.account.authToken)).status,
        ).toBe(403);
      }
      expect(
        await h.db.selectFrom('messages').select(['id', 'delivery_status']).where('id', '=', f.messageId).executeTakeFirstOrThrow(),
      ).toEqual(sent);
    },
    'POST /webhooks/postmark/inbound': async () => {
      const mail = inboundEmail(`x-${randomBytes(3).toString('hex')}@mail.example.net`, a.email.address);
      expect((await postJsonWebhook(h.app, '/webhooks/postmark/inbound', mail, bCreds())).status).toBe(401);
      await noMessage(mail.MessageID);
    },
    'POST /webhooks/postmark/events': async () => {
      expect((await postJsonWebhook(h.app, '/webhooks/postmark/events', deliveryEvent(), bCreds())).status).toBe(401);
    },
    'POST /webhooks/postmark/:channelId/inbound': async () => {
      const mail = inboundEmail(`y-${randomBytes(3).toString('hex')}@mail.example.net`, a.email.address);
      // org A's URL with org B's credentials → 401 (Postmark's Basic scheme)
      const r = await postJsonWebhook(h.app, `/webhooks/postmark/${a.email.id}/inbound`, mail, bCreds());
      expect([r.status, r.body.error.code]).toEqual([401, 'unauthorized']);
      // org B's own URL and credentials, mail addressed to org A → 404, never routed into org A
      const r2 = await postJsonWebhook(h.app, `/webhooks/postmark/${b.email.id}/inbound`, mail, bCreds());
      expect(r2.status).toBe(404);
      await noMessage(mail.MessageID);
    },
    'POST /webhooks/postmark/:channelId/events': async () => {
      expect((await postJsonWebhook(h.app, `/webhooks/postmark/${a.email.id}/events`, deliveryEvent(), bCreds())).status).toBe(401);
    },
    'POST /webhooks/telegram/:channelId': async () => {
      const chatId = 800_000_000 + Math.floor(Math.random() * 1_000_000);
      const update = h.telegram.update({ chatId, text: 'Cross-org Telegram' });
      const bSecret = { 'X-Telegram-Bot-Api-Secret-Token': b.telegram.secret };
      const r = await postJsonWebhook(h.app, `/webhooks/telegram/${a.telegram.id}`, update, undefined, bSecret);
      expect(r.status).toBe(403);
      // the positive control: org B's own bot with its own secret is taken
      const ownUpdate = h.telegram.update({ chatId: chatId + 1, text: 'Own bot' });
      const own = await postJsonWebhook(h.app, `/webhooks/telegram/${b.telegram.id}`, ownUpdate, undefined, bSecret);
      expect(own.status).toBe(200);
      expect(await h.db.selectFrom('conversations').select('id').where('channel_id', '=', a.telegram.id).execute()).toEqual([]);
    },
  };

  test('every webhook route has a cross-org case', () => {
    expect(WEBHOOK_ROUTES.length).toBeGreaterThanOrEqual(7);
    for (const route of WEBHOOK_ROUTES) {
      if (!(routeName(route) in cases)) throw new Error(`no cross-org webhook case for ${routeName(route)}`);
    }
  });

  test.each(WEBHOOK_ROUTES.map((r) => [routeName(r)] as const))('%s', async (name) => {
    const run = cases[name];
    if (!run) throw new Error(`no cross-org webhook case for ${name}`);
    await run();
  });
});
