/**
 * The AI assistant's agent tools for email inbox items (OpenAI function calling,
 * platform.openai.com/docs/guides/function-calling): the function definitions offered to the model,
 * the checks of the arguments it sends back, and the transcript types the agent loop carries.
 *
 * An "inbox item" is one of the org's EMAIL conversations. The loop (run by the conversation
 * workflow) asks the model for a step (`agentStep` activity), runs each tool call it returns
 * (`runAgentTool` activity: an activity or an update to the target conversation's workflow, so a
 * tool obeys the same rules as a human), appends the results to the transcript as `tool` messages,
 * and stops when the model answers without tool calls or the step limit is reached.
 *
 * Every definition is `strict: true` (Structured Outputs for function calls): `additionalProperties:
 * false` and every property listed in `required`; "optional" is expressed as nullable. Ranges and
 * formats (uuid, ISO-8601, lengths) are stated in descriptions rather than as `minimum` / `format` /
 * `maxLength`, which strict mode does not support on every model (as with `AI_DRAFT_JSON_SCHEMA`);
 * {@link parseAgentToolArguments} enforces them. Strict mode is not compatible with parallel
 * function calls, so the request sets `parallel_tool_calls: false`.
 *
 * Pure: no I/O, no Temporal, no schema library, no Node built-ins (importable from workflow code).
 */
import { AGENT_TOOLS, type AgentToolName } from './ai-assistant';
import {
  ATTRIBUTE_LIMITS,
  CONVERSATION_STATUSES,
  type ConversationStatus,
  PRIORITIES,
  type Priority,
  parseIsoDateTime,
} from './conversation';

/** Most items `list_inbox` returns. */
export const MAX_LIST_INBOX_LIMIT = 50;
/** Items `list_inbox` returns when `limit` is null. */
export const DEFAULT_LIST_INBOX_LIMIT = 20;
/** Longest reply text / resolution note a tool accepts, in UTF-16 code units. */
export const MAX_AGENT_TEXT_LENGTH = 10_000;
/** Longest todo title, in UTF-16 code units. */
export const MAX_TODO_TITLE_LENGTH = 500;
/**
 * Longest tool result (`runAgentTool`'s JSON `content`) in UTF-16 code units: results are shortened to
 * fit (fewer list items, fewer / clipped messages) and stay valid JSON, so the transcript kept in
 * workflow history stays small. Never cut a result further: the model must get parseable JSON.
 */
export const MAX_AGENT_TOOL_RESULT_LENGTH = 8_000;

/** One function call made by the model, as the agent loop passes it to `runAgentTool`. */
export interface AgentToolCall {
  /** The model's call id (`call_…`); the `tool` message answering it carries it as `tool_call_id`. */
  id: string;
  /** The function name as the model sent it (may be unknown or disabled: `runAgentTool` reports that to the model). */
  name: string;
  /** The arguments as the model sent them: a JSON text, not yet checked (see {@link parseAgentToolArguments}). */
  arguments: string;
}

/** A function call inside an assistant message (OpenAI `ChatCompletionMessageFunctionToolCall`). */
export interface AgentMessageToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * One message of the agent loop's transcript: a serializable subset of OpenAI chat messages
 * (`ChatCompletionAssistantMessageParam` / `ChatCompletionToolMessageParam`), sent back to the model
 * verbatim on the next step:
 *  - `assistant`: what the model answered (`content` may be null when it only calls tools);
 *  - `tool`: the result of one call, `content` a JSON text (`runAgentTool`'s `content`).
 */
export type AgentMessage =
  | { role: 'assistant'; content: string | null; tool_calls?: AgentMessageToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** Arguments of each tool, after {@link parseAgentToolArguments}; `null` = not given. */
export interface AgentToolArgsMap {
  /** The org's email conversations, newest activity first; `limit` 1–{@link MAX_LIST_INBOX_LIMIT} (null = {@link DEFAULT_LIST_INBOX_LIMIT}). */
  list_inbox: { status: ConversationStatus | null; limit: number | null };
  /** One email conversation and its recent messages. */
  get_inbox_item: { id: string };
  /** Send `text` to the customer as the assistant. */
  reply_to_inbox: { id: string; text: string };
  /** Close, optionally with a resolution note (stored as an internal note). */
  close_inbox_item: { id: string; resolutionNote: string | null };
  /** Change status, priority and/or tags (at least one non-null); `tags` replaces the whole set. */
  update_inbox_item: { id: string; status: ConversationStatus | null; priority: Priority | null; tags: string[] | null };
  /** Snooze until `until` (ISO-8601 with zone; the workflow requires it to be in the future). */
  snooze_inbox_item: { id: string; until: string };
  /** A follow-up about the email conversation `sourceId`; `dueAt` ISO-8601 with zone or null. */
  create_todo: { title: string; dueAt: string | null; sourceId: string };
}

/** Checked arguments of one call, discriminated by `tool`. */
export type AgentToolArgs = { [N in AgentToolName]: { tool: N } & AgentToolArgsMap[N] }[AgentToolName];

/** Result of {@link parseAgentToolArguments}. */
export type AgentToolParseResult<A extends AgentToolArgs = AgentToolArgs> = { ok: true; args: A } | { ok: false; problems: string[] };

/** A JSON Schema object of a function's parameters, in the shape strict mode requires. */
export type AgentToolParameters = {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: false;
};

/** One function tool as sent in `tools` (OpenAI `ChatCompletionFunctionTool`). */
export type AgentToolDefinition = {
  type: 'function';
  function: { name: AgentToolName; description: string; strict: true; parameters: AgentToolParameters };
};

const uuidProperty = (description: string): Record<string, unknown> => ({ type: 'string', description });
const nullableEnum = (values: readonly string[], description: string): Record<string, unknown> => ({
  anyOf: [{ type: 'string', enum: [...values] }, { type: 'null' }],
  description,
});

function objectSchema(properties: Record<string, Record<string, unknown>>): AgentToolParameters {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

const ITEM_ID = 'The inbox item (email conversation) id, a UUID as returned by list_inbox.';

/** The function definition of every tool, by name. */
export const AGENT_TOOL_DEFINITIONS: { readonly [N in AgentToolName]: AgentToolDefinition } = {
  list_inbox: {
    type: 'function',
    function: {
      name: 'list_inbox',
      description:
        "Lists the organisation's email inbox items (conversations), most recent activity first: id, subject, status, priority, tags, contact, last message preview, last activity time and whether a human is needed.",
      strict: true,
      parameters: objectSchema({
        status: nullableEnum(CONVERSATION_STATUSES, 'Only items with this status; null for every status.'),
        limit: {
          type: ['integer', 'null'],
          description: `How many items, 1 to ${MAX_LIST_INBOX_LIMIT}; null for ${DEFAULT_LIST_INBOX_LIMIT}.`,
        },
      }),
    },
  },
  get_inbox_item: {
    type: 'function',
    function: {
      name: 'get_inbox_item',
      description: 'Reads one email inbox item: its details and its last 20 messages (internal notes are never shown).',
      strict: true,
      parameters: objectSchema({ id: uuidProperty(ITEM_ID) }),
    },
  },
  reply_to_inbox: {
    type: 'function',
    function: {
      name: 'reply_to_inbox',
      description:
        'Sends an email reply to the customer of an inbox item, as the assistant. The item then waits on the customer (status pending).',
      strict: true,
      parameters: objectSchema({
        id: uuidProperty(ITEM_ID),
        text: { type: 'string', description: `The plain-text reply, non-empty, at most ${MAX_AGENT_TEXT_LENGTH} characters.` },
      }),
    },
  },
  close_inbox_item: {
    type: 'function',
    function: {
      name: 'close_inbox_item',
      description:
        'Closes an inbox item that needs nothing more. A resolution note is kept as an internal note (never sent to the customer).',
      strict: true,
      parameters: objectSchema({
        id: uuidProperty(ITEM_ID),
        resolutionNote: {
          type: ['string', 'null'],
          description: `Short note on how it was resolved, at most ${MAX_AGENT_TEXT_LENGTH} characters; null for none.`,
        },
      }),
    },
  },
  update_inbox_item: {
    type: 'function',
    function: {
      name: 'update_inbox_item',
      description:
        'Changes the status, priority and/or tags of an inbox item; null leaves a field unchanged, at least one must be set. ' +
        'Status snoozed here means until the customer writes again (use snooze_inbox_item for a time).',
      strict: true,
      parameters: objectSchema({
        id: uuidProperty(ITEM_ID),
        status: nullableEnum(CONVERSATION_STATUSES, 'New status, or null to keep it.'),
        priority: nullableEnum(PRIORITIES, 'New priority, or null to keep it.'),
        tags: {
          anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }],
          description: `The complete new tag list (replaces the current tags; at most ${ATTRIBUTE_LIMITS.maxTags} tags of 1 to ${ATTRIBUTE_LIMITS.maxTagLength} characters), or null to keep them.`,
        },
      }),
    },
  },
  snooze_inbox_item: {
    type: 'function',
    function: {
      name: 'snooze_inbox_item',
      description: 'Hides an inbox item until a time in the future; it reopens then, or earlier when the customer writes.',
      strict: true,
      parameters: objectSchema({
        id: uuidProperty(ITEM_ID),
        until: {
          type: 'string',
          description: 'When to reopen: an ISO-8601 date-time with a zone, in the future, e.g. 2026-01-02T09:00:00Z.',
        },
      }),
    },
  },
  create_todo: {
    type: 'function',
    function: {
      name: 'create_todo',
      description: 'Creates a follow-up todo for the team about an inbox item.',
      strict: true,
      parameters: objectSchema({
        title: { type: 'string', description: `What to do, 1 to ${MAX_TODO_TITLE_LENGTH} characters.` },
        dueAt: {
          type: ['string', 'null'],
          description: 'When it is due: an ISO-8601 date-time with a zone, e.g. 2026-01-02T09:00:00Z; null for no due date.',
        },
        sourceId: uuidProperty('The inbox item (email conversation) id the todo is about.'),
      }),
    },
  },
};

/**
 * The definitions of the enabled tools, in {@link AGENT_TOOLS} order (duplicates and unknown names
 * ignored), for the request's `tools`. Empty when nothing is enabled (then send no `tools` at all:
 * the API rejects an empty array).
 */
export function agentToolDefinitions(enabled: readonly AgentToolName[]): AgentToolDefinition[] {
  return AGENT_TOOLS.filter((name) => enabled.includes(name)).map((name) => AGENT_TOOL_DEFINITIONS[name]);
}

/** Whether `name` is one of {@link AGENT_TOOLS}. */
export function isAgentToolName(name: unknown): name is AgentToolName {
  return typeof name === 'string' && (AGENT_TOOLS as readonly string[]).includes(name);
}

/** Fixed framing appended to the org's instructions in the agent loop's system message. */
export const AGENT_SYSTEM_SUFFIX =
  'You can act on the email inbox with the tools provided: list_inbox and get_inbox_item to look, reply_to_inbox to answer a customer, ' +
  'close_inbox_item (with an optional resolution note), update_inbox_item (status, priority, tags), snooze_inbox_item and create_todo for follow-ups. ' +
  'Call one tool at a time and read its JSON result before the next step; a result {"error":{"code","message"}} means nothing was done: adapt or stop. ' +
  'Inbox item ids are UUIDs; times are ISO-8601 with a zone. Act only when the conversation calls for it and never invent facts. ' +
  'When you are done, answer without a tool call with a one-line summary of what you did: that ends the loop. ' +
  'The conversation you act for is described below as JSON; its messages follow.';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The fields each tool takes, in schema order. */
const FIELDS: { readonly [N in AgentToolName]: readonly string[] } = {
  list_inbox: ['status', 'limit'],
  get_inbox_item: ['id'],
  reply_to_inbox: ['id', 'text'],
  close_inbox_item: ['id', 'resolutionNote'],
  update_inbox_item: ['id', 'status', 'priority', 'tags'],
  snooze_inbox_item: ['id', 'until'],
  create_todo: ['title', 'dueAt', 'sourceId'],
};

const isOneOf = <T extends string>(list: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (list as readonly string[]).includes(value);

/** Collects problems while reading one arguments object. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly record: Record<string, unknown>) {}

  private get(key: string): unknown {
    return this.record[key];
  }

  uuid(key: string): string {
    const value = this.get(key);
    if (typeof value !== 'string' || !UUID.test(value)) this.problems.push(`${key} must be a UUID`);
    return value as string;
  }

  text(key: string, max: number): string {
    const value = this.get(key);
    if (typeof value !== 'string' || value.trim() === '') this.problems.push(`${key} must be a non-empty string`);
    else if (value.length > max) this.problems.push(`${key} must be at most ${max} characters`);
    return value as string;
  }

  nullableText(key: string, max: number): string | null {
    return this.get(key) === null ? null : this.text(key, max);
  }

  dateTime(key: string): string {
    const value = this.get(key);
    if (typeof value !== 'string' || parseIsoDateTime(value) === null)
      this.problems.push(`${key} must be an ISO-8601 date-time with a zone, e.g. 2026-01-02T09:00:00Z`);
    return value as string;
  }

  nullableDateTime(key: string): string | null {
    return this.get(key) === null ? null : this.dateTime(key);
  }

  nullableOneOf<T extends string>(key: string, list: readonly T[]): T | null {
    const value = this.get(key);
    if (value === null) return null;
    if (!isOneOf(list, value)) this.problems.push(`${key} must be one of ${list.join(', ')} or null`);
    return value as T;
  }

  nullableInt(key: string, min: number, max: number): number | null {
    const value = this.get(key);
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      this.problems.push(`${key} must be a whole number from ${min} to ${max} or null`);
    return value as number;
  }

  nullableTags(key: string): string[] | null {
    const value = this.get(key);
    if (value === null) return null;
    if (!Array.isArray(value)) {
      this.problems.push(`${key} must be an array of strings or null`);
      return null;
    }
    if (value.length > ATTRIBUTE_LIMITS.maxTags) this.problems.push(`${key} must have at most ${ATTRIBUTE_LIMITS.maxTags} entries`);
    if (value.some((t) => typeof t !== 'string' || t.trim() === '' || t.length > ATTRIBUTE_LIMITS.maxTagLength))
      this.problems.push(`${key} must be non-empty strings of at most ${ATTRIBUTE_LIMITS.maxTagLength} characters`);
    return value as string[];
  }
}

/**
 * Parses and checks the JSON `arguments` the model sent for tool `name`, exactly as strictly as its
 * definition: a JSON object with every field present (nullable ones as `null`), no other field, and
 *  - ids (`id`, `sourceId`) UUIDs (any version, case-insensitive);
 *  - `status` one of open | pending | snoozed | closed; `priority` one of low | normal | high | urgent;
 *  - `limit` a whole number 1–{@link MAX_LIST_INBOX_LIMIT};
 *  - `text` and a non-null `resolutionNote` non-blank, at most {@link MAX_AGENT_TEXT_LENGTH} characters;
 *  - `tags` at most 50 non-blank strings of at most 64 characters (normalised later by the workflow);
 *  - `until` and a non-null `dueAt` ISO-8601 date-times with a zone (`parseIsoDateTime`); whether
 *    `until` lies in the future is the workflow's rule (`invalid_snooze`), not checked here;
 *  - `title` non-blank, at most {@link MAX_TODO_TITLE_LENGTH} characters;
 *  - `update_inbox_item`: at least one of status, priority, tags non-null.
 * Strings are returned as sent (not trimmed).
 * @returns `{ ok: true, args }` (a fresh object tagged with `tool`) or every problem found (also for an
 *   unknown `name` or text that is not JSON)
 */
export function parseAgentToolArguments<N extends AgentToolName>(
  name: N,
  json: string,
): AgentToolParseResult<Extract<AgentToolArgs, { tool: N }>> {
  if (!isAgentToolName(name)) return { ok: false, problems: [`unknown tool "${String(name)}"`] };
  let value: unknown;
  try {
    value = JSON.parse(json) as unknown;
  } catch {
    return { ok: false, problems: ['arguments must be a JSON object'] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problems: ['arguments must be a JSON object'] };
  const record = value as Record<string, unknown>;
  const fields = FIELDS[name];
  const problems: string[] = [];
  for (const key of Object.keys(record)) if (!fields.includes(key)) problems.push(`unexpected field "${key}"`);
  for (const key of fields) if (!Object.hasOwn(record, key)) problems.push(`missing field "${key}"`);
  if (problems.length > 0) return { ok: false, problems };

  const r = new Reader(record);
  let args: AgentToolArgs;
  switch (name as AgentToolName) {
    case 'list_inbox':
      args = {
        tool: 'list_inbox',
        status: r.nullableOneOf('status', CONVERSATION_STATUSES),
        limit: r.nullableInt('limit', 1, MAX_LIST_INBOX_LIMIT),
      };
      break;
    case 'get_inbox_item':
      args = { tool: 'get_inbox_item', id: r.uuid('id') };
      break;
    case 'reply_to_inbox':
      args = { tool: 'reply_to_inbox', id: r.uuid('id'), text: r.text('text', MAX_AGENT_TEXT_LENGTH) };
      break;
    case 'close_inbox_item':
      args = { tool: 'close_inbox_item', id: r.uuid('id'), resolutionNote: r.nullableText('resolutionNote', MAX_AGENT_TEXT_LENGTH) };
      break;
    case 'update_inbox_item': {
      args = {
        tool: 'update_inbox_item',
        id: r.uuid('id'),
        status: r.nullableOneOf('status', CONVERSATION_STATUSES),
        priority: r.nullableOneOf('priority', PRIORITIES),
        tags: r.nullableTags('tags'),
      };
      if (record.status === null && record.priority === null && record.tags === null)
        r.problems.push('at least one of status, priority, tags must be set');
      break;
    }
    case 'snooze_inbox_item':
      args = { tool: 'snooze_inbox_item', id: r.uuid('id'), until: r.dateTime('until') };
      break;
    case 'create_todo':
      args = {
        tool: 'create_todo',
        title: r.text('title', MAX_TODO_TITLE_LENGTH),
        dueAt: r.nullableDateTime('dueAt'),
        sourceId: r.uuid('sourceId'),
      };
      break;
  }
  if (r.problems.length > 0) return { ok: false, problems: r.problems };
  if (args.tool === 'update_inbox_item' && args.tags !== null) args.tags = [...args.tags];
  return { ok: true, args: args as Extract<AgentToolArgs, { tool: N }> };
}
