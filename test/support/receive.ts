/**
 * Receiving a customer message through the real webhook and waiting until the workflow recorded it.
 * Not a test file itself.
 */
import type { Harness } from './harness';

/**
 * Posts a signed inbound SMS (WhatsApp with `opts.whatsapp`) from `from` and waits until the
 * conversation has one more inbound message stored than before (the workflow recorded it).
 * @returns the conversation id
 */
export async function receiveAndWait(h: Harness, from: string, body: string, opts: { whatsapp?: boolean } = {}): Promise<string> {
  const id = h.conversationIdOf(from, opts.whatsapp ? 'whatsapp' : 'sms');
  const count = async () =>
    (await h.db.selectFrom('messages').select('id').where('conversation_id', '=', id).where('direction', '=', 'inbound').execute()).length;
  const n = await count();
  expect((await h.inbound({ from, body, whatsapp: opts.whatsapp })).status).toBe(200);
  await h.waitFor(async () => (await count()) > n, 'inbound recorded');
  return id;
}
