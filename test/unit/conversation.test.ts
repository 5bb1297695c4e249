import {
  CONVERSATION_STATUSES,
  type ConversationState,
  type ConversationStatus,
  PREVIEW_LENGTH,
  applyAttributes,
  assertValidAttributes,
  teamIdOf,
  applyDueDeadlines,
  applyHandOff,
  applyInboundMessage,
  applyStaffReply,
  applyStatusChange,
  assertCanReply,
  assertValidStatusChange,
  deadlinesOf,
  newConversationState,
  nextDeadline,
  normalizeTags,
  previewOf,
} from '../../domain/conversation';
import { DomainError } from '../../domain/errors';
import { HOUR, MINUTE, SLA, T0, catchDomainError, freeze, inbound, iso, makeState, note, reply } from './fixtures';

/** A conversation in `status`, with the fields that status implies. */
function inStatus(status: ConversationStatus, overrides: Partial<ConversationState> = {}): ConversationState {
  switch (status) {
    case 'snoozed':
      return makeState({ status, snoozedUntil: iso(T0 + 2 * HOUR), ...overrides });
    case 'closed':
      return makeState({ status, closedReason: 'closed_by_staff', ...overrides });
    default:
      return makeState({ status, ...overrides });
  }
}

/** Matches a string containing an unpaired UTF-16 surrogate (i.e. a broken character). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('newConversationState', () => {
  it('creates an open, empty conversation stamped with the creation time', () => {
    const state = newConversationState({ conversationId: 'c', orgId: 'o', channelId: 'ch', channelKind: 'sms', contactId: 'ct' }, T0);
    expect(state).toEqual<ConversationState>({
      conversationId: 'c',
      orgId: 'o',
      channelId: 'ch',
      channelKind: 'sms',
      contactId: 'ct',
      status: 'open',
      snoozedUntil: null,
      assigneeId: null,
      teamId: null,
      tags: [],
      priority: 'normal',
      subject: null,
      unreadCount: 0,
      lastMessagePreview: null,
      lastActivityAt: '2026-01-01T00:00:00.000Z',
      lastCustomerMessageAt: null,
      sessionExpiresAt: null,
      sessionExpired: false,
      slaDueAt: null,
      overdue: false,
      hasStaffReplied: false,
      closedReason: null,
      aiAssist: null,
      needsHuman: false,
    });
  });

  it('keeps a given subject and defaults a missing or null one to null', () => {
    const input = { conversationId: 'c', orgId: 'o', channelId: 'ch', channelKind: 'email' as const, contactId: 'ct' };
    expect(newConversationState({ ...input, subject: 'Refund request' }, T0).subject).toBe('Refund request');
    expect(newConversationState({ ...input, subject: null }, T0).subject).toBeNull();
    expect(newConversationState(input, T0).subject).toBeNull();
  });

  it('has no deadlines', () => {
    expect(nextDeadline(makeState())).toBeNull();
  });
});

describe('previewOf', () => {
  it('keeps a short single-line text as is', () => {
    expect(previewOf('Where is my order?')).toBe('Where is my order?');
  });

  it('collapses runs of whitespace (spaces, tabs, newlines) into single spaces and trims', () => {
    expect(previewOf('  Hello\n\nthere,\t\tI   need\r\nhelp  ')).toBe('Hello there, I need help');
  });

  it('returns an empty string for whitespace-only text', () => {
    expect(previewOf(' \n\t ')).toBe('');
  });

  it(`does not cut a text of exactly ${PREVIEW_LENGTH} characters`, () => {
    const text = 'x'.repeat(PREVIEW_LENGTH);
    expect(previewOf(text)).toBe(text);
  });

  it(`cuts a text of ${PREVIEW_LENGTH + 1} characters to ${PREVIEW_LENGTH} characters ending with an ellipsis`, () => {
    const text = 'abcdefghij'.repeat(14) + 'K'; // 141 chars
    const preview = previewOf(text);
    expect(PREVIEW_LENGTH).toBe(140);
    expect(preview).toHaveLength(PREVIEW_LENGTH);
    expect(preview.endsWith('…')).toBe(true);
    expect(preview.slice(0, -1)).toBe(text.slice(0, PREVIEW_LENGTH - 1));
  });

  it('measures the length after collapsing whitespace', () => {
    // 140 visible characters spread over lines with extra whitespace: fits once collapsed.
    const words = Array.from({ length: 28 }, () => 'abcd'); // 28 * 4 + 27 separators = 139
    const text = `${words.join('\n\n   ')}z`; // 140 chars once collapsed, far more before
    const collapsed = `${words.join(' ')}z`;
    expect(collapsed).toHaveLength(140);
    expect(previewOf(text)).toBe(collapsed);
  });

  it('cuts a very long text to at most 140 characters', () => {
    const preview = previewOf('lorem ipsum '.repeat(1000));
    expect(preview.length).toBeLessThanOrEqual(PREVIEW_LENGTH);
    expect(preview.endsWith('…')).toBe(true);
  });

  it('never cuts an emoji (surrogate pair) in half when truncating', () => {
    // 138 ASCII chars + "😀" (2 UTF-16 units) + more text: the cut at 139 units falls inside the emoji.
    const preview = previewOf(`${'a'.repeat(138)}😀 and then some more text`);
    expect(preview.length).toBeLessThanOrEqual(PREVIEW_LENGTH);
    expect(preview.endsWith('…')).toBe(true);
    expect(LONE_SURROGATE.test(preview)).toBe(false);
  });
});

describe('applyInboundMessage', () => {
  it('increments the unread count by one per message', () => {
    const once = inbound(makeState(), T0);
    expect(once.unreadCount).toBe(1);
    const twice = inbound(once, T0 + MINUTE);
    expect(twice.unreadCount).toBe(2);
    expect(inbound(makeState({ unreadCount: 7 }), T0).unreadCount).toBe(8);
  });

  it.each(CONVERSATION_STATUSES)('sets status open from %s', (status) => {
    const next = inbound(inStatus(status), T0 + HOUR);
    expect(next.status).toBe('open');
    expect(next.snoozedUntil).toBeNull();
    expect(next.closedReason).toBeNull();
  });

  it('cancels a timed snooze', () => {
    const snoozed = makeState({ status: 'snoozed', snoozedUntil: iso(T0 + 5 * HOUR) });
    const next = inbound(snoozed, T0 + HOUR);
    expect(next.status).toBe('open');
    expect(next.snoozedUntil).toBeNull();
    expect(deadlinesOf(next).snoozeWakeAt).toBeNull();
  });

  it('reopens a snooze-until-reply conversation (snoozedUntil null)', () => {
    const next = inbound(makeState({ status: 'snoozed', snoozedUntil: null }), T0 + HOUR);
    expect(next.status).toBe('open');
  });

  it.each(['closed_by_staff', 'session_expired'] as const)('reopens a conversation closed with %s and clears the reason', (reason) => {
    const next = inbound(makeState({ status: 'closed', closedReason: reason }), T0 + HOUR);
    expect(next.status).toBe('open');
    expect(next.closedReason).toBeNull();
  });

  it.each([
    ['whatsapp', 24 * HOUR],
    ['sms', 4 * HOUR],
  ] as const)('starts a %s session window of the channel length', (channelKind, windowMs) => {
    const next = inbound(makeState({ channelKind }), T0 + 10 * MINUTE);
    expect(next.sessionExpiresAt).toBe(iso(T0 + 10 * MINUTE + windowMs));
    expect(next.sessionExpired).toBe(false);
  });

  it.each(['email', 'chat'] as const)('has no session window on %s', (channelKind) => {
    const next = inbound(makeState({ channelKind }), T0);
    expect(next.sessionExpiresAt).toBeNull();
    expect(deadlinesOf(next).sessionExpiresAt).toBeNull();
  });

  it('restarts the session window on every customer message', () => {
    const first = inbound(makeState({ channelKind: 'whatsapp' }), T0);
    const second = inbound(first, T0 + 20 * HOUR);
    expect(second.sessionExpiresAt).toBe(iso(T0 + 44 * HOUR));

    const sms = inbound(inbound(makeState({ channelKind: 'sms' }), T0), T0 + 3 * HOUR);
    expect(sms.sessionExpiresAt).toBe(iso(T0 + 7 * HOUR));
  });

  it('resets sessionExpired and starts a fresh window after a lapse', () => {
    const lapsed = makeState({
      channelKind: 'whatsapp',
      lastCustomerMessageAt: iso(T0 - 30 * HOUR),
      sessionExpiresAt: iso(T0 - 6 * HOUR),
      sessionExpired: true,
    });
    const next = inbound(lapsed, T0);
    expect(next.sessionExpired).toBe(false);
    expect(next.sessionExpiresAt).toBe(iso(T0 + 24 * HOUR));
  });

  it('sets the preview, lastActivityAt and lastCustomerMessageAt', () => {
    const next = inbound(makeState(), T0 + 5 * MINUTE, '  Where is\n my   order?  ');
    expect(next.lastMessagePreview).toBe('Where is my order?');
    expect(next.lastActivityAt).toBe(iso(T0 + 5 * MINUTE));
    expect(next.lastCustomerMessageAt).toBe(iso(T0 + 5 * MINUTE));
  });

  it('truncates a long message for the preview', () => {
    const next = inbound(makeState(), T0, 'y'.repeat(500));
    expect(next.lastMessagePreview).toBe(`${'y'.repeat(139)}…`);
  });

  it('starts the first-response SLA clock when no staff reply was ever sent', () => {
    const next = inbound(makeState(), T0 + MINUTE);
    expect(next.slaDueAt).toBe(iso(T0 + MINUTE + 60 * MINUTE));
    expect(next.overdue).toBe(false);
  });

  it('starts the next-response SLA clock after the team has replied once', () => {
    const replied = reply(inbound(makeState(), T0), T0 + 10 * MINUTE);
    const next = inbound(replied, T0 + HOUR);
    expect(next.slaDueAt).toBe(iso(T0 + HOUR + 240 * MINUTE));
  });

  it('uses the given SLA policy', () => {
    const policy = { firstResponseMinutes: 5, nextResponseMinutes: 30 };
    const first = inbound(makeState(), T0, 'hi', policy);
    expect(first.slaDueAt).toBe(iso(T0 + 5 * MINUTE));
    const next = inbound(reply(first, T0 + MINUTE), T0 + 2 * MINUTE, 'again', policy);
    expect(next.slaDueAt).toBe(iso(T0 + 32 * MINUTE));
  });

  it('does not move the SLA clock on a second unanswered message', () => {
    const first = inbound(makeState(), T0);
    const second = inbound(first, T0 + 30 * MINUTE);
    const third = inbound(second, T0 + 59 * MINUTE);
    expect(second.slaDueAt).toBe(iso(T0 + 60 * MINUTE));
    expect(third.slaDueAt).toBe(iso(T0 + 60 * MINUTE));
  });

  it('does not move the SLA clock or clear overdue for a message after the SLA was missed', () => {
    const overdue = applyDueDeadlines(inbound(makeState(), T0), T0 + 60 * MINUTE);
    expect(overdue.overdue).toBe(true);
    const next = inbound(overdue, T0 + 2 * HOUR);
    expect(next.slaDueAt).toBe(iso(T0 + 60 * MINUTE));
    expect(next.overdue).toBe(true);
  });

  it('does not move the next-response SLA clock on a second unanswered message', () => {
    const replied = reply(inbound(makeState(), T0), T0 + 10 * MINUTE);
    const first = inbound(replied, T0 + HOUR);
    const second = inbound(first, T0 + 2 * HOUR);
    expect(second.slaDueAt).toBe(iso(T0 + HOUR + 240 * MINUTE));
  });

  it('starts a fresh SLA clock when a closed conversation is reopened by the customer', () => {
    const closed = applyStatusChange(inbound(makeState(), T0), { status: 'closed' });
    const reopened = inbound(freeze(closed), T0 + 3 * HOUR);
    expect(reopened.slaDueAt).toBe(iso(T0 + 4 * HOUR)); // still first-response: nobody replied yet
    expect(reopened.overdue).toBe(false);
  });

  it('leaves assignee, tags, priority, subject, identity and hasStaffReplied alone', () => {
    const state = makeState({ assigneeId: 'user-7', tags: ['vip'], priority: 'urgent', subject: 'Order #42', hasStaffReplied: true });
    const next = inbound(state, T0);
    expect(next).toMatchObject({
      conversationId: 'conv-1',
      orgId: 'org-1',
      channelId: 'chan-1',
      channelKind: 'whatsapp',
      contactId: 'contact-1',
      assigneeId: 'user-7',
      tags: ['vip'],
      priority: 'urgent',
      subject: 'Order #42',
      hasStaffReplied: true,
    });
  });

  it('does not mutate its argument', () => {
    const state = makeState({ status: 'closed', closedReason: 'closed_by_staff' });
    const snapshot = structuredClone(state);
    const next = applyInboundMessage(state, { text: 'hi', receivedAtMs: T0, sla: SLA });
    expect(next).not.toBe(state);
    expect(state).toEqual(snapshot);
  });
});

describe('assertCanReply', () => {
  const reply24h = (state: ConversationState, nowMs: number, isInternalNote = false): void =>
    assertCanReply(state, { text: 'Thanks for waiting', isInternalNote, nowMs });

  describe('WhatsApp 24-hour window', () => {
    const opened = inbound(makeState({ channelKind: 'whatsapp' }), T0);

    it('allows a free-form reply right after the customer message', () => {
      expect(() => reply24h(opened, T0)).not.toThrow();
    });

    it('allows a free-form reply 1 ms before the window closes', () => {
      expect(() => reply24h(opened, T0 + 24 * HOUR - 1)).not.toThrow();
    });

    it('rejects a free-form reply at exactly 24 h with whatsapp_session_expired (422)', () => {
      const error = catchDomainError(() => reply24h(opened, T0 + 24 * HOUR));
      expect(error).toBeInstanceOf(DomainError);
      expect(error.code).toBe('whatsapp_session_expired');
      expect(error.httpStatus).toBe(422);
      expect(error.details).toEqual({ sessionExpiresAt: iso(T0 + 24 * HOUR) });
      expect(error.message).toMatch(/template/i);
    });

    it('rejects a free-form reply long after the window closed', () => {
      expect(catchDomainError(() => reply24h(opened, T0 + 72 * HOUR)).code).toBe('whatsapp_session_expired');
    });

    it('rejects a free-form reply when the customer never wrote (no session ever opened)', () => {
      const error = catchDomainError(() => reply24h(makeState({ channelKind: 'whatsapp' }), T0));
      expect(error.code).toBe('whatsapp_session_expired');
      expect(error.httpStatus).toBe(422);
      expect(error.details).toEqual({ sessionExpiresAt: null });
    });

    it('rejects once the window has been marked expired by the deadline', () => {
      const lapsed = applyDueDeadlines(opened, T0 + 24 * HOUR);
      expect(lapsed.sessionExpired).toBe(true);
      expect(catchDomainError(() => reply24h(lapsed, T0 + 24 * HOUR + MINUTE)).code).toBe('whatsapp_session_expired');
    });

    it('allows replies again after a new customer message reopens the window', () => {
      const reopened = inbound(opened, T0 + 30 * HOUR);
      expect(() => reply24h(reopened, T0 + 30 * HOUR + MINUTE)).not.toThrow();
      expect(() => reply24h(reopened, T0 + 54 * HOUR - 1)).not.toThrow();
      expect(catchDomainError(() => reply24h(reopened, T0 + 54 * HOUR)).code).toBe('whatsapp_session_expired');
    });

    it('allows an internal note after the window closed', () => {
      expect(() => reply24h(opened, T0 + 48 * HOUR, true)).not.toThrow();
    });

    it('allows an internal note when the customer never wrote', () => {
      expect(() => reply24h(makeState({ channelKind: 'whatsapp' }), T0, true)).not.toThrow();
    });
  });

  it.each(['sms', 'email', 'chat'] as const)('always allows a free-form %s reply, even long after the window', (channelKind) => {
    const opened = inbound(makeState({ channelKind }), T0);
    expect(() => reply24h(opened, T0 + 4 * HOUR)).not.toThrow();
    expect(() => reply24h(opened, T0 + 30 * 24 * HOUR)).not.toThrow();
    const lapsed = applyDueDeadlines(opened, T0 + 30 * 24 * HOUR);
    expect(() => reply24h(lapsed, T0 + 30 * 24 * HOUR)).not.toThrow();
  });

  it.each(['sms', 'email', 'chat'] as const)('allows a %s reply when the customer never wrote (outbound-first)', (channelKind) => {
    expect(() => reply24h(makeState({ channelKind }), T0)).not.toThrow();
  });

  describe('blank text', () => {
    it.each(['', ' ', '\n\t  \r\n'])('rejects %j with empty_message (400)', (text) => {
      const error = catchDomainError(() => assertCanReply(inbound(makeState(), T0), { text, isInternalNote: false, nowMs: T0 }));
      expect(error.code).toBe('empty_message');
      expect(error.httpStatus).toBe(400);
    });

    it('rejects a blank internal note too', () => {
      const error = catchDomainError(() => assertCanReply(makeState(), { text: '   ', isInternalNote: true, nowMs: T0 }));
      expect(error.code).toBe('empty_message');
    });

    it.each(['sms', 'email', 'chat'] as const)('rejects a blank %s reply', (channelKind) => {
      expect(catchDomainError(() => assertCanReply(makeState({ channelKind }), { text: '', isInternalNote: false, nowMs: T0 })).code).toBe(
        'empty_message',
      );
    });
  });
});

describe('applyStaffReply', () => {
  it('moves the conversation to pending, resets unread, clears the SLA and marks hasStaffReplied', () => {
    const waiting = inbound(inbound(makeState(), T0), T0 + MINUTE);
    const next = reply(waiting, T0 + 5 * MINUTE, 'We are on it');
    expect(next).toMatchObject({
      status: 'pending',
      unreadCount: 0,
      slaDueAt: null,
      overdue: false,
      hasStaffReplied: true,
      lastMessagePreview: 'We are on it',
      lastActivityAt: iso(T0 + 5 * MINUTE),
    });
  });

  it('clears an overdue SLA', () => {
    const overdue = applyDueDeadlines(inbound(makeState(), T0), T0 + 2 * HOUR);
    expect(overdue.overdue).toBe(true);
    const next = reply(freeze(overdue), T0 + 3 * HOUR);
    expect(next.overdue).toBe(false);
    expect(next.slaDueAt).toBeNull();
    expect(deadlinesOf(next).slaDueAt).toBeNull();
  });

  it.each(CONVERSATION_STATUSES)('moves a %s conversation to pending and clears snooze and closed reason', (status) => {
    const next = reply(inStatus(status), T0 + MINUTE);
    expect(next.status).toBe('pending');
    expect(next.snoozedUntil).toBeNull();
    expect(next.closedReason).toBeNull();
  });

  it('keeps the session window and lastCustomerMessageAt', () => {
    const opened = inbound(makeState(), T0);
    const next = reply(opened, T0 + MINUTE);
    expect(next.sessionExpiresAt).toBe(opened.sessionExpiresAt);
    expect(next.lastCustomerMessageAt).toBe(opened.lastCustomerMessageAt);
    expect(next.sessionExpired).toBe(false);
  });

  it('does not mutate its argument', () => {
    const state = inbound(makeState(), T0);
    const snapshot = structuredClone(state);
    applyStaffReply(state, { text: 'x', isInternalNote: false, sentAtMs: T0 });
    expect(state).toEqual(snapshot);
  });

  describe('internal note', () => {
    it('changes neither status, SLA, overdue, unread count nor hasStaffReplied', () => {
      const waiting = inbound(inbound(makeState(), T0), T0 + MINUTE);
      const next = note(waiting, T0 + 2 * MINUTE);
      expect(next).toMatchObject({
        status: 'open',
        unreadCount: 2,
        slaDueAt: iso(T0 + 60 * MINUTE),
        overdue: false,
        hasStaffReplied: false,
      });
    });

    it('keeps an overdue flag', () => {
      const overdue = freeze(applyDueDeadlines(inbound(makeState(), T0), T0 + HOUR));
      const next = note(overdue, T0 + 2 * HOUR);
      expect(next.overdue).toBe(true);
      expect(next.slaDueAt).toBe(iso(T0 + HOUR));
    });

    it.each(CONVERSATION_STATUSES)('keeps a %s conversation in its status (a note does not wake, reopen or close)', (status) => {
      const state = inStatus(status);
      const next = note(state, T0 + MINUTE);
      expect(next.status).toBe(status);
      expect(next.snoozedUntil).toBe(state.snoozedUntil);
      expect(next.closedReason).toBe(state.closedReason);
    });

    it('only bumps lastActivityAt', () => {
      const waiting = inbound(makeState(), T0, 'customer text');
      const next = note(waiting, T0 + 3 * MINUTE, 'private note');
      expect(next).toEqual({ ...waiting, lastActivityAt: iso(T0 + 3 * MINUTE) });
      expect(next.lastMessagePreview).toBe('customer text');
    });

    it('does not make the next customer message use the next-response target', () => {
      const noted = note(inbound(makeState(), T0), T0 + MINUTE);
      const closed = freeze(applyStatusChange(noted, { status: 'closed' }));
      expect(inbound(closed, T0 + HOUR).slaDueAt).toBe(iso(T0 + 2 * HOUR)); // first-response (60 min)
    });
  });
});

describe('assertValidStatusChange', () => {
  it.each(CONVERSATION_STATUSES)('accepts %s without until', (status) => {
    expect(() => assertValidStatusChange({ status }, T0)).not.toThrow();
    expect(() => assertValidStatusChange({ status, until: null }, T0)).not.toThrow();
  });

  it.each(['open', 'pending', 'closed'] as const)('rejects until with status %s (invalid_snooze, 400)', (status) => {
    const error = catchDomainError(() => assertValidStatusChange({ status, until: iso(T0 + HOUR) }, T0));
    expect(error.code).toBe('invalid_snooze');
    expect(error.httpStatus).toBe(400);
  });

  it('accepts a snooze 1 ms in the future', () => {
    expect(() => assertValidStatusChange({ status: 'snoozed', until: iso(T0 + 1) }, T0)).not.toThrow();
  });

  it('accepts a snooze days ahead, also with a UTC offset', () => {
    expect(() => assertValidStatusChange({ status: 'snoozed', until: '2026-01-03T09:00:00Z' }, T0)).not.toThrow();
    expect(() => assertValidStatusChange({ status: 'snoozed', until: '2026-01-03T09:00:00+02:00' }, T0)).not.toThrow();
  });

  it('rejects a snooze until exactly now', () => {
    const error = catchDomainError(() => assertValidStatusChange({ status: 'snoozed', until: iso(T0) }, T0));
    expect(error.code).toBe('invalid_snooze');
    expect(error.httpStatus).toBe(400);
  });

  it('rejects a snooze until exactly now written with another UTC offset', () => {
    expect(catchDomainError(() => assertValidStatusChange({ status: 'snoozed', until: '2026-01-01T01:00:00+01:00' }, T0)).code).toBe(
      'invalid_snooze',
    );
  });

  it('rejects a snooze in the past (1 ms ago, a day ago)', () => {
    expect(catchDomainError(() => assertValidStatusChange({ status: 'snoozed', until: iso(T0 - 1) }, T0)).code).toBe('invalid_snooze');
    expect(catchDomainError(() => assertValidStatusChange({ status: 'snoozed', until: iso(T0 - 24 * HOUR) }, T0)).code).toBe(
      'invalid_snooze',
    );
  });

  it.each(['', 'tomorrow', 'not-a-date', '2026-13-01T00:00:00Z', '1767225600000'])('rejects the unparseable until %j', (until) => {
    const error = catchDomainError(() => assertValidStatusChange({ status: 'snoozed', until }, T0));
    expect(error.code).toBe('invalid_snooze');
    expect(error.httpStatus).toBe(400);
  });

  it.each([
    'Fri, 02 Jan 2026 09:00:00 GMT', // RFC 2822 / HTTP date
    'Jan 2 2026 09:00',
    '1/2/2027',
    '2026/01/02 09:00:00',
  ])('rejects the non-ISO-8601 until %j', (until) => {
    const error = catchDomainError(() => assertValidStatusChange({ status: 'snoozed', until }, T0));
    expect(error.code).toBe('invalid_snooze');
  });

  it('rejects an impossible calendar date (Feb 30) instead of rolling it over to March', () => {
    const error = catchDomainError(() => assertValidStatusChange({ status: 'snoozed', until: '2026-02-30T09:00:00Z' }, T0));
    expect(error.code).toBe('invalid_snooze');
  });
});

describe('applyStatusChange', () => {
  const waiting = inbound(makeState(), T0); // open, SLA running

  it('snoozes until a time: status snoozed, wake time stored as UTC ISO, SLA clock keeps running', () => {
    const next = applyStatusChange(waiting, { status: 'snoozed', until: iso(T0 + 3 * HOUR) });
    expect(next).toMatchObject({
      status: 'snoozed',
      snoozedUntil: iso(T0 + 3 * HOUR),
      slaDueAt: waiting.slaDueAt,
      overdue: false,
      closedReason: null,
    });
    expect(waiting.slaDueAt).not.toBeNull();
  });

  it('normalises a snooze time given with an offset to UTC', () => {
    const next = applyStatusChange(waiting, { status: 'snoozed', until: '2026-01-01T05:30:00+02:00' });
    expect(next.snoozedUntil).toBe('2026-01-01T03:30:00.000Z');
  });

  it.each([undefined, null])('snoozes until the next customer message when until is %p', (until) => {
    const next = applyStatusChange(waiting, { status: 'snoozed', until });
    expect(next.status).toBe('snoozed');
    expect(next.snoozedUntil).toBeNull();
    expect(next.slaDueAt).toBe(waiting.slaDueAt);
    expect(deadlinesOf(next).snoozeWakeAt).toBeNull();
  });

  it('replaces an earlier snooze time when snoozed again', () => {
    const first = freeze(applyStatusChange(waiting, { status: 'snoozed', until: iso(T0 + HOUR) }));
    expect(applyStatusChange(first, { status: 'snoozed', until: iso(T0 + 5 * HOUR) }).snoozedUntil).toBe(iso(T0 + 5 * HOUR));
    expect(applyStatusChange(first, { status: 'snoozed' }).snoozedUntil).toBeNull();
  });

  it('keeps an overdue flag when snoozing (the customer is still waiting)', () => {
    const overdue = freeze(applyDueDeadlines(waiting, T0 + HOUR));
    const next = applyStatusChange(overdue, { status: 'snoozed' });
    expect(next.overdue).toBe(true);
    expect(next.slaDueAt).toBe(overdue.slaDueAt);
  });

  it('a snoozed conversation with a waiting customer still becomes overdue at the SLA time', () => {
    const snoozed = freeze(applyStatusChange(waiting, { status: 'snoozed', until: iso(T0 + 5 * HOUR) }));
    expect(nextDeadline(snoozed)).toBe(Date.parse(waiting.slaDueAt!));
    expect(applyDueDeadlines(snoozed, Date.parse(waiting.slaDueAt!))).toMatchObject({ status: 'snoozed', overdue: true });
  });

  it('closes with closedReason closed_by_staff and stops the SLA', () => {
    const overdue = freeze(applyDueDeadlines(waiting, T0 + HOUR));
    const next = applyStatusChange(overdue, { status: 'closed' });
    expect(next).toMatchObject({ status: 'closed', closedReason: 'closed_by_staff', slaDueAt: null, overdue: false, snoozedUntil: null });
    expect(deadlinesOf(next).slaDueAt).toBeNull();
  });

  it('closing a snoozed conversation drops its wake-up time', () => {
    const snoozed = inStatus('snoozed');
    const next = applyStatusChange(snoozed, { status: 'closed' });
    expect(next.snoozedUntil).toBeNull();
    expect(deadlinesOf(next).snoozeWakeAt).toBeNull();
  });

  it.each(['open', 'pending'] as const)('%s clears a snooze', (status) => {
    const next = applyStatusChange(inStatus('snoozed'), { status });
    expect(next.status).toBe(status);
    expect(next.snoozedUntil).toBeNull();
    expect(nextDeadline(next)).toBeNull();
  });

  it.each(['open', 'pending'] as const)('%s clears the closed reason of a closed conversation', (status) => {
    const next = applyStatusChange(inStatus('closed', { closedReason: 'session_expired' }), { status });
    expect(next.status).toBe(status);
    expect(next.closedReason).toBeNull();
  });

  it('re-opening keeps the unread count', () => {
    const snoozed = makeState({ status: 'snoozed', unreadCount: 3 });
    expect(applyStatusChange(snoozed, { status: 'open' }).unreadCount).toBe(3);
  });

  it('keeps the session window when the status changes', () => {
    for (const status of CONVERSATION_STATUSES) {
      const next = applyStatusChange(waiting, { status });
      expect(next.sessionExpiresAt).toBe(waiting.sessionExpiresAt);
      expect(next.sessionExpired).toBe(false);
    }
  });

  it('does not mutate its argument', () => {
    const snapshot = structuredClone(waiting);
    applyStatusChange(waiting, { status: 'closed' });
    applyStatusChange(waiting, { status: 'snoozed', until: iso(T0 + HOUR) });
    expect(waiting).toEqual(snapshot);
  });
});

describe('normalizeTags', () => {
  it('trims, lower-cases, de-duplicates and sorts', () => {
    expect(normalizeTags(['  VIP ', 'billing', 'vip', 'Billing', 'Refund'])).toEqual(['billing', 'refund', 'vip']);
  });

  it('drops empty and whitespace-only tags', () => {
    expect(normalizeTags(['', '   ', '\t', 'ok'])).toEqual(['ok']);
  });

  it('returns an empty list for no tags', () => {
    expect(normalizeTags([])).toEqual([]);
    expect(normalizeTags(['', ' '])).toEqual([]);
  });

  it('does not mutate its input', () => {
    const tags = freeze(['b', 'A', 'a']);
    expect(normalizeTags(tags)).toEqual(['a', 'b']);
    expect(tags).toEqual(['b', 'A', 'a']);
  });
});

describe('applyAttributes', () => {
  const state = makeState({ assigneeId: 'user-1', tags: ['vip'], priority: 'high', subject: 'Order #42' });

  it('leaves everything unchanged for an empty change', () => {
    const next = applyAttributes(state, {});
    expect(next).toEqual(state);
  });

  it('treats explicitly undefined fields as unchanged', () => {
    const next = applyAttributes(state, { assigneeId: undefined, tags: undefined, priority: undefined, subject: undefined });
    expect(next).toEqual(state);
  });

  it('assigns and re-assigns', () => {
    expect(applyAttributes(makeState(), { assigneeId: 'user-2' }).assigneeId).toBe('user-2');
    expect(applyAttributes(state, { assigneeId: 'user-2' }).assigneeId).toBe('user-2');
  });

  it('unassigns with a null assignee', () => {
    expect(applyAttributes(state, { assigneeId: null }).assigneeId).toBeNull();
  });

  it('sets and clears the team, leaving the assignee alone (a state from before teams reads as no team)', () => {
    const { teamId: _absent, ...old } = makeState({ assigneeId: 'user-1' });
    expect(teamIdOf(old)).toBeNull();
    const teamed = applyAttributes(old, { teamId: 'team-1' });
    expect({ teamId: teamed.teamId, assigneeId: teamed.assigneeId }).toEqual({ teamId: 'team-1', assigneeId: 'user-1' });
    expect(teamIdOf(applyAttributes(teamed, { teamId: null }))).toBeNull();
    expect(applyAttributes(teamed, { assigneeId: null }).teamId).toBe('team-1');
    expect(() => assertValidAttributes({ teamId: ' ' })).toThrow('teamId must not be empty');
  });

  it('normalises tags and can clear them', () => {
    expect(applyAttributes(state, { tags: ['Urgent', ' vip ', 'urgent', ''] }).tags).toEqual(['urgent', 'vip']);
    expect(applyAttributes(state, { tags: [] }).tags).toEqual([]);
  });

  it('sets the priority', () => {
    expect(applyAttributes(state, { priority: 'urgent' }).priority).toBe('urgent');
  });

  it('sets and clears the subject', () => {
    expect(applyAttributes(state, { subject: 'New subject' }).subject).toBe('New subject');
    expect(applyAttributes(state, { subject: null }).subject).toBeNull();
  });

  it('changes only the given field', () => {
    expect(applyAttributes(state, { priority: 'low' })).toEqual({ ...state, priority: 'low' });
    expect(applyAttributes(state, { assigneeId: null })).toEqual({ ...state, assigneeId: null });
  });

  it('does not touch status, SLA, unread or activity', () => {
    const waiting = inbound(makeState(), T0);
    const next = applyAttributes(waiting, { assigneeId: 'user-3', tags: ['x'], priority: 'low', subject: 's' });
    expect(next.status).toBe(waiting.status);
    expect(next.slaDueAt).toBe(waiting.slaDueAt);
    expect(next.unreadCount).toBe(waiting.unreadCount);
    expect(next.lastActivityAt).toBe(waiting.lastActivityAt);
  });
});

describe('deadlinesOf / nextDeadline', () => {
  it('has none for a new conversation or a channel without windows and no SLA', () => {
    expect(deadlinesOf(makeState())).toEqual({ snoozeWakeAt: null, sessionExpiresAt: null, slaDueAt: null });
    expect(nextDeadline(reply(inbound(makeState({ channelKind: 'email' }), T0), T0 + MINUTE))).toBeNull();
  });

  it('lists snooze, session and SLA deadlines as epoch ms', () => {
    const state = makeState({
      status: 'snoozed',
      snoozedUntil: iso(T0 + 2 * HOUR),
      sessionExpiresAt: iso(T0 + 24 * HOUR),
      slaDueAt: iso(T0 + HOUR),
    });
    expect(deadlinesOf(state)).toEqual({ snoozeWakeAt: T0 + 2 * HOUR, sessionExpiresAt: T0 + 24 * HOUR, slaDueAt: T0 + HOUR });
  });

  it('picks the SLA when it is earliest (WhatsApp: 1 h SLA vs 24 h session)', () => {
    expect(nextDeadline(inbound(makeState({ channelKind: 'whatsapp' }), T0))).toBe(T0 + HOUR);
  });

  it('picks the session end when it is earliest (SMS 4 h session vs long SLA)', () => {
    const state = inbound(makeState({ channelKind: 'sms' }), T0, 'hi', { firstResponseMinutes: 8 * 60, nextResponseMinutes: 8 * 60 });
    expect(nextDeadline(state)).toBe(T0 + 4 * HOUR);
  });

  it('picks the snooze wake-up when it is earliest', () => {
    const state = makeState({
      status: 'snoozed',
      snoozedUntil: iso(T0 + 30 * MINUTE),
      sessionExpiresAt: iso(T0 + 24 * HOUR),
      slaDueAt: iso(T0 + HOUR),
    });
    expect(nextDeadline(state)).toBe(T0 + 30 * MINUTE);
  });

  it('waits only for the session end after a staff reply', () => {
    expect(nextDeadline(reply(inbound(makeState(), T0), T0 + MINUTE))).toBe(T0 + 24 * HOUR);
  });

  it('ignores an SLA that is already overdue', () => {
    const overdue = applyDueDeadlines(inbound(makeState(), T0), T0 + HOUR);
    expect(deadlinesOf(overdue).slaDueAt).toBeNull();
    expect(nextDeadline(overdue)).toBe(T0 + 24 * HOUR);
  });

  it('ignores a session window that has already expired', () => {
    const state = makeState({ sessionExpiresAt: iso(T0 - HOUR), sessionExpired: true, slaDueAt: iso(T0 + HOUR) });
    expect(deadlinesOf(state).sessionExpiresAt).toBeNull();
    expect(nextDeadline(state)).toBe(T0 + HOUR);
  });

  it('returns null when every deadline has fired', () => {
    const lapsed = applyDueDeadlines(inbound(makeState(), T0), T0 + 24 * HOUR);
    expect(lapsed.overdue).toBe(true);
    expect(lapsed.sessionExpired).toBe(true);
    expect(nextDeadline(lapsed)).toBeNull();
  });

  it('ignores a snooze time unless the conversation is snoozed', () => {
    const state = makeState({ status: 'open', snoozedUntil: iso(T0 + HOUR) });
    expect(deadlinesOf(state).snoozeWakeAt).toBeNull();
    expect(nextDeadline(state)).toBeNull();
  });

  it('has no snooze deadline for a snooze-until-reply', () => {
    expect(nextDeadline(makeState({ status: 'snoozed', snoozedUntil: null }))).toBeNull();
  });

  it('returns the shared instant when deadlines coincide', () => {
    const state = makeState({
      status: 'snoozed',
      snoozedUntil: iso(T0 + HOUR),
      sessionExpiresAt: iso(T0 + HOUR),
      slaDueAt: iso(T0 + HOUR),
    });
    expect(nextDeadline(state)).toBe(T0 + HOUR);
  });
});

describe('applyDueDeadlines', () => {
  describe('snooze wake-up', () => {
    const snoozed = freeze(
      applyStatusChange(reply(inbound(makeState(), T0), T0 + MINUTE), { status: 'snoozed', until: iso(T0 + 2 * HOUR) }),
    );

    it('keeps the conversation snoozed 1 ms before the wake-up (same object)', () => {
      const next = applyDueDeadlines(snoozed, T0 + 2 * HOUR - 1);
      expect(next).toBe(snoozed);
      expect(next.status).toBe('snoozed');
    });

    it('wakes the conversation to open at exactly the wake-up time', () => {
      const next = applyDueDeadlines(snoozed, T0 + 2 * HOUR);
      expect(next.status).toBe('open');
      expect(next.snoozedUntil).toBeNull();
      expect(next.closedReason).toBeNull();
    });

    it('wakes the conversation when the timer fires late', () => {
      expect(applyDueDeadlines(snoozed, T0 + 3 * HOUR).status).toBe('open');
    });

    it('keeps unread count and session while waking', () => {
      const next = applyDueDeadlines(snoozed, T0 + 2 * HOUR);
      expect(next.unreadCount).toBe(snoozed.unreadCount);
      expect(next.sessionExpiresAt).toBe(snoozed.sessionExpiresAt);
      expect(next.sessionExpired).toBe(false);
    });

    it('never wakes a snooze-until-reply', () => {
      const untilReply = makeState({ status: 'snoozed', snoozedUntil: null });
      expect(applyDueDeadlines(untilReply, T0 + 365 * 24 * HOUR)).toBe(untilReply);
    });
  });

  describe('session window lapse', () => {
    const pending = reply(inbound(makeState({ channelKind: 'whatsapp' }), T0), T0 + MINUTE);

    it('does nothing 1 ms before the window ends', () => {
      expect(applyDueDeadlines(pending, T0 + 24 * HOUR - 1)).toBe(pending);
    });

    it('closes a pending conversation with session_expired at exactly the window end', () => {
      const next = applyDueDeadlines(pending, T0 + 24 * HOUR);
      expect(next).toMatchObject({ status: 'closed', closedReason: 'session_expired', sessionExpired: true });
    });

    it('closes a pending SMS conversation after 4 h', () => {
      const sms = reply(inbound(makeState({ channelKind: 'sms' }), T0), T0 + MINUTE);
      expect(applyDueDeadlines(sms, T0 + 4 * HOUR - 1)).toBe(sms);
      expect(applyDueDeadlines(sms, T0 + 4 * HOUR)).toMatchObject({
        status: 'closed',
        closedReason: 'session_expired',
        sessionExpired: true,
      });
    });

    it('marks an open conversation expired but leaves it open', () => {
      const open = inbound(makeState(), T0, 'hi', { firstResponseMinutes: 48 * 60, nextResponseMinutes: 48 * 60 });
      const next = applyDueDeadlines(open, T0 + 24 * HOUR);
      expect(next).toMatchObject({ status: 'open', closedReason: null, sessionExpired: true, overdue: false });
    });

    it('marks a snoozed conversation expired but leaves it snoozed', () => {
      const snoozed = freeze(applyStatusChange(pending, { status: 'snoozed', until: iso(T0 + 48 * HOUR) }));
      const next = applyDueDeadlines(snoozed, T0 + 24 * HOUR);
      expect(next).toMatchObject({ status: 'snoozed', snoozedUntil: iso(T0 + 48 * HOUR), sessionExpired: true, closedReason: null });
    });

    it('marks a snooze-until-reply conversation expired but leaves it snoozed', () => {
      const snoozed = freeze(applyStatusChange(pending, { status: 'snoozed' }));
      expect(applyDueDeadlines(snoozed, T0 + 24 * HOUR)).toMatchObject({ status: 'snoozed', sessionExpired: true });
    });

    it('keeps closed_by_staff on a conversation the staff already closed', () => {
      const closed = freeze(applyStatusChange(pending, { status: 'closed' }));
      const next = applyDueDeadlines(closed, T0 + 24 * HOUR);
      expect(next).toMatchObject({ status: 'closed', closedReason: 'closed_by_staff', sessionExpired: true });
    });

    it('is reopened by the next customer message, which starts a new window', () => {
      const closed = freeze(applyDueDeadlines(pending, T0 + 24 * HOUR));
      const next = inbound(closed, T0 + 30 * HOUR);
      expect(next).toMatchObject({
        status: 'open',
        closedReason: null,
        sessionExpired: false,
        sessionExpiresAt: iso(T0 + 54 * HOUR),
        slaDueAt: iso(T0 + 30 * HOUR + 240 * MINUTE), // the team replied before: next-response target
        unreadCount: 1,
      });
    });
  });

  describe('SLA', () => {
    const waiting = inbound(makeState(), T0);

    it('is not overdue 1 ms before the due time (same object)', () => {
      expect(applyDueDeadlines(waiting, T0 + HOUR - 1)).toBe(waiting);
    });

    it('marks overdue at exactly the due time, keeping the due time and status', () => {
      const next = applyDueDeadlines(waiting, T0 + HOUR);
      expect(next).toMatchObject({ overdue: true, slaDueAt: iso(T0 + HOUR), status: 'open', sessionExpired: false });
    });
  });

  it('returns the same object when nothing is due', () => {
    const states = [
      makeState(),
      inbound(makeState(), T0),
      reply(inbound(makeState(), T0), T0 + MINUTE),
      makeState({ status: 'snoozed', snoozedUntil: iso(T0 + HOUR) }),
      makeState({ channelKind: 'email' }),
    ];
    for (const state of states) expect(applyDueDeadlines(state, T0 + 30 * MINUTE)).toBe(state);
  });

  it('is idempotent: applying again after everything fired returns the same object', () => {
    const fired = freeze(applyDueDeadlines(inbound(makeState(), T0), T0 + 24 * HOUR));
    expect(applyDueDeadlines(fired, T0 + 24 * HOUR)).toBe(fired);
    expect(applyDueDeadlines(fired, T0 + 100 * HOUR)).toBe(fired);
  });

  it('does not mutate its argument', () => {
    const state = inbound(makeState(), T0);
    const snapshot = structuredClone(state);
    applyDueDeadlines(state, T0 + 48 * HOUR);
    expect(state).toEqual(snapshot);
  });

  describe('combined deadlines', () => {
    it('fires session lapse and SLA at the same instant', () => {
      const sameInstant = inbound(makeState(), T0, 'hi', { firstResponseMinutes: 24 * 60, nextResponseMinutes: 24 * 60 });
      expect(nextDeadline(sameInstant)).toBe(T0 + 24 * HOUR);
      expect(applyDueDeadlines(sameInstant, T0 + 24 * HOUR - 1)).toBe(sameInstant);
      const next = applyDueDeadlines(sameInstant, T0 + 24 * HOUR);
      expect(next).toMatchObject({ status: 'open', sessionExpired: true, overdue: true, closedReason: null });
      expect(nextDeadline(next)).toBeNull();
    });

    it('wakes a snoozed conversation whose window lapses at the same instant, without closing it', () => {
      const snoozed = freeze(
        applyStatusChange(reply(inbound(makeState(), T0), T0 + MINUTE), { status: 'snoozed', until: iso(T0 + 24 * HOUR) }),
      );
      const next = applyDueDeadlines(snoozed, T0 + 24 * HOUR);
      expect(next).toMatchObject({ status: 'open', snoozedUntil: null, sessionExpired: true, closedReason: null });
    });

    it('fires snooze, session and SLA together at the same instant', () => {
      const all = makeState({
        status: 'snoozed',
        snoozedUntil: iso(T0 + HOUR),
        sessionExpiresAt: iso(T0 + HOUR),
        slaDueAt: iso(T0 + HOUR),
      });
      const next = applyDueDeadlines(all, T0 + HOUR);
      expect(next).toMatchObject({ status: 'open', snoozedUntil: null, sessionExpired: true, overdue: true, closedReason: null });
    });

    it('fires only the deadlines that are due', () => {
      const state = inbound(makeState(), T0); // SLA at +1 h, session at +24 h
      const next = applyDueDeadlines(state, T0 + 2 * HOUR);
      expect(next.overdue).toBe(true);
      expect(next.sessionExpired).toBe(false);
      expect(nextDeadline(next)).toBe(T0 + 24 * HOUR);
    });

    it('fires every overdue deadline when the timer is late', () => {
      const state = inbound(makeState(), T0);
      const next = applyDueDeadlines(state, T0 + 100 * HOUR);
      expect(next).toMatchObject({ overdue: true, sessionExpired: true, status: 'open' });
    });
  });
});

describe('a full conversation lifecycle', () => {
  it('runs inbound → overdue → reply → lapse → reopen → snooze → wake → close', () => {
    let state = makeState({ channelKind: 'whatsapp' });

    state = inbound(state, T0, 'Hi, my parcel is late');
    expect(state).toMatchObject({ status: 'open', unreadCount: 1, slaDueAt: iso(T0 + HOUR), sessionExpiresAt: iso(T0 + 24 * HOUR) });
    expect(nextDeadline(state)).toBe(T0 + HOUR);

    state = freeze(applyDueDeadlines(state, T0 + HOUR));
    expect(state.overdue).toBe(true);

    expect(() => assertCanReply(state, { text: 'Sorry!', isInternalNote: false, nowMs: T0 + 2 * HOUR })).not.toThrow();
    state = reply(state, T0 + 2 * HOUR, 'Sorry! Checking now.');
    expect(state).toMatchObject({ status: 'pending', unreadCount: 0, slaDueAt: null, overdue: false, hasStaffReplied: true });
    expect(nextDeadline(state)).toBe(T0 + 24 * HOUR);

    state = freeze(applyDueDeadlines(state, T0 + 24 * HOUR));
    expect(state).toMatchObject({ status: 'closed', closedReason: 'session_expired', sessionExpired: true });
    expect(catchDomainError(() => assertCanReply(state, { text: 'Hello?', isInternalNote: false, nowMs: T0 + 25 * HOUR })).code).toBe(
      'whatsapp_session_expired',
    );

    state = inbound(state, T0 + 26 * HOUR, 'Still nothing');
    expect(state).toMatchObject({ status: 'open', closedReason: null, sessionExpired: false, slaDueAt: iso(T0 + 30 * HOUR) });

    assertValidStatusChange({ status: 'snoozed', until: iso(T0 + 27 * HOUR) }, T0 + 26 * HOUR);
    state = freeze(applyStatusChange(state, { status: 'snoozed', until: iso(T0 + 27 * HOUR) }));
    expect(nextDeadline(state)).toBe(T0 + 27 * HOUR);

    state = freeze(applyDueDeadlines(state, T0 + 27 * HOUR));
    expect(state).toMatchObject({ status: 'open', snoozedUntil: null, unreadCount: 1 });

    state = freeze(applyStatusChange(state, { status: 'closed' }));
    expect(state).toMatchObject({ status: 'closed', closedReason: 'closed_by_staff' });
    expect(nextDeadline(state)).toBe(T0 + 50 * HOUR); // only the session end remains
  });
});

describe('AI hand-off and needsHuman', () => {
  it('hand-off opens the conversation (cancelling a snooze) and sets needsHuman, leaving the SLA clock alone', () => {
    const snoozed = inStatus('snoozed', { slaDueAt: iso(T0 + HOUR) });
    const next = applyHandOff(snoozed);
    expect(next).toMatchObject({ status: 'open', snoozedUntil: null, needsHuman: true, slaDueAt: iso(T0 + HOUR) });
    expect(snoozed.needsHuman).toBe(false);
  });
  it('a staff reply clears needsHuman; an internal note does not', () => {
    const handedOff = applyHandOff(makeState());
    expect(applyStaffReply(handedOff, { text: 'On it', isInternalNote: false, sentAtMs: T0 }).needsHuman).toBe(false);
    expect(applyStaffReply(handedOff, { text: 'note', isInternalNote: true, sentAtMs: T0 }).needsHuman).toBe(true);
  });
  it('closing clears needsHuman; other status changes keep it', () => {
    const handedOff = applyHandOff(makeState());
    expect(applyStatusChange(handedOff, { status: 'closed' }).needsHuman).toBe(false);
    expect(applyStatusChange(handedOff, { status: 'pending' }).needsHuman).toBe(true);
  });
  it('aiAssist is set per conversation or reset to the org default (null)', () => {
    expect(applyAttributes(makeState(), { aiAssist: true }).aiAssist).toBe(true);
    expect(applyAttributes(makeState({ aiAssist: true }), { aiAssist: null }).aiAssist).toBeNull();
    expect(applyAttributes(makeState({ aiAssist: false }), {}).aiAssist).toBe(false);
  });
});
