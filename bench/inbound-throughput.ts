/**
 * Inbound throughput: signed Twilio webhooks per second through the whole product (`npm start`:
 * API → signal-with-start → worker → Postgres), against the floor — a bare `signalWithStart` loop
 * on the same Temporal server with the same concurrency (what Temporal alone accepts). Goal: the
 * webhook rate is at least 0.8× the floor. Each message comes from a different customer (a new
 * conversation), the common case of a busy inbox.
 *
 *   npx tsx bench/inbound-throughput.ts [messages=2000] [concurrency=16]
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { CONVERSATION_WORKFLOW_TYPE, conversationWorkflowId, inboundMessageSignal } from '../workflows/messages';
import { percentile, randomPhone, runConcurrently, startSwitchboard } from './switchboard-process';

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 2000);
  const concurrency = Number(process.argv[3] ?? 16);
  const sb = await startSwitchboard();
  try {
    // the floor: Temporal alone accepting signal-with-start (a task queue no worker polls)
    const connection = await Connection.connect({ address: sb.temporalAddress });
    const client = new Client({ connection });
    const floorQueue = `bench-floor-${randomBytes(4).toString('hex')}`;
    const floorStart = performance.now();
    const floorLatency = await runConcurrently(messages, concurrency, async (i) => {
      await client.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
        taskQueue: floorQueue,
        workflowId: conversationWorkflowId(`floor-${floorQueue}-${i}`),
        args: [],
        signal: inboundMessageSignal,
        signalArgs: [{ provider: 'twilio', providerMessageId: `SMfloor${i}`, text: `floor ${i}`, attachments: [] }],
      });
    });
    const floorSeconds = (performance.now() - floorStart) / 1000;

    const webhookStart = performance.now();
    let failures = 0;
    const webhookLatency = await runConcurrently(messages, concurrency, async (i) => {
      const status = await sb.inbound(randomPhone(), `bench ${i}`, `SM${randomBytes(16).toString('hex')}`);
      if (status !== 200) failures++;
    });
    const webhookSeconds = (performance.now() - webhookStart) / 1000;
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
