/**
 * Fuzz: every route the app serves (read from the Express router and the served OpenAPI document,
 * so the list cannot drift from the code) gets malformed path ids, query values, bodies, content
 * encodings and headers — with valid credentials most of the time, so requests get past auth and
 * signature checks into validation, the database and the workflows. No answer may be a 5xx, and
 * every 4xx JSON answer has the error shape. Deterministic: a fixed seed per route, a bounded count.
 */
import { randomBytes } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import { signTwilioRequest } from '../../scripts/twilio-form';
import { insertSuggestion } from './db-fixtures';
import { expressRoutes } from '../support/routes';
import {
  createHarness,
  type Harness,
  POSTMARK_WEBHOOK_PASSWORD,
  POSTMARK_WEBHOOK_USER,
  PUBLIC_BASE_URL,
  randomPhone,
  TWILIO_AUTH_TOKEN,
} from '../support/harness';
import { prng } from '../support/prng';

/** Base seed; each route fuzzes with `SEED + its index in the sorted route list`. */
const SEED = 0x5eed_0008;
/** Requests per route. */
const PER_ROUTE = 40;

/** Path segments for a `{param}`, already percent-encoded as they go on the wire. */
const BAD_IDS = [
  '%FF%FE',
  '%00',
  '%E0%A4%A',
  '%C0%AF',
  '%F0%9F%92%A9',
  'not-a-uuid',
  '0',
  '-1',
  "'%20or%201%3D1--",
  '..%2F..%2Fetc%2Fpasswd',
  'x'.repeat(600),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '%7B%7D',
  'stats',
];

/** Bad values for query parameters (percent-encoded). */
const BAD_QUERY_VALUES = [
  '',
  '%00',
  'a%00b',
  '%FF',
  '%E0%A4%A',
  '-1',
  '0',
  '1e309',
  'NaN',
  'abc',
  'true',
  'x'.repeat(3000),
  '2026-13-45T99%3A99%3A99Z',
  '%7B%22a%22%3A1%7D',
  'W10',
];

/** Bad JSON leaf values. */
const BAD_JSON_VALUES: unknown[] = [
  null,
  -1,
  0,
  1e308,
  1.5,
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '%FF',
  'x'.repeat(20_000),
  true,
  [],
  {},
  [null],
  { __proto__: { polluted: true } },
  '2026-02-30T25:61:00Z',
  '00000000-0000-0000-0000-000000000000',
  'not-a-uuid',
  'closed',
  'snoozed',
  'sms',
  'email',
];

/** Raw bodies with their content type. */
const RAW_BODIES: { type: string; body: string | Buffer }[] = [
  { type: 'application/json', body: '{' },
  { type: 'application/json', body: '{"a":' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '"str"' },
  { type: 'application/json', body: '1e999999' },
  { type: 'application/json', body: Buffer.from([0xff, 0xfe, 0x7b, 0x00]) },
  { type: 'application/json', body: `${'['.repeat(5000)}${']'.repeat(5000)}` },
  { type: 'application/json; charset=utf-16', body: '{}' },
  { type: 'application/json; charset=klingon', body: '{}' },
  { type: 'text/plain', body: 'hello' },
  { type: 'application/x-www-form-urlencoded', body: '%FF=%FE&a[b][c]=1&a=2&__proto__[x]=1' },
  { type: 'multipart/form-data; boundary=xyz', body: '--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\ngarbage' },
  { type: 'multipart/form-data', body: 'no boundary' },
  { type: 'application/xml', body: '<a/>' },
];

/** Content-Encoding headers, with whether the body is really encoded that way. */
const ENCODINGS: { header: string; encode?: (b: Buffer) => Buffer }[] = [
  { header: 'gzip' },
  { header: 'gzip', encode: gzipSync },
  { header: 'deflate' },
  { header: 'deflate', encode: deflateSync },
  { header: 'br' },
  { header: 'br', encode: brotliCompressSync },
  { header: 'compress' },
  { header: 'identity' },
  { header: 'gzip, gzip' },
  { header: 'x-unknown' },
  { header: '' },
];

const HEADER_CASES: Record<string, string>[] = [
  { 'Idempotency-Key': 'k' },
  { 'Idempotency-Key': ' ' },
  { 'Idempotency-Key': 'x'.repeat(300) },
  { 'Idempotency-Key': 'same-key-every-time' },
  { 'X-Org-Id': 'not-an-org' },
  { 'X-Org-Id': '00000000-0000-0000-0000-000000000000' },
  { 'If-None-Match': '"\u00e9"' },
  { 'If-None-Match': '*' },
  { Accept: 'application/xml' },
  { Accept: '*/*;q=abc' },
  { 'X-Twilio-Signature': 'bad' },
  { 'Content-Length': '0' },
];

interface Route {
  method: string;
  path: string;
}

interface Failure {
  route: string;
  request: string;
  status: number;
  body: string;
}

let h: Harness;
/** A real id per `{param}` kind, so some requests go past the 404 into validation and the workflows. */
const realIds: Record<string, string> = {};

beforeAll(async () => {
  h = await createHarness();
  const from = randomPhone();
  expect((await h.inbound({ from, body: 'fuzz me' })).status).toBe(200);
  const conversationId = h.conversationIdOf(from);
  await h.waitFor(async () => h.db.selectFrom('conversations').select('id').where('id', '=', conversationId).executeTakeFirst());
  const as = (path: string, body: object) => request(h.app).post(path).set('Authorization', h.auth).send(body);
  const contact = await as('/v1/contacts', { name: 'Fuzz', phone: randomPhone() });
  const template = await as('/v1/templates', { name: `fuzz-${randomBytes(3).toString('hex')}`, channel: 'sms', body: 'Hi {{name}}' });
  const todo = await as('/v1/todos', { title: 'fuzz', sourceType: 'inbox', sourceId: conversationId });
  const upload = await request(h.app)
    .post('/v1/attachments')
    .set('Authorization', h.auth)
    .attach('file', Buffer.from('fuzz'), { filename: 'f.txt', contentType: 'text/plain' });
  Object.assign(realIds, {
    '/v1/conversations': conversationId,
    '/v1/contacts': contact.body.id,
    '/v1/templates': template.body.id,
    '/v1/todos': todo.body.id,
    '/v1/attachments': upload.body.id,
    '/media': upload.body.id,
    suggestionId: await insertSuggestion(h.db, h.org.orgId, conversationId, { at: new Date() }),
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** The routes to fuzz: the union of what the router serves and what the document lists, sorted. */
async function allRoutes(): Promise<Route[]> {
  const doc = (await request(h.app).get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
  const byKey = new Map([...expressRoutes(h.app), ...documented].map((r) => [`${r.method} ${r.path}`, r]));
  return [...byKey.values()].sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

/** Documented request-body property names per `METHOD path` (fuzzed bodies use them so they reach deeper checks). */
async function bodyKeys(): Promise<Map<string, string[]>> {
  const doc = (await request(h.app).get('/openapi.json')).body as {
    paths: Record<
      string,
      Record<string, { requestBody?: { content?: Record<string, { schema?: { $ref?: string; properties?: object } }> } }>
    >;
    components: { schemas: Record<string, { properties?: object }> };
  };
  const out = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      const resolved = schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
      out.set(`${method.toUpperCase()} ${path}`, Object.keys(resolved?.properties ?? {}));
    }
  }
  return out;
}

test('no route answers a malformed request with a 5xx', async () => {
  const routes = await allRoutes();
  const keysOf = await bodyKeys();
  expect(routes.length).toBeGreaterThan(30);
  const failures: Failure[] = [];
  let sent = 0;

  for (const [index, route] of routes.entries()) {
    const rnd = prng(SEED + index);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
    const chance = (p: number) => rnd() < p;
    const keys = keysOf.get(`${route.method} ${route.path}`) ?? [];
    const randomJson = (depth = 0): unknown => {
      const roll = rnd();
      if (depth > 2 || roll < 0.5) return pick(BAD_JSON_VALUES);
      if (roll < 0.65) return Array.from({ length: Math.floor(rnd() * 3) }, () => randomJson(depth + 1));
      const names = [...keys, 'unknown', '__proto__', 'constructor', '', '\u0000'];
      return Object.fromEntries(Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => [pick(names), randomJson(depth + 1)]));
    };

    for (let i = 0; i < PER_ROUTE; i++) {
      // path: each {param} a real id (60 %) or a malformed one
      const prefix = Object.keys(realIds).find((p) => route.path.startsWith(`${p}/`));
      const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        const real = name === 'id' ? (prefix ? realIds[prefix] : undefined) : realIds[name];
        return real && chance(0.6) ? real : pick(BAD_IDS);
      });
      // query: a documented name or a hostile one, with a bad value
      const query = chance(0.6)
        ? `?${Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `${pick(['limit', 'cursor', 'tag', 'status', 'channel', 'assignee', 'before', 'after', 'from', 'to', 'overdue', 'needsHuman', 'priority', 'sourceId', 'messageId', 'expires', 'signature', '__proto__', 'a[b]', '%FF'])}=${pick(BAD_QUERY_VALUES)}`).join('&')}`
        : '';
      const url = `${path}${query}`;
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      let req = request(h.app)[method](url);
      const described: string[] = [`${route.method} ${url}`];

      // credentials: mostly valid for the route's kind, sometimes garbage
      const auth = rnd();
      if (route.path.startsWith('/v1/')) {
        if (auth < 0.85) req = req.set('Authorization', h.auth);
        else if (auth < 0.92) req = req.set('Authorization', `Bearer ${h.tokens.agent}`);
        else req = req.set('Authorization', pick(['Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg==', 'Bearer \u00ff']));
      } else if (route.path.startsWith('/webhooks/postmark') && auth < 0.8) {
        req = req.auth(POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD);
      }

      // headers
      if (chance(0.4)) {
        const headers = pick(HEADER_CASES);
        for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
        described.push(JSON.stringify(headers));
      }

      // body + encoding
      const kind = rnd();
      let body: string | Buffer | undefined;
      let type: string | undefined;
      if (kind < 0.45) {
        type = 'application/json';
        body = JSON.stringify(randomJson());
      } else if (kind < 0.7) {
        ({ type, body } = pick(RAW_BODIES));
      } else if (route.path.startsWith('/webhooks/twilio') && kind < 0.85) {
        // a correctly signed form with hostile fields: gets past the signature check
        const form = new URLSearchParams();
        for (const name of ['From', 'To', 'Body', 'MessageSid', 'MessageStatus', 'NumMedia', 'MediaUrl0', 'ErrorCode', 'AccountSid']) {
          if (chance(0.7)) form.set(name, String(pick(BAD_JSON_VALUES) ?? ''));
        }
        type = 'application/x-www-form-urlencoded';
        body = form.toString();
        req = req.set('X-Twilio-Signature', signTwilioRequest(TWILIO_AUTH_TOKEN, `${PUBLIC_BASE_URL}${url}`, body));
      }
      if (body !== undefined && chance(0.35)) {
        const encoding = pick(ENCODINGS);
        const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
        body = encoding.encode ? encoding.encode(bytes) : bytes;
        req = req.set('Content-Encoding', encoding.header);
        described.push(`Content-Encoding: ${encoding.header}${encoding.encode ? '' : ' (not encoded)'}`);
      }
      if (body !== undefined && type !== undefined) {
        req = req.set('Content-Type', type).serialize((b: unknown) => b as string);
        described.push(`${type}: ${(Buffer.isBuffer(body) ? body.toString('latin1') : body).slice(0, 200)}`);
      }

      const res = await (body === undefined ? req : req.send(body));
      sent++;
      const jsonError = /json/.test(String(res.headers['content-type'] ?? '')) && res.status >= 400;
      const shapeOk = !jsonError || (typeof res.body?.error?.code === 'string' && typeof res.body?.error?.message === 'string');
      if (res.status >= 500 || !shapeOk) {
        failures.push({
          route: `${route.method} ${route.path}`,
          request: described.join(' | '),
          status: res.status,
          body: res.text.slice(0, 300),
        });
      }
    }
  }

  expect(sent).toBe(routes.length * PER_ROUTE);
  expect(failures).toEqual([]);
}, 300_000);
