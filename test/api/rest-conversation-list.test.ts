/**
 * `GET /v1/conversations`: filters, limits and keyset pagination over conversations created
 * through the real path (signed Twilio webhooks → workflows → Postgres). This file's org is fresh,
 * so the exact sets are known even while other files create conversations in their own orgs.
 */
import { createHarness, type Harness, randomPhone } from '../support/harness';
import { api, type ConversationBody, idsOf, inboundAndWait, listAll, type Page } from './rest-helpers';

let h: Harness;
/** Created one after another (each waited for): newest last. */
const sequential: ConversationBody[] = [];
/** Created in a burst (activity times may tie). */
let burst: ConversationBody[] = [];
let whatsapp: ConversationBody;
let allIds: string[];

// roles in the fixture
let closed: ConversationBody;
let mine: ConversationBody;
let agents: ConversationBody;
let tagged: ConversationBody;
let urgent: ConversationBody;
let pending: ConversationBody;

beforeAll(async () => {
  h = await createHarness();
  for (let i = 0; i < 7; i++) sequential.push(await inboundAndWait(h, randomPhone(), { body: `sequential ${i}` }));
  whatsapp = await inboundAndWait(h, randomPhone(), { body: 'via WhatsApp', whatsapp: true });
  burst = await Promise.all(Array.from({ length: 20 }, (_, i) => inboundAndWait(h, randomPhone(), { body: `burst ${i}` })));
  [closed, mine, agents, tagged, urgent, pending] = sequential as [
    ConversationBody,
    ConversationBody,
    ConversationBody,
    ConversationBody,
    ConversationBody,
    ConversationBody,
  ];

  const as = api(h);
  const ok = async (p: Promise<{ status: number }>) => expect((await p).status).toBe(200);
  await ok(as.post(`/v1/conversations/${closed.id}/status`, { status: 'closed' }));
  await ok(as.post(`/v1/conversations/${pending.id}/status`, { status: 'pending' }));
  await ok(as.post(`/v1/conversations/${mine.id}/assign`, { assigneeId: h.org.adminId }));
  await ok(as.post(`/v1/conversations/${agents.id}/assign`, { assigneeId: h.org.agentId }));
  await ok(as.patch(`/v1/conversations/${tagged.id}`, { tags: ['Billing', 'refund'] }));
  await ok(as.patch(`/v1/conversations/${urgent.id}`, { priority: 'urgent' }));
  await ok(as.patch(`/v1/conversations/${whatsapp.id}`, { tags: ['refund'] }));
  allIds = [...sequential, whatsapp, ...burst].map((c) => c.id);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const sorted = (ids: string[]) => [...ids].sort();
const except = (...out: ConversationBody[]) => allIds.filter((id) => !out.some((c) => c.id === id));

/** Newest activity first, ties broken by id (descending). */
function expectActivityOrder(list: ConversationBody[]): void {
  for (let i = 1; i < list.length; i++) {
    const [a, b] = [list[i - 1]!, list[i]!];
    const ok = a.lastActivityAt > b.lastActivityAt || (a.lastActivityAt === b.lastActivityAt && a.id > b.id);
    expect({ i, ok, a: [a.lastActivityAt, a.id], b: [b.lastActivityAt, b.id] }).toMatchObject({ ok: true });
  }
}

test('all 28 conversations are listed newest activity first; sequential ones in reverse creation order', async () => {
  const list = await listAll(h);
  expect(sorted(list.map((c) => c.id))).toEqual(sorted(allIds));
  expectActivityOrder(list);
  const seqIds = sequential.map((c) => c.id);
  const seqOrder = list.map((c) => c.id).filter((id) => seqIds.includes(id));
  expect(seqOrder).toEqual([...seqIds].reverse());
  // the WhatsApp one arrived after every sequential one and before the burst
  const idx = (id: string) => list.findIndex((c) => c.id === id);
  expect(idx(whatsapp.id)).toBeLessThan(idx(sequential[6]!.id));
  for (const b of burst) expect(idx(b.id)).toBeLessThan(idx(whatsapp.id));
  // a list item is the full Conversation view
  expect(list.find((c) => c.id === tagged.id)).toMatchObject({
    status: 'open',
    tags: ['billing', 'refund'],
    channel: 'sms',
    inbox: { kind: 'sms' },
    unreadCount: 1,
    lastMessagePreview: 'sequential 3',
  });
});

test('limit: default 25, max 100', async () => {
  const def = await api(h).get('/v1/conversations');
  expect(def.status).toBe(200);
  const body = def.body as Page<ConversationBody>;
  expect(body.data).toHaveLength(25);
  expect(body.nextCursor).toEqual(expect.any(String));
  const max = (await api(h).get('/v1/conversations?limit=100')).body as Page<ConversationBody>;
  expect(max.data).toHaveLength(28);
  expect(max.nextCursor).toBeNull();
  expect((await api(h).get('/v1/conversations?limit=101')).status).toBe(400);
  const one = (await api(h).get('/v1/conversations?limit=1')).body as Page<ConversationBody>;
  expect(one.data.map((c) => c.id)).toEqual([max.data[0]!.id]);
  // exactly `limit` left: no next page
  const exact = (await api(h).get('/v1/conversations?limit=28')).body as Page<ConversationBody>;
  expect(exact.data).toHaveLength(28);
  expect(exact.nextCursor).toBeNull();
});

test.each<[string, () => string[]]>([
  ['status=closed', () => [closed.id]],
  ['status=pending', () => [pending.id]],
  ['status=open', () => except(closed, pending)],
  ['status=snoozed', () => []],
  ['channel=whatsapp', () => [whatsapp.id]],
  ['channel=sms', () => except(whatsapp)],
  ['channel=email', () => []],
  ['assignee=me', () => [mine.id]],
  ['assignee=none', () => except(mine, agents)],
  ['tag=billing', () => [tagged.id]],
  ['tag=refund', () => [tagged.id, whatsapp.id]],
  ['tag=nothing-like-this', () => []],
  ['priority=urgent', () => [urgent.id]],
  ['priority=normal', () => except(urgent)],
  ['overdue=false', () => allIds],
  ['overdue=true', () => []],
  ['status=open&channel=sms&assignee=none&priority=normal', () => except(closed, pending, whatsapp, mine, agents, urgent)],
  ['tag=refund&channel=sms', () => [tagged.id]],
])('filter %s', async (query, expected) => {
  const list = await listAll(h, query);
  expect(sorted(list.map((c) => c.id))).toEqual(sorted(expected()));
  expectActivityOrder(list);
});

test('assignee=<id> and assignee=me as the agent', async () => {
  expect(await idsOf(h, `assignee=${h.org.agentId}`)).toEqual([agents.id]);
  expect(await idsOf(h, `assignee=${h.org.adminId}`)).toEqual([mine.id]);
  expect(await idsOf(h, 'assignee=me', h.tokens.agent)).toEqual([agents.id]);
});

test('filters and cursors combine: paging status=open 4 at a time yields exactly the open ones', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const res = await api(h).get(`/v1/conversations?status=open&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const page = res.body as Page<ConversationBody>;
    expect(page.data.length).toBeLessThanOrEqual(4);
    for (const c of page.data) expect(c.status).toBe('open');
    seen.push(...page.data.map((c) => c.id));
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  expect(seen).toHaveLength(new Set(seen).size);
  expect(sorted(seen)).toEqual(sorted(except(closed, pending)));
});

test('cursor pagination stays stable when a new conversation arrives between pages', async () => {
  const before = (await listAll(h)).map((c) => c.id);
  const p1 = (await api(h).get('/v1/conversations?limit=10')).body as Page<ConversationBody>;
  expect(p1.data.map((c) => c.id)).toEqual(before.slice(0, 10));
  expect(p1.nextCursor).toEqual(expect.any(String));

  const newcomer = await inboundAndWait(h, randomPhone(), { body: 'I arrived in the middle' });

  const walked = [...p1.data.map((c) => c.id)];
  let cursor = p1.nextCursor;
  while (cursor) {
    const res = await api(h).get(`/v1/conversations?limit=10&cursor=${cursor}`);
    expect(res.status).toBe(200);
    const page = res.body as Page<ConversationBody>;
    walked.push(...page.data.map((c) => c.id));
    cursor = page.nextCursor;
  }
  // no duplicates, no skips, the newcomer is not in the older pages
  expect(walked).toEqual(before);
  expect(walked).not.toContain(newcomer.id);
  // a fresh first page starts with it
  expect(await idsOf(h, 'limit=1')).toEqual([newcomer.id]);
});
