/**
 * Automatic email (RFC 3834: out-of-office, autoresponders, bulk) through the real path: the Postmark
 * inbound webhook → the conversation workflow → Postgres / API, with the AI assistant on (the real
 * `openai` SDK against the local stand-in). An auto-reply is recorded as a message, but it does not
 * reopen a closed conversation, does not restart the SLA clock and does not trigger the assistant.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { AiDraft } from '../../domain/ai-assistant';
import { chatCompletionBody } from '../../scripts/openai-standin';
import { createHarness, type Harness, INBOUND_EMAIL_DOMAIN } from '../support/harness';
import { deliverEmail, type InboundEmail, inboundEmail } from '../support/postmark-inbound';

const MODEL = 'gpt-4o-mini';

interface ConversationBody {
  id: string;
  status: string;
  unreadCount: number;
  slaDueAt: string | null;
  lastCustomerMessageAt: string | null;
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ openai: true });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.openai!.reset());

/** An email from `from`; with `token` it answers our Reply-To of that conversation; `headers` are added. */
function email(from: string, opts: { token?: string; headers?: Record<string, string>; text?: string } = {}): InboundEmail {
  const to = opts.token ? `${h.org.emailAddress.split('@')[0]}+${opts.token}@${INBOUND_EMAIL_DOMAIN}` : h.org.emailAddress;
  const mail = inboundEmail(from, to);
  const text = opts.text ?? `Message ${randomBytes(3).toString('hex')}`;
  Object.assign(mail, {
    FromFull: { Email: from, Name: 'Noor', MailboxHash: '' },
    ToFull: [{ Email: to, Name: '', MailboxHash: opts.token ?? '' }],
    MailboxHash: opts.token ?? '',
    TextBody: text,
    StrippedTextReply: text,
  });
  mail.Headers = [...mail.Headers, ...Object.entries(opts.headers ?? {}).map(([Name, Value]) => ({ Name, Value }))];
  return mail;
}

const api = {
  get: (p: string) => request(h.app).get(p).set('Authorization', h.auth),
  post: (p: string, body: object) => request(h.app).post(p).set('Authorization', h.auth).send(body),
  put: (p: string, body: object) => request(h.app).put(p).set('Authorization', h.auth).send(body),
};

async function conversation(id: string): Promise<ConversationBody> {
  const r = await api.get(`/v1/conversations/${id}`);
  expect(r.status).toBe(200);
  return r.body as ConversationBody;
}

/** Posts an inbound email and waits until it is stored (then the state it produced is saved too). */
const deliver = (mail: InboundEmail) => deliverEmail(h, mail);

const replyTokenOf = async (id: string): Promise<string> =>
  (await h.db.selectFrom('conversations').select('reply_token').where('id', '=', id).executeTakeFirstOrThrow()).reply_token!;

const customer = (): string => `noor-${randomBytes(4).toString('hex')}@mail.example.net`;

describe('assistant off', () => {
  beforeAll(async () => {
    expect((await api.put('/v1/ai-assistant', { enabled: false })).status).toBe(200);
  });

  test('an out-of-office answer (Auto-Submitted: auto-replied) does not reopen a closed conversation; a real reply does', async () => {
    const from = customer();
    const { conversationId } = await deliver(email(from));
    const token = await replyTokenOf(conversationId);
    expect((await api.post(`/v1/conversations/${conversationId}/messages`, { text: 'All sorted, closing.' })).status).toBe(201);
    expect((await api.post(`/v1/conversations/${conversationId}/status`, { status: 'closed' })).status).toBe(200);
    const closed = await conversation(conversationId);

    const { message } = await deliver(
      email(from, { token, text: 'I am out of the office until Monday.', headers: { 'Auto-Submitted': 'auto-replied; owner-email=x' } }),
    );
    expect(message.email).toMatchObject({ autoReply: true });
    const after = await conversation(conversationId);
    expect(after).toMatchObject({ status: 'closed', slaDueAt: null, lastCustomerMessageAt: closed.lastCustomerMessageAt });
    expect(after.unreadCount).toBe(closed.unreadCount + 1);

    // control: a person's answer in the same thread reopens it
    await deliver(email(from, { token, text: 'Actually, one more question.' }));
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', slaDueAt: expect.any(String) });
  });

  test.each([
    ['X-Autoreply', 'yes'],
    ['X-Autorespond', 'Vacation'],
    ['Precedence', 'bulk'],
    ['Precedence', 'auto_reply'],
  ])('%s: %s after a staff reply leaves it pending with no SLA clock', async (name, value) => {
    const from = customer();
    const { conversationId } = await deliver(email(from));
    const token = await replyTokenOf(conversationId);
    expect((await api.post(`/v1/conversations/${conversationId}/messages`, { text: 'We are on it.' })).status).toBe(201);
    await h.waitFor(async () => (await conversation(conversationId)).status === 'pending', 'pending');
    const { message } = await deliver(email(from, { token, headers: { [name]: value } }));
    expect(message.email).toMatchObject({ autoReply: true });
    expect(await conversation(conversationId)).toMatchObject({ status: 'pending', slaDueAt: null });
  });

  test('Auto-Submitted: no is a person: it reopens', async () => {
    const from = customer();
    const { conversationId } = await deliver(email(from));
    const token = await replyTokenOf(conversationId);
    expect((await api.post(`/v1/conversations/${conversationId}/status`, { status: 'closed' })).status).toBe(200);
    const { message } = await deliver(email(from, { token, headers: { 'Auto-Submitted': 'no' } }));
    expect(message.email?.autoReply).toBeUndefined();
    expect((await conversation(conversationId)).status).toBe('open');
  });
});

describe('assistant on', () => {
  beforeAll(async () => {
    const res = await api.put('/v1/ai-assistant', {
      enabled: true,
      mode: 'suggest',
      channels: ['email'],
      model: MODEL,
      agentTools: { enabled: false },
    });
    expect(res.status).toBe(200);
  });

  test('an auto-reply does not trigger the assistant; the next real email does', async () => {
    const draft: AiDraft = {
      reply: 'Thanks, we will look into it.',
      confidence: 0.9,
      complexity: 'low',
      intent: 'other',
      handoff: false,
      handoffReason: null,
    };
    h.openai!.respondWith(() => ({ status: 200, body: chatCompletionBody({ model: MODEL, content: JSON.stringify(draft) }) }));
    const from = customer();
    const { conversationId, message: auto } = await deliver(email(from, { headers: { 'X-Autoreply': 'yes' } }));
    expect(auto.email).toMatchObject({ autoReply: true });
    const token = await replyTokenOf(conversationId);
    const { message: real } = await deliver(email(from, { token, text: 'My parcel never arrived.' }));
    const suggestions = await h.waitFor(async () => {
      const rows = await h.db.selectFrom('ai_suggestions').selectAll().where('conversation_id', '=', conversationId).execute();
      return rows.length > 0 ? rows : undefined;
    }, 'the suggestion for the real email');
    // one draft, for the real email only: the auto-reply asked the model nothing
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]).toMatchObject({ trigger_message_id: real.id });
    // (other conversations of this file may still draft: look at the requests' last message)
    const lastMessages = h.openai!.requests.map((r) => {
      const messages = (r.body as { messages: { content: string }[] }).messages;
      return messages.at(-1)?.content;
    });
    expect(lastMessages.filter((text) => text === real.text)).toHaveLength(1);
    expect(lastMessages.filter((text) => text === auto.text)).toHaveLength(0);
  });
});
