/**
 * Conversation lifecycle rules: the pure heart of the conversation workflow.
 *
 * Every function here takes the current {@link ConversationState} and an input, and returns the
 * next state (never mutating its argument). Times are passed in as epoch milliseconds (`nowMs`)
 * and stored as ISO-8601 UTC strings so the state reads well in the Temporal UI and in Postgres.
 * Nothing here does I/O or depends on Temporal; `workflows/conversation/workflow.ts` calls these and
 * the unit tests in `test/unit/` pin them down.
 */
import { DomainError } from './errors';
import { type ChannelKind, isFreeFormReplyAllowed, sessionExpiresAt } from './channels';
import { type SlaClocks, type SlaPolicy, slaDueAt } from './sla';

/** Every conversation status (see {@link ConversationStatus}); new conversations start `open`. */
export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'closed'] as const;
/** open = needs the team; pending = waiting on the customer; snoozed = hidden until a time or reply; closed = done. */
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/** Conversation priorities, lowest first; new conversations are `normal`. */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
/** One of {@link PRIORITIES}. */
export type Priority = (typeof PRIORITIES)[number];

/** Why a conversation was closed: by a person, or automatically when a pending session lapsed. */
export type ClosedReason = 'closed_by_staff' | 'session_expired';

/** Maximum length (UTF-16 code units, ellipsis included) of the conversation's last-message preview. */
export const PREVIEW_LENGTH = 140;

/**
 * The small, complete state of one conversation that its workflow owns and persists.
 * No message bodies beyond the short preview; timestamps are ISO-8601 UTC strings.
 */
export interface ConversationState {
  conversationId: string;
  orgId: string;
  channelId: string;
  channelKind: ChannelKind;
  contactId: string;
  status: ConversationStatus;
  /** Set while snoozed with a wake-up time; `null` = snoozed until the customer's next message. */
  snoozedUntil: string | null;
  assigneeId: string | null;
  /**
   * The team the conversation is assigned to; `null` = none. Optional: states written before teams
   * existed lack it (read as `null`, see {@link teamIdOf}).
   */
  teamId?: string | null;
  tags: string[];
  priority: Priority;
  subject: string | null;
  unreadCount: number;
  lastMessagePreview: string | null;
  lastActivityAt: string;
  lastCustomerMessageAt: string | null;
  /** End of the channel's session window (WhatsApp 24 h, SMS 4 h); `null` if none is running. */
  sessionExpiresAt: string | null;
  /** True once a session window has lapsed without a new customer message. */
  sessionExpired: boolean;
  /** When the waiting customer message becomes overdue; `null` when nobody is waiting. */
  slaDueAt: string | null;
  overdue: boolean;
  /** Whether any staff (or AI) reply was ever sent: selects first- vs next-response SLA. */
  hasStaffReplied: boolean;
  closedReason: ClosedReason | null;
  /** The conversation's own AI-assist switch; `null` = the org's default (see `effectiveAiAssist`). */
  aiAssist: boolean | null;
  /** The AI assistant handed the conversation off: a human should take it. Cleared by a staff reply or closing. */
  needsHuman: boolean;
  /**
   * SLA clocks in business time (response and resolution; see `applySla` in domain/sla.ts). Absent in
   * states written before business-hours SLAs (patch `sla-business-hours`) and in runs from before it.
   */
  slaClocks?: SlaClocks;
}

/**
 * A customer's address as a carrier webhook gave it (normalised by the kind's spec), to find or
 * create their contact: `address` (E.164 for sms / whatsapp, a Telegram chat id, …), or `phone` in
 * start inputs written before `address` existed (E.164; read as the address).
 */
export interface CustomerAddress {
  kind: ChannelKind;
  /** The normalised address on `kind`. */
  address?: string;
  /** E.164, e.g. `+15551234567` (older start inputs; new ones set `address`). */
  phone?: string;
  /** The sender's display name (WhatsApp `ProfileName`, Telegram first / last name): the name of a contact created from this message. */
  profileName?: string | null;
}

/** The address of a {@link CustomerAddress} (`address`, else the older `phone`); `null` when neither is set. */
export function customerAddressOf(customer: CustomerAddress): string | null {
  return customer.address ?? customer.phone ?? null;
}

/**
 * What a new conversation needs to exist (the workflow's start input). Either `contactId` (the
 * API and runs started before contact resolution moved into the workflow) or `customer` (carrier
 * webhooks, which must not need Postgres): the run's first activity then finds or creates the
 * contact; when the conversation row already exists its stored contact wins.
 */
export interface NewConversation {
  conversationId: string;
  orgId: string;
  channelId: string;
  channelKind: ChannelKind;
  contactId?: string;
  customer?: CustomerAddress;
  subject?: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (value: string | null): number | null => (value === null ? null : Date.parse(value));

/** Cuts a message text down to the list preview (single line, at most {@link PREVIEW_LENGTH} chars). */
export function previewOf(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine.length <= PREVIEW_LENGTH) return oneLine;
  let cut = '';
  for (const char of oneLine) {
    // iterate by code point so a surrogate pair (emoji) is never split
    if (cut.length + char.length > PREVIEW_LENGTH - 1) break;
    cut += char;
  }
  return `${cut}…`;
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses an ISO-8601 / RFC 3339 date-time that carries a zone (`Z` or `±hh:mm`), e.g.
 * `2026-01-02T09:00:00Z`. Impossible calendar dates (Feb 30) and zone-less or other formats are rejected.
 * @returns epoch ms, or `null` when invalid
 */
export function parseIsoDateTime(value: string): number | null {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

/**
 * The state of a conversation that has just been created (status `open`, nothing received yet).
 * `contactId` is `''` until resolved when `input` carries only the `customer` (the workflow's
 * placeholder before its first load; never stored).
 */
export function newConversationState(input: NewConversation, nowMs: number): ConversationState {
  return {
    conversationId: input.conversationId,
    orgId: input.orgId,
    channelId: input.channelId,
    channelKind: input.channelKind,
    contactId: input.contactId ?? '',
    status: 'open',
    snoozedUntil: null,
    assigneeId: null,
    teamId: null,
    tags: [],
    priority: 'normal',
    subject: input.subject ?? null,
    unreadCount: 0,
    lastMessagePreview: null,
    lastActivityAt: iso(nowMs),
    lastCustomerMessageAt: null,
    sessionExpiresAt: null,
    sessionExpired: false,
    slaDueAt: null,
    overdue: false,
    hasStaffReplied: false,
    closedReason: null,
    aiAssist: null,
    needsHuman: false,
  };
}

/**
 * A customer message arrived: unread count up, status `open` from any status (a closed or
 * snoozed conversation reopens, the snooze is cancelled), the session window restarts, and the
 * SLA clock starts unless it is already running for an earlier unanswered message. A conversation
 * without a subject takes `subject` (an email's) when given.
 *
 * `autoReply: true` (RFC 3834 automatic mail, e.g. an out-of-office answer): only the unread count,
 * preview and last activity change — the status (closed stays closed, snoozed stays snoozed), the
 * snooze, the SLA clock, the session window and `lastCustomerMessageAt` are kept.
 */
export function applyInboundMessage(
  state: ConversationState,
  input: { text: string; receivedAtMs: number; sla: SlaPolicy; subject?: string | null; autoReply?: boolean },
): ConversationState {
  if (input.autoReply === true) {
    // RFC 3834 automatic mail (out-of-office, …): shown, but no reopen, no SLA clock, no window change
    return {
      ...state,
      unreadCount: state.unreadCount + 1,
      lastMessagePreview: previewOf(input.text),
      lastActivityAt: iso(input.receivedAtMs),
    };
  }
  const expires = sessionExpiresAt(state.channelKind, input.receivedAtMs);
  return {
    ...state,
    status: 'open',
    snoozedUntil: null,
    closedReason: null,
    unreadCount: state.unreadCount + 1,
    lastMessagePreview: previewOf(input.text),
    lastActivityAt: iso(input.receivedAtMs),
    lastCustomerMessageAt: iso(input.receivedAtMs),
    sessionExpiresAt: expires === null ? null : iso(expires),
    sessionExpired: false,
    slaDueAt: state.slaDueAt ?? iso(slaDueAt(input.sla, input.receivedAtMs, state.hasStaffReplied)),
    // a conversation without a subject adopts the first one it sees (an email's Subject)
    subject: state.subject ?? (input.subject?.trim() || null),
  };
}

/**
 * Checks that a reply may be sent now: free-form text, or (`isTemplate`) a rendered approved template,
 * which WhatsApp accepts at any time.
 * @throws DomainError `whatsapp_session_expired` (422) for WhatsApp outside the 24 h window
 *   (Twilio would fail it asynchronously with error 63016); `empty_message` (400) for blank text.
 */
export function assertCanReply(
  state: ConversationState,
  input: { text: string; isInternalNote: boolean; nowMs: number; isTemplate?: boolean },
): void {
  if (input.text.trim() === '') throw new DomainError('empty_message', 'Message text must not be empty', 400);
  // Approved templates are what WhatsApp allows outside the customer service window.
  if (input.isInternalNote || input.isTemplate === true) return;
  if (!isFreeFormReplyAllowed(state.channelKind, ms(state.sessionExpiresAt), input.nowMs)) {
    throw new DomainError(
      'whatsapp_session_expired',
      'The WhatsApp 24-hour session window has closed (or was never opened by the customer): a free-form reply is not allowed; send an approved message template instead.',
      422,
      { sessionExpiresAt: state.sessionExpiresAt },
    );
  }
}

/**
 * A staff (or AI) reply was recorded for sending: the conversation waits on the customer
 * (`pending`), unread count resets, the SLA clock and overdue flag clear.
 * An internal note only bumps activity: no status or SLA change.
 */
export function applyStaffReply(
  state: ConversationState,
  input: { text: string; isInternalNote: boolean; sentAtMs: number; subject?: string | null },
): ConversationState {
  if (input.isInternalNote) return { ...state, lastActivityAt: iso(input.sentAtMs) };
  return {
    ...state,
    status: 'pending',
    snoozedUntil: null,
    closedReason: null,
    unreadCount: 0,
    lastMessagePreview: previewOf(input.text),
    lastActivityAt: iso(input.sentAtMs),
    slaDueAt: null,
    overdue: false,
    hasStaffReplied: true,
    // a human (or the assistant itself) answered: the hand-off is taken care of
    needsHuman: false,
    subject: state.subject ?? (input.subject?.trim() || null),
  };
}

/**
 * The AI assistant hands the conversation to a human: status `open` (a snooze is cancelled) and the
 * `needsHuman` marker set. The SLA clock is left as it is (the customer is still waiting).
 */
export function applyHandOff(state: ConversationState): ConversationState {
  return { ...state, status: 'open', snoozedUntil: null, closedReason: null, needsHuman: true };
}

/** A requested status change: `until` (ISO-8601) only with `snoozed`. */
export interface StatusChange {
  status: ConversationStatus;
  until?: string | null;
}

/**
 * Checks a status change before anything is recorded.
 * @throws DomainError `invalid_snooze` (400) when `until` is not a valid ISO-8601 time strictly in
 *   the future, or is given with a status other than `snoozed`.
 */
export function assertValidStatusChange(change: StatusChange, nowMs: number): void {
  if (change.until === undefined || change.until === null) return;
  if (change.status !== 'snoozed') {
    throw new DomainError('invalid_snooze', '`until` is only allowed with status "snoozed"', 400);
  }
  const untilMs = parseIsoDateTime(change.until);
  if (untilMs === null) {
    throw new DomainError('invalid_snooze', '`until` must be an ISO-8601 date-time with a zone, e.g. 2026-01-02T09:00:00Z', 400);
  }
  if (untilMs <= nowMs) {
    throw new DomainError('invalid_snooze', '`until` must be in the future', 400, { until: change.until, now: iso(nowMs) });
  }
}

/**
 * Applies a validated status change. Snoozing sets (or clears) the wake-up time and keeps the SLA
 * clock running (a customer who is waiting is still waiting); closing records `closed_by_staff`
 * and stops the SLA clock (nobody is waiting any more; the customer's next message restarts it);
 * re-opening keeps the unread count.
 */
export function applyStatusChange(state: ConversationState, change: StatusChange): ConversationState {
  const base = { ...state, status: change.status };
  switch (change.status) {
    case 'snoozed':
      return { ...base, snoozedUntil: change.until ? iso(Date.parse(change.until)) : null, closedReason: null };
    case 'closed':
      return {
        ...base,
        snoozedUntil: null,
        closedReason: 'closed_by_staff',
        slaDueAt: null,
        overdue: false,
        unreadCount: 0,
        needsHuman: false,
      };
    default:
      return { ...base, snoozedUntil: null, closedReason: null };
  }
}

/** The team of a state (`null` for states written before teams existed). */
export function teamIdOf(state: ConversationState): string | null {
  return state.teamId ?? null;
}

/** Changes to assignee, team, tags, priority, subject or AI assist (each optional; `undefined` = unchanged). */
export interface AttributeChange {
  assigneeId?: string | null;
  /** A team id of the org, or `null` = no team. */
  teamId?: string | null;
  tags?: string[];
  priority?: Priority;
  subject?: string | null;
  /** `true`/`false` = this conversation's own switch; `null` = back to the org's default. */
  aiAssist?: boolean | null;
}

/** Limits on conversation attributes (the API's schemas enforce the same). */
export const ATTRIBUTE_LIMITS = { maxTags: 50, maxTagLength: 64, maxSubjectLength: 500 } as const;

/**
 * Checks an attribute change before anything is recorded.
 * @throws DomainError `invalid_attributes` (400) for an unknown priority, too many / empty / too
 *   long tags, a too long subject, or an empty assignee or team id
 */
export function assertValidAttributes(change: AttributeChange): void {
  const fail = (message: string): never => {
    throw new DomainError('invalid_attributes', message, 400);
  };
  if (change.priority !== undefined && !(PRIORITIES as readonly string[]).includes(change.priority))
    fail(`unknown priority "${change.priority}"`);
  if (change.tags !== undefined) {
    if (change.tags.length > ATTRIBUTE_LIMITS.maxTags) fail(`at most ${ATTRIBUTE_LIMITS.maxTags} tags`);
    for (const tag of change.tags) {
      if (typeof tag !== 'string' || tag.trim() === '' || tag.length > ATTRIBUTE_LIMITS.maxTagLength)
        fail('tags must be non-empty strings of at most 64 characters');
    }
  }
  if (change.subject !== undefined && change.subject !== null && change.subject.length > ATTRIBUTE_LIMITS.maxSubjectLength)
    fail('subject is too long');
  if (change.assigneeId !== undefined && change.assigneeId !== null && change.assigneeId.trim() === '')
    fail('assigneeId must not be empty');
  if (change.teamId !== undefined && change.teamId !== null && change.teamId.trim() === '') fail('teamId must not be empty');
}

/** Normalises tags: trimmed, lower-cased, de-duplicated, empty ones dropped, sorted. */
export function normalizeTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter((t) => t !== ''))].sort();
}

/** Applies assignee / team / tags / priority / subject / AI-assist changes. */
export function applyAttributes(state: ConversationState, change: AttributeChange): ConversationState {
  return {
    ...state,
    ...(change.assigneeId !== undefined ? { assigneeId: change.assigneeId } : {}),
    ...(change.teamId !== undefined ? { teamId: change.teamId } : {}),
    ...(change.tags !== undefined ? { tags: normalizeTags(change.tags) } : {}),
    ...(change.priority !== undefined ? { priority: change.priority } : {}),
    ...(change.subject !== undefined ? { subject: change.subject } : {}),
    ...(change.aiAssist !== undefined ? { aiAssist: change.aiAssist } : {}),
  };
}

/** The deadlines a conversation waits for; each is epoch ms or `null`. */
export interface Deadlines {
  snoozeWakeAt: number | null;
  sessionExpiresAt: number | null;
  slaDueAt: number | null;
}

/** Deadlines derived from state: snooze wake-up, session-window end (until expired), SLA (until overdue). */
export function deadlinesOf(state: ConversationState): Deadlines {
  return {
    snoozeWakeAt: state.status === 'snoozed' ? ms(state.snoozedUntil) : null,
    sessionExpiresAt: state.sessionExpired ? null : ms(state.sessionExpiresAt),
    slaDueAt: state.overdue ? null : ms(state.slaDueAt),
  };
}

/** The earliest pending deadline (epoch ms), or `null` if there is nothing to wait for. */
export function nextDeadline(state: ConversationState): number | null {
  const all = Object.values(deadlinesOf(state)).filter((d): d is number => d !== null);
  return all.length === 0 ? null : Math.min(...all);
}

/**
 * Fires every deadline that is due at `nowMs` (deadline ≤ now):
 * - snooze wake-up → status `open`;
 * - session window end → `sessionExpired`; a `pending` conversation closes with `session_expired`
 *   (an `open` or `snoozed` one keeps its status);
 * - SLA due → `overdue`.
 * Returns the same object when nothing was due, so callers can compare by reference.
 */
export function applyDueDeadlines(state: ConversationState, nowMs: number): ConversationState {
  const due = deadlinesOf(state);
  let next = state;
  if (due.snoozeWakeAt !== null && due.snoozeWakeAt <= nowMs) {
    next = { ...next, status: 'open', snoozedUntil: null };
  }
  if (due.sessionExpiresAt !== null && due.sessionExpiresAt <= nowMs) {
    next = { ...next, sessionExpired: true };
    if (next.status === 'pending') next = { ...next, status: 'closed', closedReason: 'session_expired' };
  }
  if (due.slaDueAt !== null && due.slaDueAt <= nowMs) {
    next = { ...next, overdue: true };
  }
  return next;
}
