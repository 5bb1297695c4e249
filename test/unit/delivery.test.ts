import { DELIVERY_STATUSES, type DeliveryStatus, isDeliveryProgress } from '../../domain/delivery';

describe('delivery', () => {
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
});
