/**
 * Configuration, read from the environment and validated once (zod) at start-up.
 * A bad value fails fast with a message naming the variable; in production the secrets and
 * addresses that have no safe default (`DATABASE_URL`, `TEMPORAL_ADDRESS`, `JWT_SECRET`,
 * `PUBLIC_BASE_URL`, `POSTMARK_INBOUND_PASSWORD`, `CREDENTIALS_ENCRYPTION_KEYS`) are required.
 * The environment's carrier credentials (`TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`,
 * `POSTMARK_SERVER_TOKEN`, `POSTMARK_INBOUND_USER`) are optional: each channel may carry its own
 * (issue 10); the environment's are the default of channels without credentials (dev seed,
 * single-tenant deployments).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { z } from 'zod';
import { parseKeyring } from './keyring';

/** Dev-only defaults: never used when `NODE_ENV=production`. */
export const DEV_DEFAULTS = {
  jwtSecret: 'switchboard-dev-secret-change-me',
  twilioAccountSid: 'AC00000000000000000000000000000000',
  twilioAuthToken: 'dev-twilio-auth-token',
  postmarkServerToken: 'dev-postmark-server-token',
  postmarkWebhookUser: 'postmark',
  postmarkWebhookPassword: 'dev-postmark-webhook-password',
  /** A well-formed placeholder bot token (`<bot id>:<secret>`) for the local Bot API stand-in. */
  telegramBotToken: '4242424242:dev-telegram-bot-token',
  /** The demo Telegram channel's webhook secret (`X-Telegram-Bot-Api-Secret-Token`). */
  telegramWebhookSecret: 'dev-telegram-webhook-secret',
  /** The dev keyring of channel credentials at rest (`<key id>:<base64 of 32 bytes>`); public, never for production. */
  credentialsKeys: 'dev:ZGV2LWNyZWRlbnRpYWxzLWtleS1wdWJsaWMtMzJieXQ=',
} as const;

const emptyToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());

const EnvSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'test', 'production']).default('development')),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .default('postgres://postgres@127.0.0.1:5432/switchboard'),
  ),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.preprocess(emptyToUndefined, z.string().default('default')),
  TEMPORAL_TASK_QUEUE: z.preprocess(emptyToUndefined, z.string().default('switchboard-conversations')),
  TEMPORAL_UI_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(65535).default(8233)),
  JWT_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  PUBLIC_BASE_URL: optionalUrl,
  TWILIO_ACCOUNT_SID: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC + 32 hex digits')
      .optional(),
  ),
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_API_BASE_URL: optionalUrl,
  TEMPORAL_DEV_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(65535).default(7233)),
  SWITCHBOARD_DATA_DIR: optionalString,
  TWILIO_STANDIN_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(0)),
  POSTMARK_SERVER_TOKEN: optionalString,
  TELEGRAM_BOT_TOKEN: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+:[A-Za-z0-9_-]+$/, 'must be a bot token from @BotFather (<bot id>:<secret>)')
      .optional(),
  ),
  TELEGRAM_API_ROOT: optionalUrl,
  POSTMARK_API_BASE_URL: optionalUrl,
  INBOUND_EMAIL_DOMAIN: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name')
      .optional(),
  ),
  POSTMARK_INBOUND_USER: optionalString,
  POSTMARK_INBOUND_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  ATTACHMENTS_DIR: optionalString,
  MAX_ATTACHMENT_BYTES: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number()
      .int()
      .min(1)
      .max(100 * 1024 * 1024)
      .default(10 * 1024 * 1024),
  ),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  CREDENTIALS_ENCRYPTION_KEYS: optionalString,
  SHARED_CARRIER_ACCOUNT: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).optional()),
  VIEW_COUNTS_MAX_MB: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65_536).default(256)),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
});

/** Validated configuration shared by the API, the worker and the dev runner. */
export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  databaseUrl: string;
  /** `host:port` of the Temporal frontend; `undefined` = start an embedded dev server (`npm start` only). */
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  temporalUiPort: number;
  /** Frontend port of the embedded dev server (`npm start` without TEMPORAL_ADDRESS). */
  temporalDevPort: number;
  /** Where `npm start` keeps local state (the dev server's SQLite file); `undefined` = `<repo>/.data`. */
  dataDir: string | undefined;
  jwtSecret: string;
  /** Public URL Twilio calls us at (no trailing slash): signature validation and `StatusCallback`. */
  publicBaseUrl: string;
  twilio: {
    accountSid: string;
    authToken: string;
    apiBaseUrl: string | undefined;
    /**
     * Whether TWILIO_ACCOUNT_SID was set (else placeholders: `npm start` then uses its local stand-in).
     * TWILIO_AUTH_TOKEN unset in production: `authToken` is a random per-process value nobody knows, so
     * channels without credentials of their own refuse every Twilio webhook (403) and their sends fail.
     */
    credentialsConfigured: boolean;
    /** Port of the local Twilio stand-in `npm start` runs in development without credentials (0 = any). */
    standInPort: number;
  };
  postmark: {
    serverToken: string;
    /** `undefined` = the real Postmark API; set = send the SDK's requests there (stand-ins). */
    apiBaseUrl: string | undefined;
    /** Whether POSTMARK_SERVER_TOKEN was set (else a placeholder: sends of channels without a server token of their own fail). */
    credentialsConfigured: boolean;
    /** Domain of our inbound addresses (`<local>+<reply token>@<domain>`); `undefined` = the email channel's own domain. */
    inboundDomain: string | undefined;
    /** HTTP Basic credentials Postmark puts in the inbound/events webhook URL. */
    webhookUser: string;
    webhookPassword: string;
  };
  telegram: {
    /**
     * TELEGRAM_BOT_TOKEN (`<bot id>:<secret>`, from @BotFather); a dev placeholder when unset outside
     * production; `undefined` in production without one (Telegram sends then fail `not_configured`).
     */
    botToken: string | undefined;
    /** TELEGRAM_API_ROOT: `undefined` = the real Bot API (`https://api.telegram.org`); set = a stand-in or a local Bot API server. */
    apiRoot: string | undefined;
    /** Whether TELEGRAM_BOT_TOKEN was set (else the dev placeholder is in use). */
    credentialsConfigured: boolean;
  };
  attachments: {
    /** Directory of the file blob store (default `<repo>/.data/attachments`). */
    dir: string;
    /** Largest accepted attachment in bytes (413 above it). */
    maxBytes: number;
  };
  openai: {
    /** OPENAI_API_KEY; `undefined` = the AI assistant reports itself unavailable. */
    apiKey: string | undefined;
    /** OPENAI_BASE_URL; `undefined` = the real OpenAI API; set = send the SDK's requests there (stand-ins, compatible servers). */
    baseUrl: string | undefined;
  };
  /**
   * CREDENTIALS_ENCRYPTION_KEYS: the keyring that encrypts channel credentials at rest
   * (`db/credentials-crypto.ts`), as `<key id>:<base64 of 32 random bytes>` entries separated by
   * commas; the first encrypts, every one decrypts (rotation: put the new key first, keep the old).
   */
  credentialsKeys: string;
  /**
   * SHARED_CARRIER_ACCOUNT: whether channels created through the API may go without credentials of their
   * own and use the environment's carrier accounts (TWILIO_* / POSTMARK_* / TELEGRAM_BOT_TOKEN). Default
   * `true` outside production, `false` in production: on a deployment serving several orgs, an org's admin
   * must not be able to claim a number or address of the operator's own account.
   */
  sharedCarrierAccount: boolean;
  /**
   * VIEW_COUNTS_MAX_MB: most memory (MiB, estimated) each API process uses, over all orgs, to answer
   * `GET /v1/conversations/views/counts` from its projections (`db/view-counts/`; 100,000 conversations
   * take ~17 MB, plus ~1 MB per viewer). Default 256; `0` = always count in SQL (slower, no memory).
   */
  viewCounts: { maxBytes: number };
  logLevel: string;
}

/** A random secret of this process only (stands for an unset secret that must match nothing). */
function unknowableSecret(): string {
  return `unset-${randomBytes(32).toString('hex')}`;
}

/** Thrown when the environment is invalid; `issues` lists `VARIABLE: problem` lines. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration.
 * @param env the environment (default `process.env`)
 * @param opts.deployment true for `npm run api` / `npm run worker` (the deployment halves), which
 *   require TEMPORAL_ADDRESS, DATABASE_URL and JWT_SECRET in any environment
 * @throws ConfigError listing every bad or missing variable
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: { deployment?: boolean } = {}): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const missing: string[] = [];
  const requireIn = (name: string, value: unknown, when: boolean): void => {
    if (when && value === undefined) missing.push(`${name}: required${production ? ' in production' : ''}`);
  };
  const deployment = opts.deployment === true;
  requireIn('TEMPORAL_ADDRESS', e.TEMPORAL_ADDRESS, production || deployment);
  requireIn('DATABASE_URL', env.DATABASE_URL?.trim() || undefined, production || deployment);
  requireIn('JWT_SECRET', e.JWT_SECRET, production || deployment);
  requireIn('PUBLIC_BASE_URL', e.PUBLIC_BASE_URL, production);
  // TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / POSTMARK_SERVER_TOKEN / POSTMARK_INBOUND_USER are optional:
  // channels carry their own credentials; the environment's are the default of those that do not
  // the dev default password is public: never accept it where the API is deployed
  requireIn('POSTMARK_INBOUND_PASSWORD', e.POSTMARK_INBOUND_PASSWORD, production || deployment);
  // the dev keyring is public: channel credentials must be encrypted with the operator's own key
  requireIn('CREDENTIALS_ENCRYPTION_KEYS', e.CREDENTIALS_ENCRYPTION_KEYS, production || deployment);
  if (e.CREDENTIALS_ENCRYPTION_KEYS !== undefined) {
    try {
      parseKeyring(e.CREDENTIALS_ENCRYPTION_KEYS);
    } catch (err) {
      missing.push(`CREDENTIALS_ENCRYPTION_KEYS: ${(err as Error).message}`);
    }
  }
  if (missing.length > 0) throw new ConfigError(missing);

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    temporalUiPort: e.TEMPORAL_UI_PORT,
    temporalDevPort: e.TEMPORAL_DEV_PORT,
    dataDir: e.SWITCHBOARD_DATA_DIR,
    jwtSecret: e.JWT_SECRET ?? DEV_DEFAULTS.jwtSecret,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID ?? DEV_DEFAULTS.twilioAccountSid,
      // the dev placeholder is public: in production an unset token must verify nothing
      authToken: e.TWILIO_AUTH_TOKEN ?? (production ? unknowableSecret() : DEV_DEFAULTS.twilioAuthToken),
      apiBaseUrl: e.TWILIO_API_BASE_URL,
      credentialsConfigured: e.TWILIO_ACCOUNT_SID !== undefined,
      standInPort: e.TWILIO_STANDIN_PORT,
    },
    postmark: {
      serverToken: e.POSTMARK_SERVER_TOKEN ?? DEV_DEFAULTS.postmarkServerToken,
      apiBaseUrl: e.POSTMARK_API_BASE_URL,
      credentialsConfigured: e.POSTMARK_SERVER_TOKEN !== undefined,
      inboundDomain: e.INBOUND_EMAIL_DOMAIN?.toLowerCase(),
      webhookUser: e.POSTMARK_INBOUND_USER ?? DEV_DEFAULTS.postmarkWebhookUser,
      webhookPassword: e.POSTMARK_INBOUND_PASSWORD ?? DEV_DEFAULTS.postmarkWebhookPassword,
    },
    telegram: {
      botToken: e.TELEGRAM_BOT_TOKEN ?? (production ? undefined : DEV_DEFAULTS.telegramBotToken),
      apiRoot: e.TELEGRAM_API_ROOT?.replace(/\/+$/, ''),
      credentialsConfigured: e.TELEGRAM_BOT_TOKEN !== undefined,
    },
    attachments: { dir: e.ATTACHMENTS_DIR ?? path.resolve(__dirname, '..', '.data', 'attachments'), maxBytes: e.MAX_ATTACHMENT_BYTES },
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL },
    credentialsKeys: e.CREDENTIALS_ENCRYPTION_KEYS ?? DEV_DEFAULTS.credentialsKeys,
    sharedCarrierAccount: e.SHARED_CARRIER_ACCOUNT === undefined ? !production : e.SHARED_CARRIER_ACCOUNT === 'true',
    viewCounts: { maxBytes: e.VIEW_COUNTS_MAX_MB * 1024 * 1024 },
    logLevel: e.LOG_LEVEL,
  };
}
