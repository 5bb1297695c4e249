/**
 * What the database benchmarks share: a scratch database of their own (created, migrated, dropped at
 * the end unless kept) and timing of repeated calls.
 */
import { sql } from 'kysely';
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

/**
 * The bench user's per-person state over org `orgId`'s seeded conversations: half of them read to
 * their end (`conversation_reads`), 1 % starred; then `vacuum analyze` so plans see the seeded sizes.
 */
export async function seedReadsAndStars(db: Db, orgId: string, staffId: string): Promise<void> {
  await sql`insert into conversation_reads (conversation_id, staff_id, last_read_seq)
    select c.id, ${staffId}, (select max(seq) from messages m where m.conversation_id = c.id)
    from conversations c where c.org_id = ${orgId} and random() < 0.5`.execute(db);
  await sql`insert into conversation_stars (conversation_id, staff_id)
    select c.id, ${staffId} from conversations c where c.org_id = ${orgId} and random() < 0.01`.execute(db);
  await sql`vacuum analyze`.execute(db);
}
