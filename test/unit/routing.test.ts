import { createHash } from 'node:crypto';
import { validate as uuidValidate, version as uuidVersion } from 'uuid';
import { SWITCHBOARD_NAMESPACE, conversationIdFor } from '../../domain/routing';

const ORG = '0b6f7f44-8d8a-4f27-9d3e-1c2b3a4d5e6f';
const CHANNEL = 'a3c1e2d4-5b6f-4a7b-8c9d-0e1f2a3b4c5d';
const PHONE = '+15551234567';

/** RFC 9562 UUIDv5 computed independently with Node's crypto (SHA-1 of namespace bytes + name). */
function referenceUuidV5(name: string, namespace: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(Buffer.from(name, 'utf8'))
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe('conversationIdFor', () => {
  const id = conversationIdFor(ORG, CHANNEL, PHONE);

  it('is deterministic', () => {
    expect(conversationIdFor(ORG, CHANNEL, PHONE)).toBe(id);
  });

  it('is a valid RFC 9562 UUID, version 5, variant 10xx', () => {
    expect(uuidValidate(id)).toBe(true);
    expect(uuidVersion(id)).toBe(5);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is the UUIDv5 of "org|channel|address" in the Switchboard namespace', () => {
    expect(id).toBe(referenceUuidV5(`${ORG}|${CHANNEL}|${PHONE}`, SWITCHBOARD_NAMESPACE));
  });

  it('uses a valid fixed namespace', () => {
    expect(uuidValidate(SWITCHBOARD_NAMESPACE)).toBe(true);
  });

  it('differs by org', () => {
    expect(conversationIdFor('0b6f7f44-8d8a-4f27-9d3e-1c2b3a4d5e70', CHANNEL, PHONE)).not.toBe(id);
  });

  it('differs by channel', () => {
    expect(conversationIdFor(ORG, 'a3c1e2d4-5b6f-4a7b-8c9d-0e1f2a3b4c5e', PHONE)).not.toBe(id);
  });

  it('differs by address', () => {
    expect(conversationIdFor(ORG, CHANNEL, '+15551234568')).not.toBe(id);
  });

  it('gives distinct ids for many different addresses', () => {
    const ids = new Set(Array.from({ length: 1000 }, (_, i) => conversationIdFor(ORG, CHANNEL, `+1555${String(i).padStart(7, '0')}`)));
    expect(ids.size).toBe(1000);
  });

  it('is case-insensitive on the address', () => {
    expect(conversationIdFor(ORG, CHANNEL, 'Alice@Example.COM')).toBe(conversationIdFor(ORG, CHANNEL, 'alice@example.com'));
  });

  it('is lower-case hex', () => {
    expect(id).toBe(id.toLowerCase());
  });

  it('contains no trace of the phone number', () => {
    const hex = id.replace(/-/g, '');
    expect(id).not.toContain(PHONE);
    expect(hex).not.toContain('15551234567');
    expect(hex).not.toContain('5551234567');
    expect(hex).not.toContain('1234567');
  });
});
