/**
 * A busy conversation never reaches Temporal's history limit: thousands of customer messages posted
 * as signed Twilio webhooks at concurrency 16 into ONE conversation, on a dev server whose history
 * limits are lowered (suggest continue-as-new at 600 events, terminate at 6,000) so the test is
 * short. A run that only continued as new when idle never would under this stream and would be
 * terminated at the limit, losing the signals it had not recorded.
 *
 * Asserts: every webhook answered 200, every message stored exactly once, the conversation continued
 * as new (several times), no run was terminated or failed, and the latest run is still running.
 */
import { randomBytes } from 'node:crypto';
import { startEmbeddedTemporal, type EmbeddedTemporal } from '../../scripts/embedded-temporal';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { createHarness, type Harness, randomPhone } from '../support/harness';

const MESSAGES = 2000;
const CONCURRENCY = 16;

let devServer: EmbeddedTemporal;
let h: Harness;
beforeAll(async () => {
  devServer = await startEmbeddedTemporal({
    dynamicConfig: {
      'limit.historyCount.suggestContinueAsNew': 600,
      'limit.historyCount.warn': 3000,
      'limit.historyCount.error': 6000,
    },
  });
  h = await createHarness({ temporalAddress: devServer.address });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await devServer?.stop();
});

test(`${MESSAGES} messages at concurrency ${CONCURRENCY} into one conversation: all stored once, continued as new, never terminated`, async () => {
  const from = randomPhone();
  const id = h.conversationIdOf(from);
  const sids = Array.from({ length: MESSAGES }, (_, i) => `SM${randomBytes(15).toString('hex')}${String(i % 100).padStart(2, '0')}`);
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) {
        const i = next++;
        const res = await h.inbound({ from, body: `flood ${i}`, sid: sids[i] });
        statuses.push(res.status);
      }
    }),
  );
  expect(statuses.filter((s) => s !== 200)).toEqual([]);

  const stored = await h.waitFor(
    async () => {
      const row = await h.db
        .selectFrom('messages')
        .select((eb) => [eb.fn.countAll<string>().as('rows'), eb.fn.count<string>('provider_message_id').distinct().as('distinct')])
        .where('conversation_id', '=', id)
        .where('direction', '=', 'inbound')
        .executeTakeFirstOrThrow();
      return Number(row.rows) >= MESSAGES ? row : undefined;
    },
    `${MESSAGES} messages stored`,
    90_000,
  );
  expect(Number(stored.rows)).toBe(MESSAGES);
  expect(Number(stored.distinct)).toBe(MESSAGES);

  const runs: string[] = [];
  for await (const run of h.client.workflow.list({ query: `WorkflowId = '${conversationWorkflowId(id)}'` })) runs.push(run.status.name);
  expect(runs.filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);
  expect(runs.filter((s) => s !== 'CONTINUED_AS_NEW' && s !== 'RUNNING')).toEqual([]);
  expect((await h.client.workflow.getHandle(conversationWorkflowId(id)).describe()).status.name).toBe('RUNNING');

  const conversation = await h.db
    .selectFrom('conversations')
    .select(['unread_count', 'last_message_preview'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  expect(conversation.unread_count).toBe(MESSAGES);
}, 240_000);
