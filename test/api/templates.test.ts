/**
 * `/v1/templates`: CRUD through the router on its own Express app (auth, JSON, error handler) over the
 * test database: defaults, validation (400 naming the field), duplicate names (409), organisation
 * scoping (404), admin-only writes (403) and the combined-state rules of PATCH (422).
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import { requireAuth, signStaffToken } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import { templatesRouter } from '../../api/routes/templates';
import { createLogger } from '../../config/logger';
import { createHarness, createTestOrg, type Harness, JWT_SECRET } from '../support/harness';
import { expectError, expectValidationError } from './rest-helpers';
import type { TemplateView } from '../../api/template-schemas';

type TemplateBody = TemplateView;

const SID = `HX${'0123456789abcdef'.repeat(2)}`;
const SID2 = `HX${'fedcba9876543210'.repeat(2)}`;

let h: Harness;
let app: Express;
let otherAdmin: string;

beforeAll(async () => {
  h = await createHarness();
  app = express();
  app.use(requireAuth(JWT_SECRET));
  app.use(express.json());
  app.use('/v1/templates', templatesRouter({ db: h.db }));
  app.use(errorHandler(createLogger('silent')));
  const other = await createTestOrg(h.db);
  otherAdmin = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
});
afterAll(async () => {
  await h?.close();
});

/** Authorised requests as `token` (default: the harness admin). */
function api(token: string = h.tokens.admin) {
  const auth = `Bearer ${token}`;
  return {
    get: (path: string) => request(app).get(path).set('Authorization', auth),
    post: (path: string, body: object) => request(app).post(path).set('Authorization', auth).send(body),
    patch: (path: string, body: object) => request(app).patch(path).set('Authorization', auth).send(body),
    delete: (path: string) => request(app).delete(path).set('Authorization', auth),
  };
}

/** A name no other test uses. */
const uniqueName = (prefix: string): string => `${prefix} ${randomUUID().slice(0, 8)}`;

/** Creates a template as the admin (201 expected) and returns it. */
async function create(body: object): Promise<TemplateBody> {
  const res = await api().post('/v1/templates', body);
  expect(res.status).toBe(201);
  return res.body as TemplateBody;
}

async function storedRow(id: string) {
  return h.db.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst();
}

describe('POST /v1/templates', () => {
  test('an SMS template: 201, variables default to the merge tags in order, pending, readable by id', async () => {
    const name = uniqueName('Shipped');
    const res = await api().post('/v1/templates', {
      name,
      channel: 'sms',
      body: '  Hi {{ first_name }}, order {{order.id}} shipped, {{first_name}}!  ',
    });
    expect(res.status).toBe(201);
    const t = res.body as TemplateBody;
    expect(t).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name,
      channel: 'sms',
      subject: null,
      body: 'Hi {{ first_name }}, order {{order.id}} shipped, {{first_name}}!',
      variables: ['first_name', 'order.id'],
      whatsappContentSid: null,
      approvalStatus: 'pending',
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
    const row = await storedRow(t.id);
    expect({ org: row?.org_id, variables: row?.variables }).toEqual({ org: h.org.orgId, variables: ['first_name', 'order.id'] });
    const read = await api().get(`/v1/templates/${t.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(t);
  });

  test('an email template: subject tags come first in the default variables', async () => {
    const t = await create({
      name: uniqueName('Receipt'),
      channel: 'email',
      subject: 'Receipt {{order}}',
      body: 'Dear {{name}}, receipt for {{order}}.',
    });
    expect({ subject: t.subject, variables: t.variables }).toEqual({ subject: 'Receipt {{order}}', variables: ['order', 'name'] });
  });

  test('declared variables are kept as given (order and extra names)', async () => {
    const t = await create({ name: uniqueName('Declared'), channel: 'sms', body: '{{a}} {{b}}', variables: ['b', 'a', 'spare'] });
    expect(t.variables).toEqual(['b', 'a', 'spare']);
  });

  test('WhatsApp: pending without a Content SID, or approved with one', async () => {
    const pending = await create({ name: uniqueName('WA pending'), channel: 'whatsapp', body: 'Your code is {{code}}' });
    expect({ sid: pending.whatsappContentSid, status: pending.approvalStatus }).toEqual({ sid: null, status: 'pending' });
    const approved = await create({
      name: uniqueName('WA approved'),
      channel: 'whatsapp',
      body: 'Hi {{name}}',
      whatsappContentSid: SID,
      approvalStatus: 'approved',
    });
    expect({ sid: approved.whatsappContentSid, status: approved.approvalStatus }).toEqual({ sid: SID, status: 'approved' });
  });

  test('the same name again → 409 template_exists (even on another channel), nothing inserted', async () => {
    const name = uniqueName('Dup');
    await create({ name, channel: 'sms', body: 'one' });
    const body = expectError(await api().post('/v1/templates', { name, channel: 'whatsapp', body: 'two' }), 409, 'template_exists');
    expect(body.error.message).toContain(name);
    expectError(await api().post('/v1/templates', { name: `  ${name} `, channel: 'sms', body: 'trimmed name' }), 409, 'template_exists');
    const rows = await h.db.selectFrom('templates').select('body').where('org_id', '=', h.org.orgId).where('name', '=', name).execute();
    expect(rows).toEqual([{ body: 'one' }]);
  });

  test('the same name in another org is another template', async () => {
    const name = uniqueName('Shared name');
    await create({ name, channel: 'sms', body: 'ours' });
    const res = await api(otherAdmin).post('/v1/templates', { name, channel: 'sms', body: 'theirs' });
    expect(res.status).toBe(201);
  });

  const long = (n: number): string => 'x'.repeat(n);
  test.each<[string, object, string]>([
    ['missing name', { channel: 'sms', body: 'b' }, 'name'],
    ['blank name', { name: '   ', channel: 'sms', body: 'b' }, 'name'],
    ['a 101-character name', { name: long(101), channel: 'sms', body: 'b' }, 'name'],
    ['a name with NUL', { name: 'a\u0000b', channel: 'sms', body: 'b' }, 'name'],
    ['unknown channel', { name: 'n', channel: 'fax', body: 'b' }, 'channel'],
    ['missing channel', { name: 'n', body: 'b' }, 'channel'],
    ['missing body', { name: 'n', channel: 'sms' }, 'body'],
    ['empty body', { name: 'n', channel: 'sms', body: '' }, 'body'],
    ['a 10 001-character body', { name: 'n', channel: 'sms', body: long(10_001) }, 'body'],
    ['a body with NUL', { name: 'n', channel: 'sms', body: 'a\u0000' }, 'body'],
    ['email without subject', { name: 'n', channel: 'email', body: 'b' }, 'subject'],
    ['email with null subject', { name: 'n', channel: 'email', subject: null, body: 'b' }, 'subject'],
    ['SMS with a subject', { name: 'n', channel: 'sms', subject: 'Hi', body: 'b' }, 'subject'],
    ['variables missing a body tag', { name: 'n', channel: 'sms', body: '{{a}} {{b}}', variables: ['a'] }, 'variables'],
    ['variables missing a subject tag', { name: 'n', channel: 'email', subject: '{{s}}', body: '{{a}}', variables: ['a'] }, 'variables'],
    ['an invalid variable name', { name: 'n', channel: 'sms', body: 'b', variables: ['ok', 'not-ok'] }, 'variables.1'],
    ['a repeated variable', { name: 'n', channel: 'sms', body: '{{a}}', variables: ['a', 'a'] }, 'variables'],
    ['variables not an array', { name: 'n', channel: 'sms', body: 'b', variables: 'a' }, 'variables'],
    ['a malformed Content SID', { name: 'n', channel: 'whatsapp', body: 'b', whatsappContentSid: 'HX123' }, 'whatsappContentSid'],
    [
      'an upper-case Content SID',
      { name: 'n', channel: 'whatsapp', body: 'b', whatsappContentSid: SID.toUpperCase() },
      'whatsappContentSid',
    ],
    [
      'approved WhatsApp without Content SID',
      { name: 'n', channel: 'whatsapp', body: 'b', approvalStatus: 'approved' },
      'whatsappContentSid',
    ],
    ['a Content SID on SMS', { name: 'n', channel: 'sms', body: 'b', whatsappContentSid: SID }, 'whatsappContentSid'],
    ['unknown approval status', { name: 'n', channel: 'whatsapp', body: 'b', approvalStatus: 'maybe' }, 'approvalStatus'],
    ['an unknown key', { name: 'n', channel: 'sms', body: 'b', language: 'en' }, 'language'],
  ])('%s → 400 validation_failed naming the field', async (_name, body, field) => {
    expectValidationError(await api().post('/v1/templates', body), field);
  });

  test('a non-object body → 400 validation_failed', async () => {
    expectError(await api().post('/v1/templates', []), 400, 'validation_failed');
  });

  test('rejected creates stored nothing', async () => {
    const rows = await h.db
      .selectFrom('templates')
      .select('id')
      .where('org_id', '=', h.org.orgId)
      .where('name', 'in', ['n', ' ', ''])
      .execute();
    expect(rows).toEqual([]);
  });
});

describe('GET /v1/templates', () => {
  test('lists the org templates by name; ?channel= filters; another org sees none of them', async () => {
    const prefix = `list-${randomUUID().slice(0, 8)}`;
    const c = await create({ name: `${prefix} c`, channel: 'sms', body: 'c' });
    const a = await create({ name: `${prefix} a`, channel: 'whatsapp', body: 'a' });
    const b = await create({ name: `${prefix} b`, channel: 'sms', body: 'b' });

    const all = await api().get('/v1/templates');
    expect(all.status).toBe(200);
    const data = (all.body as { data: TemplateBody[] }).data;
    const names = data.map((t) => t.name);
    expect(names).toEqual([...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    expect(data.filter((t) => t.name.startsWith(prefix)).map((t) => t.id)).toEqual([a.id, b.id, c.id]);
    expect(data.find((t) => t.id === a.id)).toEqual(a);

    const sms = (await api().get('/v1/templates?channel=sms')).body as { data: TemplateBody[] };
    expect(sms.data.every((t) => t.channel === 'sms')).toBe(true);
    expect(sms.data.filter((t) => t.name.startsWith(prefix)).map((t) => t.id)).toEqual([b.id, c.id]);

    const theirs = (await api(otherAdmin).get('/v1/templates')).body as { data: TemplateBody[] };
    expect(theirs.data.filter((t) => t.name.startsWith(prefix))).toEqual([]);
  });

  test('an agent may list', async () => {
    const res = await api(h.tokens.agent).get('/v1/templates?channel=whatsapp');
    expect(res.status).toBe(200);
    expect((res.body as { data: TemplateBody[] }).data.length).toBeGreaterThan(0);
  });

  test('unknown channel or query key → 400', async () => {
    expectValidationError(await api().get('/v1/templates?channel=fax'), 'channel');
    expectValidationError(await api().get('/v1/templates?sort=name'), 'sort');
  });

  test('without a token → 401', async () => {
    expectError(await request(app).get('/v1/templates'), 401, 'unauthorized');
  });
});

describe('GET /v1/templates/:id', () => {
  test('unknown id → 404; non-uuid → 400', async () => {
    expectError(await api().get(`/v1/templates/${randomUUID()}`), 404, 'not_found');
    expectValidationError(await api().get('/v1/templates/42'), 'id');
  });

  test('an agent may read', async () => {
    const t = await create({ name: uniqueName('Agent reads'), channel: 'sms', body: 'x' });
    const res = await api(h.tokens.agent).get(`/v1/templates/${t.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(t);
  });
});

describe('another org', () => {
  test("cannot read, change or delete this org's template (404), and the template is untouched", async () => {
    const t = await create({ name: uniqueName('Private'), channel: 'sms', body: 'secret {{x}}' });
    expectError(await api(otherAdmin).get(`/v1/templates/${t.id}`), 404, 'not_found');
    expectError(await api(otherAdmin).patch(`/v1/templates/${t.id}`, { body: 'hijacked' }), 404, 'not_found');
    expectError(await api(otherAdmin).delete(`/v1/templates/${t.id}`), 404, 'not_found');
    expect((await api().get(`/v1/templates/${t.id}`)).body).toEqual(t);
  });
});

describe('agents', () => {
  test('cannot create, change or delete templates → 403 forbidden, nothing changes', async () => {
    const agent = api(h.tokens.agent);
    const name = uniqueName('By agent');
    expectError(await agent.post('/v1/templates', { name, channel: 'sms', body: 'x' }), 403, 'forbidden');
    expect(await h.db.selectFrom('templates').select('id').where('name', '=', name).execute()).toEqual([]);

    const t = await create({ name: uniqueName('Admin made'), channel: 'sms', body: 'x' });
    expectError(await agent.patch(`/v1/templates/${t.id}`, { body: 'changed' }), 403, 'forbidden');
    expectError(await agent.delete(`/v1/templates/${t.id}`), 403, 'forbidden');
    expect((await api().get(`/v1/templates/${t.id}`)).body).toEqual(t);
  });

  test('get 403 before validation (an invalid body is still forbidden)', async () => {
    expectError(await api(h.tokens.agent).post('/v1/templates', {}), 403, 'forbidden');
  });
});

describe('PATCH /v1/templates/:id', () => {
  test('changing the body recomputes the variables and advances updatedAt', async () => {
    const t = await create({ name: uniqueName('Patch body'), channel: 'sms', body: 'Hi {{a}}' });
    const res = await api().patch(`/v1/templates/${t.id}`, { body: 'Hi {{b}} and {{ c }}' });
    expect(res.status).toBe(200);
    const u = res.body as TemplateBody;
    expect(u).toMatchObject({ id: t.id, name: t.name, body: 'Hi {{b}} and {{ c }}', variables: ['b', 'c'], createdAt: t.createdAt });
    expect(Date.parse(u.updatedAt)).toBeGreaterThan(Date.parse(t.updatedAt));
    expect((await storedRow(t.id))?.variables).toEqual(['b', 'c']);
  });

  test('a body change with variables given keeps the given variables', async () => {
    const t = await create({ name: uniqueName('Patch both'), channel: 'sms', body: 'Hi {{a}}' });
    const res = await api().patch(`/v1/templates/${t.id}`, { body: '{{x}} {{y}}', variables: ['y', 'x', 'z'] });
    expect(res.status).toBe(200);
    expect((res.body as TemplateBody).variables).toEqual(['y', 'x', 'z']);
  });

  test('a change that leaves subject and body alone keeps declared variables', async () => {
    const t = await create({ name: uniqueName('Keep vars'), channel: 'sms', body: '{{a}}', variables: ['a', 'spare'] });
    const res = await api().patch(`/v1/templates/${t.id}`, { name: uniqueName('Renamed'), body: '{{a}}' });
    expect(res.status).toBe(200);
    expect((res.body as TemplateBody).variables).toEqual(['a', 'spare']);
  });

  test('variables alone: may add names, must still declare every tag (422)', async () => {
    const t = await create({ name: uniqueName('Vars only'), channel: 'sms', body: '{{a}} {{b}}' });
    const ok = await api().patch(`/v1/templates/${t.id}`, { variables: ['b', 'a', 'c'] });
    expect(ok.status).toBe(200);
    expect((ok.body as TemplateBody).variables).toEqual(['b', 'a', 'c']);
    const body = expectError(await api().patch(`/v1/templates/${t.id}`, { variables: ['a'] }), 422, 'template_invalid');
    expect(body.error.details?.fields?.map((f) => f.path)).toEqual(['variables']);
    expect(body.error.message).toContain('b');
  });

  test('WhatsApp approval: approving without a Content SID → 422; with one → 200; clearing it afterwards → 422', async () => {
    const t = await create({ name: uniqueName('WA flow'), channel: 'whatsapp', body: 'Hi {{name}}' });
    const refused = expectError(await api().patch(`/v1/templates/${t.id}`, { approvalStatus: 'approved' }), 422, 'template_invalid');
    expect(refused.error.details?.fields?.map((f) => f.path)).toEqual(['whatsappContentSid']);

    const sid = await api().patch(`/v1/templates/${t.id}`, { whatsappContentSid: SID });
    expect(sid.status).toBe(200);
    const approved = await api().patch(`/v1/templates/${t.id}`, { approvalStatus: 'approved' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ whatsappContentSid: SID, approvalStatus: 'approved' });

    expectError(await api().patch(`/v1/templates/${t.id}`, { whatsappContentSid: null }), 422, 'template_invalid');
    const swapped = await api().patch(`/v1/templates/${t.id}`, { whatsappContentSid: SID2 });
    expect(swapped.status).toBe(200);
    const rejected = await api().patch(`/v1/templates/${t.id}`, { approvalStatus: 'rejected', whatsappContentSid: null });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ whatsappContentSid: null, approvalStatus: 'rejected' });
  });

  test('email needs a subject: clearing it or moving an SMS template to email without one → 422', async () => {
    const email = await create({ name: uniqueName('Mail'), channel: 'email', subject: 'S {{s}}', body: 'B {{b}}' });
    const cleared = expectError(await api().patch(`/v1/templates/${email.id}`, { subject: null }), 422, 'template_invalid');
    expect(cleared.error.details?.fields?.map((f) => f.path)).toEqual(['subject']);

    const sms = await create({ name: uniqueName('To mail'), channel: 'sms', body: 'B {{b}}' });
    expectError(await api().patch(`/v1/templates/${sms.id}`, { channel: 'email' }), 422, 'template_invalid');
    const moved = await api().patch(`/v1/templates/${sms.id}`, { channel: 'email', subject: 'Hello {{who}}' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ channel: 'email', subject: 'Hello {{who}}', variables: ['who', 'b'] });
  });

  test('leaving email keeps the subject unless it is cleared (422 otherwise)', async () => {
    const t = await create({ name: uniqueName('Leave mail'), channel: 'email', subject: 'S', body: 'B {{b}}' });
    const body = expectError(await api().patch(`/v1/templates/${t.id}`, { channel: 'sms' }), 422, 'template_invalid');
    expect(body.error.details?.fields?.map((f) => f.path)).toEqual(['subject']);
    const ok = await api().patch(`/v1/templates/${t.id}`, { channel: 'sms', subject: null });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ channel: 'sms', subject: null, variables: ['b'] });
  });

  test('a Content SID on a non-WhatsApp template → 422', async () => {
    const t = await create({ name: uniqueName('SMS sid'), channel: 'sms', body: 'x' });
    const body = expectError(await api().patch(`/v1/templates/${t.id}`, { whatsappContentSid: SID }), 422, 'template_invalid');
    expect(body.error.details?.fields?.map((f) => f.path)).toEqual(['whatsappContentSid']);
  });

  test('refused changes store nothing', async () => {
    const t = await create({ name: uniqueName('Unchanged'), channel: 'whatsapp', body: '{{a}}' });
    expectError(await api().patch(`/v1/templates/${t.id}`, { body: 'new {{b}}', approvalStatus: 'approved' }), 422, 'template_invalid');
    expect((await api().get(`/v1/templates/${t.id}`)).body).toEqual(t);
  });

  test("renaming to another template's name → 409 template_exists; to its own name → 200", async () => {
    const a = await create({ name: uniqueName('Rename A'), channel: 'sms', body: 'a' });
    const b = await create({ name: uniqueName('Rename B'), channel: 'sms', body: 'b' });
    expectError(await api().patch(`/v1/templates/${b.id}`, { name: a.name }), 409, 'template_exists');
    expect((await storedRow(b.id))?.name).toBe(b.name);
    const same = await api().patch(`/v1/templates/${b.id}`, { name: b.name });
    expect(same.status).toBe(200);
  });

  test.each<[string, object, string]>([
    ['a blank name', { name: ' ' }, 'name'],
    ['an unknown channel', { channel: 'fax' }, 'channel'],
    ['an empty body', { body: '' }, 'body'],
    ['a malformed Content SID', { whatsappContentSid: 'HXnope' }, 'whatsappContentSid'],
    ['an invalid variable name', { variables: ['1st'] }, 'variables.0'],
    ['an unknown key', { id: randomUUID() }, 'id'],
  ])('%s → 400 validation_failed naming the field', async (_name, body, field) => {
    const t = await create({ name: uniqueName('Patch 400'), channel: 'sms', body: 'x' });
    expectValidationError(await api().patch(`/v1/templates/${t.id}`, body), field);
  });

  test('an empty patch → 400; unknown id → 404; non-uuid → 400', async () => {
    const t = await create({ name: uniqueName('Empty patch'), channel: 'sms', body: 'x' });
    expectError(await api().patch(`/v1/templates/${t.id}`, {}), 400, 'validation_failed');
    expectError(await api().patch(`/v1/templates/${randomUUID()}`, { body: 'x' }), 404, 'not_found');
    expectValidationError(await api().patch('/v1/templates/nope', { body: 'x' }), 'id');
  });
});

describe('DELETE /v1/templates/:id', () => {
  test('204 with no body; then 404 to read and to delete again', async () => {
    const t = await create({ name: uniqueName('Delete me'), channel: 'sms', body: 'x' });
    const res = await api().delete(`/v1/templates/${t.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await storedRow(t.id)).toBeUndefined();
    expectError(await api().get(`/v1/templates/${t.id}`), 404, 'not_found');
    expectError(await api().delete(`/v1/templates/${t.id}`), 404, 'not_found');
  });

  test('the name can be used again after deletion', async () => {
    const name = uniqueName('Reuse');
    const t = await create({ name, channel: 'sms', body: 'x' });
    expect((await api().delete(`/v1/templates/${t.id}`)).status).toBe(204);
    await create({ name, channel: 'sms', body: 'y' });
  });

  test('non-uuid → 400', async () => {
    expectValidationError(await api().delete('/v1/templates/1'), 'id');
  });
});
