/**
 * What the database benchmarks share: a scratch database of their own (created, migrated, dropped at
 * the end unless kept) and timing of repeated calls.
 */
import { Pool } from 'pg';
import { createDatabaseIfMissing, createDb, type Db, migrateToLatest } from '../db/client';

/**
 * Creates and migrates `switchboard_bench_<label>_<now>` at 127.0.0.1:5432 (user postgres), runs
 * `body` on it, then drops it (unless `keep`: its name is printed).
 */
export async function withScratchDatabase(label: string, keep: boolean, body: (db: Db) => Promise<void>): Promise<void> {
  const name = `switchboard_bench_${label}_${Date.now()}`;
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  await createDatabaseIfMissing(url);
  const db = createDb(url);
  try {
    await migrateToLatest(db);
    await body(db);
  } finally {
    await db.destroy();
    if (!keep) {
      const admin = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', max: 1 });
      await admin.query(`drop database if exists "${name}"`);
      await admin.end();
    } else console.log(`kept database ${name}`);
  }
}

/** Latencies of timed calls, in ms: p50, p99, max. */
export interface Timings {
  p50: number;
  p99: number;
  max: number;
}

/**
 * Times `runs` calls of `fn` after `warmUp` untimed ones (ms, from `process.hrtime`); `between` (untimed)
 * runs before each timed call, e.g. the writes a real workload makes between two requests.
 */
export async function timeCalls(fn: () => Promise<unknown>, runs: number, warmUp = 1, between?: () => Promise<void>): Promise<Timings> {
  for (let i = 0; i < warmUp; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (between) await between();
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  return { p50: at(50), p99: at(99), max: times.at(-1)! };
}
