/**
 * Inbound throughput: signed Twilio webhooks per second through the whole product (`npm start`:
 * API → signal-with-start → worker → Postgres), against the floor — a bare `signalWithStart` loop
 * (the API's own `ConversationClient.deliverInbound`, no HTTP, no signature, no routing) on the same
 * Temporal server, task queue and worker with the same concurrency. Both phases start the same
 * conversation workflows, which the worker runs meanwhile, so the ratio is the cost of the webhook
 * path itself. Goal: the webhook rate is at least 0.8× the floor. Each message comes from a
 * different customer (a new conversation), the common case of a busy inbox; each phase waits until
 * the worker stored everything before the next starts.
 *
 *   npx tsx bench/inbound-throughput.ts [messages=2000] [concurrency=16]
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ConversationClient } from '../workflows/conversation/client';
import { DEMO } from '../db/seed';
import { percentile, randomPhone, runBench, runConcurrently, startSwitchboard } from './switchboard-process';

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 2000);
  const concurrency = Number(process.argv[3] ?? 16);
  const sb = await startSwitchboard();
  const pool = sb.db;
  /** Waits until `count` inbound messages are stored in all (the worker caught up). */
  const stored = async (count: number): Promise<void> => {
    for (;;) {
      const { rows } = await pool.query<{ n: string }>(`select count(*) as n from messages where direction = 'inbound'`);
      if (Number(rows[0]!.n) >= count) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  try {
    // the floor: the API's signal-with-start alone, on the product's task queue (its worker runs them)
    const connection = await Connection.connect({ address: sb.temporalAddress });
    const conversations = new ConversationClient(new Client({ connection }), 'switchboard-conversations');
    const floorStart = performance.now();
    const floorLatency = await runConcurrently(messages, concurrency, async (i) => {
      const phone = randomPhone();
      await conversations.deliverInbound(
        {
          conversationId: sb.conversationIdOf(phone),
          orgId: DEMO.orgId,
          channelId: DEMO.smsChannelId,
          channelKind: 'sms',
          customer: { kind: 'sms', address: phone, profileName: null },
        },
        { provider: 'twilio', providerMessageId: `SM${randomBytes(16).toString('hex')}`, text: `floor ${i}`, attachments: [] },
      );
    });
    const floorSeconds = (performance.now() - floorStart) / 1000;
    await stored(messages);

    const webhookStart = performance.now();
    let failures = 0;
    const webhookLatency = await runConcurrently(messages, concurrency, async (i) => {
      const status = await sb.inbound(randomPhone(), `bench ${i}`, `SM${randomBytes(16).toString('hex')}`);
      if (status !== 200) failures++;
    });
    const webhookSeconds = (performance.now() - webhookStart) / 1000;
    await stored(2 * messages);
    await connection.close();

    const floorRate = messages / floorSeconds;
    const webhookRate = messages / webhookSeconds;
    console.log(`inbound throughput: ${messages} messages, concurrency ${concurrency}`);
    console.log(
      `  floor (bare signalWithStart): ${floorRate.toFixed(1)}/s  p50 ${percentile(floorLatency, 50).toFixed(1)} ms  p95 ${percentile(floorLatency, 95).toFixed(1)} ms`,
    );
    console.log(
      `  webhooks (whole product):     ${webhookRate.toFixed(1)}/s  p50 ${percentile(webhookLatency, 50).toFixed(1)} ms  p95 ${percentile(webhookLatency, 95).toFixed(1)} ms  non-200: ${failures}`,
    );
    console.log(`  ratio webhooks / floor: ${(webhookRate / floorRate).toFixed(2)} (goal ≥ 0.80)`);
  } finally {
    await sb.stop();
  }
}

runBench(main);
