/**
 * Encryption of secrets at rest (channel credentials: Twilio auth tokens, Postmark server tokens,
 * Telegram bot tokens). AES-256-GCM from `node:crypto` (NIST SP 800-38D): a random 96-bit IV per
 * value, a 128-bit tag, and additional authenticated data that binds the ciphertext to its row (the
 * channel id), so a ciphertext copied onto another row does not decrypt.
 *
 * Keys come from `CREDENTIALS_ENCRYPTION_KEYS` (`config/index.ts`): `<key id>:<base64 of 32 bytes>`
 * entries separated by commas. The first key encrypts; every key decrypts, chosen by the key id stored
 * beside each ciphertext. Rotation: put a new key first, re-encrypt (`Keyring.needsRotation` tells
 * which rows), then drop the old key. Generate a key with `openssl rand -base64 32`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/** A ciphertext and the id of the key that made it (the two columns stored per row). */
export interface Sealed {
  /** base64 of IV (12 bytes) ‖ tag (16 bytes) ‖ ciphertext. */
  ciphertext: string;
  keyId: string;
}

/** Thrown when a sealed value cannot be opened: unknown key id, wrong row (AAD), or tampered bytes. */
export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/**
 * Parses a keyring string (`id:base64[,id:base64…]`) into key id → 32-byte key, in order (first = current).
 * @throws Error naming the problem (malformed entry, bad id, key not 32 bytes, duplicate id)
 */
export function parseKeyring(spec: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new Error('must list at least one <key id>:<base64 key>');
  for (const entry of entries) {
    const at = entry.indexOf(':');
    if (at <= 0) throw new Error('each entry must be <key id>:<base64 of 32 bytes>');
    const id = entry.slice(0, at);
    if (!KEY_ID.test(id)) throw new Error(`key id "${id}" must be 1–32 of A-Z a-z 0-9 _ . -`);
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`key "${id}" must be 32 bytes (base64), got ${key.length}`);
    if (keys.has(id)) throw new Error(`key id "${id}" is listed twice`);
    keys.set(id, key);
  }
  return keys;
}

/** The keys that seal and open secrets at rest (see the module comment). */
export class Keyring {
  private readonly keys: Map<string, Buffer>;
  /** Id of the key new values are sealed with (the first listed). */
  readonly currentKeyId: string;

  /** @param spec `CREDENTIALS_ENCRYPTION_KEYS` (`Config.credentialsKeys`); throws like {@link parseKeyring} */
  constructor(spec: string) {
    this.keys = parseKeyring(spec);
    this.currentKeyId = this.keys.keys().next().value as string;
  }

  /**
   * Encrypts a JSON-serialisable value with the current key.
   * @param value the secret (e.g. `{ accountSid, authToken }`)
   * @param aad what the ciphertext belongs to (the row id); {@link open} must be given the same
   */
  seal(value: unknown, aad: string): Sealed {
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'), keyId: this.currentKeyId };
  }

  /**
   * Decrypts a value sealed by {@link seal} (with any key of the ring).
   * @throws DecryptionError when the key id is unknown, the AAD differs or the bytes were altered
   */
  open(sealed: Sealed, aad: string): unknown {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new DecryptionError(`no key "${sealed.keyId}" in CREDENTIALS_ENCRYPTION_KEYS`);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext is too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as unknown;
    } catch {
      throw new DecryptionError('ciphertext does not authenticate (wrong row, wrong key or altered)');
    }
  }

  /** Whether a value sealed with `keyId` should be re-sealed with the current key. */
  needsRotation(keyId: string): boolean {
    return keyId !== this.currentKeyId;
  }
}
