/**
 * The channel adapter resolver (channels/resolver.ts): a channel with its own credentials gets an
 * adapter built from them (checked through what the adapter hands out: the Basic credentials of a
 * Twilio media download), one without gets the environment's; per-channel adapters are cached by
 * `updated_at` and the cache is bounded.
 */
import { randomUUID } from 'node:crypto';
import { createChannelAdapters } from '../../channels';
import { createChannelAdapterResolver, type ResolvableChannel } from '../../channels/resolver';
import { DecryptionError, Keyring } from '../../config/keyring';
import { createDb } from '../../db/client';

const keyring = new Keyring(`test:${Buffer.alloc(32, 7).toString('base64')}`);
const ENV = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'env-auth-token' };
const OWN = { accountSid: `AC${'a'.repeat(32)}`, authToken: 'own-auth-token' };
const OTHER = { accountSid: `AC${'b'.repeat(32)}`, authToken: 'other-auth-token' };

const channels = createChannelAdapters({
  twilio: { ...ENV, apiBaseUrl: 'http://127.0.0.1:9' },
  postmark: { serverToken: 'env-postmark', apiBaseUrl: 'http://127.0.0.1:9', inboundDomain: undefined },
  telegram: { botToken: '1:env', apiRoot: 'http://127.0.0.1:9' },
});
// never queried: forRow works on rows the caller loaded
const db = createDb('postgres://postgres@127.0.0.1:1/unused', { max: 1 });
afterAll(() => db.destroy());

function channel(credentials: object | null, updatedAt = new Date('2026-01-01T00:00:00Z'), id: string = randomUUID()): ResolvableChannel {
  const sealed = credentials === null ? null : keyring.seal(credentials, id);
  return {
    id,
    kind: 'sms',
    provider: 'twilio',
    credentials_ciphertext: sealed?.ciphertext ?? null,
    credentials_key_id: sealed?.keyId ?? null,
    updated_at: updatedAt,
  };
}

/** The Basic credentials the adapter sends with a Twilio media download. */
async function mediaAuth(adapter: ReturnType<typeof channels.adapterFor>): Promise<string> {
  const download = await adapter.mediaDownload!({
    url: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME',
    contentType: 'image/png',
  });
  const header = Object.entries(download!.headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1] ?? '';
  return Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
}

test('a channel without credentials uses the environment adapter', async () => {
  const resolver = createChannelAdapterResolver({ channels, keyring });
  const adapter = resolver.forRow(channel(null));
  expect(adapter).toBe(channels.adapterFor('sms'));
  expect(await mediaAuth(adapter)).toBe(`${ENV.accountSid}:${ENV.authToken}`);
});

test('a channel with credentials uses an adapter built from them, cached until its updated_at changes', async () => {
  const resolver = createChannelAdapterResolver({ channels, keyring });
  const own = channel(OWN);
  const adapter = resolver.forRow(own);
  expect(adapter).not.toBe(channels.adapterFor('sms'));
  expect(await mediaAuth(adapter)).toBe(`${OWN.accountSid}:${OWN.authToken}`);
  expect(resolver.forRow(own)).toBe(adapter);

  // new credentials (PATCH bumps updated_at): a new adapter with them
  const changed = { ...channel(OTHER, new Date('2026-01-02T00:00:00Z'), own.id) };
  const rebuilt = resolver.forRow(changed);
  expect(rebuilt).not.toBe(adapter);
  expect(await mediaAuth(rebuilt)).toBe(`${OTHER.accountSid}:${OTHER.authToken}`);
});

test('the cache is bounded (least recently used dropped first)', () => {
  const resolver = createChannelAdapterResolver({ channels, keyring, maxEntries: 2 });
  const [a, b, c] = [channel(OWN), channel(OWN), channel(OWN)] as const;
  const firstA = resolver.forRow(a);
  const firstB = resolver.forRow(b);
  expect(resolver.forRow(a)).toBe(firstA); // a is now the most recently used
  resolver.forRow(c); // evicts b
  expect(resolver.forRow(a)).toBe(firstA);
  expect(resolver.forRow(b)).not.toBe(firstB); // rebuilt
});

test('credentials sealed for another row do not open', () => {
  const resolver = createChannelAdapterResolver({ channels, keyring });
  const own = channel(OWN);
  expect(() => resolver.forRow({ ...own, id: randomUUID() })).toThrow(DecryptionError);
});
