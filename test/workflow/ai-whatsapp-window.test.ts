/**
 * A held AI auto-send on WhatsApp whose 24 h customer-service window closes during `autoSendDelay`
 * is refused by the channel rules at send time and kept as a suggestion (time-skipping server of its
 * own: a day of skipped time should fire only this conversation's timers).
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { chatCompletionBody } from '../../scripts/openai-standin';
import { createHarness, type Harness, randomPhone } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ timeSkipping: true, openai: true });
});
afterAll(async () => {
  await h?.close();
});

const DAY_S = 86_400;

test('a held WhatsApp auto-send whose window closes during the delay is not sent; it stays a suggestion', async () => {
  const auth = { Authorization: h.auth };
  const put = await request(h.app)
    .put('/v1/ai-assistant')
    .set(auth)
    .send({ enabled: true, mode: 'auto', autoSendConfidence: 0.5, autoSendDelay: DAY_S });
  expect(put.status).toBe(200);
  const draft = { reply: 'Held for a day.', confidence: 0.99, complexity: 'low', intent: 'greeting', handoff: false, handoffReason: null };
  h.openai!.respondWith(() => ({ status: 200, body: chatCompletionBody({ model: 'gpt-4o-mini', content: JSON.stringify(draft) }) }));

  const from = randomPhone();
  const id = h.conversationIdOf(from, 'whatsapp');
  expect((await h.inbound({ from, body: 'Ping on WhatsApp', whatsapp: true, sid: `SM${randomBytes(16).toString('hex')}` })).status).toBe(
    200,
  );
  const suggestion = () => h.db.selectFrom('ai_suggestions').selectAll().where('conversation_id', '=', id).executeTakeFirst();
  const held = await h.waitFor(async () => {
    const row = await suggestion();
    return row?.status === 'scheduled' ? row : undefined;
  }, 'the held auto-send');

  await h.env!.sleep((DAY_S + 5) * 1000);
  const kept = await h.waitFor(async () => {
    const row = await suggestion();
    return row?.status === 'pending' ? row : undefined;
  }, 'the refused send kept as a suggestion');
  expect(kept).toMatchObject({ id: held.id, send_at: null });
  const aiMessages = await h.db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', id)
    .where('author_type', '=', 'ai')
    .execute();
  expect(aiMessages).toHaveLength(0);

  // a free-form send of the draft now needs a template instead: 422
  const res = await request(h.app).post(`/v1/conversations/${id}/suggestions/${held.id}/send`).set(auth).send({});
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('whatsapp_session_expired');
});
