/**
 * Conversation statistics of one org over a time range, computed in Postgres: volumes by status and
 * channel, what the AI assistant decided, how many closed conversations it resolved alone, and the
 * average first-response time by channel and by intent. All queries run in one read-only
 * `repeatable read` transaction, so the numbers come from one snapshot.
 */
import { sql } from 'kysely';
import type { Db } from './client';
import { wasSaid } from './message-filters';
import type { ConversationsTable } from './schema';
import { CHANNEL_KINDS, type ChannelKind } from '../channels/kinds';

type ConversationStatus = ConversationsTable['status'];

const CHANNELS: readonly ChannelKind[] = CHANNEL_KINDS;
const STATUSES: readonly ConversationStatus[] = ['open', 'pending', 'snoozed', 'closed'];

/** Average first-response time of a group of conversations. */
export interface FirstResponseGroup {
  /** Conversations of the group that got a response. */
  conversations: number;
  /** Mean seconds from the first inbound message to the first response (fractional). */
  averageSeconds: number;
}

/** What {@link conversationStats} computes (the `ConversationStats` response without `from`/`to`). */
export interface ConversationStats {
  totals: {
    /** Conversations created in the range. */
    conversations: number;
    /** Their current status (every status present, 0 when none). */
    byStatus: Record<ConversationStatus, number>;
    /** Their channel kind (every kind present, 0 when none). */
    byChannel: Record<ChannelKind, number>;
  };
  ai: {
    /**
     * Deprecated (kept for existing clients; use `decisions` / `outcomes`): `ai_suggestions` rows created in
     * the range, counted by `decision` — `autoSent` counts auto-send DECISIONS, including those a human then cancelled.
     */
    suggestions: { autoSent: number; suggested: number; handedOff: number };
    /** What the assistant decided, per `ai_suggestions` row created in the range (each row counts once). */
    decisions: AiDecisionCounts;
    /** What became of those rows (see {@link AiOutcomeCounts}). */
    outcomes: AiOutcomeCounts;
    resolution: {
      /** Conversations of the range whose status is `closed`. */
      closed: number;
      /** Of those, the ones whose outbound replies (≥ 1, internal notes aside) were all written by the AI. */
      resolvedByAi: number;
      /** `resolvedByAi / closed`, `null` when `closed` is 0. */
      ratio: number | null;
    };
  };
  firstResponse: {
    /** Channels with at least one responded conversation, in the order sms, whatsapp, email, chat. */
    byChannel: (FirstResponseGroup & { channel: ChannelKind })[];
    /** Intents (of each conversation's earliest AI suggestion, `unknown` without one), most conversations first, then by name. */
    byIntent: (FirstResponseGroup & { intent: string })[];
  };
}

/** AI suggestions by decision: `autoSend`, `suggest`, `handOff`, and `failed` (no usable draft: refusal, invalid output, OpenAI unavailable). */
export interface AiDecisionCounts {
  autoSend: number;
  suggest: number;
  handOff: number;
  failed: number;
}

/**
 * AI suggestions by what became of them:
 * - `autoSent`: sent by the assistant itself (status `auto_sent`);
 * - `cancelled`: auto-send decisions that did NOT go out — a human acted during the hold, a newer
 *   customer message superseded it, or the conversation closed (decision `auto_send`, status neither
 *   `auto_sent` nor still `scheduled`); such a row is also counted below by its final status;
 * - `sentByStaff`: staff sent the draft, as is or edited (status `sent`);
 * - `dismissed`: staff dismissed it (status `dismissed`);
 * - `superseded`: a newer customer message replaced it (status `superseded`).
 * Rows still open (`pending`, `scheduled`), answered in staff's own words, closed unused, handed off
 * or failed are in no outcome but `cancelled` (when they were auto-sends).
 */
export interface AiOutcomeCounts {
  autoSent: number;
  cancelled: number;
  sentByStaff: number;
  dismissed: number;
  superseded: number;
}

/** Half-open time range `[from, to)`. */
export interface StatsRange {
  from: Date;
  to: Date;
}

/**
 * Statistics of the conversations of `orgId` created in `[from, to)` (and the AI suggestions created
 * in that range: `decisions` and `outcomes` count the same rows two ways). A conversation's first-response time runs from its earliest inbound message to the
 * earliest outbound, non-internal-note message by staff or AI created strictly after it; conversations
 * without such a response are left out of the averages.
 * @throws the database error (the caller maps it: 503 when Postgres is unavailable)
 */
export async function conversationStats(db: Db, orgId: string, range: StatsRange): Promise<ConversationStats> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const inRange = trx
        .selectFrom('conversations as c')
        .where('c.org_id', '=', orgId)
        .where('c.created_at', '>=', range.from)
        .where('c.created_at', '<', range.to);

      const counts = await inRange
        .select(['c.channel_kind', 'c.status', sql<number>`count(*)::int`.as('n')])
        .groupBy(['c.channel_kind', 'c.status'])
        .execute();

      const decisions = await trx
        .selectFrom('ai_suggestions')
        .select(['decision', 'status', sql<number>`count(*)::int`.as('n')])
        .where('org_id', '=', orgId)
        .where('created_at', '>=', range.from)
        .where('created_at', '<', range.to)
        .groupBy(['decision', 'status'])
        .execute();

      // closed conversations with ≥ 1 reply (notes aside) and no reply by anyone but the AI
      const resolved = await inRange
        .where('c.status', '=', 'closed')
        .where((eb) => {
          const replies = eb
            .selectFrom('messages as m')
            .select(sql`1`.as('one'))
            .whereRef('m.conversation_id', '=', 'c.id')
            .where('m.direction', '=', 'outbound')
            .where('m.is_internal_note', '=', false)
            .where(wasSaid('m.delivery_status'));
          return eb.and([eb.exists(replies), eb.not(eb.exists(replies.where('m.author_type', '!=', 'ai')))]);
        })
        .select(sql<number>`count(*)::int`.as('n'))
        .executeTakeFirstOrThrow();

      const groups = await trx
        .with('first_inbound', () =>
          inRange
            .innerJoin('messages as m', 'm.conversation_id', 'c.id')
            .where('m.direction', '=', 'inbound')
            .groupBy(['c.id', 'c.channel_kind'])
            .select(['c.id', 'c.channel_kind', (eb) => eb.fn.min('m.created_at').as('inbound_at')]),
        )
        .with('responded', (qc) =>
          qc.selectFrom('first_inbound as f').select([
            'f.channel_kind',
            (eb) =>
              eb.fn
                .coalesce(
                  eb
                    .selectFrom('ai_suggestions as s')
                    .select('s.intent')
                    .whereRef('s.conversation_id', '=', 'f.id')
                    // a failed suggestion has no intent of its own
                    .where('s.decision', '!=', 'failed')
                    .orderBy('s.created_at')
                    .orderBy('s.id')
                    .limit(1),
                  sql.lit('unknown'),
                )
                .as('intent'),
            (eb) =>
              sql<number>`extract(epoch from ${eb
                .selectFrom('messages as o')
                // a reply sent later counts from its send instant
                .select(sql<Date>`min(coalesce(o.send_at, o.created_at))`.as('at'))
                .whereRef('o.conversation_id', '=', 'f.id')
                .where('o.direction', '=', 'outbound')
                .where('o.is_internal_note', '=', false)
                .where('o.author_type', 'in', ['staff', 'ai'])
                .where(wasSaid('o.delivery_status'))
                .whereRef('o.created_at', '>', 'f.inbound_at')} - ${eb.ref('f.inbound_at')})`.as('seconds'),
          ]),
        )
        .selectFrom('responded')
        .where('seconds', 'is not', null)
        .select([
          sql<ChannelKind | null>`channel_kind`.as('channel'),
          sql<string | null>`intent`.as('intent'),
          sql<number>`grouping(channel_kind)`.as('by_intent'),
          sql<number>`count(*)::int`.as('conversations'),
          sql<number>`avg(seconds)::float8`.as('average_seconds'),
        ])
        .groupBy(sql`grouping sets ((channel_kind), (intent))`)
        .execute();

      const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ConversationStatus, number>;
      const byChannel = Object.fromEntries(CHANNELS.map((k) => [k, 0])) as Record<ChannelKind, number>;
      for (const row of counts) {
        byStatus[row.status] += row.n;
        byChannel[row.channel_kind] += row.n;
      }
      const count = (match: (r: (typeof decisions)[number]) => boolean): number => decisions.filter(match).reduce((sum, r) => sum + r.n, 0);
      const decided = (d: 'auto_send' | 'suggest' | 'hand_off' | 'failed') => count((r) => r.decision === d);
      const ended = (status: string) => count((r) => r.status === status);
      const total = counts.reduce((sum, r) => sum + r.n, 0);

      const byChannelFr: ConversationStats['firstResponse']['byChannel'] = [];
      const byIntentFr: ConversationStats['firstResponse']['byIntent'] = [];
      for (const g of groups) {
        const group = { conversations: g.conversations, averageSeconds: g.average_seconds };
        if (g.by_intent === 1 && g.intent !== null) byIntentFr.push({ intent: g.intent, ...group });
        else if (g.by_intent === 0 && g.channel !== null) byChannelFr.push({ channel: g.channel, ...group });
      }
      byChannelFr.sort((a, b) => CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel));
      byIntentFr.sort((a, b) => b.conversations - a.conversations || (a.intent < b.intent ? -1 : a.intent > b.intent ? 1 : 0));

      return {
        totals: { conversations: total, byStatus, byChannel },
        ai: {
          suggestions: { autoSent: decided('auto_send'), suggested: decided('suggest'), handedOff: decided('hand_off') },
          decisions: {
            autoSend: decided('auto_send'),
            suggest: decided('suggest'),
            handOff: decided('hand_off'),
            failed: decided('failed'),
          },
          outcomes: {
            autoSent: ended('auto_sent'),
            cancelled: count((r) => r.decision === 'auto_send' && r.status !== 'auto_sent' && r.status !== 'scheduled'),
            sentByStaff: ended('sent'),
            dismissed: ended('dismissed'),
            superseded: ended('superseded'),
          },
          resolution: {
            closed: byStatus.closed,
            resolvedByAi: resolved.n,
            ratio: byStatus.closed === 0 ? null : resolved.n / byStatus.closed,
          },
        },
        firstResponse: { byChannel: byChannelFr, byIntent: byIntentFr },
      };
    });
}
