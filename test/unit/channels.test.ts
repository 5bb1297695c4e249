import { CHANNEL_KINDS, SESSION_WINDOW_MS, isFreeFormReplyAllowed, sessionExpiresAt } from '../../domain/channels';
import { HOUR, T0 } from './fixtures';

describe('channels', () => {
  it('knows the five channel kinds', () => {
    expect([...CHANNEL_KINDS].sort()).toEqual(['chat', 'email', 'sms', 'telegram', 'whatsapp']);
  });

  it('has a 24 h WhatsApp window, a 4 h SMS window and none for email, chat and Telegram', () => {
    expect(SESSION_WINDOW_MS).toEqual({ whatsapp: 24 * HOUR, sms: 4 * HOUR, email: null, chat: null, telegram: null });
  });

  describe('sessionExpiresAt', () => {
    it('ends a WhatsApp session 24 h after the customer message', () => {
      expect(sessionExpiresAt('whatsapp', T0)).toBe(Date.parse('2026-01-02T00:00:00Z'));
    });

    it('ends an SMS session 4 h after the customer message', () => {
      expect(sessionExpiresAt('sms', T0)).toBe(Date.parse('2026-01-01T04:00:00Z'));
    });

    it.each(['email', 'chat'] as const)('has no session end on %s', (kind) => {
      expect(sessionExpiresAt(kind, T0)).toBeNull();
    });

    it('keeps millisecond precision', () => {
      expect(sessionExpiresAt('whatsapp', T0 + 123)).toBe(T0 + 24 * HOUR + 123);
    });
  });

  describe('isFreeFormReplyAllowed', () => {
    const end = T0 + 24 * HOUR;

    it('allows WhatsApp strictly before the window end (half-open window)', () => {
      expect(isFreeFormReplyAllowed('whatsapp', end, T0)).toBe(true);
      expect(isFreeFormReplyAllowed('whatsapp', end, end - 1)).toBe(true);
    });

    it('rejects WhatsApp at exactly the window end and after', () => {
      expect(isFreeFormReplyAllowed('whatsapp', end, end)).toBe(false);
      expect(isFreeFormReplyAllowed('whatsapp', end, end + 1)).toBe(false);
    });

    it('rejects WhatsApp when no window was ever opened', () => {
      expect(isFreeFormReplyAllowed('whatsapp', null, T0)).toBe(false);
    });

    it.each(['sms', 'email', 'chat'] as const)('always allows %s, with or without a window, even after it', (kind) => {
      expect(isFreeFormReplyAllowed(kind, null, T0)).toBe(true);
      expect(isFreeFormReplyAllowed(kind, T0 + 4 * HOUR, T0 + 4 * HOUR)).toBe(true);
      expect(isFreeFormReplyAllowed(kind, T0, T0 + 1000 * HOUR)).toBe(true);
    });
  });
});
