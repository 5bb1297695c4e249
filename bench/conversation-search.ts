/**
 * The conversation list's per-person filters and full-text search (issue 11) over a synthetic org:
 * `npx tsx bench/conversation-search.ts [conversations] [messagesPerConversation] [runs]` (defaults
 * 100000, 10, 20). Creates its own database (`switchboard_bench_search_<time>`, dropped at the end;
 * `--keep` keeps it), migrates it, fills one org with contacts, conversations and messages in SQL
 * (`generate_series`: words from a 20-word vocabulary, so a word is in ~14 % of messages), some read
 * markers and stars (then `vacuum analyze`), then times `listConversations` (db/queries.ts, the function the API calls; no HTTP)
 * for each case and prints p50 / p99 / max in ms. Needs Postgres at 127.0.0.1:5432 (user postgres).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { type ConversationFilters, listConversations } from '../db/queries';
import { seedReadsAndStars, timeCalls, withScratchDatabase } from './scratch-db';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const keep = process.argv.includes('--keep');
const N = Number(args[0] ?? 100_000);
const PER = Number(args[1] ?? 10);
const RUNS = Number(args[2] ?? 20);
const WORDS = `array['order','parcel','refund','jacket','blue','red','invoice','shipping','hello','thanks','please','help','delay','tracking','size','colour','return','broken','price','discount']`;

async function main(): Promise<void> {
  await withScratchDatabase('search', keep, async (db) => {
    const orgId = randomUUID();
    const staffId = randomUUID();
    const channelId = randomUUID();
    const started = Date.now();
    await db.insertInto('orgs').values({ id: orgId, name: 'bench' }).execute();
    await db
      .insertInto('staff_users')
      .values({ id: staffId, org_id: orgId, email: 'bench@example.test', name: 'Bench', role: 'admin' })
      .execute();
    await db
      .insertInto('channels')
      .values({ id: channelId, org_id: orgId, kind: 'sms', address: '+15550000000', name: 'SMS', provider: 'twilio', settings: '{}' })
      .execute();
    const words = sql.raw(WORDS);
    const pick = sql`(${words})[1 + floor(random() * 20)::int]`;
    await sql`insert into contacts (id, org_id, name, created_at, updated_at)
      select gen_random_uuid(), ${orgId}, 'Contact ' || g, now(), now() from generate_series(1, ${N}) g`.execute(db);
    await sql`insert into conversations (id, org_id, channel_id, channel_kind, contact_id, subject, status, priority, unread_count,
        last_activity_at, session_expired, overdue, has_staff_replied, archived_at)
      select gen_random_uuid(), ${orgId}, ${channelId}, 'sms', ct.id, case when random() < 0.1 then 'Subject ' || ${pick} end,
        (array['open', 'pending', 'closed'])[1 + floor(random() * 3)::int], 'normal', floor(random() * 3)::int,
        now() - random() * interval '30 days', false, false, random() < 0.5, case when random() < 0.05 then now() end
      from contacts ct where ct.org_id = ${orgId}`.execute(db);
    await sql`insert into messages (id, org_id, conversation_id, direction, author_type, text, created_at)
      select gen_random_uuid(), ${orgId}, c.id, case when random() < 0.6 then 'inbound' else 'outbound' end, 'customer',
        ${pick} || ' ' || ${pick} || ' ' || md5(random()::text) || ' lorem ipsum dolor sit amet ' || ${pick}, now()
      from conversations c, generate_series(1, ${PER}) g where c.org_id = ${orgId}`.execute(db);
    // the bench user has read half of the conversations to their end and starred 1 %
    await seedReadsAndStars(db, orgId, staffId);
    console.log(`seeded ${N} conversations, ${N * PER} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const cases: [string, ConversationFilters][] = [
      ['default list', { archived: false }],
      ['unread=true', { archived: false, unread: true }],
      ['starred=true', { archived: false, starred: true }],
      ['archived=true', { archived: true }],
      ['sessionStatus=active', { archived: false, sessionStatus: 'active' }],
      ['q: no match', { archived: false, q: 'zzzunique' }],
      ['q: contact name phrase', { archived: false, q: '"contact 4242"' }],
      ['q: two words', { archived: false, q: 'parcel jacket' }],
      ['q: phrase', { archived: false, q: '"refund jacket"' }],
      ['q: one common word (~78 %)', { archived: false, q: 'order' }],
    ];
    for (const [label, filters] of cases) {
      let rows = 0;
      const t = await timeCalls(async () => {
        rows = (await listConversations(db, orgId, filters, { limit: 25 }, staffId)).rows.length;
      }, RUNS);
      console.log(
        `${label.padEnd(28)} rows ${String(rows).padStart(2)}  p50 ${t.p50.toFixed(1).padStart(7)} ms  p99 ${t.p99.toFixed(1).padStart(7)} ms  max ${t.max.toFixed(1)} ms`,
      );
    }
  });
}

void main();
