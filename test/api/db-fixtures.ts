/**
 * Rows inserted straight into the test database (no workflow involved) with controlled timestamps, for
 * the read-side API tests: todos, conversation stats, training-pair export. Not a test file itself.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import type { ConversationsTable, MessagesTable } from '../../db/schema';
import type { TestOrg } from '../support/harness';

type ChannelKind = ConversationsTable['channel_kind'];

/** Inserts a contact of `orgId` (unique random email) and returns its id. */
export async function insertContact(db: Db, orgId: string): Promise<string> {
  const id = randomUUID();
  await db.insertInto('contacts').values({ id, org_id: orgId, name: 'Fixture Customer' }).execute();
  await db
    .insertInto('contact_identities')
    .values({ org_id: orgId, contact_id: id, kind: 'email', address: `customer-${id}@example.test` })
    .execute();
  return id;
}

/** Options of {@link insertConversation}; defaults: SMS, `open`, created now, a new contact. */
export interface ConversationFixture {
  channel?: ChannelKind;
  status?: ConversationsTable['status'];
  createdAt?: Date;
  contactId?: string;
}

/**
 * Inserts a conversation of `org` on its SMS, WhatsApp or email channel (`chat` uses the SMS channel's
 * row with `channel_kind` `chat`: the org has no chat channel) and returns its id.
 */
export async function insertConversation(db: Db, org: TestOrg, opts: ConversationFixture = {}): Promise<string> {
  const id = randomUUID();
  const channel = opts.channel ?? 'sms';
  const channelId = channel === 'whatsapp' ? org.whatsappChannelId : channel === 'email' ? org.emailChannelId : org.smsChannelId;
  const createdAt = opts.createdAt ?? new Date();
  await db
    .insertInto('conversations')
    .values({
      id,
      org_id: org.orgId,
      channel_id: channelId,
      channel_kind: channel,
      contact_id: opts.contactId ?? (await insertContact(db, org.orgId)),
      subject: null,
      status: opts.status ?? 'open',
      priority: 'normal',
      assignee_id: null,
      unread_count: 0,
      last_message_preview: null,
      last_activity_at: createdAt,
      session_expired: false,
      overdue: false,
      has_staff_replied: false,
      closed_reason: null,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .execute();
  return id;
}

/** Options of {@link insertMessage}: who wrote it, when, and whether it is an internal note. */
export interface MessageFixture {
  direction: MessagesTable['direction'];
  author: MessagesTable['author_type'];
  at: Date;
  note?: boolean;
}

/** Inserts a message (or internal note) of a conversation of `orgId` and returns its id. */
export async function insertMessage(db: Db, orgId: string, conversationId: string, m: MessageFixture): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('messages')
    .values({
      id,
      org_id: orgId,
      conversation_id: conversationId,
      direction: m.direction,
      author_type: m.author,
      author_id: null,
      text: `${m.direction} by ${m.author}`,
      attachments: JSON.stringify([]),
      is_internal_note: m.note ?? false,
      provider: null,
      provider_message_id: null,
      delivery_status: null,
      error_code: null,
      error_message: null,
      created_at: m.at,
      updated_at: m.at,
    })
    .execute();
  return id;
}

/** Options of {@link insertSuggestion}; default decision `suggest`, intent `other`. */
export interface SuggestionFixture {
  decision?: 'auto_send' | 'suggest' | 'hand_off';
  intent?: string;
  at: Date;
}

/** Inserts an AI suggestion for a conversation of `orgId` (status `pending`) and returns its id. */
export async function insertSuggestion(db: Db, orgId: string, conversationId: string, s: SuggestionFixture): Promise<string> {
  const id = randomUUID();
  const decision = s.decision ?? 'suggest';
  await db
    .insertInto('ai_suggestions')
    .values({
      id,
      org_id: orgId,
      conversation_id: conversationId,
      trigger_message_id: null,
      decision,
      status: decision === 'hand_off' ? 'handed_off' : 'pending',
      reply: 'Draft reply',
      confidence: 0.9,
      complexity: 'low',
      intent: s.intent ?? 'other',
      handoff: decision === 'hand_off',
      handoff_reason: null,
      model: 'gpt-4o-mini',
      send_at: null,
      created_at: s.at,
      updated_at: s.at,
    })
    .execute();
  return id;
}

/** Options of {@link insertTrainingPairs}: one pair per entry. */
export interface TrainingPairFixture {
  /** `created_at`: a Date, or an ISO-8601 string (keeps microseconds). */
  at: Date | string;
  draft?: string;
  sent?: string;
  intent?: string;
  staffUserId?: string | null;
}

/**
 * Inserts, for each entry, an AI suggestion of the conversation and its training pair (both in bulk,
 * one statement each), and returns the pairs' ids in the order given.
 */
export async function insertTrainingPairs(db: Db, orgId: string, conversationId: string, pairs: TrainingPairFixture[]): Promise<string[]> {
  const rows = pairs.map((p, i) => ({ ...p, pairId: randomUUID(), suggestionId: randomUUID(), messageId: randomUUID(), i }));
  await db
    .insertInto('ai_suggestions')
    .values(
      rows.map((r) => ({
        id: r.suggestionId,
        org_id: orgId,
        conversation_id: conversationId,
        trigger_message_id: null,
        decision: 'suggest' as const,
        status: 'answered' as const,
        reply: r.draft ?? `draft ${r.i}`,
        confidence: 0.5,
        complexity: 'medium' as const,
        intent: r.intent ?? 'other',
        handoff: false,
        handoff_reason: null,
        model: 'gpt-4o-mini',
        send_at: null,
        created_at: r.at,
        updated_at: r.at,
      })),
    )
    .execute();
  await db
    .insertInto('ai_training_pairs')
    .values(
      rows.map((r) => ({
        id: r.pairId,
        org_id: orgId,
        conversation_id: conversationId,
        suggestion_id: r.suggestionId,
        message_id: r.messageId,
        draft: r.draft ?? `draft ${r.i}`,
        sent: r.sent ?? `sent ${r.i}`,
        edited: (r.sent ?? `sent ${r.i}`) !== (r.draft ?? `draft ${r.i}`),
        intent: r.intent ?? 'other',
        staff_user_id: r.staffUserId === undefined ? null : r.staffUserId,
        created_at: r.at,
      })),
    )
    .execute();
  return rows.map((r) => r.pairId);
}
