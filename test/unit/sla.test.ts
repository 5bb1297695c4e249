import { DEFAULT_SLA_POLICY, type SlaPolicy, slaDueAt } from '../../domain/sla';
import { HOUR, MINUTE, T0 } from './fixtures';

describe('sla', () => {
  it('defaults to 60 min first response and 240 min next response', () => {
    expect(DEFAULT_SLA_POLICY).toEqual({ firstResponseMinutes: 60, nextResponseMinutes: 240 });
  });

  describe('slaDueAt', () => {
    it('uses the first-response target when the team never replied', () => {
      expect(slaDueAt(DEFAULT_SLA_POLICY, T0, false)).toBe(T0 + HOUR);
    });

    it('uses the next-response target after a staff reply', () => {
      expect(slaDueAt(DEFAULT_SLA_POLICY, T0, true)).toBe(T0 + 4 * HOUR);
    });

    it('follows a custom policy', () => {
      const policy: SlaPolicy = { firstResponseMinutes: 15, nextResponseMinutes: 90 };
      expect(slaDueAt(policy, T0 + 7, false)).toBe(T0 + 7 + 15 * MINUTE);
      expect(slaDueAt(policy, T0 + 7, true)).toBe(T0 + 7 + 90 * MINUTE);
    });

    it('is due at receipt for a zero-minute target', () => {
      expect(slaDueAt({ firstResponseMinutes: 0, nextResponseMinutes: 0 }, T0, false)).toBe(T0);
    });

    it('returns whole epoch milliseconds for fractional minutes', () => {
      expect(slaDueAt({ firstResponseMinutes: 0.5, nextResponseMinutes: 1 }, T0, false)).toBe(T0 + 30_000);
    });
  });
});
