/**
 * `sessionStatusOf` (domain/session-status.ts): every rule and its precedence. The SQL twin
 * (`db/personal-state.ts` `sessionStatusSql`) is checked against this function in
 * test/api/personal-state.test.ts.
 */
import { CONVERSATION_STATUSES } from '../../domain/conversation';
import { SESSION_STATUSES, type SessionStatusInput, sessionStatusOf } from '../../domain/session-status';

const base: SessionStatusInput = { status: 'open', closedReason: null, needsHuman: false, unansweredCount: 0, hasStaffReplied: false };
const of = (overrides: Partial<SessionStatusInput>) => sessionStatusOf({ ...base, ...overrides });

test.each<[string, Partial<SessionStatusInput>, string]>([
  ['closed by a lapsed session window', { status: 'closed', closedReason: 'session_expired' }, 'expired'],
  ['closed by staff', { status: 'closed', closedReason: 'closed_by_staff' }, 'completed'],
  ['closed without a reason (older rows)', { status: 'closed', closedReason: null }, 'completed'],
  [
    'expired wins over needsHuman and unanswered messages',
    { status: 'closed', closedReason: 'session_expired', needsHuman: true, unansweredCount: 3 },
    'expired',
  ],
  ['completed wins over needsHuman', { status: 'closed', closedReason: 'closed_by_staff', needsHuman: true }, 'completed'],
  ['handed off while open', { status: 'open', needsHuman: true, unansweredCount: 1 }, 'needs_human'],
  ['handed off, then set pending by staff without a reply', { status: 'pending', needsHuman: true, hasStaffReplied: true }, 'needs_human'],
  ['handed off, then snoozed', { status: 'snoozed', needsHuman: true }, 'needs_human'],
  ['pending (after a staff or AI reply)', { status: 'pending', hasStaffReplied: true }, 'waiting_reply'],
  ['pending set by staff before any reply', { status: 'pending' }, 'waiting_reply'],
  ['pending even with an unanswered automatic reply', { status: 'pending', unansweredCount: 1, hasStaffReplied: true }, 'waiting_reply'],
  ['open, the customer waiting', { status: 'open', unansweredCount: 1 }, 'active'],
  ['open, the customer waiting after earlier replies', { status: 'open', unansweredCount: 2, hasStaffReplied: true }, 'active'],
  [
    'open, our reply was the last word (staff re-opened it)',
    { status: 'open', unansweredCount: 0, hasStaffReplied: true },
    'waiting_reply',
  ],
  ['open, nothing exchanged yet (staff started it)', { status: 'open' }, 'active'],
  ['snoozed, the customer waiting', { status: 'snoozed', unansweredCount: 1 }, 'active'],
  ['snoozed after our reply', { status: 'snoozed', hasStaffReplied: true }, 'waiting_reply'],
])('%s', (_name, input, expected) => {
  expect(of(input)).toBe(expected);
});

test('total: every combination gives one of the five statuses, and closed ones only expired / completed', () => {
  for (const status of CONVERSATION_STATUSES)
    for (const closedReason of [null, 'closed_by_staff', 'session_expired'] as const)
      for (const needsHuman of [false, true])
        for (const unansweredCount of [0, 1, 5])
          for (const hasStaffReplied of [false, true]) {
            const s = sessionStatusOf({ status, closedReason, needsHuman, unansweredCount, hasStaffReplied });
            expect(SESSION_STATUSES).toContain(s);
            expect(status === 'closed').toBe(s === 'expired' || s === 'completed');
            if (status !== 'closed' && needsHuman) expect(s).toBe('needs_human');
          }
});
