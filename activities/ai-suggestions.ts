/**
 * Database activities of the AI assistant inside a conversation workflow: the org's settings and
 * contact facts a decision needs, and the `ai_suggestions` / `ai_training_pairs` rows that record
 * every draft and what became of it. Called only by the conversation's own workflow.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/client';
import { loadAiAssistantConfig, loadVersionedAiAssistantConfig } from '../db/ai-assistant-settings';
import type { AiAssistantConfig, AiDraft, AiSuggestionDecision, AiSuggestionStatus } from '../domain/ai-assistant';
import type { AiSettingsSnapshot } from '../workflows/conversation/contract';

/** What the workflow needs to decide about a draft: the org's settings, the contact's VIP flag, and whether OpenAI is configured. */
export interface AiContext {
  /** False when the server has no OPENAI_API_KEY: the assistant does nothing. */
  available: boolean;
  config: AiAssistantConfig;
  contactVip: boolean;
  /** The contact's email address hard-bounced (absent in histories recorded before this field: false). */
  contactEmailBounced?: boolean;
}

/** A new suggestion row (`createdAt` / `sendAt` ISO-8601, workflow time). */
export interface NewAiSuggestion {
  id: string;
  orgId: string;
  conversationId: string;
  triggerMessageId: string | null;
  decision: AiSuggestionDecision;
  status: AiSuggestionStatus;
  /** Failed auto-send rules (suggest), `[reason]` (hand-off) or `[AiFailureReason]` (failed). */
  reasons: string[];
  /**
   * The model's draft; `null` for a `failed` suggestion (stored as reply `''`, confidence 0, complexity
   * `low`, intent `unknown`, no hand-off: nothing in it can be sent).
   */
  draft: AiDraft | null;
  /** For `failed`: what went wrong, shown to staff. */
  errorMessage?: string | null;
  model: string;
  sendAt: string | null;
  createdAt: string;
}

/** A change of a suggestion's status; with `trainingPair` the pair is stored in the same transaction. */
export interface AiSuggestionUpdate {
  id: string;
  status: AiSuggestionStatus;
  /** The message sent from it (or the staff reply that answered instead). */
  messageId?: string | null;
  /** Staff user id or `ai-assistant`. */
  resolvedBy?: string | null;
  /** Only with `scheduled`; cleared otherwise. */
  sendAt?: string | null;
  /** The draft next to what a human sent (`edited`: the texts differ). */
  trainingPair?: { draft: string; sent: string; intent: string; staffUserId: string; messageId: string; createdAt: string };
}

/** The stored stand-in draft of a failed suggestion. */
const NO_DRAFT: AiDraft = { reply: '', confidence: 0, complexity: 'low', intent: 'unknown', handoff: false, handoffReason: null };

/** Final statuses set the resolution time; `pending` / `scheduled` are open. */
const OPEN_STATUSES: readonly AiSuggestionStatus[] = ['pending', 'scheduled'];

/**
 * Builds the AI suggestion activities.
 * @param deps.openAiAvailable whether an OpenAI client is configured (reported as `available`)
 */
export function createAiSuggestionActivities(deps: { db: Db; openAiAvailable: boolean }) {
  const { db } = deps;
  return {
    /** The org's AI settings (stored over the defaults), the contact's `vip` flag and OpenAI availability. */
    async loadAiContext(input: { orgId: string; contactId: string }): Promise<AiContext> {
      const config = await loadAiAssistantConfig(db, input.orgId);
      const contact = await db
        .selectFrom('contacts')
        .select(['vip', 'email_bounced_at'])
        .where('id', '=', input.contactId)
        .executeTakeFirst();
      return {
        available: deps.openAiAvailable,
        config,
        contactVip: contact?.vip ?? false,
        contactEmailBounced: (contact?.email_bounced_at ?? null) !== null,
      };
    },

    /** The org's AI settings with their version, and whether this worker has an OpenAI key (a run keeps them in its state). */
    async loadAiSettings(input: { orgId: string }): Promise<AiSettingsSnapshot> {
      const { version, config } = await loadVersionedAiAssistantConfig(db, input.orgId);
      return { version, config, available: deps.openAiAvailable };
    },

    /** Stores a new suggestion (idempotent on its workflow-minted id). */
    async insertAiSuggestion(s: NewAiSuggestion): Promise<void> {
      const draft = s.draft ?? NO_DRAFT;
      await db
        .insertInto('ai_suggestions')
        .values({
          id: s.id,
          org_id: s.orgId,
          conversation_id: s.conversationId,
          trigger_message_id: s.triggerMessageId,
          decision: s.decision,
          status: s.status,
          reasons: JSON.stringify(s.reasons),
          reply: draft.reply,
          confidence: draft.confidence,
          complexity: draft.complexity,
          intent: draft.intent,
          handoff: draft.handoff,
          handoff_reason: draft.handoffReason,
          error_message: s.errorMessage ?? null,
          model: s.model,
          send_at: s.sendAt,
          resolved_at: OPEN_STATUSES.includes(s.status) ? null : s.createdAt,
          resolved_by: OPEN_STATUSES.includes(s.status) ? null : 'ai-assistant',
          created_at: s.createdAt,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },

    /** Moves a suggestion to `status` (and stores its training pair, once). Idempotent under retries. */
    async updateAiSuggestion(u: AiSuggestionUpdate): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const open = OPEN_STATUSES.includes(u.status);
        const row = await tx
          .updateTable('ai_suggestions')
          .set({
            status: u.status,
            send_at: u.status === 'scheduled' ? (u.sendAt ?? null) : null,
            ...(u.messageId !== undefined ? { message_id: u.messageId } : {}),
            resolved_by: open ? null : (u.resolvedBy ?? null),
            resolved_at: open ? null : sql<Date>`now()`,
            updated_at: sql<Date>`now()`,
          })
          .where('id', '=', u.id)
          .returning(['org_id', 'conversation_id'])
          .executeTakeFirst();
        if (!row || !u.trainingPair) return;
        const pair = u.trainingPair;
        await tx
          .insertInto('ai_training_pairs')
          .values({
            id: randomUUID(),
            org_id: row.org_id,
            conversation_id: row.conversation_id,
            suggestion_id: u.id,
            message_id: pair.messageId,
            draft: pair.draft,
            sent: pair.sent,
            edited: pair.draft !== pair.sent,
            intent: pair.intent,
            staff_user_id: pair.staffUserId,
            created_at: pair.createdAt,
          })
          .onConflict((oc) => oc.column('suggestion_id').doNothing())
          .execute();
      });
    },
  };
}
