/**
 * `GET /v1/contacts` (newest first, keyset pagination stable across inserts, `q` over names and
 * addresses in any spelling, org-scoped) and `PATCH /v1/contacts/:id` (name, vip, identities replaced
 * and normalised; 422 `invalid_address`, 409 `identity_taken`, 404 for another org's contact; a reply
 * after an address change goes to the new number), through the real path: Express → Postgres, the
 * Temporal worker and the Twilio / Telegram stand-ins of the harness.
 */
import { randomUUID } from 'node:crypto';
import { signStaffToken } from '../../api/auth';
import { CHANNEL_KIND_SPECS } from '../../channels/kinds';
import { IDENTITY_KINDS, markContactEmailBounced } from '../../db/contacts';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone, type TestOrg } from '../support/harness';
import { api, type ConversationBody, expectError, expectValidationError, inboundAndWait, type Page } from './rest-helpers';

interface ContactBody {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  whatsapp: string | null;
  vip: boolean;
  emailBouncedAt: string | null;
  identities: { kind: string; address: string }[];
  createdAt: string;
  updatedAt: string;
}

let h: Harness;
/** A second org (own admin token), for isolation. */
let other: { org: TestOrg; token: string };

beforeAll(async () => {
  h = await createHarness();
  other = await freshOrg();
});
afterAll(async () => {
  await h?.close();
});

/** A new org of the harness database with its admin's token. */
async function freshOrg(): Promise<{ org: TestOrg; token: string }> {
  const org = await createTestOrg(h.db);
  return { org, token: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }) };
}

/** `+1 (202) 555-0143` style spelling of an E.164 US number. */
function pretty(e164: string): string {
  const d = e164.slice(2);
  return `+1 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
}

/** Creates a contact through the API (as `token`, default the harness admin). */
async function createContact(body: object, token?: string): Promise<ContactBody> {
  const res = await api(h, token).post('/v1/contacts', body);
  expect(res.status).toBe(201);
  return res.body as ContactBody;
}

/** One page of `GET /v1/contacts?query`. */
async function list(query: string, token?: string): Promise<Page<ContactBody>> {
  const res = await api(h, token).get(`/v1/contacts?${query}`);
  expect(res.status).toBe(200);
  return res.body as Page<ContactBody>;
}

/** Ids of the first page of a search for `q` (limit 100). */
async function search(q: string, token?: string): Promise<string[]> {
  return (await list(`limit=100&q=${encodeURIComponent(q)}`, token)).data.map((c) => c.id);
}

/** Every contact id of the caller's org, walking pages of `limit`. */
async function walk(token: string, limit: number, query = ''): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page = await list(`limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
    expect(page.data.length).toBeLessThanOrEqual(limit);
    ids.push(...page.data.map((c) => c.id));
    cursor = page.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('too many pages');
}

describe('GET /v1/contacts: order and pagination', () => {
  test('newest first; pages of 3 walk every contact once; a page cursor survives new contacts', async () => {
    const { token } = await freshOrg();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await createContact({ name: `Person ${i}`, phone: randomPhone() }, token)).id);
    const newestFirst = [...created].reverse();
    expect(await walk(token, 3)).toEqual(newestFirst);

    const first = await list('limit=3', token);
    expect(first.data.map((c) => c.id)).toEqual(newestFirst.slice(0, 3));
    // each item is the contact as GET /v1/contacts/:id shows it
    expect(first.data[0]).toEqual((await api(h, token).get(`/v1/contacts/${first.data[0]!.id}`)).body);
    const added = [(await createContact({ phone: randomPhone() }, token)).id, (await createContact({ phone: randomPhone() }, token)).id];
    const second = await list(`limit=3&cursor=${encodeURIComponent(first.nextCursor!)}`, token);
    expect(second.data.map((c) => c.id)).toEqual(newestFirst.slice(3, 6));
    expect((await list('limit=2', token)).data.map((c) => c.id)).toEqual([...added].reverse());
  });

  test('contacts of the same instant are ordered by id and paginate without loss; limit defaults to 25', async () => {
    const { org, token } = await freshOrg();
    const createdAt = '2026-03-04T05:06:07.123456Z';
    const ids = Array.from({ length: 30 }, () => randomUUID());
    await h.db
      .insertInto('contacts')
      .values(ids.map((id) => ({ id, org_id: org.orgId, name: 'Twin', created_at: createdAt, updated_at: createdAt })))
      .execute();
    const byIdDesc = [...ids].sort().reverse();
    expect(await walk(token, 7)).toEqual(byIdDesc);
    const page = await list('', token);
    expect(page.data.map((c) => c.id)).toEqual(byIdDesc.slice(0, 25));
    expect(page.nextCursor).not.toBeNull();
    expect(page.data[0]!.createdAt).toBe('2026-03-04T05:06:07.123Z');
  });

  test.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['sort=name', 'sort'],
  ])('?%s → 400 validation_failed', async (query, field) => {
    expectValidationError(await api(h).get(`/v1/contacts?${query}`), field);
  });

  test('a cursor not made by the API → 400 invalid_cursor', async () => {
    expectError(await api(h).get('/v1/contacts?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor');
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    expectError(await api(h).get(`/v1/contacts?cursor=${forged}`), 400, 'invalid_cursor');
  });
});

describe('GET /v1/contacts?q=', () => {
  const tag = randomUUID().slice(0, 8);
  let ada: ContactBody;
  let grace: ContactBody;
  let wa: ContactBody;
  beforeAll(async () => {
    ada = await createContact({ name: `Ada Lovelace ${tag}`, phone: randomPhone() });
    grace = await createContact({ name: `Grace ${tag}`, email: `Grace.Hopper.${tag}@Navy.Example.TEST` });
    wa = await createContact({ name: `Wendy ${tag}`, whatsapp: randomPhone() });
  });

  test('name: a case-insensitive substring', async () => {
    expect(await search(`LOVELACE ${tag}`)).toEqual([ada.id]);
    expect(await search(`ace ${tag}`)).toEqual([grace.id, ada.id]);
    expect(await search(tag)).toEqual([wa.id, grace.id, ada.id]);
  });

  test('LIKE wildcards in q are literal', async () => {
    expect(await search('%')).toEqual([]);
    expect(await search(`Ada_Lovelace ${tag}`)).toEqual([]);
  });

  test('a phone number in several spellings finds its sms / whatsapp identity', async () => {
    const phone = ada.phone!;
    for (const spelling of [
      phone,
      pretty(phone),
      phone.slice(1),
      `${phone.slice(0, 2)} ${phone.slice(2, 5)} ${phone.slice(5)}`,
      phone.slice(-7),
    ]) {
      expect({ spelling, found: await search(spelling) }).toEqual({ spelling, found: [ada.id] });
    }
    expect(await search(pretty(wa.whatsapp!))).toEqual([wa.id]);
    expect(await search(`whatsapp:${wa.whatsapp!}`)).toEqual([wa.id]);
  });

  test('an email in any case, whole or in part', async () => {
    expect(await search(`grace.hopper.${tag}@navy.example.test`)).toEqual([grace.id]);
    expect(await search(`GRACE.HOPPER.${tag}@NAVY.EXAMPLE.TEST`)).toEqual([grace.id]);
    expect(await search(`  Hopper.${tag}@Navy  `)).toEqual([grace.id]);
  });

  test('a Telegram contact by chat id and by @username', async () => {
    const chatId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const username = `tg_${tag}`;
    const res = await h.telegramWebhook(h.telegram.update({ chatId, firstName: 'Tomás', username, text: 'hola' }));
    expect(res.status).toBe(200);
    const [id] = await h.waitFor(async () => {
      const found = await search(String(chatId));
      return found.length > 0 ? found : undefined;
    }, 'the Telegram contact');
    const contact = (await api(h).get(`/v1/contacts/${id}`)).body as ContactBody;
    expect(contact.identities).toEqual([{ kind: 'telegram', address: String(chatId) }]);
    expect(await search(` ${chatId} `)).toEqual([id]);
    expect(await search(`@${username}`)).toEqual([id]);
    expect(await search(username.toUpperCase())).toEqual([id]);
  });

  test('a blank q lists everything; too long a q → 400', async () => {
    expect((await list('q=%20%20&limit=1')).data).toHaveLength(1);
    expectValidationError(await api(h).get(`/v1/contacts?q=${'x'.repeat(201)}`), 'q');
  });

  test("another org's contacts are never listed nor found, and org B's are not org A's", async () => {
    const theirs = await createContact(
      { name: `Ada Lovelace ${tag}`, phone: ada.phone!, email: `grace.hopper.${tag}@navy.example.test` },
      other.token,
    );
    expect(await search(`Lovelace ${tag}`)).toEqual([ada.id]);
    expect(await search(ada.phone!)).toEqual([ada.id]);
    expect(await search(`grace.hopper.${tag}`)).toEqual([grace.id]);
    expect(await search(`Lovelace ${tag}`, other.token)).toEqual([theirs.id]);
    const all = await walk(other.token, 100);
    expect(all).toContain(theirs.id);
    expect(all.filter((id) => [ada.id, grace.id, wa.id].includes(id))).toEqual([]);
  });

  test('agents list and search too', async () => {
    expect(await search(`LOVELACE ${tag}`, h.tokens.agent)).toEqual([ada.id]);
  });
});

describe('PATCH /v1/contacts/:id', () => {
  const patch = (id: string, body: object, token?: string) => api(h, token).patch(`/v1/contacts/${id}`, body);

  test('name and vip; null clears the name; the read shows the change; agents may edit', async () => {
    const c = await createContact({ name: 'Old Name', phone: randomPhone() });
    const res = await patch(c.id, { name: '  New Name  ', vip: true }, h.tokens.agent);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: c.id, name: 'New Name', vip: true, phone: c.phone, identities: c.identities });
    expect(Date.parse((res.body as ContactBody).updatedAt)).toBeGreaterThanOrEqual(Date.parse(c.updatedAt));
    expect((await api(h).get(`/v1/contacts/${c.id}`)).body).toEqual(res.body);
    expect((await patch(c.id, { name: null })).body).toMatchObject({ name: null, vip: true });
  });

  test('identities replace the list, each normalised by its kind; kept ones stay first', async () => {
    const phone = randomPhone();
    const c = await createContact({ phone, email: `keep-${randomUUID().slice(0, 8)}@example.test` });
    const newPhone = randomPhone();
    const chatId = String(5_000_000_000 + Math.floor(Math.random() * 1_000_000));
    const res = await patch(c.id, {
      identities: [
        { kind: 'whatsapp', address: `whatsapp:${pretty(newPhone)}` },
        { kind: 'email', address: c.email!.toUpperCase() },
        { kind: 'sms', address: pretty(newPhone) },
        { kind: 'telegram', address: ` ${chatId} ` },
        { kind: 'sms', address: newPhone },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ phone: newPhone, whatsapp: newPhone, email: c.email });
    expect((res.body as ContactBody).identities).toEqual([
      { kind: 'email', address: c.email },
      { kind: 'whatsapp', address: newPhone },
      { kind: 'sms', address: newPhone },
      { kind: 'telegram', address: chatId },
    ]);
    expect(await search(phone)).not.toContain(c.id);
    expect(await search(pretty(newPhone))).toEqual([c.id]);
    // the old number is free again: another contact can take it
    await createContact({ phone });
  });

  test('an empty list removes every address', async () => {
    const c = await createContact({ phone: randomPhone() });
    const res = await patch(c.id, { identities: [] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ phone: null, email: null, whatsapp: null, identities: [] });
  });

  test('bad addresses → 422 invalid_address naming each; nothing changes', async () => {
    const c = await createContact({ name: 'Unchanged', phone: randomPhone() });
    const res = await patch(c.id, {
      name: 'Changed',
      identities: [
        { kind: 'sms', address: 'call me maybe' },
        { kind: 'email', address: `fine-${randomUUID()}@example.test` },
        { kind: 'email', address: 'not-an-email' },
        { kind: 'telegram', address: '@someone' },
      ],
    });
    const body = expectError(res, 422, 'invalid_address');
    expect(body.error.details!.fields!.map((f) => f.path)).toEqual([
      'identities.0.address',
      'identities.2.address',
      'identities.3.address',
    ]);
    expect((await api(h).get(`/v1/contacts/${c.id}`)).body).toEqual(c);
  });

  test("an address another contact has → 409 identity_taken with that contact's id; nothing changes", async () => {
    const holder = await createContact({ email: `taken-${randomUUID().slice(0, 8)}@example.test` });
    const c = await createContact({ name: 'Before', phone: randomPhone() });
    const res = await patch(c.id, {
      name: 'After',
      identities: [
        { kind: 'sms', address: randomPhone() },
        { kind: 'email', address: holder.email!.toUpperCase() },
      ],
    });
    const body = expectError(res, 409, 'identity_taken');
    expect(body.error.details).toEqual({ kind: 'email', address: holder.email, contactId: holder.id });
    expect((await api(h).get(`/v1/contacts/${c.id}`)).body).toEqual(c);
    expect((await api(h).get(`/v1/contacts/${holder.id}`)).body).toEqual(holder);
  });

  test('two contacts racing for one new address: one gets it, the other 409', async () => {
    const a = await createContact({ phone: randomPhone() });
    const b = await createContact({ phone: randomPhone() });
    const address = `race-${randomUUID().slice(0, 8)}@example.test`;
    const results = await Promise.all([a, b].map((c) => patch(c.id, { identities: [{ kind: 'email', address }] })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!.body as ContactBody;
    expect(results.find((r) => r.status === 409)!.body.error.details).toMatchObject({ contactId: winner.id });
    expect(await search(address)).toEqual([winner.id]);
  });

  test("another org's contact → 404 and unchanged; unknown id → 404", async () => {
    const theirs = await createContact({ name: 'Theirs', phone: randomPhone() }, other.token);
    expectError(await patch(theirs.id, { name: 'Pwned', identities: [] }), 404, 'not_found');
    expect((await api(h, other.token).get(`/v1/contacts/${theirs.id}`)).body).toEqual(theirs);
    expectError(await patch(randomUUID(), { vip: true }), 404, 'not_found');
  });

  test.each<[string, object, string]>([
    ['an empty body', {}, ''],
    ['an unknown key', { nickname: 'x' }, 'nickname'],
    ['a chat identity', { identities: [{ kind: 'chat', address: 'visitor-1' }] }, 'identities.0.kind'],
    ['an identity without address', { identities: [{ kind: 'sms' }] }, 'identities.0.address'],
    ['vip not boolean', { vip: 'yes' }, 'vip'],
    ['an empty name', { name: '  ' }, 'name'],
  ])('%s → 400 validation_failed', async (_name, body, field) => {
    const c = await createContact({ phone: randomPhone() });
    expectValidationError(await patch(c.id, body), field);
  });

  test('a changed email clears the bounce flag; the same email keeps it', async () => {
    const email = `bounce-${randomUUID().slice(0, 8)}@example.test`;
    const c = await createContact({ email });
    await markContactEmailBounced(h.db, c.id, email, 'HardBounce: gone');
    const kept = await patch(c.id, {
      identities: [
        { kind: 'email', address: email.toUpperCase() },
        { kind: 'sms', address: randomPhone() },
      ],
    });
    expect((kept.body as ContactBody).emailBouncedAt).not.toBeNull();
    const changed = await patch(c.id, { identities: [{ kind: 'email', address: `new-${email}` }] });
    expect(changed.body).toMatchObject({ email: `new-${email}`, emailBouncedAt: null, emailBounceReason: null });
  });

  test('a reply after changing the sms identity goes to the new number', async () => {
    const oldPhone = randomPhone();
    const conversation: ConversationBody = await inboundAndWait(h, oldPhone, { body: 'my number is changing' });
    const newPhone = randomPhone();
    const res = await patch(conversation.contact.id, { identities: [{ kind: 'sms', address: pretty(newPhone) }] });
    expect(res.status).toBe(200);
    const text = `Noted ${randomUUID()}`;
    expect((await api(h).post(`/v1/conversations/${conversation.id}/messages`, { text })).status).toBe(201);
    const sent = await h.waitFor(async () => h.twilioStub!.requests.find((r) => r.form.Body === text), 'Twilio send');
    expect(sent.form).toMatchObject({ To: newPhone, From: h.org.smsNumber });
  });
});

test('IDENTITY_KINDS are exactly the kinds some kind takes contact addresses of', () => {
  const fromSpecs = new Set(CHANNEL_KIND_SPECS.flatMap((s) => s.identityKinds));
  expect([...IDENTITY_KINDS].sort()).toEqual([...fromSpecs].sort());
});
