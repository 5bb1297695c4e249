/**
 * The agent tools' definitions and argument checks (domain/ai-agent-tools.ts): every definition is a
 * strict function schema (all properties required, no extra ones, nullable "optional" fields, valid
 * against OpenAI's `ChatCompletionTool`), and `parseAgentToolArguments` accepts exactly what the
 * definitions describe, with the documented limits.
 */
import {
  AGENT_SYSTEM_SUFFIX,
  AGENT_TOOL_DEFINITIONS,
  MAX_AGENT_TEXT_LENGTH,
  MAX_LIST_INBOX_LIMIT,
  MAX_TODO_TITLE_LENGTH,
  agentToolDefinitions,
  isAgentToolName,
  parseAgentToolArguments,
} from '../../domain/ai-agent-tools';
import { AGENT_TOOLS, type AgentToolName } from '../../domain/ai-assistant';
import { validateAgainstOpenApi } from '../support/openai-contract';

const ID = '6f1c9f7e-3a52-4d8e-9d31-2b6c8f0e4a17';
const json = (value: unknown): string => JSON.stringify(value);

/** Problems of a call expected to fail. */
function problemsOf(name: AgentToolName, args: unknown): string[] {
  const result = parseAgentToolArguments(name, typeof args === 'string' ? args : json(args));
  if (result.ok) throw new Error(`expected ${name} ${json(args)} to be rejected`);
  return result.problems;
}

describe('tool definitions', () => {
  it.each(AGENT_TOOLS)('%s is a strict function whose every property is required', (name) => {
    const def = AGENT_TOOL_DEFINITIONS[name];
    expect(def.type).toBe('function');
    expect(def.function.name).toBe(name);
    expect(def.function.strict).toBe(true);
    expect(def.function.description.length).toBeGreaterThan(10);
    const params = def.function.parameters;
    expect(params.type).toBe('object');
    expect(params.additionalProperties).toBe(false);
    expect([...params.required].sort()).toEqual(Object.keys(params.properties).sort());
    expect(validateAgainstOpenApi('ChatCompletionTool', JSON.parse(json(def)))).toEqual([]);
    // strict-mode subset: no keywords that strict mode does not take on every model
    expect(json(params)).not.toMatch(/"(format|minimum|maximum|minLength|maxLength|default)"/);
  });

  it('agentToolDefinitions keeps AGENT_TOOLS order, drops duplicates and disabled tools', () => {
    expect(agentToolDefinitions(['create_todo', 'list_inbox', 'create_todo']).map((d) => d.function.name)).toEqual([
      'list_inbox',
      'create_todo',
    ]);
    expect(agentToolDefinitions([])).toEqual([]);
    expect(agentToolDefinitions([...AGENT_TOOLS])).toHaveLength(AGENT_TOOLS.length);
  });

  it('isAgentToolName knows exactly the agent tools', () => {
    for (const name of AGENT_TOOLS) expect(isAgentToolName(name)).toBe(true);
    expect(isAgentToolName('delete_inbox')).toBe(false);
    expect(isAgentToolName(undefined)).toBe(false);
  });

  it('the system suffix names every tool and how the loop ends', () => {
    for (const name of AGENT_TOOLS) expect(AGENT_SYSTEM_SUFFIX).toContain(name);
    expect(AGENT_SYSTEM_SUFFIX).toMatch(/without a tool call/);
  });
});

describe('parseAgentToolArguments: accepted', () => {
  it('list_inbox with nulls and with values', () => {
    expect(parseAgentToolArguments('list_inbox', json({ status: null, limit: null }))).toEqual({
      ok: true,
      args: { tool: 'list_inbox', status: null, limit: null },
    });
    expect(parseAgentToolArguments('list_inbox', json({ status: 'snoozed', limit: MAX_LIST_INBOX_LIMIT }))).toEqual({
      ok: true,
      args: { tool: 'list_inbox', status: 'snoozed', limit: 50 },
    });
  });

  it('get_inbox_item / reply_to_inbox / close_inbox_item (upper-case UUID accepted, text kept as sent)', () => {
    expect(parseAgentToolArguments('get_inbox_item', json({ id: ID.toUpperCase() }))).toEqual({
      ok: true,
      args: { tool: 'get_inbox_item', id: ID.toUpperCase() },
    });
    expect(parseAgentToolArguments('reply_to_inbox', json({ id: ID, text: ' Hi there ' }))).toEqual({
      ok: true,
      args: { tool: 'reply_to_inbox', id: ID, text: ' Hi there ' },
    });
    expect(parseAgentToolArguments('close_inbox_item', json({ id: ID, resolutionNote: null }))).toEqual({
      ok: true,
      args: { tool: 'close_inbox_item', id: ID, resolutionNote: null },
    });
    expect(parseAgentToolArguments('reply_to_inbox', json({ id: ID, text: 'x'.repeat(MAX_AGENT_TEXT_LENGTH) })).ok).toBe(true);
  });

  it('update_inbox_item with any one field set', () => {
    const base = { id: ID, status: null, priority: null, tags: null };
    expect(parseAgentToolArguments('update_inbox_item', json({ ...base, status: 'snoozed' })).ok).toBe(true);
    expect(parseAgentToolArguments('update_inbox_item', json({ ...base, priority: 'urgent' })).ok).toBe(true);
    expect(parseAgentToolArguments('update_inbox_item', json({ ...base, tags: [] }))).toEqual({
      ok: true,
      args: { tool: 'update_inbox_item', id: ID, status: null, priority: null, tags: [] },
    });
    const tags = Array.from({ length: 50 }, (_, i) => `t${i}`.padEnd(64, 'x'));
    expect(parseAgentToolArguments('update_inbox_item', json({ ...base, tags })).ok).toBe(true);
  });

  it('snooze_inbox_item and create_todo with zoned date-times (Z and offsets, fractions)', () => {
    expect(parseAgentToolArguments('snooze_inbox_item', json({ id: ID, until: '2026-01-02T09:00:00Z' }))).toEqual({
      ok: true,
      args: { tool: 'snooze_inbox_item', id: ID, until: '2026-01-02T09:00:00Z' },
    });
    expect(parseAgentToolArguments('snooze_inbox_item', json({ id: ID, until: '2026-01-02T09:00:00.123+02:00' })).ok).toBe(true);
    // a past time is well-formed: whether it is in the future is the workflow's rule (invalid_snooze)
    expect(parseAgentToolArguments('snooze_inbox_item', json({ id: ID, until: '2000-01-01T00:00Z' })).ok).toBe(true);
    expect(parseAgentToolArguments('create_todo', json({ title: 'Call back', dueAt: null, sourceId: ID }))).toEqual({
      ok: true,
      args: { tool: 'create_todo', title: 'Call back', dueAt: null, sourceId: ID },
    });
    expect(
      parseAgentToolArguments(
        'create_todo',
        json({ title: 't'.repeat(MAX_TODO_TITLE_LENGTH), dueAt: '2026-03-01T12:00:00-05:00', sourceId: ID }),
      ).ok,
    ).toBe(true);
  });

  it('returns a fresh tags array', () => {
    const result = parseAgentToolArguments('update_inbox_item', json({ id: ID, status: null, priority: null, tags: ['a'] }));
    if (!result.ok) throw new Error('expected ok');
    result.args.tags?.push('b');
    expect(result.args.tags).toEqual(['a', 'b']);
  });
});

describe('parseAgentToolArguments: rejected', () => {
  it('text that is not a JSON object', () => {
    expect(problemsOf('list_inbox', '{"status": null,')).toEqual(['arguments must be a JSON object']);
    expect(problemsOf('list_inbox', '')).toEqual(['arguments must be a JSON object']);
    expect(problemsOf('list_inbox', '[]')).toEqual(['arguments must be a JSON object']);
    expect(problemsOf('list_inbox', 'null')).toEqual(['arguments must be a JSON object']);
    expect(problemsOf('get_inbox_item', `"${ID}"`)).toEqual(['arguments must be a JSON object']);
  });

  it('an unknown tool name (e.g. from an untyped caller)', () => {
    expect(problemsOf('delete_everything' as AgentToolName, {})).toEqual(['unknown tool "delete_everything"']);
  });

  it('missing and unexpected fields (nullable fields must be present as null)', () => {
    expect(problemsOf('list_inbox', { status: null })).toEqual(['missing field "limit"']);
    expect(problemsOf('get_inbox_item', { id: ID, force: true })).toEqual(['unexpected field "force"']);
    expect(problemsOf('create_todo', { title: 'x', sourceId: ID })).toEqual(['missing field "dueAt"']);
  });

  it('ids that are not UUIDs', () => {
    expect(problemsOf('get_inbox_item', { id: 'conversation-1' })).toEqual(['id must be a UUID']);
    expect(problemsOf('get_inbox_item', { id: `${ID}x` })).toEqual(['id must be a UUID']);
    expect(problemsOf('get_inbox_item', { id: 42 })).toEqual(['id must be a UUID']);
    expect(problemsOf('create_todo', { title: 'x', dueAt: null, sourceId: null })).toEqual(['sourceId must be a UUID']);
  });

  it('list_inbox: unknown status, limit out of range or not whole', () => {
    expect(problemsOf('list_inbox', { status: 'archived', limit: null })).toEqual([
      'status must be one of open, pending, snoozed, closed or null',
    ]);
    for (const limit of [0, 51, 2.5, '10', -1]) {
      expect(problemsOf('list_inbox', { status: null, limit })).toEqual(['limit must be a whole number from 1 to 50 or null']);
    }
  });

  it('reply text: empty, blank, too long, not a string', () => {
    expect(problemsOf('reply_to_inbox', { id: ID, text: '' })).toEqual(['text must be a non-empty string']);
    expect(problemsOf('reply_to_inbox', { id: ID, text: ' \n ' })).toEqual(['text must be a non-empty string']);
    expect(problemsOf('reply_to_inbox', { id: ID, text: null })).toEqual(['text must be a non-empty string']);
    expect(problemsOf('reply_to_inbox', { id: ID, text: 'x'.repeat(MAX_AGENT_TEXT_LENGTH + 1) })).toEqual([
      'text must be at most 10000 characters',
    ]);
  });

  it('close_inbox_item: a blank or too long resolution note', () => {
    expect(problemsOf('close_inbox_item', { id: ID, resolutionNote: ' ' })).toEqual(['resolutionNote must be a non-empty string']);
    expect(problemsOf('close_inbox_item', { id: ID, resolutionNote: 'x'.repeat(10_001) })).toEqual([
      'resolutionNote must be at most 10000 characters',
    ]);
  });

  it('update_inbox_item: nothing to change, bad status / priority / tags', () => {
    const base = { id: ID, status: null, priority: null, tags: null };
    expect(problemsOf('update_inbox_item', base)).toEqual(['at least one of status, priority, tags must be set']);
    expect(problemsOf('update_inbox_item', { ...base, status: 'done' })).toEqual([
      'status must be one of open, pending, snoozed, closed or null',
    ]);
    expect(problemsOf('update_inbox_item', { ...base, priority: 'critical' })).toEqual([
      'priority must be one of low, normal, high, urgent or null',
    ]);
    expect(problemsOf('update_inbox_item', { ...base, tags: 'vip' })).toEqual(['tags must be an array of strings or null']);
    expect(problemsOf('update_inbox_item', { ...base, tags: ['ok', ''] })).toEqual([
      'tags must be non-empty strings of at most 64 characters',
    ]);
    expect(problemsOf('update_inbox_item', { ...base, tags: ['  '] })).toEqual(['tags must be non-empty strings of at most 64 characters']);
    expect(problemsOf('update_inbox_item', { ...base, tags: ['x'.repeat(65)] })).toEqual([
      'tags must be non-empty strings of at most 64 characters',
    ]);
    expect(problemsOf('update_inbox_item', { ...base, tags: [1] })).toEqual(['tags must be non-empty strings of at most 64 characters']);
    expect(problemsOf('update_inbox_item', { ...base, tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })).toEqual([
      'tags must have at most 50 entries',
    ]);
  });

  it('date-times without a zone, impossible or in another format', () => {
    for (const until of [
      '2026-01-02T09:00:00',
      '2026-01-02',
      '2026-02-30T09:00:00Z',
      'tomorrow',
      '1767344400000',
      '2026-01-02 09:00:00Z',
    ]) {
      expect(problemsOf('snooze_inbox_item', { id: ID, until })).toEqual([
        'until must be an ISO-8601 date-time with a zone, e.g. 2026-01-02T09:00:00Z',
      ]);
    }
    expect(problemsOf('snooze_inbox_item', { id: ID, until: null })).toEqual([
      'until must be an ISO-8601 date-time with a zone, e.g. 2026-01-02T09:00:00Z',
    ]);
    expect(problemsOf('create_todo', { title: 'x', dueAt: '2026-13-01T00:00:00Z', sourceId: ID })).toEqual([
      'dueAt must be an ISO-8601 date-time with a zone, e.g. 2026-01-02T09:00:00Z',
    ]);
  });

  it('todo title: blank or too long', () => {
    expect(problemsOf('create_todo', { title: '  ', dueAt: null, sourceId: ID })).toEqual(['title must be a non-empty string']);
    expect(problemsOf('create_todo', { title: 't'.repeat(501), dueAt: null, sourceId: ID })).toEqual([
      'title must be at most 500 characters',
    ]);
  });

  it('reports every problem at once', () => {
    expect(problemsOf('create_todo', { title: '', dueAt: 'soon', sourceId: 'x' })).toEqual([
      'title must be a non-empty string',
      'dueAt must be an ISO-8601 date-time with a zone, e.g. 2026-01-02T09:00:00Z',
      'sourceId must be a UUID',
    ]);
  });
});
