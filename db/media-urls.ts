/**
 * Time-limited signed URLs for attachment bytes that someone without a staff token must fetch —
 * Twilio fetching the `MediaUrl` of an outbound MMS:
 * `${PUBLIC_BASE_URL}/media/<attachmentId>?expires=<unix seconds>&signature=<sig>`, where `sig` is
 * the unpadded base64url HMAC-SHA256 of `"<attachmentId>.<expires>"` under a server secret.
 * `GET /media/:id` (no auth, see `api/routes/attachments.ts`) serves the bytes while the signature
 * is valid and `expires` is in the future.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Default lifetime of a signed media URL: 1 hour (Twilio fetches media within seconds of the send). */
export const DEFAULT_MEDIA_URL_TTL_SECONDS = 60 * 60;

const SIGNATURE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url without padding
const EXPIRES = /^[0-9]{1,15}$/;

/**
 * The media-URL signing key derived from the JWT secret (HMAC with a fixed label), so a
 * deployment needs no extra secret and a media signature can never be mistaken for anything else.
 */
export function mediaSigningSecret(jwtSecret: string): string {
  return createHmac('sha256', jwtSecret).update('switchboard:media-url:v1').digest('base64url');
}

/** The unpadded base64url HMAC-SHA256 of `"<attachmentId>.<expiresAtSec>"`. */
export function mediaSignature(attachmentId: string, expiresAtSec: number, secret: string): string {
  return createHmac('sha256', secret).update(`${attachmentId}.${expiresAtSec}`).digest('base64url');
}

/**
 * `${baseUrl}/media/<attachmentId>?expires=<expiresAtSec>&signature=<sig>` (trailing slashes of
 * `baseUrl` dropped).
 * @param expiresAtSec Unix time in seconds at which the URL stops working (an integer ≥ 0)
 */
export function signMediaUrl(baseUrl: string, attachmentId: string, secret: string, expiresAtSec: number): string {
  if (!Number.isSafeInteger(expiresAtSec) || expiresAtSec < 0) {
    throw new RangeError(`expiresAtSec must be a non-negative integer, got ${expiresAtSec}`);
  }
  const base = baseUrl.replace(/\/+$/, '');
  const signature = mediaSignature(attachmentId, expiresAtSec, secret);
  return `${base}/media/${encodeURIComponent(attachmentId)}?expires=${expiresAtSec}&signature=${signature}`;
}

/**
 * A signed media URL valid for `ttlSeconds` (default {@link DEFAULT_MEDIA_URL_TTL_SECONDS}) from
 * `nowSec` (default: now).
 */
export function mediaUrlFor(
  baseUrl: string,
  attachmentId: string,
  secret: string,
  ttlSeconds: number = DEFAULT_MEDIA_URL_TTL_SECONDS,
  nowSec: number = Math.floor(Date.now() / 1000),
): string {
  return signMediaUrl(baseUrl, attachmentId, secret, Math.floor(nowSec) + Math.floor(ttlSeconds));
}

/**
 * Whether `signature` is the valid signature of `attachmentId` and `expires`, and `expires` is
 * still in the future (`nowSec < expires`). Malformed input (missing, non-numeric `expires`, a
 * signature of the wrong shape) is `false`; the comparison is constant-time.
 */
export function verifyMediaSignature(
  attachmentId: string,
  expires: string | number | undefined,
  signature: string | undefined,
  secret: string,
  nowSec: number,
): boolean {
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return false;
  const expiresText = typeof expires === 'number' ? String(expires) : expires;
  if (expiresText === undefined || !EXPIRES.test(expiresText)) return false;
  const expiresAtSec = Number(expiresText);
  // canonical digits only (no leading zeros): exactly the text that was signed
  if (!Number.isSafeInteger(expiresAtSec) || String(expiresAtSec) !== expiresText || nowSec >= expiresAtSec) return false;
  const expected = Buffer.from(mediaSignature(attachmentId, expiresAtSec, secret), 'ascii');
  const given = Buffer.from(signature, 'ascii');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
