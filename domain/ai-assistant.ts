/**
 * AI assistant rules: the org's configuration, the structured draft the model returns, and the
 * pure decision that turns config + conversation + contact + channel + draft into one action.
 *
 * The conversation workflow asks an activity for an {@link AiDraft} (OpenAI structured outputs with
 * {@link AI_DRAFT_JSON_SCHEMA}), checks the parsed JSON with {@link parseAiDraft}, then calls
 * {@link decideAiAction}: `auto_send` (after `autoSendDelaySeconds`, unless a human acts first),
 * `suggest` (stored for staff to send, edit or dismiss), `hand_off` (conversation `open` with a
 * `needs_human` marker; the reason kept as an internal note) or `none` (the assistant stays out).
 * Nothing here does I/O or depends on Temporal or a schema library; the unit tests in
 * `test/unit/ai-assistant.test.ts` pin every edge down.
 */
import { CHANNEL_KINDS, type ChannelKind, kindSpec } from './channels';

/** Assistant modes: `suggest` = drafts always wait for staff; `auto` = confident, simple drafts may send themselves. */
export const AI_MODES = ['suggest', 'auto'] as const;
/** One of {@link AI_MODES}. */
export type AiMode = (typeof AI_MODES)[number];

/** How hard a customer request is, as judged by the model; ordered lowest first (see {@link complexityRank}). */
export const COMPLEXITIES = ['low', 'medium', 'high'] as const;
/** One of {@link COMPLEXITIES}. */
export type Complexity = (typeof COMPLEXITIES)[number];

/** Longest auto-send delay allowed: 86 400 s (24 h), the length of the WhatsApp customer service window. */
export const MAX_AUTO_SEND_DELAY_SECONDS = 86_400;
/** Longest system prompt (`instructions`) allowed, in UTF-16 code units. */
export const MAX_AI_INSTRUCTIONS_LENGTH = 20_000;
/** Longest model name allowed, in UTF-16 code units. */
export const MAX_AI_MODEL_LENGTH = 200;

/**
 * Tools the assistant's agent loop may call on email inbox items (OpenAI tool calling). Each runs as
 * an activity or as an update to the target conversation's workflow, so it obeys a human's rules.
 */
export const AGENT_TOOLS = [
  'list_inbox',
  'get_inbox_item',
  'reply_to_inbox',
  'close_inbox_item',
  'update_inbox_item',
  'snooze_inbox_item',
  'create_todo',
] as const;
/** One of {@link AGENT_TOOLS}. */
export type AgentToolName = (typeof AGENT_TOOLS)[number];
/** Most model round trips one agent loop may take. */
export const MAX_AGENT_STEPS = 20;

/**
 * What the agent's tools may touch:
 * - `conversation` (default): only the conversation whose customer message started the loop; any
 *   call naming another inbox item, and `list_inbox`, is refused with the tool error `out_of_scope`
 *   (a customer's email is untrusted input: it must not steer the agent onto other customers' tickets);
 * - `inbox`: every email conversation of the org (opt-in, for internal mailboxes).
 */
export const AGENT_TOOL_SCOPES = ['conversation', 'inbox'] as const;
/** One of {@link AGENT_TOOL_SCOPES}. */
export type AgentToolScope = (typeof AGENT_TOOL_SCOPES)[number];

/** The agent loop's settings (email conversations only). */
export interface AgentToolsConfig {
  /** When on, an inbound email on an AI-assisted conversation runs the agent loop instead of a single draft. */
  enabled: boolean;
  /** The tools offered to the model (distinct, each one of {@link AGENT_TOOLS}). */
  tools: AgentToolName[];
  /** Step limit: model round trips per loop, 1–{@link MAX_AGENT_STEPS}. */
  maxSteps: number;
  /** What the tools may touch (see {@link AGENT_TOOL_SCOPES}); default `conversation`. */
  scope: AgentToolScope;
}

/** An org's AI assistant settings (`GET/PUT /v1/ai-assistant`). Check with {@link isValidAiConfig}. */
export interface AiAssistantConfig {
  /** Master switch: when `false` the assistant never drafts, suggests or sends. */
  enabled: boolean;
  /** `suggest` (every draft waits for staff) or `auto` (drafts meeting every auto-send rule send themselves). */
  mode: AiMode;
  /** The system prompt given to the model. May be empty (the activity's own framing still applies). */
  instructions: string;
  /**
   * Allow-list of channels on which the assistant may auto-send; elsewhere it only suggests. Also the
   * default for a new conversation's `aiAssist`. No duplicates; each one of {@link CHANNEL_KINDS}.
   */
  channels: ChannelKind[];
  /** Minimum draft confidence (0–1, inclusive) for an auto-send. */
  autoSendConfidence: number;
  /** Highest draft complexity that may be auto-sent (inclusive). */
  maxAutoSendComplexity: Complexity;
  /**
   * Seconds an auto-send draft is held before it goes out, so a human can act first (a staff reply,
   * assignment, dismissal or status change cancels it). Whole seconds, 0 (= immediately) to
   * {@link MAX_AUTO_SEND_DELAY_SECONDS}.
   */
  autoSendDelaySeconds: number;
  /** OpenAI model name, e.g. `gpt-4o-mini` (must support structured outputs). */
  model: string;
  /** The agent loop with inbox tools (email conversations). */
  agentTools: AgentToolsConfig;
}

/** The system prompt a new org starts with. */
export const DEFAULT_AI_INSTRUCTIONS =
  'You are a customer-support assistant. Draft short, friendly, accurate replies in the customer\u2019s language. ' +
  'Only state facts found in the conversation; never invent order details, prices or policies, and never promise refunds or compensation. ' +
  'If the customer asks for a human, is upset, or you cannot help with confidence, set handoff to true and explain why in handoffReason.';

/**
 * Defaults for a new org: off; when turned on, suggest-only on every channel, and (if switched to
 * `auto`) auto-send only low-complexity drafts with confidence ≥ 0.85, held 60 s for a human to
 * step in; model `gpt-4o-mini`.
 */
export const DEFAULT_AI_ASSISTANT_CONFIG: AiAssistantConfig = {
  enabled: false,
  mode: 'suggest',
  instructions: DEFAULT_AI_INSTRUCTIONS,
  channels: [...CHANNEL_KINDS],
  autoSendConfidence: 0.85,
  maxAutoSendComplexity: 'low',
  autoSendDelaySeconds: 60,
  model: 'gpt-4o-mini',
  agentTools: { enabled: false, tools: [...AGENT_TOOLS], maxSteps: 6, scope: 'conversation' },
};

/** Position of `c` in {@link COMPLEXITIES}: low 0, medium 1, high 2. */
export function complexityRank(c: Complexity): number {
  return COMPLEXITIES.indexOf(c);
}

const isOneOf = <T extends string>(list: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (list as readonly string[]).includes(value);

/**
 * Checks an org's assistant config (the API's schema should enforce the same).
 * @returns one human-readable problem per broken rule; empty when the config is valid:
 *   `enabled` boolean; `mode` one of {@link AI_MODES}; `instructions` a string of at most
 *   {@link MAX_AI_INSTRUCTIONS_LENGTH}; `channels` distinct {@link CHANNEL_KINDS} (may be empty);
 *   `autoSendConfidence` a number in 0–1; `maxAutoSendComplexity` one of {@link COMPLEXITIES};
 *   `autoSendDelaySeconds` an integer 0–{@link MAX_AUTO_SEND_DELAY_SECONDS}; `model` non-blank,
 *   at most {@link MAX_AI_MODEL_LENGTH}; `agentTools.enabled` boolean, `agentTools.tools` distinct
 *   {@link AGENT_TOOLS}, `agentTools.maxSteps` an integer 1–{@link MAX_AGENT_STEPS}, `agentTools.scope`
 *   one of {@link AGENT_TOOL_SCOPES}.
 */
export function isValidAiConfig(config: AiAssistantConfig): string[] {
  const problems: string[] = [];
  if (typeof config.enabled !== 'boolean') problems.push('enabled must be a boolean');
  if (!isOneOf(AI_MODES, config.mode)) problems.push(`mode must be one of ${AI_MODES.join(', ')}`);
  if (typeof config.instructions !== 'string') problems.push('instructions must be a string');
  else if (config.instructions.length > MAX_AI_INSTRUCTIONS_LENGTH)
    problems.push(`instructions must be at most ${MAX_AI_INSTRUCTIONS_LENGTH} characters`);
  if (!Array.isArray(config.channels)) problems.push('channels must be an array');
  else {
    const unknown = config.channels.filter((c) => !isOneOf(CHANNEL_KINDS, c));
    if (unknown.length > 0)
      problems.push(`channels must be among ${CHANNEL_KINDS.join(', ')} (unknown: ${unknown.map(String).join(', ')})`);
    if (new Set(config.channels).size !== config.channels.length) problems.push('channels must not repeat');
  }
  const confidence = config.autoSendConfidence;
  if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1)
    problems.push('autoSendConfidence must be a number from 0 to 1');
  if (!isOneOf(COMPLEXITIES, config.maxAutoSendComplexity))
    problems.push(`maxAutoSendComplexity must be one of ${COMPLEXITIES.join(', ')}`);
  const delay = config.autoSendDelaySeconds;
  if (!Number.isInteger(delay) || delay < 0 || delay > MAX_AUTO_SEND_DELAY_SECONDS)
    problems.push(`autoSendDelaySeconds must be a whole number of seconds from 0 to ${MAX_AUTO_SEND_DELAY_SECONDS}`);
  if (typeof config.model !== 'string' || config.model.trim() === '') problems.push('model must not be empty');
  else if (config.model.length > MAX_AI_MODEL_LENGTH) problems.push(`model must be at most ${MAX_AI_MODEL_LENGTH} characters`);
  const agent = config.agentTools as AgentToolsConfig | undefined;
  if (typeof agent !== 'object' || agent === null) problems.push('agentTools must be an object');
  else {
    if (typeof agent.enabled !== 'boolean') problems.push('agentTools.enabled must be a boolean');
    if (!Array.isArray(agent.tools) || agent.tools.some((t) => !isOneOf(AGENT_TOOLS, t)))
      problems.push(`agentTools.tools must be among ${AGENT_TOOLS.join(', ')}`);
    else if (new Set(agent.tools).size !== agent.tools.length) problems.push('agentTools.tools must not repeat');
    if (!Number.isInteger(agent.maxSteps) || agent.maxSteps < 1 || agent.maxSteps > MAX_AGENT_STEPS)
      problems.push(`agentTools.maxSteps must be a whole number from 1 to ${MAX_AGENT_STEPS}`);
    if (!isOneOf(AGENT_TOOL_SCOPES, agent.scope)) problems.push(`agentTools.scope must be one of ${AGENT_TOOL_SCOPES.join(', ')}`);
  }
  return problems;
}

/** The structured result the model returns for one inbound message (see {@link AI_DRAFT_JSON_SCHEMA}). */
export interface AiDraft {
  /** The reply to send to the customer, in their language. May be empty (then the decision hands off). */
  reply: string;
  /** The model's confidence that `reply` is correct and complete, 0–1. */
  confidence: number;
  /** How hard the request is. */
  complexity: Complexity;
  /** Short label for what the customer wants, e.g. `order_status` (used by stats). Non-blank. */
  intent: string;
  /** True when the customer asks for a human or the model cannot help. */
  handoff: boolean;
  /** Why the model hands off; `null` when it does not (or gives no reason). */
  handoffReason: string | null;
}

/** The {@link AiDraft} fields, in schema order. */
export const AI_DRAFT_FIELDS = ['reply', 'confidence', 'complexity', 'intent', 'handoff', 'handoffReason'] as const;

/**
 * JSON Schema of {@link AiDraft} for OpenAI structured outputs, used as
 * `response_format: { type: 'json_schema', json_schema: { name: 'ai_draft', strict: true, schema: AI_DRAFT_JSON_SCHEMA } }`
 * (or `text.format` with the Responses API). Strict mode requires every property in `required`
 * and `additionalProperties: false`; "optional" is expressed as nullable (`handoffReason`). Ranges
 * (confidence 0–1) are stated in descriptions rather than `minimum`/`maximum`, which strict mode
 * does not support on every model; {@link parseAiDraft} enforces them.
 */
export const AI_DRAFT_JSON_SCHEMA = {
  type: 'object',
  properties: {
    reply: { type: 'string', description: "Draft reply to send to the customer, in the customer's language." },
    confidence: { type: 'number', description: 'Confidence from 0 to 1 that the reply is correct and complete.' },
    complexity: { type: 'string', enum: [...COMPLEXITIES], description: 'How complex the customer request is.' },
    intent: { type: 'string', description: 'Short snake_case label of what the customer wants, e.g. order_status.' },
    handoff: { type: 'boolean', description: 'True when the customer asks for a human or you cannot help.' },
    handoffReason: { type: ['string', 'null'], description: 'Why a human should take over; null when handoff is false.' },
  },
  required: [...AI_DRAFT_FIELDS],
  additionalProperties: false,
} as const;

/** Result of {@link parseAiDraft}. */
export type AiDraftParseResult = { ok: true; draft: AiDraft } | { ok: false; problems: string[] };

/**
 * Validates a parsed JSON value (the model message's `content` after `JSON.parse`) against the
 * {@link AiDraft} shape, exactly as strictly as {@link AI_DRAFT_JSON_SCHEMA}: an object with every
 * field present, no other field, right types, `complexity` one of {@link COMPLEXITIES},
 * `confidence` a finite number within 0–1 (nothing is clamped), `intent` non-blank.
 * An empty `reply` is accepted here ({@link decideAiAction} hands it off), and so is a
 * `handoffReason` alongside `handoff: false` (ignored by the decision).
 * @returns the draft (a fresh object) or every problem found
 */
export function parseAiDraft(value: unknown): AiDraftParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problems: ['draft must be a JSON object'] };
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(record)) {
    if (!isOneOf(AI_DRAFT_FIELDS, key)) problems.push(`unexpected field "${key}"`);
  }
  for (const key of AI_DRAFT_FIELDS) {
    if (!Object.hasOwn(record, key)) problems.push(`missing field "${key}"`);
  }
  const has = (key: (typeof AI_DRAFT_FIELDS)[number]): boolean => Object.hasOwn(record, key);
  const { reply, confidence, complexity, intent, handoff, handoffReason } = record;
  if (has('reply') && typeof reply !== 'string') problems.push('reply must be a string');
  if (has('confidence') && (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1))
    problems.push('confidence must be a number from 0 to 1');
  if (has('complexity') && !isOneOf(COMPLEXITIES, complexity)) problems.push(`complexity must be one of ${COMPLEXITIES.join(', ')}`);
  if (has('intent') && (typeof intent !== 'string' || intent.trim() === '')) problems.push('intent must be a non-empty string');
  if (has('handoff') && typeof handoff !== 'boolean') problems.push('handoff must be a boolean');
  if (has('handoffReason') && handoffReason !== null && typeof handoffReason !== 'string')
    problems.push('handoffReason must be a string or null');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    draft: {
      reply: reply as string,
      confidence: confidence as number,
      complexity: complexity as Complexity,
      intent: intent as string,
      handoff: handoff as boolean,
      handoffReason: handoffReason as string | null,
    },
  };
}

/**
 * Why a draft is suggested instead of auto-sent, in this fixed order (each a failed auto-send rule):
 * - `mode_suggest`: the org's mode is `suggest`;
 * - `low_confidence`: draft confidence below `autoSendConfidence`;
 * - `too_complex`: draft complexity above `maxAutoSendComplexity`;
 * - `vip_contact`: the contact is a VIP (always a human's call);
 * - `channel_not_allowed`: the channel is not in the config's `channels` allow-list;
 * - `whatsapp_window_closed`: WhatsApp outside the 24 h window (a free-form reply would be refused;
 *   staff must send an approved template instead);
 * - `human_active`: a human acted on the conversation (assigned it, changed its status, dismissed a
 *   suggestion) after the customer's message: the draft waits for them;
 * - `human_owner`: a human owns the conversation — it is assigned to a staff member, or a staff
 *   member replied since it was (re)opened: the assistant never sends by itself there;
 * - `email_address_bounced`: the contact's email address hard-bounced (or reported spam): a staff
 *   member decides whether to write to it anyway (`force: true`).
 */
export const AI_SUGGEST_REASONS = [
  'mode_suggest',
  'low_confidence',
  'too_complex',
  'vip_contact',
  'channel_not_allowed',
  'whatsapp_window_closed',
  'human_active',
  'human_owner',
  'email_address_bounced',
] as const;
/** One of {@link AI_SUGGEST_REASONS}. */
export type AiSuggestReason = (typeof AI_SUGGEST_REASONS)[number];

/** Why the assistant does nothing: the org switched it off, or this conversation's `aiAssist` is off. */
export type AiNoneReason = 'assistant_disabled' | 'ai_assist_off';

/** Hand-off reason used when the model hands off without saying why. */
export const DEFAULT_HANDOFF_REASON = 'handoff_requested';
/** Hand-off reason for a draft whose reply is empty or blank (nothing could be sent). */
export const EMPTY_DRAFT_HANDOFF_REASON = 'empty_draft';

/**
 * What to do with a draft:
 * - `auto_send`: send the reply as the AI after `sendAtDelaySeconds` (0 = now) unless a human acts first;
 * - `suggest`: store it for staff; `reasons` lists every failed auto-send rule (never empty);
 * - `hand_off`: open the conversation for a human with `needs_human`; `reason` is the model's
 *   `handoffReason` (trimmed), {@link DEFAULT_HANDOFF_REASON} or {@link EMPTY_DRAFT_HANDOFF_REASON};
 * - `none`: the assistant stays out of this conversation.
 */
export type AiDecision =
  | { action: 'auto_send'; sendAtDelaySeconds: number }
  | { action: 'suggest'; reasons: AiSuggestReason[] }
  | { action: 'hand_off'; reason: string }
  | { action: 'none'; reason: AiNoneReason };

/** Everything {@link decideAiAction} looks at. */
export interface AiDecisionInput {
  config: AiAssistantConfig;
  /** The conversation's own `aiAssist` switch. */
  conversationAiAssist: boolean;
  /** Whether the contact is marked VIP. */
  contactVip: boolean;
  channelKind: ChannelKind;
  /**
   * Whether a free-form reply is allowed now (see `isFreeFormReplyAllowed`); only looked at on kinds whose
   * free-form messages need an open window (`freeFormNeedsOpenWindow`: WhatsApp).
   */
  whatsappWindowOpen: boolean;
  /** A human acted on the conversation since the message being answered (default false). */
  humanActive?: boolean;
  /** A human owns the conversation: assigned to staff, or a staff reply since it was (re)opened (default false). */
  humanOwner?: boolean;
  /**
   * The contact's email address hard-bounced (`contacts.email_bounced_at`; only counts on kinds with
   * `capabilities.addressBounces`: email; default false).
   */
  contactEmailBounced?: boolean;
  draft: AiDraft;
}

/**
 * Maps config + conversation + contact + channel + draft to one {@link AiDecision}. First match wins:
 * 1. assistant disabled → `none` (`assistant_disabled`); conversation `aiAssist` off → `none` (`ai_assist_off`);
 * 2. the draft asks for a hand-off → `hand_off` (the model's reason, or {@link DEFAULT_HANDOFF_REASON});
 * 3. the reply is empty or blank → `hand_off` ({@link EMPTY_DRAFT_HANDOFF_REASON}): there is nothing to send or suggest;
 * 4. every auto-send rule holds — mode `auto`, confidence ≥ `autoSendConfidence` (inclusive),
 *    complexity ≤ `maxAutoSendComplexity` (inclusive), contact not VIP, channel in the allow-list,
 *    the window open (kinds whose free-form messages need one: WhatsApp), no human acted since the
 *    message, no human owns the conversation, and the address did not hard-bounce (kinds with
 *    `capabilities.addressBounces`: email) → `auto_send` after `autoSendDelaySeconds`;
 * 5. otherwise → `suggest`, listing every failed rule in {@link AI_SUGGEST_REASONS} order.
 * A channel outside the allow-list therefore still gets suggestions (if the conversation's
 * `aiAssist` is on), never auto-sends.
 */
export function decideAiAction(input: AiDecisionInput): AiDecision {
  const { config, draft } = input;
  if (!config.enabled) return { action: 'none', reason: 'assistant_disabled' };
  if (!input.conversationAiAssist) return { action: 'none', reason: 'ai_assist_off' };
  if (draft.handoff) return { action: 'hand_off', reason: draft.handoffReason?.trim() || DEFAULT_HANDOFF_REASON };
  if (draft.reply.trim() === '') return { action: 'hand_off', reason: EMPTY_DRAFT_HANDOFF_REASON };

  const failed: Record<AiSuggestReason, boolean> = {
    mode_suggest: config.mode !== 'auto',
    // `!(a >= b)` so that a NaN confidence counts as too low
    low_confidence: !(draft.confidence >= config.autoSendConfidence),
    too_complex: complexityRank(draft.complexity) > complexityRank(config.maxAutoSendComplexity),
    vip_contact: input.contactVip,
    channel_not_allowed: !config.channels.includes(input.channelKind),
    whatsapp_window_closed: kindSpec(input.channelKind).freeFormNeedsOpenWindow && !input.whatsappWindowOpen,
    human_active: input.humanActive === true,
    human_owner: input.humanOwner === true,
    email_address_bounced: kindSpec(input.channelKind).capabilities.addressBounces && input.contactEmailBounced === true,
  };
  const reasons = AI_SUGGEST_REASONS.filter((r) => failed[r]);
  if (reasons.length > 0) return { action: 'suggest', reasons };
  return { action: 'auto_send', sendAtDelaySeconds: config.autoSendDelaySeconds };
}

/**
 * What became of a suggestion (`ai_suggestions.status`):
 * - `pending`: waiting for staff to send, edit or dismiss it;
 * - `scheduled`: an auto-send held for `autoSendDelay` (a human action cancels the send; it then stays as `pending`);
 * - `sent`: staff sent it (maybe edited); `auto_sent`: the assistant sent it itself;
 * - `answered`: staff replied in their own words while it was pending (a training pair is kept);
 * - `dismissed`: staff dismissed it; `superseded`: a newer customer message replaced it;
 * - `cancelled`: the conversation was closed before anyone used it;
 * - `handed_off`: the draft handed the conversation to a human (never sendable);
 * - `failed`: no usable draft — the model refused, its output was unusable, or OpenAI stayed
 *   unavailable after the retries (`reasons` holds one of {@link AI_FAILURE_REASONS}; never sendable).
 */
export const AI_SUGGESTION_STATUSES = [
  'pending',
  'scheduled',
  'sent',
  'auto_sent',
  'answered',
  'dismissed',
  'superseded',
  'cancelled',
  'handed_off',
  'failed',
] as const;
/** One of {@link AI_SUGGESTION_STATUSES}. */
export type AiSuggestionStatus = (typeof AI_SUGGESTION_STATUSES)[number];

/**
 * What a suggestion row records as its `decision`: the {@link AiDecision} actions that store a row,
 * plus `failed` (no draft to decide on; see {@link AI_FAILURE_REASONS}).
 */
export const AI_SUGGESTION_DECISIONS = ['auto_send', 'suggest', 'hand_off', 'failed'] as const;
/** One of {@link AI_SUGGESTION_DECISIONS}. */
export type AiSuggestionDecision = (typeof AI_SUGGESTION_DECISIONS)[number];

/**
 * Why the assistant produced no draft (a `failed` suggestion's only reason):
 * - `refusal`: the model refused to answer (OpenAI `message.refusal`);
 * - `invalid_output`: the model's answer was unusable (no choice, no content, not JSON, or not a valid draft);
 * - `unavailable`: OpenAI could not be used — retries ran out (429 / 5xx / timeouts), or it rejected the
 *   request (401 / 403 / 404 / 400, e.g. a bad key or model).
 */
export const AI_FAILURE_REASONS = ['refusal', 'invalid_output', 'unavailable'] as const;

/**
 * `ApplicationFailure` types of the draft / agent activities that classify a failure (shared by the
 * activities that throw them and the workflow that records a `failed` suggestion):
 * the model refused (`refusal`), or its content is not a valid draft / agent step (`invalid_output`).
 */
export const AI_REFUSAL = 'AiRefusal';
export const INVALID_AI_DRAFT = 'InvalidAiDraft';
export const INVALID_AGENT_STEP = 'InvalidAgentStep';
/** One of {@link AI_FAILURE_REASONS}. */
export type AiFailureReason = (typeof AI_FAILURE_REASONS)[number];

/**
 * Whether the assistant can do anything on a conversation at all: the server has an OpenAI key
 * (`available`), the org enabled it, and the conversation's effective AI-assist switch is on
 * ({@link effectiveAiAssist}). When `false`, an inbound message runs no AI activity.
 */
export function assistantActive(config: AiAssistantConfig, available: boolean, channelKind: ChannelKind, own: boolean | null): boolean {
  return available && config.enabled && effectiveAiAssist(config, channelKind, own);
}

/** The author id of messages, notes and todos the assistant writes (`author_type` is `ai`). */
export const AI_ASSISTANT_AUTHOR_ID = 'ai-assistant';

/**
 * A conversation's effective AI-assist switch: its own setting when set, else the org's default
 * (the assistant enabled and the channel in `channels`).
 */
export function effectiveAiAssist(config: AiAssistantConfig, channelKind: ChannelKind, own: boolean | null): boolean {
  if (own !== null) return own;
  return config.enabled && config.channels.includes(channelKind);
}
