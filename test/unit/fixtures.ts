/**
 * Shared helpers for the domain unit tests: fixed clock values, a conversation state factory
 * and small wrappers around the rules. No real clock is used anywhere in test/unit/.
 */
import type { ChannelKind } from '../../domain/channels';
import { type ConversationState, applyInboundMessage, applyStaffReply, newConversationState } from '../../domain/conversation';
import { DomainError } from '../../domain/errors';
import type { SlaPolicy } from '../../domain/sla';

/** Fixed "now" for the tests: 2026-01-01T00:00:00.000Z. */
export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** Epoch ms → ISO-8601 UTC string (the form the state stores). */
export const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** SLA policy used by the tests: 60 min first response, 240 min next response (the defaults). */
export const SLA: SlaPolicy = { firstResponseMinutes: 60, nextResponseMinutes: 240 };

/** A fresh WhatsApp conversation created at {@link T0} (status `open`), with optional field overrides. */
export function makeState(overrides: Partial<ConversationState> = {}): ConversationState {
  const channelKind: ChannelKind = overrides.channelKind ?? 'whatsapp';
  const base = newConversationState(
    {
      conversationId: 'conv-1',
      orgId: 'org-1',
      channelId: 'chan-1',
      channelKind,
      contactId: 'contact-1',
    },
    T0,
  );
  return freeze({ ...base, ...overrides });
}

/** A customer message received at `atMs`. */
export function inbound(state: ConversationState, atMs: number, text = 'Hello, I need help', sla: SlaPolicy = SLA): ConversationState {
  return freeze(applyInboundMessage(state, { text, receivedAtMs: atMs, sla }));
}

/** A staff reply (not an internal note) sent at `atMs`. */
export function reply(state: ConversationState, atMs: number, text = 'Happy to help!'): ConversationState {
  return freeze(applyStaffReply(state, { text, isInternalNote: false, sentAtMs: atMs }));
}

/** An internal note written at `atMs`. */
export function note(state: ConversationState, atMs: number, text = 'Checking with billing'): ConversationState {
  return freeze(applyStaffReply(state, { text, isInternalNote: true, sentAtMs: atMs }));
}

/**
 * Deep-freezes a value so that any mutation by the code under test throws (test files are
 * compiled in strict mode), proving the rules never mutate their argument.
 */
export function freeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) freeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Runs `fn`, expecting it to throw a {@link DomainError}; returns the error for assertions. */
export function catchDomainError(fn: () => void): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError to be thrown, but nothing was thrown');
}
