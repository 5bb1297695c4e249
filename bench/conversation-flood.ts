/**
 * One-conversation flood: `messages` signed inbound SMS webhooks from ONE customer at
 * `concurrency`, through the whole product (`npm start`), while staff replies are timed (POST
 * /v1/conversations/:id/messages → 201, an update that waits for the workflow) near the start and
 * near the end. Prints webhooks/s, non-200 answers, messages stored (and duplicates), the
 * conversation's runs (continued as new / terminated) and the reply-latency ratio end / start.
 * Goal: 20,000 messages, no failure, every message stored once, reply latency at the end ≤ 1.2× the start.
 *
 *   npx tsx bench/conversation-flood.ts [messages=20000] [concurrency=16]
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { conversationWorkflowId } from '../workflows/conversation/contract';
import { percentile, randomPhone, runBench, runConcurrently, startSwitchboard } from './switchboard-process';

const REPLIES_PER_PHASE = 7;

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 20_000);
  const concurrency = Number(process.argv[3] ?? 16);
  const sb = await startSwitchboard();
  const pool = sb.db;
  try {
    const from = randomPhone();
    const id = sb.conversationIdOf(from);
    if ((await sb.inbound(from, 'hello', `SM${randomBytes(16).toString('hex')}`)) !== 200) throw new Error('first webhook failed');

    const reply = async (text: string): Promise<number> => {
      const started = performance.now();
      const res = await fetch(`${sb.apiUrl}/v1/conversations/${id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`reply answered ${res.status}`);
      return performance.now() - started;
    };
    const startLatency: number[] = [];
    const endLatency: number[] = [];
    let failures = 0;
    let sent = 0;
    let replying: Promise<void> = Promise.resolve();
    const phase = (into: number[], label: string) =>
      (replying = replying.then(async () => {
        for (let k = 0; k < REPLIES_PER_PHASE; k++) into.push(await reply(`${label} reply ${k}`));
      }));

    const started = performance.now();
    await runConcurrently(messages, concurrency, async (i) => {
      if (i === Math.floor(messages * 0.02)) void phase(startLatency, 'start');
      if (i === Math.floor(messages * 0.95)) void phase(endLatency, 'end');
      const status = await sb.inbound(from, `flood ${i}`, `SM${randomBytes(16).toString('hex')}`);
      if (status !== 200) failures++;
      sent++;
    });
    const seconds = (performance.now() - started) / 1000;
    await replying;

    // wait until the workflow recorded everything (or stops making progress)
    let stored = 0;
    let last = -1;
    for (let idle = 0; idle < 30 && stored < messages + 1;) {
      const { rows } = await pool.query<{ n: string }>(
        `select count(*) as n from messages where conversation_id = $1 and direction = 'inbound'`,
        [id],
      );
      stored = Number(rows[0]!.n);
      idle = stored === last ? idle + 1 : 0;
      last = stored;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const { rows: dup } = await pool.query<{ n: string }>(
      `select count(*) - count(distinct provider_message_id) as n from messages where conversation_id = $1 and direction = 'inbound'`,
      [id],
    );
    const connection = await Connection.connect({ address: sb.temporalAddress });
    const runs: Record<string, number> = {};
    for await (const run of new Client({ connection }).workflow.list({ query: `WorkflowId = '${conversationWorkflowId(id)}'` })) {
      runs[run.status.name] = (runs[run.status.name] ?? 0) + 1;
    }
    await connection.close();

    const p50Start = percentile(startLatency, 50);
    const p50End = percentile(endLatency, 50);
    console.log(`one-conversation flood: ${sent} webhooks (+1 first), concurrency ${concurrency}`);
    console.log(`  webhooks: ${(sent / seconds).toFixed(1)}/s, non-200: ${failures}`);
    console.log(`  stored: ${stored} of ${messages + 1}, duplicates: ${dup[0]!.n}`);
    console.log(`  runs: ${JSON.stringify(runs)}`);
    console.log(
      `  reply latency p50: start ${p50Start.toFixed(1)} ms, end ${p50End.toFixed(1)} ms, ratio ${(p50End / p50Start).toFixed(2)} (goal ≤ 1.20)`,
    );
  } finally {
    await sb.stop();
  }
}

runBench(main);
