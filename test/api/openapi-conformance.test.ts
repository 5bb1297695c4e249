/**
 * The served OpenAPI document matches what the API returns: every operation of `GET /openapi.json`
 * is called through the real path (webhooks → workflow → Postgres → API) and each answer — success
 * or error — must be a documented status whose body validates (Ajv, JSON Schema 2020-12 as in
 * OpenAPI 3.1, with formats) against the documented schema. A route added without documentation,
 * or an operation this file never calls, fails the last test, so the document cannot drift again.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import request from 'supertest';
import { mediaSigningSecret, signMediaUrl } from '../../db/media-urls';
import { issueOneTimeToken } from '../../db/staff-auth';
import { insertSuggestion, insertTrainingPairs } from './db-fixtures';
import { expressRoutes } from '../support/routes';
import { postmarkDeliveryEvent } from '../support/postmark-inbound';
import {
  createHarness,
  type Harness,
  INBOUND_EMAIL_DOMAIN,
  JWT_SECRET,
  POSTMARK_WEBHOOK_PASSWORD,
  POSTMARK_WEBHOOK_USER,
  PUBLIC_BASE_URL,
  randomPhone,
} from '../support/harness';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface MediaType {
  schema?: object;
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, Operation>>>;
}

let h: Harness;
let doc: OpenApiDocument;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
/** `METHOD /path/{template}` of every operation called so far. */
const covered = new Set<string>();

/**
 * Makes every documented object schema closed (`additionalProperties: false` unless it says
 * otherwise), so a response field the document does not list fails too. Schemas combined with
 * `allOf` (and the components they reference) are left open: JSON Schema cannot close one branch.
 */
function closeObjects(document: OpenApiDocument): OpenApiDocument {
  const text = JSON.stringify(document);
  const openComponents = new Set(
    [...text.matchAll(/"allOf":\[([^\]]*)\]/g)].flatMap((m) => [...m[1]!.matchAll(/#\/components\/schemas\/(\w+)/g)].map((r) => r[1]!)),
  );
  const visit = (node: unknown, open: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, open));
    if (node === null || typeof node !== 'object') return;
    const schema = node as Record<string, unknown>;
    if (!open && schema.type === 'object' && schema.properties && schema.additionalProperties === undefined) {
      schema.additionalProperties = false;
    }
    for (const [key, value] of Object.entries(schema)) visit(value, key === 'allOf');
  };
  const components = (document as unknown as { components?: { schemas?: Record<string, unknown> } }).components?.schemas ?? {};
  for (const [name, schema] of Object.entries(components)) visit(schema, openComponents.has(name));
  visit(document.paths, false);
  return document;
}

/**
 * Asserts that `res` is a documented answer of `method template` and that its body validates
 * against the documented schema of its status and content type (NDJSON: every line).
 */
function conforms(res: request.Response, method: Method, template: string): request.Response {
  const op = doc.paths[template]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${template} is not in the OpenAPI document`);
  covered.add(`${method.toUpperCase()} ${template}`);
  const documented = op.responses[String(res.status)];
  if (!documented) {
    throw new Error(`${method.toUpperCase()} ${template} answered ${res.status} (${JSON.stringify(res.body)}), which is not documented`);
  }
  if (!documented.content) return res;
  const contentType = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  const [mediaKey, media] =
    Object.entries(documented.content).find(([key]) => key === contentType) ??
    Object.entries(documented.content).find(([key]) => key === '*/*') ??
    [];
  if (!mediaKey || !media) {
    throw new Error(
      `${method.toUpperCase()} ${template} ${res.status} answered ${contentType}; documented: ${Object.keys(documented.content)}`,
    );
  }
  if (!media.schema || !/json/.test(contentType)) return res;
  const pointer = `openapi.json#/paths/${template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${res.status}/content/${mediaKey.replaceAll('~', '~0').replaceAll('/', '~1')}/schema`;
  const validate = ajv.getSchema(pointer);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  const bodies: unknown[] =
    contentType === 'application/x-ndjson'
      ? res.text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as unknown)
      : [res.body];
  for (const body of bodies) {
    if (!validate(body)) {
      throw new Error(
        `${method.toUpperCase()} ${template} ${res.status}: the body does not match the document:\n` +
          `${ajv.errorsText(validate.errors, { separator: '\n' })}\nbody: ${JSON.stringify(body).slice(0, 2_000)}`,
      );
    }
  }
  return res;
}

/** Calls the app as the admin and checks the answer against the document. */
function call(method: Method, template: string, path: string = template, app?: Express) {
  const req = request(app ?? h.app)
    [method](path)
    .set('Authorization', h.auth);
  return {
    send: async (body?: object | string) => conforms(await (body === undefined ? req : req.send(body)), method, template),
    with: (edit: (r: request.Test) => request.Test) => ({
      send: async (body?: object) => conforms(await (body === undefined ? edit(req) : edit(req).send(body)), method, template),
    }),
  };
}

let smsConversationId: string;
let emailConversationId: string;
let contactId: string;

beforeAll(async () => {
  h = await createHarness();
  const served = await request(h.app).get('/openapi.json');
  expect(served.status).toBe(200);
  doc = served.body as OpenApiDocument;
  ajv.addSchema(closeObjects(structuredClone(doc)) as object, 'openapi.json');

  const from = randomPhone();
  const inbound = await h.inbound({ from, body: 'Where is my parcel?' });
  conforms(inbound, 'post', '/webhooks/twilio/messaging');
  smsConversationId = h.conversationIdOf(from);
  await h.waitFor(
    async () => (await request(h.app).get(`/v1/conversations/${smsConversationId}`).set('Authorization', h.auth)).body.unreadCount === 1,
  );

  // an inbound email with an attachment: the Message's `email` envelope and `attachments` items
  const customer = `conf-${randomBytes(4).toString('hex')}@mail.example.net`;
  const address = { Email: customer, Name: 'Conformance Customer', MailboxHash: '' };
  const to = { Email: h.org.emailAddress, Name: '', MailboxHash: '' };
  const mail = await h.postmarkWebhook('/webhooks/postmark/inbound', {
    From: customer,
    FromName: address.Name,
    FromFull: address,
    To: h.org.emailAddress,
    ToFull: [to],
    Cc: '',
    CcFull: [],
    OriginalRecipient: h.org.emailAddress,
    Subject: 'Invoice question',
    MessageID: randomUUID(),
    MailboxHash: '',
    Date: new Date().toUTCString(),
    TextBody: 'Please see the attached invoice.',
    HtmlBody: '<p>Please see the attached invoice.</p>',
    StrippedTextReply: '',
    Headers: [{ Name: 'Message-ID', Value: `<${randomUUID()}@mail.example.net>` }],
    Attachments: [
      { Name: 'invoice.txt', Content: Buffer.from('invoice 42').toString('base64'), ContentType: 'text/plain', ContentLength: 10 },
    ],
  });
  conforms(mail, 'post', '/webhooks/postmark/inbound');
  const emailRow = await h.waitFor(async () =>
    h.db
      .selectFrom('conversations')
      .innerJoin('channels', 'channels.id', 'conversations.channel_id')
      .select('conversations.id')
      .where('conversations.org_id', '=', h.org.orgId)
      .where('channels.kind', '=', 'email')
      .executeTakeFirst(),
  );
  emailConversationId = emailRow.id;
  await h.waitFor(async () =>
    h.db.selectFrom('messages').select('id').where('conversation_id', '=', emailConversationId).executeTakeFirst(),
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
});

test('health and the signed-in user', async () => {
  conforms(await request(h.app).get('/healthz'), 'get', '/healthz');
  await call('get', '/v1/me').send();
});

test('conversations: list, read, messages, commands and their errors', async () => {
  const c = `/v1/conversations/${smsConversationId}`;
  await call('get', '/v1/conversations', '/v1/conversations?limit=5').send();
  await call('get', '/v1/conversations', '/v1/conversations?tag=%00').send();
  const now = Date.now();
  await call(
    'get',
    '/v1/conversations/stats',
    `/v1/conversations/stats?from=${new Date(now - 86_400_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`,
  ).send();
  await call('get', '/v1/conversations/stats', '/v1/conversations/stats').send();
  // ---- SLA (issue 11) ----
  await call('get', '/v1/conversations/sla').send();
  await call('put', '/v1/conversations/sla').send({ firstResponseMinutes: 60, nextResponseMinutes: 240, businessHours: null });
  await call('put', '/v1/conversations/sla').send({ firstResponseMinutes: 0 });
  await call('put', '/v1/conversations/sla').send({
    firstResponseMinutes: 60,
    nextResponseMinutes: 240,
    businessHours: { timeZone: 'Nowhere/Town', periods: [], holidays: [] },
  });
  await call('put', '/v1/conversations/sla')
    .with((r) => r.set('Authorization', `Bearer ${h.tokens.agent}`))
    .send({ firstResponseMinutes: 60, nextResponseMinutes: 240, businessHours: null });
  await call('get', '/v1/conversations/overdue/count', '/v1/conversations/overdue/count?scope=mine').send();
  await call('get', '/v1/conversations/overdue/count', '/v1/conversations/overdue/count?scope=x').send();
  await call('get', '/v1/conversations', '/v1/conversations?atRisk=true').send();
  // ---- end SLA ----
  // ---- saved views (issue 11) ----
  const builtins = [{ builtin: 'unread' }, { builtin: 'recents' }, { builtin: 'starred' }, { builtin: 'all' }];
  expect((await call('get', '/v1/conversations/views').send()).status).toBe(200);
  const saved = await call('put', '/v1/conversations/views').send({
    views: [...builtins, { name: 'Open on WhatsApp', filters: { status: 'open', channel: 'whatsapp' } }],
  });
  expect(saved.status).toBe(200);
  expect((await call('put', '/v1/conversations/views').send({ views: builtins.slice(1) })).status).toBe(422);
  const badFilter = await call('put', '/v1/conversations/views').send({ views: [...builtins, { name: 'x', filters: { limit: '5' } }] });
  expect(badFilter.status).toBe(400);
  expect((await call('get', '/v1/conversations/views/counts').send()).status).toBe(200);
  await call('get', '/v1/conversations', '/v1/conversations?activeWithinDays=7').send();
  // ---- end saved views ----
  await call('get', '/v1/conversations/{id}', c).send();
  await call('get', '/v1/conversations/{id}', `/v1/conversations/${randomUUID()}`).send();
  await call('get', '/v1/conversations/{id}', '/v1/conversations/%FF%FE').send();

  const note = await call('post', '/v1/conversations/{id}/messages', `${c}/messages`).send({ text: 'internal', isInternalNote: true });
  expect(note.status).toBe(201);
  const reply = await call('post', '/v1/conversations/{id}/messages', `${c}/messages`)
    .with((r) => r.set('Idempotency-Key', randomUUID()))
    .send({ text: 'On its way' });
  expect(reply.status).toBe(201);
  await call('post', '/v1/conversations/{id}/messages', `${c}/messages`).send({ text: '' });
  const page = await call('get', '/v1/conversations/{id}/messages', `${c}/messages?limit=2`).send();
  expect(page.status).toBe(200);
  await call('get', '/v1/conversations/{id}/messages', `${c}/messages?before=${reply.body.id}&limit=50`).send();
  await call('get', '/v1/conversations/{id}/messages', `${c}/messages?after=${randomUUID()}`).send();
  await call('get', '/v1/conversations/{id}/messages', `${c}/messages?deliveryStatus=unknown`).send();
  // a note is never sent: 409 message_not_retryable; an unknown message: 404
  await call('post', '/v1/conversations/{id}/messages/{messageId}/retry', `${c}/messages/${note.body.id}/retry`).send();
  await call('post', '/v1/conversations/{id}/messages/{messageId}/retry', `${c}/messages/${randomUUID()}/retry`).send();
  // ---- send later, collision guard (issue 11) ----
  const later = await call('post', '/v1/conversations/{id}/messages', `${c}/messages`).send({
    text: 'Later',
    sendAt: new Date(Date.now() + 3_600_000).toISOString(),
    cancelIfCustomerReplies: true,
  });
  expect(later.status).toBe(201);
  await call('post', '/v1/conversations/{id}/messages', `${c}/messages`).send({
    text: 'x',
    sendAt: new Date(Date.now() - 1_000).toISOString(),
  });
  await call('post', '/v1/conversations/{id}/messages', `${c}/messages`).send({ text: 'x', ifNoNewActivitySince: note.body.id });
  await call('delete', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${later.body.id}`)
    .with((r) => r.set('Authorization', `Bearer ${h.tokens.agent}`))
    .send();
  expect((await call('delete', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${later.body.id}`).send()).status).toBe(200);
  await call('delete', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${later.body.id}`).send();
  await call('delete', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${randomUUID()}`).send();
  // edits of your own note (200), a customer message (409), validation (400), unknown (404), another's (403)
  await call('patch', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${note.body.id}`).send({ text: 'internal, edited' });
  await call('patch', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${note.body.id}`).send({ text: '' });
  await call('patch', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${note.body.id}`)
    .with((r) => r.set('Authorization', `Bearer ${h.tokens.agent}`))
    .send({ text: 'not mine' });
  await call('patch', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${randomUUID()}`).send({ text: 'x' });
  await call('patch', '/v1/conversations/{id}/messages/{messageId}', `${c}/messages/${reply.body.id}`).send({ text: 'x' });
  // ---- end send later ----
  const email = await call('get', '/v1/conversations/{id}/messages', `/v1/conversations/${emailConversationId}/messages`).send();
  expect(email.body.data[0].attachments.length).toBeGreaterThan(0);

  await call('post', '/v1/conversations/{id}/status', `${c}/status`).send({ status: 'pending' });
  await call('post', '/v1/conversations/{id}/status', `${c}/status`).send({ status: 'nope' });
  await call('post', '/v1/conversations/{id}/assign', `${c}/assign`).send({ assigneeId: h.org.agentId });
  await call('post', '/v1/conversations/{id}/assign', `${c}/assign`).send({ assigneeId: randomUUID() });
  await call('patch', '/v1/conversations/{id}', c).send({ tags: ['conformance'], priority: 'high' });
  await call('patch', '/v1/conversations/{id}', c).send({});

  // a pending suggestion shows in the conversation and the list (the workflow does not know it: send/dismiss → 409)
  const suggestionId = await insertSuggestion(h.db, h.org.orgId, smsConversationId, { at: new Date() });
  await call('get', '/v1/conversations/{id}', c).send();
  await call('get', '/v1/conversations/{id}/suggestions', `${c}/suggestions`).send();
  await call('post', '/v1/conversations/{id}/suggestions/{suggestionId}/send', `${c}/suggestions/${suggestionId}/send`).send({});
  await call('post', '/v1/conversations/{id}/suggestions/{suggestionId}/dismiss', `${c}/suggestions/${suggestionId}/dismiss`).send();
  await call('post', '/v1/conversations/{id}/suggestions/{suggestionId}/dismiss', `${c}/suggestions/not-a-uuid/dismiss`).send();
});

test('conversations: per-person state, archive, filters, search and the reply alias (issue 11)', async () => {
  const c = `/v1/conversations/${smsConversationId}`;
  const unknown = `/v1/conversations/${randomUUID()}`;
  await call('post', '/v1/conversations/{id}/read', `${c}/read`).send();
  await call('post', '/v1/conversations/{id}/unread', `${c}/unread`).send();
  await call('post', '/v1/conversations/{id}/read', `${unknown}/read`).send();
  await call('post', '/v1/conversations/{id}/unread', `${unknown}/unread`).send();
  await call('post', '/v1/conversations/{id}/star', `${c}/star`).send();
  await call('post', '/v1/conversations/{id}/star', `${unknown}/star`).send();
  await call('delete', '/v1/conversations/{id}/star', `${c}/star`).send();
  await call('delete', '/v1/conversations/{id}/star', `${unknown}/star`).send();
  await call('post', '/v1/conversations/{id}/archive', `${c}/archive`).send({ archived: true });
  await call('post', '/v1/conversations/{id}/archive', `${c}/archive`).send({ archived: 'yes' });
  await call('get', '/v1/conversations', '/v1/conversations?archived=true').send();
  await call('post', '/v1/conversations/{id}/archive', `${c}/archive`).send({ archived: false });
  await call('post', '/v1/conversations/{id}/archive', `${unknown}/archive`).send({ archived: true });
  await call('get', '/v1/conversations', '/v1/conversations?unread=true&starred=false&sessionStatus=active').send();
  await call('get', '/v1/conversations', `/v1/conversations?contactId=${randomUUID()}`).send();
  const found = await call('get', '/v1/conversations', '/v1/conversations?q=parcel&limit=1').send();
  expect(found.body.data).toHaveLength(1);
  await call('get', '/v1/conversations', `/v1/conversations?q=${encodeURIComponent('"(( -:* or')}`).send();
  await call('get', '/v1/conversations', '/v1/conversations?q=parcel&cursor=bm90LWEtY3Vyc29y').send();
  await call('post', '/v1/conversations/reply').send({ sessionId: smsConversationId, message: 'Alias reply' });
  await call('post', '/v1/conversations/reply').send({ sessionId: randomUUID(), message: 'nobody' });
  await call('post', '/v1/conversations/reply').send({ sessionId: 'ses_abc123' });
});

test('contacts, templates and send-template', async () => {
  const phone = randomPhone();
  const contact = await call('post', '/v1/contacts').send({ name: 'Conformance Contact', phone });
  expect(contact.status).toBe(201);
  contactId = contact.body.id;
  await call('post', '/v1/contacts').send({ name: 'Duplicate', phone });
  await call('get', '/v1/contacts/{id}', `/v1/contacts/${contactId}`).send();
  await call('get', '/v1/contacts/{id}', `/v1/contacts/${randomUUID()}`).send();
  const firstPage = await call('get', '/v1/contacts', '/v1/contacts?limit=1').send();
  expect(firstPage.body.nextCursor).toEqual(expect.any(String));
  await call('get', '/v1/contacts', `/v1/contacts?limit=1&cursor=${encodeURIComponent(firstPage.body.nextCursor)}`).send();
  await call('get', '/v1/contacts', `/v1/contacts?q=${encodeURIComponent(phone)}`).send();
  await call('get', '/v1/contacts', '/v1/contacts?cursor=not-a-cursor').send();
  const holderEmail = `conformance-${randomBytes(3).toString('hex')}@example.test`;
  expect((await call('post', '/v1/contacts').send({ email: holderEmail })).status).toBe(201);
  const contactPath = `/v1/contacts/${contactId}`;
  const patched = await call('patch', '/v1/contacts/{id}', contactPath).send({ vip: true, identities: [{ kind: 'sms', address: phone }] });
  expect(patched.status).toBe(200);
  await call('patch', '/v1/contacts/{id}', contactPath).send({ identities: [{ kind: 'email', address: holderEmail }] });
  await call('patch', '/v1/contacts/{id}', contactPath).send({ identities: [{ kind: 'sms', address: 'nope' }] });
  await call('patch', '/v1/contacts/{id}', contactPath).send({});
  await call('patch', '/v1/contacts/{id}', `/v1/contacts/${randomUUID()}`).send({ vip: false });
  await call('post', '/v1/contacts/{id}/conversations', `/v1/contacts/${contactId}/conversations`).send({ channel: 'sms' });
  await call('post', '/v1/contacts/{id}/conversations', `/v1/contacts/${contactId}/conversations`).send({ channel: 'email' });

  const name = `conf-${randomBytes(3).toString('hex')}`;
  const template = await call('post', '/v1/templates').send({ name, channel: 'sms', body: 'Hi {{first_name}}' });
  expect(template.status).toBe(201);
  await call('post', '/v1/templates').send({ name, channel: 'sms', body: 'Hi {{first_name}}' });
  await call('get', '/v1/templates', '/v1/templates?channel=sms').send();
  await call('get', '/v1/templates/{id}', `/v1/templates/${template.body.id}`).send();
  await call('patch', '/v1/templates/{id}', `/v1/templates/${template.body.id}`).send({ body: 'Hello {{first_name}}' });

  const sent = await call('post', '/v1/send-template')
    .with((r) => r.set('Idempotency-Key', randomUUID()))
    .send({ templateName: name, contactId, channel: 'sms', variables: { first_name: 'Ada' } });
  expect(sent.status).toBe(201);
  await call('post', '/v1/send-template').send({ templateName: name, contactId, channel: 'sms', variables: {} });
  await call('post', '/v1/send-template').send({ templateName: 'missing', contactId: randomUUID(), channel: 'sms' });

  const scratch = await call('post', '/v1/templates').send({ name: `${name}-x`, channel: 'sms', body: 'Bye' });
  await call('delete', '/v1/templates/{id}', `/v1/templates/${scratch.body.id}`).send();
  await call('delete', '/v1/templates/{id}', `/v1/templates/${scratch.body.id}`).send();
});

test('channels: create, list, read, change, delete / archive and their errors', async () => {
  const credentials = { accountSid: `AC${'d'.repeat(32)}`, authToken: 'conformance-auth-token' };
  const created = await call('post', '/v1/channels').send({ kind: 'sms', name: 'Conformance', address: randomPhone(), credentials });
  expect(created.status).toBe(201);
  await call('post', '/v1/channels').send({ kind: 'sms', name: 'Conformance', address: created.body.address });
  await call('post', '/v1/channels').send({ kind: 'sms', name: 'Bad', address: randomPhone(), credentials: { accountSid: 'x' } });
  await call('post', '/v1/channels').send({ kind: 'fax' });
  await call('get', '/v1/channels', '/v1/channels?includeArchived=true').send();
  await call('get', '/v1/channels/{id}', `/v1/channels/${created.body.id}`).send();
  await call('get', '/v1/channels/{id}', `/v1/channels/${randomUUID()}`).send();
  await call('patch', '/v1/channels/{id}', `/v1/channels/${created.body.id}`).send({ name: 'Renamed', credentials: null });
  await call('patch', '/v1/channels/{id}', `/v1/channels/${created.body.id}`).send({ credentials: { authToken: 1 } });
  await call('delete', '/v1/channels/{id}', `/v1/channels/${created.body.id}`).send();
  await call('delete', '/v1/channels/{id}', `/v1/channels/${created.body.id}`).send();
  // a channel with conversations is archived (200 with the channel): a copy of the SMS conversation on a new channel
  const used = await call('post', '/v1/channels').send({ kind: 'sms', name: 'Used', address: randomPhone() });
  const { id: _id, ...copy } = await h.db
    .selectFrom('conversations')
    .selectAll()
    .where('id', '=', smsConversationId)
    .executeTakeFirstOrThrow();
  await h.db
    .insertInto('conversations')
    .values({ ...copy, id: randomUUID(), channel_id: used.body.id })
    .execute();
  const archived = await call('delete', '/v1/channels/{id}', `/v1/channels/${used.body.id}`).send();
  expect(archived.status).toBe(200);
  await call('patch', '/v1/channels/{id}', `/v1/channels/${used.body.id}`).send({ name: 'x' });
});

test('Twilio onboarding: setup, verify, available numbers, buying one, the system phone and their errors', async () => {
  const base = '/v1/communications/twilio';
  const account = { sid: `AC${randomBytes(16).toString('hex')}`, authToken: `conformance-${randomBytes(8).toString('hex')}` };
  h.twilioStub!.addAccount(account);
  await call('post', `${base}/verify`).send();
  await call('post', `${base}/setup`).send({ accountSid: account.sid, authToken: 'wrong-token' });
  await call('post', `${base}/setup`).send({ accountSid: 'AC1' });
  expect((await call('post', `${base}/setup`).send({ accountSid: account.sid, authToken: account.authToken })).status).toBe(200);
  await call('post', `${base}/verify`).send();
  const numbers = await call(
    'get',
    `${base}/available-numbers`,
    `${base}/available-numbers?areaCode=${300 + Math.floor(Math.random() * 100)}&limit=2`,
  ).send();
  expect(numbers.status).toBe(200);
  await call('get', `${base}/available-numbers`, `${base}/available-numbers?areaCode=1`).send();
  expect((await call('post', `${base}/numbers`).send({ phoneNumber: numbers.body.data[0].phoneNumber })).status).toBe(201);
  await call('post', `${base}/numbers`).send({ phoneNumber: numbers.body.data[0].phoneNumber });
  await call('post', `${base}/numbers`).send({ phoneNumber: 'x' });
  await call('get', `${base}/system-phone`).send();
  await call('get', `${base}/system-phone`)
    .with((r) => r.set('Authorization', `Bearer ${h.tokens.agent}`))
    .send();
});

test('assistant settings, training pairs and todos', async () => {
  await call('get', '/v1/ai-assistant').send();
  await call('put', '/v1/ai-assistant').send({ enabled: false });
  await call('put', '/v1/ai-assistant').send({ enabled: 'yes' });
  await insertTrainingPairs(h.db, h.org.orgId, smsConversationId, [{ at: new Date() }]);
  const pairs = await call('get', '/v1/ai-assistant/training-pairs').send();
  expect(pairs.text.trim()).not.toBe('');
  await call('get', '/v1/ai-assistant/training-pairs', '/v1/ai-assistant/training-pairs?from=yesterday').send();

  const todo = await call('post', '/v1/todos').send({ title: 'Call back', sourceType: 'inbox', sourceId: smsConversationId });
  expect(todo.status).toBe(201);
  await call('post', '/v1/todos').send({ title: 'Elsewhere', sourceType: 'inbox', sourceId: randomUUID() });
  await call('get', '/v1/todos', '/v1/todos?limit=10').send();
  await call('patch', '/v1/todos/{id}', `/v1/todos/${todo.body.id}`).send({ status: 'done' });
  await call('patch', '/v1/todos/{id}', `/v1/todos/${randomUUID()}`).send({ status: 'done' });
});

test('attachments and signed media', async () => {
  const upload = await call('post', '/v1/attachments')
    .with((r) => r.attach('file', Buffer.from('hello attachment'), { filename: 'hello.txt', contentType: 'text/plain' }))
    .send();
  expect(upload.status).toBe(201);
  const id = upload.body.id as string;
  const download = await call('get', '/v1/attachments/{id}', `/v1/attachments/${id}`).send();
  expect(download.status).toBe(200);
  await call('get', '/v1/attachments/{id}', `/v1/attachments/${id}`)
    .with((r) => r.set('If-None-Match', String(download.headers.etag)))
    .send();
  await call('get', '/v1/attachments/{id}', `/v1/attachments/${randomUUID()}`).send();
  const signed = new URL(signMediaUrl(PUBLIC_BASE_URL, id, mediaSigningSecret(JWT_SECRET), Math.floor(Date.now() / 1000) + 600));
  conforms(await request(h.app).get(`${signed.pathname}${signed.search}`), 'get', '/media/{id}');
  conforms(await request(h.app).get(`/media/${id}?expires=1&signature=bad`), 'get', '/media/{id}');
});

test('webhook error answers', async () => {
  conforms(
    await request(h.app).post('/webhooks/twilio/messaging').type('form').send({ From: '+15550001111', Body: 'unsigned' }),
    'post',
    '/webhooks/twilio/messaging',
  );
  conforms(
    await h.postSignedForm(`/webhooks/twilio/status?messageId=${randomUUID()}`, 'MessageSid=SM1&MessageStatus=delivered'),
    'post',
    '/webhooks/twilio/status',
  );
  conforms(
    await h.postmarkWebhook('/webhooks/postmark/events', postmarkDeliveryEvent(randomUUID(), `nobody@${INBOUND_EMAIL_DOMAIN}`)),
    'post',
    '/webhooks/postmark/events',
  );
  conforms(await request(h.app).post('/webhooks/postmark/events').send({}), 'post', '/webhooks/postmark/events');
  // the per-channel Postmark URLs (the test org's email channel has no credentials of its own: the environment's apply)
  const channelEvents = '/webhooks/postmark/{channelId}/events';
  const channelInbound = '/webhooks/postmark/{channelId}/inbound';
  const delivery = { RecordType: 'Delivery', MessageID: randomUUID(), Recipient: 'x@example.test', DeliveredAt: new Date().toISOString() };
  conforms(
    await request(h.app)
      .post(`/webhooks/postmark/${h.org.emailChannelId}/events`)
      .auth(POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD)
      .send(delivery),
    'post',
    channelEvents,
  );
  conforms(await request(h.app).post(`/webhooks/postmark/${h.org.emailChannelId}/events`).send(delivery), 'post', channelEvents);
  conforms(
    await request(h.app).post(`/webhooks/postmark/${randomUUID()}/inbound`).auth(POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD).send({}),
    'post',
    channelInbound,
  );
  conforms(
    await request(h.app)
      .post(`/webhooks/postmark/${h.org.emailChannelId}/inbound`)
      .auth(POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD)
      .send({ From: 'not an email' }),
    'post',
    channelInbound,
  );
  const telegram = '/webhooks/telegram/{channelId}';
  const update = h.telegram.update({ chatId: 424_242, text: 'Hello from Telegram' });
  conforms(await h.telegramWebhook(update), 'post', telegram);
  conforms(await h.telegramWebhook(update, 'wrong-secret'), 'post', telegram);
  conforms(await h.telegramWebhook({ update_id: 'x' }), 'post', telegram);
  conforms(await request(h.app).post(`/webhooks/telegram/${randomUUID()}`).send(update), 'post', telegram);
});

test('sign-in: set-password, login, refresh, logout and their errors', async () => {
  const { token } = await issueOneTimeToken(h.db, h.org.agentId, 'set_password');
  const email = `agent-${h.org.agentId}@example.test`;
  const password = 'conformance-password-1';
  await call('post', '/v1/auth/set-password').send({ token, password: 'short' });
  await call('post', '/v1/auth/set-password').send({ token, password });
  await call('post', '/v1/auth/set-password').send({ token, password });
  await call('post', '/v1/auth/login').send({ email, password: 'wrong-password-here' });
  await call('post', '/v1/auth/login').send({ email });
  const login = await call('post', '/v1/auth/login').send({ email, password });
  expect(login.status).toBe(200);
  const inCookie = await call('post', '/v1/auth/login').send({ email, password, refreshTokenIn: 'cookie' });
  expect(inCookie.body.refreshToken).toBeUndefined();
  const refreshed = await call('post', '/v1/auth/refresh').send({ refreshToken: login.body.refreshToken });
  expect(refreshed.status).toBe(200);
  await call('post', '/v1/auth/refresh').send({ refreshToken: login.body.refreshToken });
  await call('post', '/v1/auth/refresh').send({});
  await call('post', '/v1/auth/logout').send({ refreshToken: refreshed.body.refreshToken });
  await call('post', '/v1/auth/logout').send({ refreshToken: 1 });
  await call('post', '/v1/auth/forgot-password').send({ email: `nobody-${randomUUID()}@example.test` });
  await call('post', '/v1/auth/forgot-password').send({ email: 1 });
});

test('API keys and the audit log', async () => {
  await call('get', '/v1/api-keys').send();
  const created = await call('post', '/v1/api-keys').send({ name: 'conformance', scopes: ['read'] });
  expect(created.status).toBe(201);
  await call('post', '/v1/api-keys').send({ name: '', scopes: [] });
  // the read-only key writing: 403 insufficient_scope
  const refused = conforms(
    await request(h.app)
      .post('/v1/api-keys')
      .set('Authorization', `Bearer ${created.body.key}`)
      .send({ name: 'x', scopes: ['read'] }),
    'post',
    '/v1/api-keys',
  );
  expect(refused.status).toBe(403);
  await call('delete', '/v1/api-keys/{id}', `/v1/api-keys/${created.body.id}`).send();
  await call('delete', '/v1/api-keys/{id}', `/v1/api-keys/${randomUUID()}`).send();
  const log = await call('get', '/v1/audit-log', '/v1/audit-log?limit=1').send();
  expect(log.body.nextCursor).toEqual(expect.any(String));
  await call('get', '/v1/audit-log', `/v1/audit-log?limit=1&cursor=${log.body.nextCursor}&action=api_key.create`).send();
  await call('get', '/v1/audit-log', '/v1/audit-log?cursor=bad').send();
});

test('staff and teams, their errors, and assigning a team', async () => {
  const asAgent = (r: request.Test) => r.set('Authorization', `Bearer ${h.tokens.agent}`);
  await call('get', '/v1/staff', '/v1/staff?includeDeactivated=true').send();
  await call('get', '/v1/staff', '/v1/staff?includeDeactivated=maybe').send();
  const email = `conformance-${randomBytes(3).toString('hex')}@example.test`;
  const invited = await call('post', '/v1/staff').send({ email, name: 'Conformance Agent', role: 'agent' });
  expect(invited.status).toBe(201);
  await call('post', '/v1/staff').send({ email, name: 'x', role: 'owner' });
  await call('post', '/v1/staff').with(asAgent).send({ email, name: 'x', role: 'agent' });
  await call('post', '/v1/auth/set-password').send({ token: invited.body.invite.token, password: 'conformance-password-2' });
  await call('post', '/v1/staff').send({ email, name: 'Conformance Agent', role: 'agent' });
  const staffPath = `/v1/staff/${invited.body.staff.id}`;
  await call('get', '/v1/staff/{id}', staffPath).send();
  await call('get', '/v1/staff/{id}', `/v1/staff/${randomUUID()}`).send();
  await call('patch', '/v1/staff/{id}', staffPath).send({ name: 'Renamed', active: false });
  await call('patch', '/v1/staff/{id}', staffPath).send({});
  await call('patch', '/v1/staff/{id}', `/v1/staff/${h.org.adminId}`).send({ role: 'agent' });
  await call('patch', '/v1/staff/{id}', staffPath).with(asAgent).send({ active: true });

  const name = `Conformance ${randomBytes(3).toString('hex')}`;
  const team = await call('post', '/v1/teams').send({ name });
  expect(team.status).toBe(201);
  await call('post', '/v1/teams').send({ name });
  await call('post', '/v1/teams').with(asAgent).send({ name: 'x' });
  const teamPath = `/v1/teams/${team.body.id}`;
  await call('get', '/v1/teams').send();
  await call('get', '/v1/teams/{id}', teamPath).send();
  await call('get', '/v1/teams/{id}', `/v1/teams/${randomUUID()}`).send();
  await call('patch', '/v1/teams/{id}', teamPath).send({ name: `${name} 2` });
  await call('patch', '/v1/teams/{id}', teamPath).send({ name: '' });
  await call('put', '/v1/teams/{id}/members', `${teamPath}/members`).send({ staffIds: [h.org.agentId] });
  await call('put', '/v1/teams/{id}/members', `${teamPath}/members`).send({ staffIds: [randomUUID()] });
  await call('get', '/v1/me').with(asAgent).send();
  const c = `/v1/conversations/${smsConversationId}`;
  await call('post', '/v1/conversations/{id}/assign', `${c}/assign`).send({ teamId: team.body.id });
  await call('post', '/v1/conversations/{id}/assign', `${c}/assign`).send({ teamId: randomUUID() });
  await call('get', '/v1/conversations', `/v1/conversations?scope=team&teamId=${team.body.id}`).send();
  await call('delete', '/v1/teams/{id}', teamPath).with(asAgent).send();
  await call('delete', '/v1/teams/{id}', teamPath).send();
  await call('delete', '/v1/teams/{id}', teamPath).send();
});

test('the cross-channel feed: messages, chats, sources and their errors', async () => {
  const feed = await call('get', '/v1/inbox/messages', '/v1/inbox/messages?limit=5&sources=sms,email').send();
  expect(feed.status).toBe(200);
  expect(feed.body.count).toBeGreaterThan(0);
  await call('get', '/v1/inbox/messages', `/v1/inbox/messages?roomId=${emailConversationId}`).send();
  await call('get', '/v1/inbox/messages', `/v1/inbox/messages?roomId=${randomUUID()}`).send();
  await call('get', '/v1/inbox/messages', '/v1/inbox/messages?limit=501&sources=gmail').send();
  const chats = await call('get', '/v1/inbox/chats').send();
  expect(chats.body.count).toBeGreaterThan(0);
  await call('get', '/v1/inbox/chats', '/v1/inbox/chats?sources=chat').send();
  await call('get', '/v1/inbox/sources').send();
});

test('contacts: merge, erase and the conversations between a contact and a staff user (issue 11)', async () => {
  const kept = await call('post', '/v1/contacts').send({ name: 'Merge Kept', phone: randomPhone() });
  const other = await call('post', '/v1/contacts').send({ name: 'Merge Other', phone: randomPhone() });
  expect([kept.status, other.status]).toEqual([201, 201]);
  const merge = '/v1/contacts/{id}/merge';
  expect((await call('post', merge, `/v1/contacts/${kept.body.id}/merge`).send({ otherContactId: other.body.id })).status).toBe(200);
  await call('post', merge, `/v1/contacts/${kept.body.id}/merge`).send({ otherContactId: other.body.id });
  await call('post', merge, `/v1/contacts/${kept.body.id}/merge`).send({ otherContactId: kept.body.id });
  await call('post', merge, `/v1/contacts/${kept.body.id}/merge`).send({});
  const erase = '/v1/contacts/{id}';
  expect((await call('delete', erase, `/v1/contacts/${kept.body.id}`).send()).status).toBe(204);
  await call('delete', erase, `/v1/contacts/${kept.body.id}`).send();
  await call('delete', erase, '/v1/contacts/nope').send();
  await call('delete', erase, `/v1/contacts/${randomUUID()}`).send();
  const betweenPath = '/v1/conversations/between/{parties}';
  const talker = await call('post', '/v1/contacts').send({ phone: randomPhone() });
  await call('get', betweenPath, `/v1/conversations/between/${talker.body.id}+${h.org.adminId}`).send();
  await call('get', betweenPath, `/v1/conversations/between/${talker.body.id}`).send();
  await call('get', betweenPath, `/v1/conversations/between/${randomUUID()}+${h.org.adminId}`).send();
});

test('every documented operation was called, and every route of the app is documented', () => {
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  expect(documented.filter((op) => !covered.has(op)).sort()).toEqual([]);
  // the document describes the API, not itself
  const served = expressRoutes(h.app)
    .map(({ method, path }) => `${method} ${path}`)
    .filter((op) => op !== 'GET /openapi.json');
  expect(served.filter((op) => !documented.includes(op)).sort()).toEqual([]);
});
