/**
 * The adapter a channel sends with: built from the channel's own credentials when it has any
 * (`channels.credentials_ciphertext`, sealed with the keyring), else the process's adapter for its
 * kind (the environment's credentials: dev seed, single-tenant deployments). Used by the carrier and
 * media-import activities, so two orgs with two Twilio accounts each send through their own.
 *
 * Adapters built from credentials are cached per channel id and `updated_at` (a PATCH of the
 * credentials bumps `updated_at`, so the next send builds a new client), at most `maxEntries`
 * channels (least recently used dropped first). Credentials are opened only to build the client;
 * nothing here logs them.
 */
import type { Keyring } from '../config/keyring';
import { openChannelCredentials } from '../db/channel-credentials';
import type { ChannelRow } from '../db/schema';
import { type CredentialedProvider, type CredentialsOf, hasCredentialsSchema } from './credentials';
import type { ChannelAdapters } from './index';
import type { ChannelAdapter } from './types';

/** The channel columns the resolver reads. */
export type ResolvableChannel = Pick<
  ChannelRow,
  'id' | 'kind' | 'provider' | 'credentials_ciphertext' | 'credentials_key_id' | 'updated_at'
>;

/** Finds the adapter a channel sends with (see the module comment). */
export interface ChannelAdapterResolver {
  /**
   * The adapter of a channel row already loaded (with the columns of {@link ResolvableChannel}).
   * @throws DecryptionError (config/keyring.ts) when its credentials cannot be opened (missing key, altered row)
   */
  forRow(channel: ResolvableChannel): ChannelAdapter;
}

/** How a provider's credentials map onto its slice of the adapter configuration. */
function configOverlay<P extends CredentialedProvider>(provider: P, credentials: CredentialsOf<P>): Record<string, unknown> {
  switch (provider) {
    case 'twilio': {
      const c = credentials as CredentialsOf<'twilio'>;
      return {
        accountSid: c.accountSid,
        authToken: c.authToken,
        ...(c.apiKeySid !== undefined && c.apiKeySecret !== undefined ? { apiKeySid: c.apiKeySid, apiKeySecret: c.apiKeySecret } : {}),
      };
    }
    case 'postmark':
      return { serverToken: (credentials as CredentialsOf<'postmark'>).serverToken };
    case 'telegram':
      return { botToken: (credentials as CredentialsOf<'telegram'>).botToken };
    default:
      return {};
  }
}

/**
 * Builds a resolver over the process's adapters.
 * @param deps.channels the process's adapters (`createChannelAdapters(config)`): the fallback, and the factory of per-channel ones
 * @param deps.keyring opens the credentials (`CREDENTIALS_ENCRYPTION_KEYS`)
 * @param deps.maxEntries largest number of per-channel adapters kept (default 256)
 */
export function createChannelAdapterResolver(deps: {
  channels: Pick<ChannelAdapters, 'adapterFor' | 'withConfig'>;
  keyring: Keyring;
  maxEntries?: number;
}): ChannelAdapterResolver {
  const maxEntries = deps.maxEntries ?? 256;
  const cache = new Map<string, { version: string; adapter: ChannelAdapter }>();

  const forRow = (channel: ResolvableChannel): ChannelAdapter => {
    if (channel.credentials_ciphertext === null || !hasCredentialsSchema(channel.provider)) return deps.channels.adapterFor(channel.kind);
    const version = `${channel.updated_at.getTime()}|${channel.credentials_key_id}|${channel.credentials_ciphertext.length}`;
    const cached = cache.get(channel.id);
    if (cached !== undefined && cached.version === version) {
      cache.delete(channel.id); // most recently used last
      cache.set(channel.id, cached);
      return cached.adapter;
    }
    const provider: CredentialedProvider = channel.provider;
    const credentials = openChannelCredentials(deps.keyring, { ...channel, provider });
    if (credentials === undefined) return deps.channels.adapterFor(channel.kind);
    const adapter = deps.channels.withConfig(provider, configOverlay(provider, credentials));
    cache.delete(channel.id);
    cache.set(channel.id, { version, adapter });
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return adapter;
  };

  return { forRow };
}
