/**
 * `GET /v1/conversations?q=`: Postgres full-text search (`websearch_to_tsquery('simple', q)`) over
 * message text, subject and contact name, through the real path (signed webhooks → workflows →
 * Postgres). This file's org is fresh, so the exact result sets are known.
 */
import { randomUUID } from 'node:crypto';
import { createHarness, type Harness, randomPhone } from '../support/harness';
import { api, type ConversationBody, expectError, expectValidationError, inboundAndWait, type Page } from './rest-helpers';

let h: Harness;
let parcel: ConversationBody; // "my parcel never arrived"
let jacket: ConversationBody; // "refund for the blue jacket" + a later message
let jacketBlue: ConversationBody; // "the jacket is blue, not red"
let jacketPlain: ConversationBody; // "jacket sleeves too long"
let invoiceSubject: ConversationBody; // subject "Invoice question", text without the word
let invoiceText: ConversationBody; // text mentions invoice, newer than invoiceSubject
let named: ConversationBody; // contact "Zebedee Quartermaine" (WhatsApp profile name)

beforeAll(async () => {
  h = await createHarness();
  const as = api(h);
  parcel = await inboundAndWait(h, randomPhone(), { body: 'My PARCEL never arrived' });
  const jacketFrom = randomPhone();
  jacket = await inboundAndWait(h, jacketFrom, { body: 'I want a refund for the blue jacket' });
  jacketBlue = await inboundAndWait(h, randomPhone(), { body: 'The jacket is blue, not red' });
  jacketPlain = await inboundAndWait(h, randomPhone(), { body: 'Jacket sleeves too long' });
  invoiceSubject = await inboundAndWait(h, randomPhone(), { body: 'Question about a charge' });
  expect((await as.patch(`/v1/conversations/${invoiceSubject.id}`, { subject: 'Invoice question' })).status).toBe(200);
  invoiceText = await inboundAndWait(h, randomPhone(), { body: 'Could you resend the invoice please' });
  const namedFrom = randomPhone();
  expect((await h.inbound({ from: namedFrom, body: 'Hola', whatsapp: true, profileName: 'Zebedee Quartermaine' })).status).toBe(200);
  const namedId = h.conversationIdOf(namedFrom, 'whatsapp');
  named = await h.waitFor(async () => {
    const r = await as.get(`/v1/conversations/${namedId}`);
    const body = r.body as ConversationBody;
    return r.status === 200 && body.contact.name === 'Zebedee Quartermaine' ? body : undefined;
  }, 'named contact');
}, 90_000);
afterAll(async () => {
  await h?.close();
});

/** Every result of `q` (all pages at `limit`), in order. */
async function search(q: string, extra = '', limit = 100): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 30; i++) {
    const res = await api(h).get(
      `/v1/conversations?q=${encodeURIComponent(q)}&limit=${limit}${extra}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status).toBe(200);
    const page = res.body as Page<ConversationBody>;
    out.push(...page.data.map((c) => c.id));
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}
const sorted = (ids: string[]) => [...ids].sort();

test('message text, case-insensitive', async () => {
  expect(await search('parcel')).toEqual([parcel.id]);
  expect(await search('Parcel ARRIVED')).toEqual([parcel.id]);
});

test('subject and contact name', async () => {
  expect(await search('question')).toEqual([invoiceSubject.id]);
  expect(await search('zebedee')).toEqual([named.id]);
  expect(await search('Quartermaine Zebedee')).toEqual([named.id]);
  // documented limit: each message, the subject and the contact name are separate documents, so every
  // word must be in one of them (the name here, the message "Hola" there)
  expect(await search('Quartermaine hola')).toEqual([]);
  expect(sorted(await search('Quartermaine or hola'))).toEqual([named.id]);
});

test('ranked: a subject hit comes before a newer conversation that only mentions it in a message', async () => {
  expect(Date.parse(invoiceText.lastActivityAt)).toBeGreaterThan(Date.parse(invoiceSubject.lastActivityAt));
  expect(await search('invoice')).toEqual([invoiceSubject.id, invoiceText.id]);
});

test('words are ANDed; "phrases"; or; -exclusion', async () => {
  expect(sorted(await search('jacket'))).toEqual(sorted([jacket.id, jacketBlue.id, jacketPlain.id]));
  expect(sorted(await search('blue jacket'))).toEqual(sorted([jacket.id, jacketBlue.id]));
  expect(await search('"blue jacket"')).toEqual([jacket.id]);
  expect(await search('jacket -blue')).toEqual([jacketPlain.id]);
  expect(sorted(await search('parcel or sleeves'))).toEqual(sorted([parcel.id, jacketPlain.id]));
});

test('equal ranks keep newest activity first, and paging one by one walks the same order without repeats', async () => {
  const all = await search('jacket');
  expect(all).toEqual([jacketPlain.id, jacketBlue.id, jacket.id].filter((id) => all.includes(id)));
  expect(await search('jacket', '', 1)).toEqual(all);
});

test('no match → 200 with an empty page', async () => {
  const res = await api(h).get('/v1/conversations?q=xyzzyplugh');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ data: [], nextCursor: null });
});

test.each(['!!!', '"', '((( ) :* & | !', "-'", 'or', '- - -', '"unclosed phrase', '\\', '😀 ümlaut', 'a:*b<->c'])(
  'garbage q=%s → 200, never a 5xx',
  async (q) => {
    const res = await api(h).get(`/v1/conversations?q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(200);
    expect(Array.isArray((res.body as Page<ConversationBody>).data)).toBe(true);
  },
);

test('bad q: empty, blank, too long, NUL → 400', async () => {
  for (const q of ['', '   ', 'x'.repeat(201), 'a\u0000b']) {
    expectValidationError(await api(h).get(`/v1/conversations?q=${encodeURIComponent(q)}`), 'q');
  }
});

test('cursors of the two orders do not mix → 400 invalid_cursor', async () => {
  const plain = (await api(h).get('/v1/conversations?limit=1')).body as Page<ConversationBody>;
  expect(plain.nextCursor).toEqual(expect.any(String));
  expectError(await api(h).get(`/v1/conversations?q=jacket&cursor=${encodeURIComponent(plain.nextCursor!)}`), 400, 'invalid_cursor');
  const ranked = (await api(h).get('/v1/conversations?q=jacket&limit=1')).body as Page<ConversationBody>;
  expect(ranked.nextCursor).toEqual(expect.any(String));
  expectError(await api(h).get(`/v1/conversations?cursor=${encodeURIComponent(ranked.nextCursor!)}`), 400, 'invalid_cursor');
});

test('search combines with the other filters; archived conversations only with ?archived=true', async () => {
  expect(await search('jacket', '&channel=whatsapp')).toEqual([]);
  expect(await search('hola', '&channel=whatsapp')).toEqual([named.id]);
  expect((await api(h).post(`/v1/conversations/${parcel.id}/archive`, { archived: true })).status).toBe(200);
  expect(await search('parcel')).toEqual([]);
  expect(await search('parcel', '&archived=true')).toEqual([parcel.id]);
  expect((await api(h).post(`/v1/conversations/${parcel.id}/archive`, { archived: false })).status).toBe(200);
  expect(await search('parcel', `&contactId=${parcel.contact.id}`)).toEqual([parcel.id]);
  expect(await search('parcel', `&contactId=${randomUUID()}`)).toEqual([]);
});
