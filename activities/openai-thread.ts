/**
 * What the AI activities (`ai-draft.ts`, `ai-agent.ts`) share: the conversation thread as chat
 * messages for the model, and the split of OpenAI errors into retryable and permanent ones.
 * Error classes: openai 7.x `core/error.d.ts` (`APIError.status`, `APIConnectionError`, …).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type OpenAI from 'openai';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { Db } from '../db/client';

/** Non-retryable failure type: OpenAI rejected the request with a 4xx other than 408 / 409 / 429. */
export const OPENAI_REJECTED = 'OpenAiRejected';

/** Non-retryable failure type: the model refused to answer (OpenAI `message.refusal`); defined in domain/ai-assistant.ts. */
export { AI_REFUSAL } from '../domain/ai-assistant';

/** One chat message as the SDK takes it. */
export type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;

/** Whether an OpenAI failure may succeed on retry (408, 409, 429, ≥ 500, no response, or no status at all). */
export function isRetryableOpenAiError(err: APIError): boolean {
  if (err instanceof APIConnectionError || err instanceof APIUserAbortError) return true;
  const status = err.status;
  if (status === undefined) return true;
  return status === 408 || status === 409 || status === 429 || status >= 500 || status < 400;
}

/**
 * What to throw for an error of an OpenAI call: a permanent rejection (see {@link isRetryableOpenAiError})
 * becomes a non-retryable `ApplicationFailure` {@link OPENAI_REJECTED} with details `[{ status, code }]`;
 * anything else (408/409/429/5xx, timeouts, connection errors) is returned unchanged, so Temporal retries it.
 * @param what the request, for the message (e.g. `draft`)
 */
export function openAiFailure(err: unknown, what: string): unknown {
  if (err instanceof APIError && !isRetryableOpenAiError(err)) {
    return ApplicationFailure.nonRetryable(`OpenAI rejected the ${what} request (${String(err.status)}): ${err.message}`, OPENAI_REJECTED, {
      status: err.status,
      code: err.code ?? null,
    });
  }
  return err;
}

/** The text a stored message contributes; attachments-only messages are described, not dropped. */
export function messageContent(text: string, attachmentCount: number): string {
  if (attachmentCount === 0) return text;
  const note = `[${attachmentCount} attachment${attachmentCount === 1 ? '' : 's'}]`;
  return text.trim() === '' ? note : `${text}\n${note}`;
}

/**
 * The conversation's `limit` most recent customer / staff / AI messages in chronological order:
 * customer → `user`, staff and AI → `assistant`. Internal notes and `system` messages are never
 * included (filtered in SQL).
 */
export async function threadMessages(db: Db, conversationId: string, limit: number): Promise<ChatMessage[]> {
  const recent = await db
    .selectFrom('messages')
    .select(['author_type', 'text', 'attachments', 'seq'])
    .where('conversation_id', '=', conversationId)
    .where('is_internal_note', '=', false)
    .where('author_type', 'in', ['customer', 'staff', 'ai'])
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  return recent.reverse().map((m) => ({
    role: m.author_type === 'customer' ? 'user' : 'assistant',
    content: messageContent(m.text, Array.isArray(m.attachments) ? m.attachments.length : 0),
  }));
}
