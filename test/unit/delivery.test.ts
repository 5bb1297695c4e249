import { DELIVERY_STATUSES, type DeliveryStatus, fromTwilioStatus, isDeliveryProgress, twilioErrorReason } from '../../domain/delivery';

describe('delivery', () => {
  describe('fromTwilioStatus', () => {
    it.each<[string, DeliveryStatus]>([
      ['accepted', 'queued'],
      ['scheduled', 'queued'],
      ['queued', 'queued'],
      ['sending', 'sending'],
      ['sent', 'sent'],
      ['delivered', 'delivered'],
      ['read', 'read'],
      ['undelivered', 'undelivered'],
      ['failed', 'failed'],
      ['partially_delivered', 'delivered'],
      ['canceled', 'failed'],
    ])('maps Twilio %s to %s', (twilio, stored) => {
      expect(fromTwilioStatus(twilio)).toBe(stored);
    });

    it.each(['', 'unknown', 'receiving', 'received', 'DELIVERED', ' sent', 'cancelled', 'toString', 'constructor'])(
      'ignores the unknown or inbound-only status %j (null)',
      (status) => {
        expect(fromTwilioStatus(status)).toBeNull();
      },
    );

    it('only ever returns stored statuses', () => {
      for (const s of [
        'accepted',
        'scheduled',
        'queued',
        'sending',
        'sent',
        'delivered',
        'read',
        'undelivered',
        'failed',
        'partially_delivered',
        'canceled',
      ]) {
        expect(DELIVERY_STATUSES).toContain(fromTwilioStatus(s));
      }
    });
  });

  describe('isDeliveryProgress', () => {
    it.each<[DeliveryStatus | null, DeliveryStatus, boolean]>([
      [null, 'queued', true],
      [null, 'sent', true],
      [null, 'delivered', true],
      [null, 'failed', true],
      ['queued', 'sending', true],
      ['sending', 'sent', true],
      ['sent', 'delivered', true],
      ['delivered', 'read', true],
      ['queued', 'read', true],
      ['sent', 'failed', true],
      ['sent', 'undelivered', true],
      ['delivered', 'sent', false],
      ['delivered', 'failed', false],
      ['delivered', 'undelivered', false],
      ['read', 'delivered', false],
      ['read', 'failed', false],
      ['sent', 'queued', false],
      ['sent', 'sending', false],
      ['failed', 'sent', false],
      ['failed', 'undelivered', false],
      ['undelivered', 'failed', false],
    ])('%s → %s is progress: %s', (current, next, expected) => {
      expect(isDeliveryProgress(current, next)).toBe(expected);
    });

    it.each(DELIVERY_STATUSES)('a repeated %s is not progress', (status) => {
      expect(isDeliveryProgress(status, status)).toBe(false);
    });

    it.each(DELIVERY_STATUSES)('any first status (%s) is progress from nothing', (status) => {
      expect(isDeliveryProgress(null, status)).toBe(true);
    });

    it('is antisymmetric: never both a → b and b → a', () => {
      for (const a of DELIVERY_STATUSES) {
        for (const b of DELIVERY_STATUSES) {
          expect(isDeliveryProgress(a, b) && isDeliveryProgress(b, a)).toBe(false);
        }
      }
    });

    it('walks the happy path forwards and ignores a late out-of-order callback', () => {
      let current: DeliveryStatus | null = null;
      const accepted: DeliveryStatus[] = [];
      for (const next of ['queued', 'sent', 'delivered', 'sent', 'read', 'delivered'] as const) {
        if (isDeliveryProgress(current, next)) {
          current = next;
          accepted.push(next);
        }
      }
      expect(accepted).toEqual(['queued', 'sent', 'delivered', 'read']);
      expect(current).toBe('read');
    });
  });

  describe('twilioErrorReason', () => {
    it('explains 63016 as the WhatsApp 24-hour window needing a template', () => {
      const reason = twilioErrorReason('63016');
      expect(reason).toMatch(/24-hour/);
      expect(reason).toMatch(/window/i);
      expect(reason).toMatch(/template/i);
    });

    it('accepts numeric codes', () => {
      expect(twilioErrorReason(63016)).toBe(twilioErrorReason('63016'));
      expect(twilioErrorReason(21610)).toMatch(/opted out/i);
    });

    it.each(['21211', '21408', '21610', '21614', '30003', '30004', '30005', '30006', '30007', '30008'])(
      'has a specific reason for %s',
      (code) => {
        const reason = twilioErrorReason(code);
        expect(reason).not.toBe(`Twilio error ${code}.`);
        expect(reason.length).toBeGreaterThan(10);
      },
    );

    it('prefers the known reason over a fallback', () => {
      expect(twilioErrorReason('63016', 'provider said something')).toMatch(/template/);
    });

    it('uses the fallback for an unknown code', () => {
      expect(twilioErrorReason('99999', 'Provider message')).toBe('Provider message');
    });

    it('uses a generic text for an unknown code without a fallback', () => {
      expect(twilioErrorReason('99999')).toBe('Twilio error 99999.');
      expect(twilioErrorReason(12345)).toBe('Twilio error 12345.');
    });

    it.each(['toString', 'constructor', '__proto__'])('treats the object key %j as an unknown code', (code) => {
      expect(twilioErrorReason(code, 'fallback')).toBe('fallback');
    });
  });
});
