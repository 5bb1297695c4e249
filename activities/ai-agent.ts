/**
 * AI-assistant agent-loop activities ("agent tools for email inbox items"): one model step
 * with OpenAI tool calling (`agentStep`) and the execution of one tool call (`runAgentTool`). The
 * conversation workflow runs the loop: it keeps the transcript ({@link AgentMessage}s), calls
 * `agentStep` at most `maxSteps` times, runs every returned call with `runAgentTool` and appends
 * `{ role: 'tool', tool_call_id, content }` for each, until the model answers without tool calls.
 * Source: OpenAI function calling, platform.openai.com/docs/guides/function-calling (Chat Completions
 * `tools` / `tool_calls` / `role: 'tool'` messages; strict function schemas need `parallel_tool_calls: false`).
 *
 * What goes to the model (`POST {baseURL}/chat/completions`, one request per step):
 *  1. one `system` message: the org's `instructions`, {@link AGENT_SYSTEM_SUFFIX}, then the acting
 *     conversation as JSON `{ id, channel, subject, status, priority, tags, contact: { name, email }, now }`
 *     (`now` = the current time, ISO-8601 UTC, so the model can compute snooze / due times);
 *  2. the acting conversation's most recent {@link DEFAULT_AI_CONTEXT_MESSAGES} customer / staff / AI
 *     messages, chronological: customer → `user`, staff and AI → `assistant`. Internal notes are NEVER
 *     sent (filtered in SQL), nor are `system` messages;
 *  3. the loop's transcript so far, verbatim;
 *  plus `tools: agentToolDefinitions(tools)` and `parallel_tool_calls: false` (both left out when no
 *  tool is enabled: the API rejects an empty `tools` array).
 *
 * Errors of `agentStep` (as in activities/ai-draft.ts; build the client with `maxRetries: 0`):
 *  - OpenAI 408 / 409 / 429 / ≥ 500, timeouts and connection errors are rethrown unchanged → retryable;
 *  - any other 4xx → non-retryable `ApplicationFailure` {@link OPENAI_REJECTED}, details `[{ status, code }]`;
 *  - no choice → non-retryable {@link INVALID_AGENT_STEP}; a refusal → non-retryable {@link AI_REFUSAL};
 *  - the acting conversation unknown in the org → non-retryable {@link AI_CONVERSATION_NOT_FOUND};
 *    a bad input (blank model, unknown tool name, transcript not an array) → non-retryable {@link INVALID_AGENT_INPUT}.
 *  A call to a tool that is not enabled is NOT an error here: `runAgentTool` reports it to the model.
 *
 * `runAgentTool` never throws for what the model got wrong: an unknown or disabled tool, bad arguments,
 * an inbox item that does not exist / belongs to another org / is not an email conversation, and any
 * rejection by the target conversation's workflow (`WorkflowUpdateFailedError`, e.g. `invalid_snooze`,
 * `empty_message`, `whatsapp_session_expired`) are RETURNED as `ok: false` with content
 * `{"error":{"code","message"}}`, so the model can adapt. Infrastructure failures (database down,
 * Temporal unreachable or timing out) are thrown unchanged → retryable.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type OpenAI from 'openai';
import { CHANNEL_KIND_SPECS } from '../channels/kinds';
import type { Db } from '../db/client';
import { identityAddress } from '../db/contacts';
import { insertTodo } from '../db/todos';
import {
  type AgentMessage,
  type AgentMessageToolCall,
  type AgentToolArgs,
  type AgentToolCall,
  AGENT_SYSTEM_SUFFIX,
  DEFAULT_LIST_INBOX_LIMIT,
  MAX_AGENT_TOOL_RESULT_LENGTH,
  agentToolDefinitions,
  isAgentToolName,
  parseAgentToolArguments,
} from '../domain/ai-agent-tools';
import { AI_ASSISTANT_AUTHOR_ID, type AgentToolName, type AgentToolScope, INVALID_AGENT_STEP } from '../domain/ai-assistant';
import type { ConversationState, NewConversation } from '../domain/conversation';
import { replyUpdate, setStatusUpdate, updateAttributesUpdate, workflowConversationOf } from '../workflows/conversation/contract';
import { AI_CONVERSATION_NOT_FOUND, DEFAULT_AI_CONTEXT_MESSAGES } from './ai-draft';
import { AI_REFUSAL, type ChatMessage, OPENAI_REJECTED, messageContent, openAiFailure, threadMessages } from './openai-thread';

export { AI_CONVERSATION_NOT_FOUND, AI_REFUSAL, OPENAI_REJECTED };

/** The kinds whose conversations the agent tools work on (`capabilities.aiAgentTools`: email). */
const AGENT_TOOL_KINDS = CHANNEL_KIND_SPECS.filter((s) => s.capabilities.aiAgentTools).map((s) => s.kind);

/** Non-retryable failure type: the model answered without a choice (defined in domain/ai-assistant.ts). */
export { INVALID_AGENT_STEP };
/** Non-retryable failure type: the activity input is invalid (blank model, unknown tool, transcript not an array). */
export const INVALID_AGENT_INPUT = 'InvalidAgentInput';

/** Messages of an inbox item `get_inbox_item` returns at most (internal notes excluded). */
export const INBOX_ITEM_MESSAGES = 20;
/** Longest message text in a `get_inbox_item` result (longer ones are clipped, ending in `…`), UTF-16 code units. */
export const INBOX_ITEM_MESSAGE_TEXT_LENGTH = 1_500;
/** Longest error message in a tool error result. */
const MAX_TOOL_ERROR_MESSAGE_LENGTH = 1_000;

/**
 * Codes of the tool errors `runAgentTool` reports itself (workflow rejections pass their own code
 * through, e.g. `invalid_snooze`, `empty_message`, `whatsapp_session_expired`, `invalid_attributes`):
 *  - `unknown_tool`: not one of the agent tools; `tool_disabled`: not enabled for the org;
 *  - `invalid_arguments`: the arguments fail {@link parseAgentToolArguments} (message lists the problems);
 *  - `inbox_item_not_found`: no email conversation of the org with that id;
 *  - `out_of_scope`: scope `conversation` and the call lists the inbox or names another conversation
 *    (checked before anything is read or changed);
 *  - `update_rejected`: the workflow rejected the update without a typed `ApplicationFailure`.
 */
export const AGENT_TOOL_ERROR_CODES = [
  'unknown_tool',
  'tool_disabled',
  'invalid_arguments',
  'inbox_item_not_found',
  'out_of_scope',
  'update_rejected',
] as const;

/**
 * The inbox item a call would read or change (`sourceId` for `create_todo`), or `'*'` for `list_inbox`
 * (every item): what {@link RunAgentToolInput.scope} `conversation` checks against the acting conversation.
 */
function agentCallTarget(args: AgentToolArgs): string {
  switch (args.tool) {
    case 'list_inbox':
      return '*';
    case 'create_todo':
      return args.sourceId;
    default:
      return args.id;
  }
}

/** Runs a workflow update on a conversation (structurally satisfied by workflows/conversation/client's ConversationClient). */
export interface InboxCommands {
  /**
   * Runs `definition` with `arg` on the conversation's workflow (starting its run if needed) and waits for the result.
   * @throws WorkflowUpdateFailedError when the validator or handler rejected it; anything else is an infrastructure failure
   */
  update<Ret, Arg>(
    conversation: NewConversation,
    definition: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
    opts?: { updateId?: string },
  ): Promise<Ret>;
}

/** Dependencies of {@link createAiAgentActivities}. */
export interface AiAgentDeps {
  db: Db;
  /** `undefined` when `OPENAI_API_KEY` is not set: the assistant is unavailable. Build with `maxRetries: 0`. */
  openai: OpenAI | undefined;
  /** Sends tool actions as updates to the target conversation's workflow. */
  commands: InboxCommands;
}

/** Input of `agentStep`. */
export interface AgentStepInput {
  orgId: string;
  /** The conversation the loop acts for (its thread is the model's context). */
  conversationId: string;
  /** OpenAI model name (must support tool calling with strict schemas). */
  model: string;
  /** The org's system prompt (may be empty). */
  instructions: string;
  /** The tools offered to the model (the org's enabled ones, each one of `AGENT_TOOLS`); may be empty. */
  tools: AgentToolName[];
  /** The loop's messages so far (assistant answers and tool results), oldest first. */
  transcript: AgentMessage[];
}

/**
 * Result of `agentStep`: `available: false` when no OpenAI client is configured (nothing read or sent);
 * `tool_calls` with the assistant `message` to append to the transcript and the `calls` to run in order;
 * `final` when the model answered without tool calls (`text` its content, `''` when none): the loop ends.
 */
export type AgentStepResult =
  | { available: false }
  | { available: true; kind: 'tool_calls'; message: AgentMessage; calls: AgentToolCall[] }
  | { available: true; kind: 'final'; message: AgentMessage; text: string };

/** Input of `runAgentTool`. */
export interface RunAgentToolInput {
  orgId: string;
  /** The conversation the loop acts for (items report `isActingConversation`). */
  actingConversationId: string;
  /** The org's enabled tools; a call to any other tool is reported as `tool_disabled`. */
  tools: AgentToolName[];
  /**
   * `conversation` (default when absent): only `actingConversationId` may be read or changed, anything
   * else is the tool error `out_of_scope`; `inbox`: every email conversation of the org.
   */
  scope?: AgentToolScope;
  call: AgentToolCall;
}

/**
 * Result of `runAgentTool`, to append as `{ role: 'tool', tool_call_id: toolCallId, content }`.
 * `content` is a JSON text: the tool's result when `ok`, else `{"error":{"code","message"}}`.
 */
export interface AgentToolResult {
  toolCallId: string;
  ok: boolean;
  content: string;
}

/** The activities built by {@link createAiAgentActivities}. */
export interface AiAgentActivities {
  agentStep(input: AgentStepInput): Promise<AgentStepResult>;
  runAgentTool(input: RunAgentToolInput): Promise<AgentToolResult>;
}

/** The `tool` transcript message answering a call with `runAgentTool`'s result. */
export function agentToolMessage(result: AgentToolResult): AgentMessage {
  return { role: 'tool', tool_call_id: result.toolCallId, content: result.content };
}

/** A tool error for the model (returned, never thrown). */
class ToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** `text` cut to at most `max` code units (ending in `…`), never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Drops entries of `list` (from the end, or from the start with `fromStart`) until `build(kept, omitted)`
 * serialises within {@link MAX_AGENT_TOOL_RESULT_LENGTH}.
 */
function fitted<T>(list: T[], build: (kept: T[], omitted: number) => unknown, fromStart = false): unknown {
  let kept = list;
  for (;;) {
    const value = build(kept, list.length - kept.length);
    if (kept.length === 0 || JSON.stringify(value).length <= MAX_AGENT_TOOL_RESULT_LENGTH) return value;
    kept = fromStart ? kept.slice(1) : kept.slice(0, -1);
  }
}

/** What the model sees of a conversation after a status / attribute change. */
function stateView(state: ConversationState): Record<string, unknown> {
  return { id: state.conversationId, status: state.status, snoozedUntil: state.snoozedUntil, priority: state.priority, tags: state.tags };
}

/**
 * Builds the agent-loop activities.
 *
 * `agentStep(input)`: one model round trip (see the file comment for the request).
 * @returns `{ available: false }` without an OpenAI client; otherwise the model's tool calls (in the order
 *   given; with `parallel_tool_calls: false` usually one) or its final answer.
 * @throws SDK errors for transient failures (retryable); non-retryable `ApplicationFailure`s of types
 *   {@link OPENAI_REJECTED}, {@link AI_REFUSAL}, {@link INVALID_AGENT_STEP}, {@link AI_CONVERSATION_NOT_FOUND}, {@link INVALID_AGENT_INPUT}.
 *
 * `runAgentTool(input)`: runs one call on an email conversation (inbox item) of `orgId` — with `scope`
 * `conversation` (the default) only on `actingConversationId`: `list_inbox` and any call naming another
 * item answer `out_of_scope` before anything is read or changed (see {@link agentCallTarget}):
 *  - `list_inbox {status, limit}` → `{ items: [{ id, subject, status, priority, tags, contact: { name, email },
 *    lastMessagePreview, lastActivityAt, needsHuman, isActingConversation }] }`, newest activity first, default 20;
 *  - `get_inbox_item {id}` → `{ item: { …as above, snoozedUntil }, messages: [{ direction, authorType, text, createdAt }] }`
 *    (the last {@link INBOX_ITEM_MESSAGES} messages, internal notes excluded, chronological);
 *  - `reply_to_inbox {id, text}` → `replyUpdate` as the assistant (`authorId` `ai-assistant`, `authorType` `ai`)
 *    → `{ messageId, deliveryStatus }` (the send itself goes through the conversation's outbox);
 *  - `close_inbox_item {id, resolutionNote}` → `setStatusUpdate` closed (the note stored as an internal note)
 *    → `{ id, status, snoozedUntil, priority, tags }`;
 *  - `update_inbox_item {id, status, priority, tags}` → `updateAttributesUpdate` (priority / tags, if given),
 *    then `setStatusUpdate` (status, if given; `snoozed` = until the customer writes) → the new state as above;
 *  - `snooze_inbox_item {id, until}` → `setStatusUpdate` snoozed until → the new state;
 *  - `create_todo {title, dueAt, sourceId}` → an open todo (source type `inbox`, created by `ai` / `ai-assistant`)
 *    → `{ todo: { id, title, dueAt, sourceId, status } }`.
 * Times in results are ISO-8601 UTC. `content` never exceeds {@link MAX_AGENT_TOOL_RESULT_LENGTH} and is always
 * valid JSON: message texts are clipped to {@link INBOX_ITEM_MESSAGE_TEXT_LENGTH}, then `list_inbox` drops its
 * last items (`omitted: n`) and `get_inbox_item` its oldest messages (`omittedOlderMessages: n`) until it fits.
 * @returns `{ toolCallId, ok, content }`; `ok: false` for the model's mistakes and workflow rejections (codes:
 *   {@link AGENT_TOOL_ERROR_CODES} or the workflow's own)
 * @throws database and Temporal infrastructure errors (retryable). Note: a retried `reply_to_inbox` whose
 *   first attempt reached the workflow sends a second reply (the update carries no idempotency key).
 */
export function createAiAgentActivities(deps: AiAgentDeps): AiAgentActivities {
  const { db, openai, commands } = deps;

  async function buildMessages(input: AgentStepInput): Promise<ChatMessage[]> {
    const conversation = await db
      .selectFrom('conversations as c')
      .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
      .select([
        'c.id',
        'c.channel_kind',
        'c.subject',
        'c.status',
        'c.priority',
        'c.tags',
        'ct.name as contact_name',
        identityAddress('email', 'ct.id').as('contact_email'),
      ])
      .where('c.id', '=', input.conversationId)
      .where('c.org_id', '=', input.orgId)
      .executeTakeFirst();
    if (!conversation) {
      throw ApplicationFailure.nonRetryable(`Conversation ${input.conversationId} not found`, AI_CONVERSATION_NOT_FOUND);
    }
    const context = {
      id: conversation.id,
      channel: conversation.channel_kind,
      subject: conversation.subject,
      status: conversation.status,
      priority: conversation.priority,
      tags: conversation.tags,
      contact: { name: conversation.contact_name, email: conversation.contact_email },
      now: new Date().toISOString(),
    };
    const system = [input.instructions.trim(), AGENT_SYSTEM_SUFFIX, `Acting conversation: ${JSON.stringify(context)}`]
      .filter((part) => part !== '')
      .join('\n\n');
    return [
      { role: 'system', content: system },
      ...(await threadMessages(db, input.conversationId, DEFAULT_AI_CONTEXT_MESSAGES)),
      ...input.transcript,
    ];
  }

  function checkStepInput(input: AgentStepInput): void {
    const problems: string[] = [];
    if (typeof input.model !== 'string' || input.model.trim() === '') problems.push('model must not be empty');
    if (!Array.isArray(input.tools) || input.tools.some((t) => !isAgentToolName(t))) problems.push('tools must be agent tool names');
    if (!Array.isArray(input.transcript)) problems.push('transcript must be an array');
    if (typeof input.instructions !== 'string') problems.push('instructions must be a string');
    if (problems.length > 0) throw ApplicationFailure.nonRetryable(`Invalid agent step input: ${problems.join('; ')}`, INVALID_AGENT_INPUT);
  }

  /**
   * The org's conversations on kinds with `capabilities.aiAgentTools` (email: the inbox items) with
   * their contact, as the tools read them.
   */
  const inboxItems = (orgId: string) =>
    db
      .selectFrom('conversations as c')
      .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
      .select([
        'c.id',
        'c.org_id',
        'c.channel_id',
        'c.channel_kind',
        'c.contact_id',
        'c.subject',
        'c.status',
        'c.snoozed_until',
        'c.priority',
        'c.tags',
        'c.last_message_preview',
        'c.last_activity_at',
        'c.needs_human',
        'ct.name as contact_name',
        identityAddress('email', 'ct.id').as('contact_email'),
      ])
      .where('c.org_id', '=', orgId)
      .where('c.channel_kind', 'in', AGENT_TOOL_KINDS);

  /** The org's email conversation `id`, or a {@link ToolError} `inbox_item_not_found`. */
  async function inboxItem(orgId: string, id: string) {
    const row = await inboxItems(orgId).where('c.id', '=', id).executeTakeFirst();
    if (!row) throw new ToolError('inbox_item_not_found', `No email inbox item with id ${id}`);
    return row;
  }

  /** Runs a workflow update; a rejection becomes a {@link ToolError} with the workflow's code. */
  async function update<Ret, Arg>(
    row: Parameters<typeof workflowConversationOf>[0],
    definition: UpdateDefinition<Ret, [Arg]>,
    callId: string,
    arg: Arg,
  ): Promise<Ret> {
    try {
      // One update id per tool call and update kind: a retried activity gets the first result back
      // from Temporal instead of sending a second reply (update ids are deduplicated within a run).
      return await commands.update(workflowConversationOf(row), definition, arg, { updateId: `agent-${callId}-${definition.name}` });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        const code = cause instanceof ApplicationFailure && cause.type ? cause.type : 'update_rejected';
        throw new ToolError(code, cause?.message || err.message);
      }
      throw err; // Temporal unreachable, deadline exceeded, …: retryable
    }
  }

  const callIdOf = (input: RunAgentToolInput): string => `${input.actingConversationId}-${input.call.id}`;

  async function execute(input: RunAgentToolInput, args: AgentToolArgs): Promise<unknown> {
    const { orgId, actingConversationId } = input;
    switch (args.tool) {
      case 'list_inbox': {
        let q = inboxItems(orgId);
        if (args.status !== null) q = q.where('c.status', '=', args.status);
        const rows = await q
          .orderBy('c.last_activity_at', 'desc')
          .orderBy('c.id', 'desc')
          .limit(args.limit ?? DEFAULT_LIST_INBOX_LIMIT)
          .execute();
        const items = rows.map((r) => ({
          id: r.id,
          subject: r.subject,
          status: r.status,
          priority: r.priority,
          tags: r.tags,
          contact: { name: r.contact_name, email: r.contact_email },
          lastMessagePreview: r.last_message_preview,
          lastActivityAt: r.last_activity_at.toISOString(),
          needsHuman: r.needs_human,
          isActingConversation: r.id === actingConversationId,
        }));
        return fitted(items, (kept, omitted) => (omitted > 0 ? { items: kept, omitted } : { items: kept }));
      }
      case 'get_inbox_item': {
        const r = await inboxItem(orgId, args.id);
        const messages = await db
          .selectFrom('messages')
          .select(['direction', 'author_type', 'text', 'attachments', 'created_at', 'seq'])
          .where('conversation_id', '=', r.id)
          .where('org_id', '=', orgId)
          .where('is_internal_note', '=', false)
          .orderBy('seq', 'desc')
          .limit(INBOX_ITEM_MESSAGES)
          .execute();
        messages.reverse();
        const item = {
          id: r.id,
          subject: r.subject,
          status: r.status,
          snoozedUntil: iso(r.snoozed_until),
          priority: r.priority,
          tags: r.tags,
          contact: { name: r.contact_name, email: r.contact_email },
          lastMessagePreview: r.last_message_preview,
          lastActivityAt: r.last_activity_at.toISOString(),
          needsHuman: r.needs_human,
          isActingConversation: r.id === actingConversationId,
        };
        const views = messages.map((m) => ({
          direction: m.direction,
          authorType: m.author_type,
          text: clip(messageContent(m.text, Array.isArray(m.attachments) ? m.attachments.length : 0), INBOX_ITEM_MESSAGE_TEXT_LENGTH),
          createdAt: m.created_at.toISOString(),
        }));
        // oldest messages go first when the result is too long
        return fitted(
          views,
          (kept, omitted) => (omitted > 0 ? { item, messages: kept, omittedOlderMessages: omitted } : { item, messages: kept }),
          true,
        );
      }
      case 'reply_to_inbox': {
        const row = await inboxItem(orgId, args.id);
        const message = await update(row, replyUpdate, callIdOf(input), {
          text: args.text,
          isInternalNote: false,
          authorId: AI_ASSISTANT_AUTHOR_ID,
          authorType: 'ai',
        });
        return { messageId: message.id, deliveryStatus: message.deliveryStatus };
      }
      case 'close_inbox_item': {
        const row = await inboxItem(orgId, args.id);
        const state = await update(row, setStatusUpdate, callIdOf(input), {
          status: 'closed',
          until: null,
          resolutionNote: args.resolutionNote,
          actorId: AI_ASSISTANT_AUTHOR_ID,
          actorType: 'ai',
        });
        return stateView(state);
      }
      case 'update_inbox_item': {
        const row = await inboxItem(orgId, args.id);
        let state: ConversationState | undefined;
        if (args.priority !== null || args.tags !== null) {
          state = await update(row, updateAttributesUpdate, callIdOf(input), {
            ...(args.priority !== null ? { priority: args.priority } : {}),
            ...(args.tags !== null ? { tags: args.tags } : {}),
            actorId: AI_ASSISTANT_AUTHOR_ID,
            actorType: 'ai',
          });
        }
        if (args.status !== null) {
          try {
            state = await update(row, setStatusUpdate, callIdOf(input), {
              status: args.status,
              until: null,
              actorId: AI_ASSISTANT_AUTHOR_ID,
              actorType: 'ai',
            });
          } catch (err) {
            if (err instanceof ToolError && state !== undefined) {
              throw new ToolError(err.code, `Priority / tags were updated, but the status change was rejected: ${err.message}`);
            }
            throw err;
          }
        }
        // parseAgentToolArguments guarantees at least one field, so `state` is set
        return state === undefined ? {} : stateView(state);
      }
      case 'snooze_inbox_item': {
        const row = await inboxItem(orgId, args.id);
        const state = await update(row, setStatusUpdate, callIdOf(input), {
          status: 'snoozed',
          until: args.until,
          actorId: AI_ASSISTANT_AUTHOR_ID,
          actorType: 'ai',
        });
        return stateView(state);
      }
      case 'create_todo': {
        await inboxItem(orgId, args.sourceId);
        const todo = await insertTodo(db, {
          orgId,
          title: args.title.trim(),
          dueAt: args.dueAt,
          sourceType: 'inbox',
          sourceId: args.sourceId,
          createdByType: 'ai',
          createdBy: AI_ASSISTANT_AUTHOR_ID,
        });
        return { todo: { id: todo.id, title: todo.title, dueAt: iso(todo.due_at), sourceId: todo.source_id, status: todo.status } };
      }
    }
  }

  return {
    async agentStep(input) {
      if (!openai) return { available: false };
      checkStepInput(input);
      const messages = await buildMessages(input);
      const tools = agentToolDefinitions(input.tools);

      let completion: OpenAI.Chat.ChatCompletion;
      try {
        completion = await openai.chat.completions.create({
          model: input.model,
          messages,
          ...(tools.length > 0 ? { tools, parallel_tool_calls: false } : {}),
        });
      } catch (err) {
        throw openAiFailure(err, 'agent');
      }

      const message = completion.choices[0]?.message;
      if (!message) throw ApplicationFailure.nonRetryable('OpenAI answered without a choice', INVALID_AGENT_STEP);
      if (message.refusal) throw ApplicationFailure.nonRetryable(`The model refused: ${message.refusal}`, AI_REFUSAL);
      const content = typeof message.content === 'string' ? message.content : null;

      const toolCalls: AgentMessageToolCall[] = (message.tool_calls ?? []).map((call) =>
        call.type === 'function'
          ? { id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }
          : // a custom (free-form) tool call: none is offered, so runAgentTool reports it as unknown
            { id: call.id, type: 'function', function: { name: call.custom.name, arguments: call.custom.input } },
      );
      if (toolCalls.length > 0) {
        return {
          available: true,
          kind: 'tool_calls',
          message: { role: 'assistant', content, tool_calls: toolCalls },
          calls: toolCalls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
        };
      }
      return { available: true, kind: 'final', message: { role: 'assistant', content: content ?? '' }, text: content ?? '' };
    },

    async runAgentTool(input) {
      const { call } = input;
      const fail = (code: string, message: string): AgentToolResult => ({
        toolCallId: call.id,
        ok: false,
        content: JSON.stringify({ error: { code, message: clip(message, MAX_TOOL_ERROR_MESSAGE_LENGTH) } }),
      });
      if (!isAgentToolName(call.name)) return fail('unknown_tool', `There is no tool named "${call.name}"`);
      if (!input.tools.includes(call.name)) return fail('tool_disabled', `The tool ${call.name} is not enabled for this organisation`);
      const parsed = parseAgentToolArguments(call.name, call.arguments);
      if (!parsed.ok) return fail('invalid_arguments', `Invalid arguments for ${call.name}: ${parsed.problems.join('; ')}`);
      if ((input.scope ?? 'conversation') === 'conversation' && agentCallTarget(parsed.args) !== input.actingConversationId) {
        return fail(
          'out_of_scope',
          `${call.name} may only be used on the conversation this assistant acts for (${input.actingConversationId}); ` +
            'other inbox items cannot be listed, read or changed.',
        );
      }
      try {
        const result = await execute(input, parsed.args);
        return { toolCallId: call.id, ok: true, content: JSON.stringify(result) };
      } catch (err) {
        if (err instanceof ToolError) return fail(err.code, err.message);
        throw err; // database / Temporal infrastructure failures: retryable
      }
    },
  };
}
