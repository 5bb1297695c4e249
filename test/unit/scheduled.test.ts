import { DomainError } from '../../domain/errors';
import { MAX_SCHEDULE_AHEAD_MS, type ScheduledSend, assertValidSchedule, nextScheduledSendAt } from '../../domain/scheduled';
import { isDeliveryProgress } from '../../domain/delivery';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const code = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof DomainError ? `${err.httpStatus} ${err.code}` : String(err);
  }
};

describe('assertValidSchedule', () => {
  it.each<[string, { sendAt: string; isInternalNote: boolean; authorType?: 'staff' | 'ai' }, string | null]>([
    ['a second ahead', { sendAt: '2026-03-01T12:00:01Z', isInternalNote: false }, null],
    ['with an offset: the same instant as now', { sendAt: '2026-03-01T13:00:00+01:00', isInternalNote: false }, '422 invalid_send_at'],
    ['exactly now', { sendAt: '2026-03-01T12:00:00Z', isInternalNote: false }, '422 invalid_send_at'],
    ['in the past', { sendAt: '2026-02-28T12:00:00Z', isInternalNote: false }, '422 invalid_send_at'],
    ['exactly one year ahead', { sendAt: new Date(NOW + MAX_SCHEDULE_AHEAD_MS).toISOString(), isInternalNote: false }, null],
    ['past one year', { sendAt: new Date(NOW + MAX_SCHEDULE_AHEAD_MS + 1).toISOString(), isInternalNote: false }, '422 invalid_send_at'],
    ['not a date', { sendAt: 'soon', isInternalNote: false }, '422 invalid_send_at'],
    ['an internal note', { sendAt: '2026-03-02T12:00:00Z', isInternalNote: true }, '422 invalid_send_at'],
    ['the AI', { sendAt: '2026-03-02T12:00:00Z', isInternalNote: false, authorType: 'ai' }, '422 invalid_send_at'],
  ])('%s', (_name, input, expected) => {
    expect(code(() => assertValidSchedule(input, NOW))).toBe(expected);
  });
});

describe('nextScheduledSendAt', () => {
  const at = (sendAt: string): ScheduledSend => ({
    messageId: sendAt,
    sendAt,
    authorId: 'u',
    cancelIfCustomerReplies: false,
    preview: 'x',
    subject: null,
    isTemplate: false,
  });
  it('is the earliest instant, or null', () => {
    expect(nextScheduledSendAt([])).toBeNull();
    expect(nextScheduledSendAt([at('2026-03-02T00:00:00Z'), at('2026-03-01T18:00:00Z')])).toBe(Date.parse('2026-03-01T18:00:00Z'));
  });
});

describe('scheduled and canceled delivery statuses', () => {
  it('scheduled comes before queued; nothing moves a canceled message', () => {
    expect(isDeliveryProgress('scheduled', 'queued')).toBe(true);
    expect(isDeliveryProgress('scheduled', 'failed')).toBe(true);
    expect(isDeliveryProgress('queued', 'scheduled')).toBe(false);
    for (const s of ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'] as const)
      expect(isDeliveryProgress('canceled', s)).toBe(false);
  });
});
