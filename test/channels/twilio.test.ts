/**
 * Twilio's pure pieces: addresses (`whatsapp:` prefix), status mapping, error reasons (moved from
 * test/unit/addresses + delivery), and where inbound media are downloaded (credentials only to Twilio's hosts).
 */
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../domain/delivery';
import { parseTwilioAddress, toTwilioAddress } from '../../channels/twilio/addresses';
import { twilioMediaDownload, twilioMediaHosts } from '../../channels/twilio/media';
import { fromTwilioStatus, twilioErrorReason } from '../../channels/twilio/status';

describe('channels/twilio', () => {
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

  describe('mediaDownload', () => {
    const access = { accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'secret-token', extraHosts: ['Media.Local.Test'] };
    const basic = `Basic ${Buffer.from(`${access.accountSid}:${access.authToken}`).toString('base64')}`;
    const download = twilioMediaDownload(access);

    it.each([
      'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      'https://twilio.com/media/ME1',
      'https://MEDIA.TWILIO.COM/ME1',
      'http://media.local.test:8080/ME1',
    ])('sends the account credentials to %s', async (url) => {
      expect(await download({ url, contentType: 'image/png' })).toEqual({ url: new URL(url).href, headers: { Authorization: basic } });
    });

    it.each(['https://example.com/ME1', 'https://twilio.com.evil.test/ME1', 'https://nottwilio.com/ME1'])(
      'sends no credentials to %s',
      async (url) => {
        expect(await download({ url, contentType: 'image/png' })).toEqual({ url, headers: {} });
      },
    );

    it('has nothing to download without a URL', async () => {
      expect(await download({ contentType: 'image/png', providerFileId: 'file-1' })).toBeNull();
    });

    it("adds a stand-in's host to the configured media hosts", () => {
      expect(twilioMediaHosts({ apiBaseUrl: 'http://127.0.0.1:4010/twilio', mediaHosts: ['media.test'] })).toEqual([
        'media.test',
        '127.0.0.1',
      ]);
      expect(twilioMediaHosts({ apiBaseUrl: undefined })).toEqual([]);
    });
  });
});
