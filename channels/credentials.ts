/**
 * A channel's own carrier credentials (issue 10: each channel connects its own provider account), by
 * provider. Stored sealed in `channels.credentials_ciphertext` (`db/channel-credentials.ts`,
 * AES-256-GCM with `CREDENTIALS_ENCRYPTION_KEYS`), never returned by the API (views say
 * `hasCredentials`), never logged. A channel without credentials uses the environment's (dev seed,
 * single-tenant deployments).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ChannelProvider } from './kinds';

// idempotent; the API documents these schemas (`.openapi()`, api/channel-schemas.ts) whatever was imported first
extendZodWithOpenApi(z);

/**
 * Twilio: the (sub-)account SID and its auth token. The auth token also verifies the account's webhook
 * signatures (`X-Twilio-Signature` is an HMAC-SHA1 with the account's auth token, twilio.com/docs/usage/security).
 * `apiKeySid` + `apiKeySecret` (an API key of that account, SK…) authenticate REST calls instead of the
 * auth token when given (twilio.com/docs/iam/api-keys).
 */
export const TwilioCredentials = z.object({
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC + 32 hex digits'),
  authToken: z.string().min(1),
  apiKeySid: z
    .string()
    .regex(/^SK[0-9a-fA-F]{32}$/, 'must be SK + 32 hex digits')
    .optional(),
  apiKeySecret: z.string().min(1).optional(),
});
/** See {@link TwilioCredentials}. */
export type TwilioCredentials = z.infer<typeof TwilioCredentials>;

/**
 * Postmark: the server token (`X-Postmark-Server-Token`, postmarkapp.com/developer/api/overview) and the
 * HTTP Basic credentials Postmark puts in this channel's inbound / events webhook URLs.
 */
export const PostmarkCredentials = z.object({
  serverToken: z.string().min(1),
  webhookUser: z.string().min(1).max(100),
  webhookPassword: z.string().min(16, 'must be at least 16 characters'),
});
/** See {@link PostmarkCredentials}. */
export type PostmarkCredentials = z.infer<typeof PostmarkCredentials>;

/**
 * Telegram: the bot token from @BotFather (`<bot id>:<secret>`) and the secret Telegram sends back in
 * `X-Telegram-Bot-Api-Secret-Token` (1–256 of A-Z a-z 0-9 _ -, core.telegram.org/bots/api#setwebhook).
 */
export const TelegramCredentials = z.object({
  botToken: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'must be a bot token from @BotFather (<bot id>:<secret>)'),
  webhookSecret: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1–256 of A-Z a-z 0-9 _ -'),
});
/** See {@link TelegramCredentials}. */
export type TelegramCredentials = z.infer<typeof TelegramCredentials>;

/** The credentials schema of each provider that has any (`internal` web chat has none). */
export const CREDENTIALS_BY_PROVIDER = {
  twilio: TwilioCredentials,
  postmark: PostmarkCredentials,
  telegram: TelegramCredentials,
} as const satisfies Partial<Record<ChannelProvider, z.ZodType>>;

/** Providers whose channels carry their own credentials. */
export type CredentialedProvider = keyof typeof CREDENTIALS_BY_PROVIDER;

/** The credentials type of provider `P`. */
export type CredentialsOf<P extends CredentialedProvider> = z.infer<(typeof CREDENTIALS_BY_PROVIDER)[P]>;

/** Whether channels of `provider` can carry their own credentials. */
export function hasCredentialsSchema(provider: string): provider is CredentialedProvider {
  return Object.hasOwn(CREDENTIALS_BY_PROVIDER, provider);
}
