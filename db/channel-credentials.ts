/**
 * Sealing and opening a channel's credentials (`channels.credentials_ciphertext` + `credentials_key_id`,
 * migration 0012) with the process's {@link Keyring}; the AAD is the channel id, so a ciphertext moved
 * to another row does not open. Schemas per provider: `channels/credentials.ts`.
 */
import type { Keyring } from '../config/keyring';
import { CREDENTIALS_BY_PROVIDER, type CredentialedProvider, type CredentialsOf, hasCredentialsSchema } from '../channels/credentials';
import type { ChannelRow } from './schema';

/** The two columns that hold a channel's sealed credentials. */
export interface SealedCredentialColumns {
  credentials_ciphertext: string;
  credentials_key_id: string;
}

/**
 * Validates and seals credentials for the channel `channelId` of `provider`.
 * @throws ZodError when `credentials` do not match the provider's schema (the API validates first: 422)
 */
export function sealChannelCredentials<P extends CredentialedProvider>(
  keyring: Keyring,
  channelId: string,
  provider: P,
  credentials: CredentialsOf<P>,
): SealedCredentialColumns {
  const parsed = CREDENTIALS_BY_PROVIDER[provider].parse(credentials);
  const sealed = keyring.seal(parsed, channelId);
  return { credentials_ciphertext: sealed.ciphertext, credentials_key_id: sealed.keyId };
}

/**
 * Opens the channel's credentials: `undefined` when the row has none (it uses the environment's).
 * @throws DecryptionError (config/keyring.ts) when the key is missing from the ring or the row was altered;
 *   ZodError when the opened value does not match the provider's schema (a bug or a tampered key)
 */
export function openChannelCredentials<P extends CredentialedProvider>(
  keyring: Keyring,
  row: Pick<ChannelRow, 'id' | 'credentials_ciphertext' | 'credentials_key_id'> & { provider: P },
): CredentialsOf<P> | undefined {
  if (row.credentials_ciphertext === null || row.credentials_key_id === null) return undefined;
  if (!hasCredentialsSchema(row.provider)) return undefined;
  const value = keyring.open({ ciphertext: row.credentials_ciphertext, keyId: row.credentials_key_id }, row.id);
  return CREDENTIALS_BY_PROVIDER[row.provider].parse(value) as CredentialsOf<P>;
}
