/**
 * Saved views (issue 11) through the real app, Postgres and the harness: the built-ins of a new user,
 * `PUT` (reorder, custom views, identity, validation), team-shared views (members, admins, outsiders,
 * another org), and `GET …/views/counts` equal to what the list returns for every view, in one statement.
 */
import { randomUUID } from 'node:crypto';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import { appWithoutTemporal } from '../support/app-without-temporal';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone, type TestOrg } from '../support/harness';
import { insertConversation, insertMessage } from './db-fixtures';
import { type ErrorBody, expectError, expectValidationError, inboundAndWait, listAll } from './rest-helpers';

/** The `SavedView` schema. */
interface ViewBody {
  id: string;
  name: string;
  builtin: 'unread' | 'recents' | 'starred' | 'all' | null;
  filters: Record<string, string>;
  teamId: string | null;
  createdAt: string;
  updatedAt: string;
}
interface CountBody {
  viewId: string;
  unread: number;
  total: number;
}

let h: Harness;
let other: TestOrg;
let teamId: string;
let otherTeamId: string;
const tokens: Record<'admin' | 'agent' | 'teammate' | 'outsider' | 'otherAdmin', string> = {
  admin: '',
  agent: '',
  teammate: '',
  outsider: '',
  otherAdmin: '',
};
type Who = keyof typeof tokens;

beforeAll(async () => {
  h = await createHarness();
  other = await createTestOrg(h.db);
  tokens.admin = h.tokens.admin;
  tokens.agent = h.tokens.agent;
  const teammateId = randomUUID();
  const outsiderId = randomUUID();
  await h.db
    .insertInto('staff_users')
    .values([
      { id: teammateId, org_id: h.org.orgId, email: `tina-${teammateId}@example.test`, name: 'Tina Teammate', role: 'agent' },
      { id: outsiderId, org_id: h.org.orgId, email: `otto-${outsiderId}@example.test`, name: 'Otto Outsider', role: 'agent' },
    ])
    .execute();
  tokens.teammate = signStaffToken(JWT_SECRET, { userId: teammateId, orgId: h.org.orgId, role: 'agent' });
  tokens.outsider = signStaffToken(JWT_SECRET, { userId: outsiderId, orgId: h.org.orgId, role: 'agent' });
  tokens.otherAdmin = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
  teamId = (await h.db.insertInto('teams').values({ org_id: h.org.orgId, name: 'Billing' }).returning('id').executeTakeFirstOrThrow()).id;
  await h.db
    .insertInto('team_members')
    .values([
      { team_id: teamId, staff_id: h.org.agentId },
      { team_id: teamId, staff_id: teammateId },
    ])
    .execute();
  otherTeamId = (await h.db.insertInto('teams').values({ org_id: other.orgId, name: 'Billing' }).returning('id').executeTakeFirstOrThrow())
    .id;
  await h.db.insertInto('team_members').values({ team_id: otherTeamId, staff_id: other.adminId }).execute();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const auth = (who: Who) => `Bearer ${tokens[who]}`;
const getViews = async (who: Who): Promise<ViewBody[]> => {
  const res = await request(h.app).get('/v1/conversations/views').set('Authorization', auth(who));
  expect(res.status).toBe(200);
  return (res.body as { data: ViewBody[] }).data;
};
const put = (who: Who, body: object) => request(h.app).put('/v1/conversations/views').set('Authorization', auth(who)).send(body);
const builtinRefs = [{ builtin: 'unread' }, { builtin: 'recents' }, { builtin: 'starred' }, { builtin: 'all' }];

describe('built-in views', () => {
  test('a new user has Unread, Recents, Starred and All, with their fixed filters, and the same ids every time', async () => {
    const views = await getViews('outsider');
    expect(views.map((v) => [v.name, v.builtin, v.filters, v.teamId])).toEqual([
      ['Unread', 'unread', { unread: 'true', archived: 'false' }, null],
      ['Recents', 'recents', { activeWithinDays: '7', archived: 'false' }, null],
      ['Starred', 'starred', { starred: 'true', archived: 'false' }, null],
      ['All', 'all', { archived: 'false' }, null],
    ]);
    expect((await getViews('outsider')).map((v) => v.id)).toEqual(views.map((v) => v.id));
  });
});

describe('PUT: my personal list', () => {
  test('reorders the built-ins (by id or key), adds custom views, keeps identities, deletes what is left out', async () => {
    const before = await getViews('agent');
    const byKey = new Map(before.map((v) => [v.builtin, v]));
    const res = await put('agent', {
      views: [
        // re-sending a view as GET returned it (id, name, filters) is allowed
        { id: byKey.get('all')?.id, name: 'All', filters: { archived: 'false' } },
        { name: 'Urgent open', filters: { status: 'open', priority: 'urgent' } },
        { builtin: 'starred' },
        { id: byKey.get('unread')?.id },
        { name: 'WhatsApp', filters: { channel: 'whatsapp', unread: 'true' } },
        { builtin: 'recents' },
      ],
    });
    expect(res.status).toBe(200);
    const after = (res.body as { data: ViewBody[] }).data;
    expect(after.map((v) => v.name)).toEqual(['All', 'Urgent open', 'Starred', 'Unread', 'WhatsApp', 'Recents']);
    for (const key of ['unread', 'recents', 'starred', 'all'] as const) {
      expect(after.find((v) => v.builtin === key)?.id).toBe(byKey.get(key)?.id);
    }
    // filters are stored in the list's query form, with the list's default `archived=false`
    expect(after[1].filters).toEqual({ archived: 'false', priority: 'urgent', status: 'open' });
    expect(await getViews('agent')).toEqual(after);

    const urgent = after[1];
    const again = await put('agent', {
      views: [...builtinRefs, { id: urgent.id, name: 'Urgent (open)', filters: { status: 'open', priority: 'urgent' } }],
    });
    expect(again.status).toBe(200);
    const last = (again.body as { data: ViewBody[] }).data;
    expect(last.map((v) => v.name)).toEqual(['Unread', 'Recents', 'Starred', 'All', 'Urgent (open)']);
    expect(last[4].id).toBe(urgent.id);
    expect(last.some((v) => v.name === 'WhatsApp')).toBe(false);
  });

  test('a PUT without a built-in → 422 builtin_view_missing, and nothing changes', async () => {
    const before = await getViews('agent');
    const body = expectError(
      await put('agent', { views: [{ builtin: 'unread' }, { builtin: 'recents' }, { builtin: 'all' }] }),
      422,
      'builtin_view_missing',
    );
    expect(body.error.details).toEqual({ missing: ['starred'] });
    expectError(await put('agent', { views: [] }), 422, 'builtin_view_missing');
    expect(await getViews('agent')).toEqual(before);
  });

  test("a built-in's filters or name cannot change → 422 builtin_view_immutable", async () => {
    const views = [{ builtin: 'unread', filters: { unread: 'true', archived: 'true' } }, ...builtinRefs.slice(1)];
    expectError(await put('agent', { views }), 422, 'builtin_view_immutable');
    expectError(
      await put('agent', { views: [{ builtin: 'all', name: 'Everything' }, ...builtinRefs.slice(0, 3)] }),
      422,
      'builtin_view_immutable',
    );
    expectError(await put('agent', { views: [...builtinRefs, { builtin: 'all' }] }), 422, 'duplicate_builtin');
  });

  test("custom views' filters are validated by the list's own schema (400 with the field's path)", async () => {
    expectValidationError(
      await put('agent', { views: [...builtinRefs, { name: 'x', filters: { status: 'nope' } }] }),
      'views.4.filters.status',
    );
    expectValidationError(
      await put('agent', { views: [...builtinRefs, { name: 'x', filters: { unread: true } }] }),
      'views.4.filters.unread',
    );
    // the list's pagination is not part of a view
    for (const key of ['limit', 'cursor', 'sortBy']) {
      const res = await put('agent', { views: [...builtinRefs, { name: 'x', filters: { [key]: '10' } }] });
      expectError(res, 400, 'validation_failed');
      expect(JSON.stringify((res.body as ErrorBody).error.details)).toContain(key);
    }
    expectValidationError(await put('agent', { views: [...builtinRefs, { name: '', filters: {} }] }), 'views.4.name');
    expectError(await put('agent', { views: [...builtinRefs, { name: 'no filters' }] }), 422, 'invalid_view');
    expectError(await put('agent', { views: [...builtinRefs, { id: randomUUID(), name: 'x', filters: {} }] }), 422, 'unknown_view');
    expectValidationError(await put('agent', { views: [...builtinRefs], extra: 1 }), 'extra');
  });

  test("another user's view id is not mine → 422 unknown_view", async () => {
    const adminViews = await getViews('admin');
    const res = await put('agent', { views: [...builtinRefs, { id: adminViews[0].id, name: 'stolen', filters: {} }] });
    expectError(res, 422, 'unknown_view');
    const crossOrg = await put('otherAdmin', { views: [...builtinRefs, { id: adminViews[0].id, name: 'stolen', filters: {} }] });
    expectError(crossOrg, 422, 'unknown_view');
  });
});

describe('team-shared views', () => {
  let shared: ViewBody;
  test('a member shares a view with their team: teammates see it after their personal views; others do not', async () => {
    const res = await put('agent', {
      views: builtinRefs,
      teams: [{ teamId, views: [{ name: 'Billing queue', filters: { scope: 'team', status: 'active' } }] }],
    });
    expect(res.status).toBe(200);
    const mine = (res.body as { data: ViewBody[] }).data;
    shared = mine[mine.length - 1];
    expect(shared).toMatchObject({ name: 'Billing queue', teamId, builtin: null });

    const teammate = await getViews('teammate');
    expect(teammate.map((v) => v.name)).toEqual(['Unread', 'Recents', 'Starred', 'All', 'Billing queue']);
    expect(teammate[4].id).toBe(shared.id);
    expect((await getViews('outsider')).some((v) => v.teamId !== null)).toBe(false);
    expect((await getViews('admin')).some((v) => v.id === shared.id)).toBe(false); // the admin is not a member
    expect((await getViews('otherAdmin')).some((v) => v.id === shared.id)).toBe(false);
  });

  test('an outsider agent may not change the team’s views → 403; an admin may (not a member)', async () => {
    const denied = await put('outsider', { views: builtinRefs, teams: [{ teamId, views: [] }] });
    expectError(denied, 403, 'forbidden');
    expect((await getViews('teammate')).some((v) => v.id === shared.id)).toBe(true);
    const res = await put('admin', {
      views: builtinRefs,
      teams: [{ teamId, views: [{ id: shared.id, name: 'Billing (active)', filters: { scope: 'team', status: 'active' } }] }],
    });
    expect(res.status).toBe(200);
    const teammate = await getViews('teammate');
    expect(teammate.find((v) => v.id === shared.id)?.name).toBe('Billing (active)');
  });

  test('an unknown team, or another org’s → 422 team_not_found; a personal view id in a team list → 422 unknown_view', async () => {
    expectError(await put('admin', { views: builtinRefs, teams: [{ teamId: randomUUID(), views: [] }] }), 422, 'team_not_found');
    expectError(await put('admin', { views: builtinRefs, teams: [{ teamId: otherTeamId, views: [] }] }), 422, 'team_not_found');
    expectError(await put('otherAdmin', { views: builtinRefs, teams: [{ teamId, views: [] }] }), 422, 'team_not_found');
    const mine = await getViews('agent');
    const res = await put('agent', { views: builtinRefs, teams: [{ teamId, views: [{ id: mine[0].id, name: 'x', filters: {} }] }] });
    expectError(res, 422, 'unknown_view');
  });

  test('a member empties the team list; every member loses the view', async () => {
    expect((await put('teammate', { views: builtinRefs, teams: [{ teamId, views: [] }] })).status).toBe(200);
    expect((await getViews('agent')).some((v) => v.teamId !== null)).toBe(false);
  });
});

describe('counts', () => {
  const days = (n: number) => new Date(Date.now() - n * 24 * 3600 * 1000);
  /** Custom views of the admin, each a list query; the built-ins come first. */
  const customFilters: Record<string, string>[] = [
    { status: 'open' },
    { channel: 'whatsapp' },
    { priority: 'urgent', archived: 'true' },
    { tag: 'vip' },
    { assignee: 'me' },
    { assignee: 'none', status: 'active' },
    { scope: 'team' },
    { unread: 'false' },
    { q: 'refund' },
    { sessionStatus: 'waiting_reply' },
    { starred: 'false', archived: 'true' },
    { activeWithinDays: '3', channel: 'sms' },
  ];

  beforeAll(async () => {
    const org = h.org;
    // conversations through the real path (signed webhooks → workflows)
    const real = [await inboundAndWait(h, randomPhone(), { body: 'I want a refund' }), await inboundAndWait(h, randomPhone())];
    // and fixtures with varied state
    const statuses = ['open', 'pending', 'closed', 'snoozed'] as const;
    const channels = ['sms', 'whatsapp', 'email'] as const;
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const id = await insertConversation(h.db, org, { channel: channels[i % 3], status: statuses[i % 4], createdAt: days(i % 6) });
      ids.push(id);
      if (i % 5 !== 4) await insertMessage(h.db, org.orgId, id, { direction: 'inbound', author: 'customer', at: days(i % 6) });
      if (i % 3 === 0) await insertMessage(h.db, org.orgId, id, { direction: 'outbound', author: 'staff', at: days(i % 6) });
      await h.db
        .updateTable('conversations')
        .set({
          priority: i % 4 === 1 ? 'urgent' : 'normal',
          tags: i % 3 === 2 ? ['vip'] : [],
          assignee_id: i % 4 === 0 ? org.adminId : i % 4 === 1 ? org.agentId : null,
          team_id: i % 2 === 0 ? teamId : null,
          subject: i % 7 === 0 ? 'Refund request' : null,
          has_staff_replied: i % 3 === 0,
          archived_at: i % 6 === 5 ? new Date() : null,
        })
        .where('id', '=', id)
        .execute();
    }
    // the admin is a member of the team for `scope=team`
    await h.db.insertInto('team_members').values({ team_id: teamId, staff_id: org.adminId }).execute();
    // the admin reads some and stars some (through the API)
    const admin = (path: string) => request(h.app).post(path).set('Authorization', auth('admin')).send({});
    for (const [i, id] of [...ids, real[0].id].entries()) {
      if (i % 3 === 1) expect((await admin(`/v1/conversations/${id}/read`)).status).toBe(200);
      if (i % 4 === 2) expect((await admin(`/v1/conversations/${id}/star`)).status).toBe(200);
    }
    // another org's conversations are never counted
    const foreign = await insertConversation(h.db, other);
    await insertMessage(h.db, other.orgId, foreign, { direction: 'inbound', author: 'customer', at: new Date() });

    const res = await put('admin', { views: [...builtinRefs, ...customFilters.map((filters, i) => ({ name: `view ${i}`, filters }))] });
    expect(res.status).toBe(200);
  }, 120_000);

  test('each view counts what the list returns for its filters (total), and with unread=true (unread)', async () => {
    const views = await getViews('admin');
    const res = await request(h.app).get('/v1/conversations/views/counts').set('Authorization', auth('admin'));
    expect(res.status).toBe(200);
    const counts = (res.body as { data: CountBody[] }).data;
    expect(counts.map((c) => c.viewId)).toEqual(views.map((v) => v.id));
    let nonZero = 0;
    for (const [i, view] of views.entries()) {
      const query = new URLSearchParams(view.filters);
      const total = (await listAll(h, query.toString(), tokens.admin)).length;
      let unread = 0;
      if (view.filters.unread !== 'false') {
        query.set('unread', 'true');
        unread = (await listAll(h, query.toString(), tokens.admin)).length;
      }
      expect({ view: view.name, total: counts[i].total, unread: counts[i].unread }).toEqual({ view: view.name, total, unread });
      if (total > 0 && total < counts[views.findIndex((v) => v.builtin === 'all')].total) nonZero++;
    }
    // the fixtures make most views select a proper, non-empty subset (the comparison means something)
    expect(nonZero).toBeGreaterThanOrEqual(10);
  });

  test('counts are per viewer: the agent has read nothing', async () => {
    const counts = await request(h.app).get('/v1/conversations/views/counts').set('Authorization', auth('agent'));
    const views = await getViews('agent');
    const data = (counts.body as { data: CountBody[] }).data;
    const unreadView = data[views.findIndex((v) => v.builtin === 'unread')];
    expect(unreadView.total).toBe((await listAll(h, 'unread=true', tokens.agent)).length);
    const adminUnread = (await listAll(h, 'unread=true', tokens.admin)).length;
    expect(unreadView.total).toBeGreaterThan(adminUnread);
  });

  test('one round trip: the counts of every view are ONE statement over conversations', async () => {
    const statements: string[] = [];
    const nodes = new Map<unknown, RootOperationNode>();
    const spy: KyselyPlugin = {
      transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
        nodes.set(args.queryId, args.node);
        return args.node;
      },
      async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
        const node = nodes.get(args.queryId);
        if (node) statements.push(h.db.getExecutor().compileQuery(node, args.queryId).sql);
        return args.result;
      },
    };
    const app = appWithoutTemporal(h.db.withPlugin(spy));
    const views = await getViews('admin');
    // the org's first count in this app loads its projection (in chunks); every later count is one statement
    expect((await request(app).get('/v1/conversations/views/counts').set('Authorization', auth('admin'))).status).toBe(200);
    statements.length = 0;
    const res = await request(app).get('/v1/conversations/views/counts').set('Authorization', auth('admin'));
    expect(res.status).toBe(200);
    expect((res.body as { data: CountBody[] }).data).toHaveLength(views.length);
    const overConversations = statements.filter((s) => /\bfrom conversations\b/i.test(s));
    expect(overConversations).toHaveLength(1);
    // the projection's refresh: only the conversations changed since the last count (db/view-counts/)
    expect(overConversations[0]).toMatch(/changed_xid >= /);
    // and the request as a whole: reading the views, then counting
    expect(statements.filter((s) => !/staff_users|api_keys/.test(s))).toHaveLength(2);
    // a later request too (with a search view: counted in SQL inside the same statement)
    statements.length = 0;
    const put = await request(app)
      .put('/v1/conversations/views')
      .set('Authorization', auth('admin'))
      .send({
        views: [
          ...views.filter((v) => v.teamId === null).map((v) => ({ id: v.id, name: v.name, filters: v.filters })),
          { name: 'Refunds', filters: { q: 'refund' } },
        ],
      });
    expect(put.status).toBe(200);
    statements.length = 0;
    const again = await request(app).get('/v1/conversations/views/counts').set('Authorization', auth('admin'));
    expect(again.status).toBe(200);
    const counting = statements.filter((s) => /\bfrom conversations\b/i.test(s));
    expect(counting).toHaveLength(1);
    // one aggregate per view the projection does not hold (`q`, `deliveryStatus`, `contactId`)
    const inSql = (put.body as { data: ViewBody[] }).data.filter((v) => ['q', 'deliveryStatus', 'contactId'].some((k) => k in v.filters));
    expect(inSql.map((v) => v.name)).toContain('Refunds');
    expect(counting[0]!.match(/sum\(case when/g)).toHaveLength(inSql.length);
    // (the channel directory may load in the background: not part of this request's work)
    expect(statements.filter((s) => !/staff_users|api_keys|from "channels"/.test(s))).toHaveLength(2);
  });

  test('a view of another org never counts here, and the other org sees only its own', async () => {
    const res = await request(h.app).get('/v1/conversations/views/counts').set('Authorization', auth('otherAdmin'));
    expect(res.status).toBe(200);
    const otherViews = await getViews('otherAdmin');
    const data = (res.body as { data: CountBody[] }).data;
    expect(data.map((c) => c.viewId)).toEqual(otherViews.map((v) => v.id));
    expect(data[otherViews.findIndex((v) => v.builtin === 'all')].total).toBe(1);
  });
});
