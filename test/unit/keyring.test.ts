import { randomBytes } from 'node:crypto';
import { DecryptionError, Keyring, parseKeyring } from '../../config/keyring';
import { ConfigError, loadConfig } from '../../config';

const key = (): string => randomBytes(32).toString('base64');

describe('Keyring (AES-256-GCM secrets at rest)', () => {
  const secret = { accountSid: 'AC' + '1'.repeat(32), authToken: 'tok-123' };

  it('round-trips a value and never holds the plaintext in the ciphertext', () => {
    const ring = new Keyring(`k1:${key()}`);
    const sealed = ring.seal(secret, 'channel-1');
    expect(sealed.keyId).toBe('k1');
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('latin1')).not.toContain('tok-123');
    expect(ring.open(sealed, 'channel-1')).toEqual(secret);
    // a fresh IV each time
    expect(ring.seal(secret, 'channel-1').ciphertext).not.toBe(sealed.ciphertext);
  });

  it('refuses another row (AAD), a tampered byte and an unknown key id', () => {
    const ring = new Keyring(`k1:${key()}`);
    const sealed = ring.seal(secret, 'channel-1');
    expect(() => ring.open(sealed, 'channel-2')).toThrow(DecryptionError);
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => ring.open({ ...sealed, ciphertext: bytes.toString('base64') }, 'channel-1')).toThrow(DecryptionError);
    expect(() => ring.open({ ...sealed, keyId: 'k9' }, 'channel-1')).toThrow(/no key "k9"/);
  });

  it('rotates: the first key seals, older keys still open, needsRotation names the old rows', () => {
    const oldKey = key();
    const before = new Keyring(`old:${oldKey}`).seal(secret, 'c');
    const ring = new Keyring(`new:${key()},old:${oldKey}`);
    expect(ring.open(before, 'c')).toEqual(secret);
    expect(ring.needsRotation(before.keyId)).toBe(true);
    expect(ring.seal(secret, 'c').keyId).toBe('new');
    expect(ring.needsRotation('new')).toBe(false);
  });

  it('rejects malformed keyrings with a message, and loadConfig reports them', () => {
    expect(() => parseKeyring('')).toThrow(/at least one/);
    expect(() => parseKeyring('nokey')).toThrow(/<key id>:/);
    expect(() => parseKeyring(`k1:${Buffer.alloc(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => parseKeyring(`k1:${key()},k1:${key()}`)).toThrow(/twice/);
    expect(() => loadConfig({ CREDENTIALS_ENCRYPTION_KEYS: 'bad' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CREDENTIALS_ENCRYPTION_KEYS: required/);
    expect(loadConfig({}).credentialsKeys).toMatch(/^dev:/);
  });
});
