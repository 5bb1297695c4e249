/**
 * `GET /v1/ai-assistant/training-pairs` through the real app over rows inserted directly: NDJSON
 * (content type, one JSON object per line, trailing newline), order by creation time then id, the
 * optional half-open `[from, to)` bounds, organisation scoping, admins only (403 for agents), query
 * validation (400), and an export larger than one 500-row page, with ties of one microsecond timestamp
 * across the page boundary, coming out complete and in order.
 */
import express from 'express';
import request from 'supertest';
import type { AiTrainingPairView } from '../../api/ai-training-pair-schemas';
import { requireAuth, signStaffToken } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import { aiTrainingPairsRouter } from '../../api/routes/ai-training-pairs';
import { createLogger } from '../../config/logger';
import type { Db } from '../../db/client';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, type TestOrg } from '../support/harness';
import { insertConversation, insertTrainingPairs } from './db-fixtures';
import { expectError, expectValidationError } from './rest-helpers';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** A fresh org of its own (so exports are exact) with admin and agent tokens and one conversation. */
async function freshOrg(): Promise<{ org: TestOrg; admin: string; agent: string; conversationId: string }> {
  const org = await createTestOrg(h.db);
  return {
    org,
    admin: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }),
    agent: signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'agent' }),
    conversationId: await insertConversation(h.db, org, { channel: 'email' }),
  };
}

/** GETs the export as `token`, collecting the body as text whatever its content type. */
function exportAs(token: string, query = '') {
  return request(h.app)
    .get(`/v1/ai-assistant/training-pairs${query ? `?${query}` : ''}`)
    .set('Authorization', `Bearer ${token}`)
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    });
}

/** The NDJSON lines of a 200 export, each parsed with JSON.parse. */
function lines(res: request.Response): AiTrainingPairView[] {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
  const text = res.body as string;
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as AiTrainingPairView);
}

describe('GET /v1/ai-assistant/training-pairs', () => {
  test('one JSON object per line, by creation time then id, with every field', async () => {
    const { org, admin, conversationId } = await freshOrg();
    const [late, early] = await insertTrainingPairs(h.db, org.orgId, conversationId, [
      {
        at: '2026-03-02T10:00:00Z',
        draft: 'Your order ships Monday.',
        sent: 'Your order ships Tuesday.',
        intent: 'order_status',
        staffUserId: org.adminId,
      },
      { at: '2026-03-01T10:00:00Z', draft: 'Same', sent: 'Same', intent: 'refund' },
    ]);
    const tied = await insertTrainingPairs(h.db, org.orgId, conversationId, [
      { at: '2026-03-01T12:00:00.000001Z' },
      { at: '2026-03-01T12:00:00.000001Z' },
      { at: '2026-03-01T12:00:00.000001Z' },
    ]);
    const res = await exportAs(admin);
    const out = lines(res);
    expect(out.map((p) => p.id)).toEqual([early, ...[...tied].sort(), late]);
    const suggestion = await h.db
      .selectFrom('ai_training_pairs')
      .select(['suggestion_id', 'message_id'])
      .where('id', '=', late!)
      .executeTakeFirstOrThrow();
    expect(out.at(-1)).toEqual({
      id: late,
      conversationId,
      suggestionId: suggestion.suggestion_id,
      messageId: suggestion.message_id,
      draft: 'Your order ships Monday.',
      sent: 'Your order ships Tuesday.',
      edited: true,
      intent: 'order_status',
      staffUserId: org.adminId,
      createdAt: '2026-03-02T10:00:00.000Z',
    });
    expect(out[0]).toMatchObject({ id: early, draft: 'Same', sent: 'Same', edited: false, intent: 'refund', staffUserId: null });
  });

  test('texts with newlines and unicode stay on one line and round-trip', async () => {
    const { org, admin, conversationId } = await freshOrg();
    const draft = 'Line one\nLine two\r\n\u2028 caf\u00e9 \u{1F600} "quoted" \\ back';
    await insertTrainingPairs(h.db, org.orgId, conversationId, [{ at: '2026-03-01T00:00:00Z', draft, sent: `${draft}!` }]);
    const out = lines(await exportAs(admin));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ draft, sent: `${draft}!`, edited: true });
  });

  test('from is inclusive, to exclusive; both optional', async () => {
    const { org, admin, conversationId } = await freshOrg();
    const [a, b, c] = await insertTrainingPairs(h.db, org.orgId, conversationId, [
      { at: '2026-03-01T00:00:00Z' },
      { at: '2026-03-02T00:00:00Z' },
      { at: '2026-03-03T00:00:00Z' },
    ]);
    const ids = async (query: string) => lines(await exportAs(admin, query)).map((p) => p.id);
    expect(await ids('')).toEqual([a, b, c]);
    expect(await ids('from=2026-03-02T00:00:00Z')).toEqual([b, c]);
    expect(await ids('to=2026-03-02T00:00:00Z')).toEqual([a]);
    expect(await ids('from=2026-03-01T00:00:00.001Z&to=2026-03-03T00:00:00.001Z')).toEqual([b, c]);
    expect(await ids('from=2026-03-02T01:00:00%2B01:00&to=2026-03-03T00:00:00Z')).toEqual([b]);
    expect(await ids('from=2027-01-01T00:00:00Z')).toEqual([]);
  });

  test('an org without pairs gets an empty NDJSON body; another org\u2019s pairs never appear', async () => {
    const mine = await freshOrg();
    const theirs = await freshOrg();
    await insertTrainingPairs(h.db, theirs.org.orgId, theirs.conversationId, [{ at: '2026-03-01T00:00:00Z' }]);
    expect(lines(await exportAs(mine.admin))).toEqual([]);
    expect(lines(await exportAs(theirs.admin))).toHaveLength(1);
  });

  test('an export over several 500-row pages (ties of one µs timestamp across a page boundary) is complete and ordered', async () => {
    const { org, admin, conversationId } = await freshOrg();
    const spread = Array.from({ length: 450 }, (_, i) => ({ at: new Date(Date.UTC(2026, 2, 1) + i * 1000) }));
    const tie = '2026-03-01T06:00:00.123456Z';
    const ties = Array.from({ length: 150 }, () => ({ at: tie })); // rows 451–600: the first page ends inside them
    const after = Array.from({ length: 603 }, (_, i) => ({ at: new Date(Date.UTC(2026, 2, 2) + i * 1000) }));
    const spreadIds = await insertTrainingPairs(h.db, org.orgId, conversationId, spread);
    const tieIds = await insertTrainingPairs(h.db, org.orgId, conversationId, ties);
    const afterIds = await insertTrainingPairs(h.db, org.orgId, conversationId, after);
    const out = lines(await exportAs(admin));
    expect(out).toHaveLength(1203);
    expect(out.map((p) => p.id)).toEqual([...spreadIds, ...[...tieIds].sort(), ...afterIds]);
  });

  test('agents → 403 forbidden (JSON); without a token → 401', async () => {
    const { agent } = await freshOrg();
    const res = await request(h.app).get('/v1/ai-assistant/training-pairs').set('Authorization', `Bearer ${agent}`);
    const body = expectError(res, 403, 'forbidden');
    expect(body.error.message).toMatch(/admin/i);
    expectError(await request(h.app).get('/v1/ai-assistant/training-pairs'), 401, 'unauthorized');
  });

  test.each([
    ['from not a date', 'from=yesterday', 'from'],
    ['to without zone', 'to=2026-03-01T00:00:00', 'to'],
    ['from equal to to', 'from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ['from after to', 'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ['an unknown key', 'intent=refund', 'intent'],
  ])('%s → 400 validation_failed (JSON)', async (_name, query, path) => {
    const res = await request(h.app).get(`/v1/ai-assistant/training-pairs?${query}`).set('Authorization', h.auth);
    expectValidationError(res, path);
  });

  test('a database failure before the first line is a JSON 500; after lines were sent the response is aborted, not ended', async () => {
    const { org, admin, conversationId } = await freshOrg();
    await insertTrainingPairs(
      h.db,
      org.orgId,
      conversationId,
      Array.from({ length: 501 }, (_, i) => ({ at: new Date(Date.UTC(2026, 2, 1) + i * 1000) })),
    );
    /** An app over a handle whose queries fail from the `failFrom`-th on (1-based). */
    const appFailingFrom = (failFrom: number) => {
      let queries = 0;
      const db: Db = h.db.withPlugin({
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          queries += 1;
          if (queries >= failFrom) throw new Error('database gone');
          return args.result;
        },
      });
      const app = express();
      app.use(requireAuth(JWT_SECRET));
      app.use('/v1/ai-assistant/training-pairs', aiTrainingPairsRouter({ db, logger: createLogger('silent') }));
      app.use(errorHandler(createLogger('silent')));
      return app;
    };
    const first = await request(appFailingFrom(1)).get('/v1/ai-assistant/training-pairs').set('Authorization', `Bearer ${admin}`);
    expectError(first, 500, 'internal_error');
    const fetchFrom = (app: express.Express) =>
      request(app).get('/v1/ai-assistant/training-pairs').set('Authorization', `Bearer ${admin}`).buffer(true);
    // the same request over a working handle completes (two pages, 501 lines)
    const whole = await fetchFrom(appFailingFrom(99));
    expect(whole.status).toBe(200);
    // the first page (500 lines) goes out, the second query fails: the client must not see a complete response
    await expect(fetchFrom(appFailingFrom(2))).rejects.toThrow();
  });

  test('the settings route next to it still answers', async () => {
    const res = await request(h.app).get('/v1/ai-assistant').set('Authorization', h.auth);
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('enabled');
  });
});
