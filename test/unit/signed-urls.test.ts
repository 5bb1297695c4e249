/**
 * Signed media URLs (`api/signed-urls.ts`): format, HMAC, expiry edge, tampering, malformed input.
 */
import { createHmac, randomUUID } from 'node:crypto';
import {
  DEFAULT_MEDIA_URL_TTL_SECONDS,
  mediaSignature,
  mediaSigningSecret,
  mediaUrlFor,
  signMediaUrl,
  verifyMediaSignature,
} from '../../db/media-urls';

const SECRET = 'media-secret-0123456789abcdef';
const ID = '6f1c2a9e-3b4d-4e5f-8a7b-0c1d2e3f4a5b';
const NOW = 1_767_340_800; // 2026-01-02T08:00:00Z

function partsOf(url: string): { id: string; expires: string; signature: string } {
  const u = new URL(url);
  return {
    id: decodeURIComponent(u.pathname.replace(/^\/media\//, '')),
    expires: u.searchParams.get('expires') ?? '',
    signature: u.searchParams.get('signature') ?? '',
  };
}

describe('signMediaUrl', () => {
  test('is <base>/media/<id>?expires=<unix s>&signature=<base64url HMAC-SHA256 of "id.expires">', () => {
    const url = signMediaUrl('https://inbox.example.test', ID, SECRET, NOW + 60);
    const expected = createHmac('sha256', SECRET)
      .update(`${ID}.${NOW + 60}`)
      .digest('base64url');
    expect(url).toBe(`https://inbox.example.test/media/${ID}?expires=${NOW + 60}&signature=${expected}`);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/); // unpadded base64url: safe in a query string
  });

  test('drops trailing slashes of the base URL and keeps a base path', () => {
    expect(signMediaUrl('https://inbox.example.test/', ID, SECRET, NOW)).toMatch(/^https:\/\/inbox\.example\.test\/media\//);
    expect(signMediaUrl('https://example.test/switchboard//', ID, SECRET, NOW)).toMatch(/^https:\/\/example\.test\/switchboard\/media\//);
  });

  test('refuses a non-integer or negative expiry', () => {
    expect(() => signMediaUrl('https://x.test', ID, SECRET, 1.5)).toThrow(RangeError);
    expect(() => signMediaUrl('https://x.test', ID, SECRET, -1)).toThrow(RangeError);
    expect(() => signMediaUrl('https://x.test', ID, SECRET, Number.NaN)).toThrow(RangeError);
  });

  test('mediaUrlFor signs for now + 1 h by default', () => {
    expect(DEFAULT_MEDIA_URL_TTL_SECONDS).toBe(3600);
    expect(partsOf(mediaUrlFor('https://x.test', ID, SECRET, undefined, NOW)).expires).toBe(String(NOW + 3600));
    expect(partsOf(mediaUrlFor('https://x.test', ID, SECRET, 300, NOW)).expires).toBe(String(NOW + 300));
    const live = partsOf(mediaUrlFor('https://x.test', ID, SECRET));
    const nowSec = Math.floor(Date.now() / 1000);
    expect(Number(live.expires) - nowSec).toBeGreaterThanOrEqual(3599);
    expect(Number(live.expires) - nowSec).toBeLessThanOrEqual(3600);
  });
});

describe('verifyMediaSignature', () => {
  const { expires, signature } = partsOf(signMediaUrl('https://x.test', ID, SECRET, NOW + 60));

  test('valid until (not at) the expiry second', () => {
    expect(verifyMediaSignature(ID, expires, signature, SECRET, NOW)).toBe(true);
    expect(verifyMediaSignature(ID, expires, signature, SECRET, NOW + 59)).toBe(true);
    expect(verifyMediaSignature(ID, Number(expires), signature, SECRET, NOW + 59)).toBe(true);
    expect(verifyMediaSignature(ID, expires, signature, SECRET, NOW + 60)).toBe(false);
    expect(verifyMediaSignature(ID, expires, signature, SECRET, NOW + 86_400)).toBe(false);
  });

  test('a tampered id, expiry, signature or another secret → false', () => {
    expect(verifyMediaSignature(randomUUID(), expires, signature, SECRET, NOW)).toBe(false);
    expect(verifyMediaSignature(ID, String(Number(expires) + 3600), signature, SECRET, NOW)).toBe(false);
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(verifyMediaSignature(ID, expires, flipped, SECRET, NOW)).toBe(false);
    expect(verifyMediaSignature(ID, expires, signature, `${SECRET}x`, NOW)).toBe(false);
    // the signature of one attachment does not open another
    const other = randomUUID();
    expect(verifyMediaSignature(other, expires, mediaSignature(ID, Number(expires), SECRET), SECRET, NOW)).toBe(false);
  });

  test('malformed expires or signature → false (even when the rest is right)', () => {
    const exp = String(NOW + 60);
    const sig = mediaSignature(ID, NOW + 60, SECRET);
    expect(verifyMediaSignature(ID, exp, sig, SECRET, NOW)).toBe(true);
    const cases: [string | undefined, string | undefined][] = [
      [undefined, sig],
      [exp, undefined],
      ['', sig],
      ['tomorrow', sig],
      [`${exp}.0`, sig],
      [`-${exp}`, sig],
      [`0${exp}`, sig], // not the canonical text that was signed
      [` ${exp}`, sig],
      [exp, ''],
      [exp, `${sig}=`],
      [exp, sig.slice(0, 42)],
      [exp, `${sig.slice(0, 41)}+/`], // standard base64 alphabet
    ];
    for (const [e, s] of cases) {
      expect({ e, s, ok: verifyMediaSignature(ID, e, s, SECRET, NOW) }).toEqual({ e, s, ok: false });
    }
  });
});

describe('mediaSigningSecret', () => {
  test('is derived from the JWT secret: stable, distinct per secret, never the JWT secret itself', () => {
    const a = mediaSigningSecret('jwt-secret-0123456789');
    expect(a).toBe(mediaSigningSecret('jwt-secret-0123456789'));
    expect(a).not.toBe(mediaSigningSecret('jwt-secret-0123456780'));
    expect(a).not.toContain('jwt-secret');
    expect(a.length).toBeGreaterThanOrEqual(43);
  });
});
