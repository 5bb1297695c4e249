/**
 * AI-assistant draft activity ("Behaviour"): asks OpenAI for a structured {@link AiDraft}
 * about one conversation, using Chat Completions with structured outputs
 * (`response_format: { type: 'json_schema', json_schema: { name: 'ai_draft', strict: true, schema: AI_DRAFT_JSON_SCHEMA } }`,
 * platform.openai.com/docs/guides/structured-outputs), and checks the answer with {@link parseAiDraft}.
 *
 * What goes to the model (one request, `POST {baseURL}/chat/completions`):
 *  1. one `system` message: the org's `instructions`, then {@link AI_DRAFT_SYSTEM_SUFFIX} (answer with the
 *     JSON schema; when to hand off), then the conversation context as JSON: channel kind, subject, tags,
 *     contact `{ name, vip }`;
 *  2. the most recent `maxMessages` (default {@link DEFAULT_AI_CONTEXT_MESSAGES}) customer / staff / AI
 *     messages in chronological order: customer → `user`, staff and AI → `assistant`. Internal notes
 *     are NEVER sent (filtered in SQL), nor are `system` messages (events, not dialogue).
 *
 * Errors (the workflow's activity retry policy does the retrying; build the client with `maxRetries: 0`):
 *  - OpenAI 408 / 409 / 429 / ≥ 500, timeouts (`APIConnectionTimeoutError`) and connection errors
 *    (`APIConnectionError`) are rethrown unchanged → retryable, Temporal retries with backoff;
 *  - any other 4xx (400 / 401 / 403 / 404 / 422 …) → non-retryable `ApplicationFailure` of type
 *    {@link OPENAI_REJECTED} with details `[{ status, code }]` (retrying cannot help);
 *  - a refusal → non-retryable {@link AI_REFUSAL}; missing / non-JSON content, or JSON that
 *    {@link parseAiDraft} rejects → non-retryable {@link INVALID_AI_DRAFT};
 *  - unknown conversation → non-retryable {@link AI_CONVERSATION_NOT_FOUND}; a bad `maxMessages` →
 *    non-retryable {@link INVALID_AI_DRAFT_INPUT}.
 * Error classes: openai 7.x `core/error.d.ts` (`APIError.status`, `APIConnectionError`, …).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type OpenAI from 'openai';
import type { Db } from '../db/client';
import { AI_DRAFT_JSON_SCHEMA, type AiDraft, INVALID_AI_DRAFT, parseAiDraft } from '../domain/ai-assistant';
import { AI_REFUSAL, type ChatMessage, OPENAI_REJECTED, openAiFailure, threadMessages } from './openai-thread';

/** Non-retryable failure type: the model's content is not a valid {@link AiDraft} (defined in domain/ai-assistant.ts). */
export { INVALID_AI_DRAFT };
export { AI_REFUSAL, OPENAI_REJECTED };
/** Non-retryable failure type: the conversation does not exist. */
export const AI_CONVERSATION_NOT_FOUND = 'AiConversationNotFound';
/** Non-retryable failure type: the activity input is invalid (e.g. `maxMessages`). */
export const INVALID_AI_DRAFT_INPUT = 'InvalidAiDraftInput';

/** How many recent messages (internal notes excluded) go to the model by default. */
export const DEFAULT_AI_CONTEXT_MESSAGES = 20;
/** Upper bound of `maxMessages`. */
export const MAX_AI_CONTEXT_MESSAGES = 200;

/** Fixed framing appended to the org's instructions in the system message. */
export const AI_DRAFT_SYSTEM_SUFFIX =
  'Answer only with a JSON object matching the ai_draft schema: reply (the next message to send to the customer), ' +
  'confidence (0 to 1), complexity (low, medium or high), intent (short snake_case label), handoff and handoffReason. ' +
  'Set handoff to true, with a short handoffReason, when the customer asks for a human or you cannot help with confidence; ' +
  'otherwise set handoffReason to null.';

/** Dependencies of {@link createAiDraftActivities}. */
export interface AiDraftDeps {
  db: Db;
  /** `undefined` when `OPENAI_API_KEY` is not set: the assistant is unavailable. Build with `maxRetries: 0`. */
  openai: OpenAI | undefined;
}

/** Input of `draftReply`. */
export interface DraftReplyInput {
  conversationId: string;
  /** The org's system prompt (may be empty). */
  instructions: string;
  /** OpenAI model name (must support structured outputs). */
  model: string;
  /** How many recent messages to send, 1–{@link MAX_AI_CONTEXT_MESSAGES} (default {@link DEFAULT_AI_CONTEXT_MESSAGES}). */
  maxMessages?: number;
}

/** Result of `draftReply`: `available: false` when no OpenAI client is configured (nothing is read or sent). */
export type DraftReplyResult = { available: false } | { available: true; draft: AiDraft };

/** The activities built by {@link createAiDraftActivities}. */
export interface AiDraftActivities {
  draftReply(input: DraftReplyInput): Promise<DraftReplyResult>;
}

/**
 * Builds the AI-draft activities.
 *
 * `draftReply(input)`:
 * @returns `{ available: false }` without an OpenAI client; otherwise `{ available: true, draft }` with the
 *   model's draft as validated by {@link parseAiDraft}.
 * @throws see the file comment: SDK errors for transient failures (retryable), non-retryable
 *   `ApplicationFailure`s of types {@link OPENAI_REJECTED}, {@link AI_REFUSAL}, {@link INVALID_AI_DRAFT},
 *   {@link AI_CONVERSATION_NOT_FOUND}, {@link INVALID_AI_DRAFT_INPUT}.
 */
export function createAiDraftActivities(deps: AiDraftDeps): AiDraftActivities {
  const { db, openai } = deps;

  async function buildMessages(input: DraftReplyInput, maxMessages: number): Promise<ChatMessage[]> {
    const conversation = await db
      .selectFrom('conversations as c')
      .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
      .select(['c.id', 'c.subject', 'c.tags', 'c.channel_kind', 'ct.name as contact_name', 'ct.vip as contact_vip'])
      .where('c.id', '=', input.conversationId)
      .executeTakeFirst();
    if (!conversation) {
      throw ApplicationFailure.nonRetryable(`Conversation ${input.conversationId} not found`, AI_CONVERSATION_NOT_FOUND);
    }
    const context = {
      channel: conversation.channel_kind,
      subject: conversation.subject,
      tags: conversation.tags,
      contact: { name: conversation.contact_name, vip: conversation.contact_vip },
    };
    const system = [input.instructions.trim(), AI_DRAFT_SYSTEM_SUFFIX, `Conversation context: ${JSON.stringify(context)}`]
      .filter((part) => part !== '')
      .join('\n\n');
    return [{ role: 'system', content: system }, ...(await threadMessages(db, input.conversationId, maxMessages))];
  }

  return {
    async draftReply(input) {
      if (!openai) return { available: false };
      const maxMessages = input.maxMessages ?? DEFAULT_AI_CONTEXT_MESSAGES;
      if (!Number.isSafeInteger(maxMessages) || maxMessages < 1 || maxMessages > MAX_AI_CONTEXT_MESSAGES) {
        throw ApplicationFailure.nonRetryable(
          `maxMessages must be a whole number from 1 to ${MAX_AI_CONTEXT_MESSAGES}, got ${String(maxMessages)}`,
          INVALID_AI_DRAFT_INPUT,
        );
      }
      const messages = await buildMessages(input, maxMessages);

      let completion: OpenAI.Chat.ChatCompletion;
      try {
        completion = await openai.chat.completions.create({
          model: input.model,
          messages,
          response_format: { type: 'json_schema', json_schema: { name: 'ai_draft', strict: true, schema: AI_DRAFT_JSON_SCHEMA } },
        });
      } catch (err) {
        throw openAiFailure(err, 'draft');
      }

      const message = completion.choices[0]?.message;
      if (!message) throw ApplicationFailure.nonRetryable('OpenAI answered without a choice', INVALID_AI_DRAFT);
      if (message.refusal) throw ApplicationFailure.nonRetryable(`The model refused: ${message.refusal}`, AI_REFUSAL);
      if (typeof message.content !== 'string' || message.content === '') {
        throw ApplicationFailure.nonRetryable('The model answered without content', INVALID_AI_DRAFT);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.content) as unknown;
      } catch {
        throw ApplicationFailure.nonRetryable(
          `The model's content is not JSON (finish_reason ${String(completion.choices[0]?.finish_reason)})`,
          INVALID_AI_DRAFT,
        );
      }
      const result = parseAiDraft(parsed);
      if (!result.ok) {
        throw ApplicationFailure.nonRetryable(`The model's draft is invalid: ${result.problems.join('; ')}`, INVALID_AI_DRAFT, {
          problems: result.problems,
        });
      }
      return { available: true, draft: result.draft };
    },
  };
}
