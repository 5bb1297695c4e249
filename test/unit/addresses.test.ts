import { normalizePhone } from '../../domain/addresses';

describe('addresses', () => {
  describe('normalizePhone', () => {
    it.each([
      ['+1 (555) 123-4567', '+15551234567'],
      ['+1-555-123-4567', '+15551234567'],
      ['+15551234567', '+15551234567'],
      ['whatsapp:+447700900123', '+447700900123'],
      ['WhatsApp:+447700900123', '+447700900123'],
      ['447700900123', '+447700900123'],
      ['+44 7700 900123', '+447700900123'],
      ['  +44 7700 900123  ', '+447700900123'],
      ['whatsapp: +447700900123', '+447700900123'],
      ['+15005550006', '+15005550006'],
      ['15005550006', '+15005550006'],
    ])('normalises %j to %s', (input, expected) => {
      expect(normalizePhone(input)).toBe(expected);
    });

    it.each([
      '',
      '   ',
      'hello',
      'not a phone',
      '+',
      '+1',
      '12',
      '+999 123456789',
      '+1234567890123456',
      'whatsapp:',
      'whatsapp:hello',
      'user@example.com',
    ])('rejects %j (null)', (input) => {
      expect(normalizePhone(input)).toBeNull();
    });

    it('rejects a number with trailing letters instead of silently dropping them', () => {
      expect(normalizePhone('+447700900123abc')).toBeNull();
    });

    it('is idempotent', () => {
      const once = normalizePhone('+1 (555) 123-4567');
      expect(once).not.toBeNull();
      expect(normalizePhone(once ?? '')).toBe(once);
    });
  });
});
