import { normalizePhone, parseTwilioAddress, toTwilioAddress } from '../../domain/addresses';

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

  describe('parseTwilioAddress', () => {
    it('reads a whatsapp: address as WhatsApp', () => {
      expect(parseTwilioAddress('whatsapp:+14155238886')).toEqual({ kind: 'whatsapp', phone: '+14155238886' });
    });

    it('reads the whatsapp: prefix case-insensitively and around whitespace', () => {
      expect(parseTwilioAddress('  WHATSAPP:+447700900123 ')).toEqual({ kind: 'whatsapp', phone: '+447700900123' });
    });

    it('reads a plain number as SMS', () => {
      expect(parseTwilioAddress('+15005550006')).toEqual({ kind: 'sms', phone: '+15005550006' });
      expect(parseTwilioAddress('+1 (555) 123-4567')).toEqual({ kind: 'sms', phone: '+15551234567' });
    });

    it.each(['', 'garbage', 'whatsapp:', 'whatsapp:garbage', '+1'])('returns null for %j', (value) => {
      expect(parseTwilioAddress(value)).toBeNull();
    });
  });

  describe('toTwilioAddress', () => {
    it('prefixes WhatsApp numbers', () => {
      expect(toTwilioAddress('whatsapp', '+447700900123')).toBe('whatsapp:+447700900123');
    });

    it('leaves SMS numbers as they are', () => {
      expect(toTwilioAddress('sms', '+15005550006')).toBe('+15005550006');
    });

    it.each(['sms', 'whatsapp'] as const)('round-trips with parseTwilioAddress for %s', (kind) => {
      expect(parseTwilioAddress(toTwilioAddress(kind, '+447700900123'))).toEqual({ kind, phone: '+447700900123' });
    });
  });
});
