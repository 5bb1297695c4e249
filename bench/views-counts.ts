/**
 * Saved views' counts (issue 11, `GET /v1/conversations/views/counts`) over a synthetic org:
 * `npx tsx bench/views-counts.ts [conversations] [messagesPerConversation] [runs]` (defaults 100000, 5,
 * 200). Creates its own database (`switchboard_bench_views_<time>`, dropped at the end; `--keep` keeps
 * it), migrates it, fills one org in SQL (`generate_series`): conversations on 3 channels with varied
 * status, priority, tags, assignees (5 staff users), teams, 5 % archived, activity over 30 days; their
 * messages (60 % inbound); the bench user's read markers (half of the conversations read to their end)
 * and stars (1 %); then `vacuum analyze`. It saves 20 views for the bench user (the 4 built-ins and 16
 * custom ones, no `q`) and times what the route runs, without HTTP: `countSavedViews` (the one counting
 * statement) and the whole request's database work (`listSavedViews` + `countSavedViews`), printing
 * p50 / p99 / max in ms and whether p99 ≤ 25 ms. Then once more with a 21st view using `q` (a search).
 * `--explain` prints the plan of the counting statement (`EXPLAIN (ANALYZE, BUFFERS)`).
 * Then the route's way (`db/view-counts/`, the projection): its first count (the load), the memory it
 * holds (`node --expose-gc --import tsx bench/views-counts.ts` for live memory only), p50 / p99 with
 * nothing changed and with 35 writes (20 status changes, 10 customer messages, 5 read markers) before
 * each count, and whether it still equals the scan at the end.
 * Needs Postgres at 127.0.0.1:5432 (user postgres).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { BUILTIN_VIEW_KEYS, BUILTIN_VIEWS, conversationFiltersOf, queryFormOf, ViewFilters } from '../api/conversation-view-schemas';
import type { Db } from '../db/client';
import { seedReadsAndStars, type Timings, timeCalls, withScratchDatabase } from './scratch-db';
import { countSavedViews, countSavedViewsSql, listSavedViews, replaceViewLists } from '../db/saved-views';
import { ViewCounter } from '../db/view-counts/counter';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const keep = process.argv.includes('--keep');
const explain = process.argv.includes('--explain');
const N = Number(args[0] ?? 100_000);
const PER = Number(args[1] ?? 5);
const RUNS = Number(args[2] ?? 200);
const GOAL_P99_MS = 25;
const BUILTIN_SEEDS = BUILTIN_VIEW_KEYS.map((key) => ({ key, ...BUILTIN_VIEWS[key] }));

/** p50 / p99 / max of `RUNS` timed calls of `fn` (after 3 warm-up calls), in ms. */
function measure(fn: () => Promise<unknown>): Promise<Timings> {
  return timeCalls(fn, RUNS, 3);
}

function report(label: string, m: Timings): void {
  const met = m.p99 <= GOAL_P99_MS ? 'goal met' : 'goal MISSED';
  console.log(
    `${label.padEnd(44)} p50 ${m.p50.toFixed(1).padStart(6)} ms  p99 ${m.p99.toFixed(1).padStart(6)} ms  max ${m.max.toFixed(1).padStart(6)} ms  ` +
      `(p99 / goal ${(m.p99 / GOAL_P99_MS).toFixed(2)}: ${met})`,
  );
}

async function seed(db: Db, orgId: string, staffIds: string[], teamIds: string[]): Promise<void> {
  const [me] = staffIds;
  await db.insertInto('orgs').values({ id: orgId, name: 'bench' }).execute();
  await db
    .insertInto('staff_users')
    .values(staffIds.map((id, i) => ({ id, org_id: orgId, email: `bench${i}@example.test`, name: `Bench ${i}`, role: 'admin' as const })))
    .execute();
  await db
    .insertInto('teams')
    .values(teamIds.map((id, i) => ({ id, org_id: orgId, name: `Team ${i}` })))
    .execute();
  await db
    .insertInto('team_members')
    .values([{ team_id: teamIds[0]!, staff_id: me! }])
    .execute();
  const kinds = ['sms', 'whatsapp', 'email'] as const;
  const channelIds = kinds.map(() => randomUUID());
  await db
    .insertInto('channels')
    .values(
      kinds.map((kind, i) => ({
        id: channelIds[i]!,
        org_id: orgId,
        kind,
        address: kind === 'email' ? 'help@example.test' : `+1555000000${i}`,
        name: kind,
        provider: kind === 'email' ? ('postmark' as const) : ('twilio' as const),
        settings: '{}',
      })),
    )
    .execute();
  const staffArray = sql`${sql.val(staffIds)}::uuid[]`;
  const teamArray = sql`${sql.val(teamIds)}::uuid[]`;
  const channelArray = sql`${sql.val(channelIds)}::uuid[]`;
  await sql`insert into contacts (id, org_id, name, created_at, updated_at)
    select gen_random_uuid(), ${orgId}, 'Contact ' || g, now(), now() from generate_series(1, ${N}) g`.execute(db);
  await sql`insert into conversations (id, org_id, channel_id, channel_kind, contact_id, subject, status, priority, unread_count,
      last_activity_at, session_expired, overdue, has_staff_replied, archived_at, tags, assignee_id, team_id, needs_human, sla_at_risk)
    select gen_random_uuid(), ${orgId}, (${channelArray})[k], (array['sms', 'whatsapp', 'email'])[k]::text, x.id,
      case when random() < 0.1 then 'Subject refund' end,
      (array['open', 'open', 'pending', 'snoozed', 'closed', 'closed'])[1 + floor(random() * 6)::int],
      (array['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + floor(random() * 6)::int],
      floor(random() * 3)::int, now() - random() * interval '30 days', false, random() < 0.05, random() < 0.5,
      case when random() < 0.05 then now() end,
      case when random() < 0.2 then array['vip'] when random() < 0.3 then array['billing'] else array[]::text[] end,
      case when random() < 0.3 then null else (${staffArray})[1 + floor(random() * 5)::int] end,
      case when random() < 0.4 then null else (${teamArray})[1 + floor(random() * 3)::int] end,
      random() < 0.05, random() < 0.05
    from (select ct.id, 1 + floor(random() * 3)::int as k from contacts ct where ct.org_id = ${orgId}) x`.execute(db);
  await sql`insert into messages (id, org_id, conversation_id, direction, author_type, text, created_at)
    select gen_random_uuid(), ${orgId}, c.id, case when random() < 0.6 then 'inbound' else 'outbound' end, 'customer',
      'hello ' || md5(random()::text), now()
    from conversations c, generate_series(1, ${PER}) g where c.org_id = ${orgId}`.execute(db);
  await seedReadsAndStars(db, orgId, me!);
}

/** The 16 custom views (query form); with the 4 built-ins, 20. */
const CUSTOM: Record<string, string>[] = [
  { status: 'open' },
  { status: 'pending' },
  { status: 'active', assignee: 'me' },
  { assignee: 'none', status: 'open' },
  { scope: 'team' },
  { channel: 'whatsapp' },
  { channel: 'email', status: 'open' },
  { priority: 'urgent' },
  { priority: 'high', status: 'active' },
  { tag: 'vip' },
  { tag: 'billing', unread: 'true' },
  { overdue: 'true' },
  { atRisk: 'true' },
  { needsHuman: 'true' },
  { archived: 'true' },
  { sessionStatus: 'waiting_reply' },
];

async function main(): Promise<void> {
  await withScratchDatabase('views', keep, async (db) => {
    const orgId = randomUUID();
    const staffIds = Array.from({ length: 5 }, () => randomUUID());
    const teamIds = Array.from({ length: 3 }, () => randomUUID());
    const me = staffIds[0]!;
    const started = Date.now();
    await seed(db, orgId, staffIds, teamIds);
    console.log(`seeded ${N} conversations, ${N * PER} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const customWrites = CUSTOM.map((filters, i) => ({
      name: `view ${i}`,
      filters: queryFormOf(ViewFilters.parse(filters)),
      builtinKey: null,
    }));
    const builtinWrites = BUILTIN_SEEDS.map((b) => ({ name: b.name, filters: b.filters, builtinKey: b.key }));
    await replaceViewLists(db, orgId, [{ owner: { staffId: me }, views: [...builtinWrites, ...customWrites] }]);

    const toCount = async () =>
      (await listSavedViews(db, orgId, me, BUILTIN_SEEDS)).map((v) => ({
        id: v.id,
        filters: conversationFiltersOf(ViewFilters.parse(v.builtin_key ? BUILTIN_VIEWS[v.builtin_key].filters : v.filters), me),
      }));
    const views = await toCount();
    const counts = await countSavedViews(db, orgId, me, views);
    console.log(
      `${views.length} views; All = ${counts[3]?.total} conversations (${counts[3]?.unread} unread), Unread = ${counts[0]?.total}`,
    );
    if (explain) {
      const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${countSavedViewsSql(orgId, me, views)}`.execute(db);
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    const ids = (await db.selectFrom('conversations').select('id').where('org_id', '=', orgId).execute()).map((r) => r.id);
    const anyId = () => ids[Math.floor(Math.random() * ids.length)]!;
    /** What the org writes between two counts (untimed): 20 status changes, 10 customer messages, 5 of my read markers. */
    const writes = async () => {
      await sql`update conversations set status = case when status = 'open' then 'pending' else 'open' end, updated_at = now()
        where id = any(${sql.val(Array.from({ length: 20 }, anyId))}::uuid[])`.execute(db);
      await sql`insert into messages (id, org_id, conversation_id, direction, author_type, text, created_at)
        select gen_random_uuid(), ${orgId}, x, 'inbound', 'customer', 'hello again', now()
        from unnest(${sql.val(Array.from({ length: 10 }, anyId))}::uuid[]) x`.execute(db);
      await sql`insert into conversation_reads (conversation_id, staff_id, last_read_seq)
        select x, ${me}, coalesce((select max(seq) from messages m where m.conversation_id = x), 0)
        from unnest(${sql.val(Array.from({ length: 5 }, anyId))}::uuid[]) x
        on conflict (conversation_id, staff_id) do update set last_read_seq = excluded.last_read_seq`.execute(db);
    };

    console.log('\nThe SQL scan (countSavedViews: one statement over every conversation; the oracle of the tests):');
    report(`scan, ${views.length} views`, await measure(() => countSavedViews(db, orgId, me, views)));

    console.log('\nThe route (db/view-counts: the projection, refreshed with what changed, one statement):');
    const counter = new ViewCounter(db);
    const held = () => {
      (globalThis as { gc?: () => void }).gc?.(); // with `node --expose-gc --import tsx`: live memory only
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = held();
    let t = process.hrtime.bigint();
    await counter.count(orgId, me, views);
    console.log(
      `first count (loads ${counter.rowsHeld} conversations and my read markers): ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms`,
    );
    console.log(
      `memory held after it (heap + array buffers${'gc' in globalThis ? ', after a GC' : ', garbage included: run with --expose-gc for live memory'}): +${((held() - before) / 1e6).toFixed(0)} MB`,
    );
    report(`counts, ${views.length} views, nothing changed`, await measure(() => counter.count(orgId, me, views)));
    report(`counts, ${views.length} views, 35 writes before each`, await timeCalls(() => counter.count(orgId, me, views), RUNS, 3, writes));
    report(
      `request (views + counts), 35 writes before each`,
      await timeCalls(async () => counter.count(orgId, me, await toCount()), RUNS, 3, writes),
    );
    const again = await counter.count(orgId, me, views);
    const oracle = await countSavedViews(db, orgId, me, views);
    console.log(`projection equals the scan after ${RUNS * 2} rounds of writes: ${JSON.stringify(again) === JSON.stringify(oracle)}`);
    t = process.hrtime.bigint();
    await new ViewCounter(db).count(orgId, staffIds[1]!, views);
    console.log(`a new process's first count for another viewer: ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms`);

    await replaceViewLists(db, orgId, [
      {
        owner: { staffId: me },
        views: [
          ...builtinWrites,
          ...customWrites,
          { name: 'search', filters: queryFormOf(ViewFilters.parse({ q: 'refund' })), builtinKey: null },
        ],
      },
    ]);
    const withSearch = await toCount();
    report(`scan, ${withSearch.length} views (one q)`, await measure(() => countSavedViews(db, orgId, me, withSearch)));
    report(
      `counts, ${withSearch.length} views (one q, in SQL), 35 writes`,
      await timeCalls(() => counter.count(orgId, me, withSearch), RUNS, 3, writes),
    );
  });
}

void main();
