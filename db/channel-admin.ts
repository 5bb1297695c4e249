/**
 * Administration of an org's channels (inboxes): create, update, archive or delete, list, find — each
 * change with its audit entry in the same transaction (`db/audit-log.ts`). Credentials are validated by
 * the provider's schema (`channels/credentials.ts`) and sealed with the keyring (AAD = the channel id,
 * `db/channel-credentials.ts`); views never carry them (`hasCredentials`), nor settings keys that name a
 * secret.
 *
 * Errors are {@link HttpError}s the API answers as they are: 409 `channel_address_taken`, 422
 * `invalid_address`, 422 `invalid_credentials` (zod details), 422 `credentials_not_supported`.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { ZodError } from 'zod';
import { HttpError, zodDetails } from '../api/errors';
import { CREDENTIALS_BY_PROVIDER, hasCredentialsSchema } from '../channels/credentials';
import { type ChannelKind, type ChannelProvider, kindSpec } from '../channels/kinds';
import type { Keyring } from '../config/keyring';
import { type AuditActor, recordAudit, withoutSecrets } from './audit-log';
import type { Db } from './client';
import type { ChannelRow, Database } from './schema';

/** A channel as the API shows it: no credentials, no secret settings. Times are ISO-8601 strings. */
export interface ChannelView {
  id: string;
  kind: ChannelKind;
  provider: ChannelProvider;
  name: string;
  /** E.164 (sms, whatsapp), an email address (email), the bot's username without `@` (telegram), an id (chat). */
  address: string;
  /** Provider settings without keys that name a secret (`webhookSecret`, tokens, passwords). */
  settings: Record<string, unknown>;
  /** Whether the channel has its own credentials (else it uses the environment's). */
  hasCredentials: boolean;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Where the provider must send this channel's inbound webhooks; `null` for kinds without any (chat). */
  webhookUrl: string | null;
}

/**
 * Where the provider must call us for this channel's inbound messages: Twilio
 * `/webhooks/twilio/messaging` (one URL per deployment, routed by the `To` number), Postmark
 * `/webhooks/postmark/<channel id>/inbound`, Telegram `/webhooks/telegram/<channel id>`; `null` for
 * internal kinds.
 * @param publicBaseUrl the deployment's public base URL (no trailing slash)
 */
export function channelWebhookUrl(publicBaseUrl: string, channel: { id: string; provider: ChannelProvider }): string | null {
  const base = publicBaseUrl.replace(/\/+$/, '');
  switch (channel.provider) {
    case 'twilio':
      return `${base}/webhooks/twilio/messaging`;
    case 'postmark':
      return `${base}/webhooks/postmark/${channel.id}/inbound`;
    case 'telegram':
      return `${base}/webhooks/telegram/${channel.id}`;
    default:
      return null;
  }
}

/** The API view of a channel row (see {@link ChannelView}). */
export function channelView(row: ChannelRow, publicBaseUrl: string): ChannelView {
  return {
    id: row.id,
    kind: row.kind,
    provider: row.provider,
    name: row.name,
    address: row.address,
    settings: withoutSecrets(row.settings),
    hasCredentials: row.credentials_ciphertext !== null,
    archivedAt: row.archived_at === null ? null : row.archived_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    webhookUrl: channelWebhookUrl(publicBaseUrl, row),
  };
}

/** What the audit log keeps of a channel (no credentials, no secret settings). */
function auditState(row: ChannelRow): Record<string, unknown> {
  return {
    kind: row.kind,
    provider: row.provider,
    name: row.name,
    address: row.address,
    settings: withoutSecrets(row.settings),
    hasCredentials: row.credentials_ciphertext !== null,
    credentialsKeyId: row.credentials_key_id,
    archivedAt: row.archived_at,
  };
}

/** A Telegram bot username (5–32 of A-Z a-z 0-9 _, starting with a letter), `@` optional; stored without `@`. */
const BOT_USERNAME = /^@?([A-Za-z][A-Za-z0-9_]{4,31})$/;

/**
 * The channel's own address of `kind`, normalised: E.164 for phone kinds and a lower-cased email
 * address (the kind spec's `normalizeAddress`); a Telegram channel's address is its bot's username
 * (without `@`), not a chat id.
 * @throws HttpError 422 `invalid_address`
 */
export function normalizeChannelAddress(kind: ChannelKind, raw: string): string {
  const spec = kindSpec(kind);
  const normalized = kind === 'telegram' ? (BOT_USERNAME.exec(raw.trim())?.[1] ?? null) : spec.normalizeAddress(raw);
  if (normalized === null) {
    const what = kind === 'telegram' ? "bot's username" : spec.addressLabel;
    throw new HttpError(422, 'invalid_address', `${JSON.stringify(raw)} is not a valid ${spec.label} ${what}`, { kind, address: raw });
  }
  return normalized;
}

/**
 * Validates `credentials` against the provider's schema.
 * @returns the parsed credentials
 * @throws HttpError 422 `credentials_not_supported` (provider without credentials, e.g. web chat),
 *   422 `invalid_credentials` with the zod issues as `details.fields` (paths under `credentials.`)
 */
export function checkCredentials(provider: ChannelProvider, credentials: unknown): unknown {
  if (!hasCredentialsSchema(provider)) {
    throw new HttpError(422, 'credentials_not_supported', `${provider} channels have no credentials`);
  }
  try {
    return CREDENTIALS_BY_PROVIDER[provider].parse(credentials);
  } catch (err) {
    if (err instanceof ZodError) {
      throw new HttpError(
        422,
        'invalid_credentials',
        `The ${provider} credentials are not valid`,
        prefixed(zodDetails(err), 'credentials'),
      );
    }
    throw err;
  }
}

/**
 * Validates `credentials` against the provider's schema and seals them for the channel `channelId`.
 * @throws HttpError 422 `credentials_not_supported` (provider without credentials, e.g. web chat),
 *   422 `invalid_credentials` with the zod issues as `details.fields`
 */
export function sealCredentialsFor(
  keyring: Keyring,
  channelId: string,
  provider: ChannelProvider,
  credentials: unknown,
): { credentials_ciphertext: string; credentials_key_id: string } {
  const sealed = keyring.seal(checkCredentials(provider, credentials), channelId);
  return { credentials_ciphertext: sealed.ciphertext, credentials_key_id: sealed.keyId };
}

/** Zod details with every path under `prefix` (the body field the credentials came in). */
function prefixed(details: ReturnType<typeof zodDetails>, prefix: string): ReturnType<typeof zodDetails> {
  return { fields: details.fields.map((f) => ({ ...f, path: f.path === '' ? prefix : `${prefix}.${f.path}` })) };
}

/** Postgres unique violation of the live `(kind, address)` index (migration 0012). */
function isAddressTaken(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'channels_kind_address_live_key';
}

/** 409 `channel_address_taken`: a live channel of `kind` already has `address`. */
export function addressTaken(kind: ChannelKind, address: string): HttpError {
  return new HttpError(409, 'channel_address_taken', `A live ${kind} channel with address ${address} already exists`, { kind, address });
}

/** A channel to create. */
export interface NewChannel {
  /** The channel id to use (a UUID); default a random one. Give one when the webhook URL must be known first (Telegram). */
  id?: string;
  orgId: string;
  kind: ChannelKind;
  name: string;
  /** Raw address; normalised by {@link normalizeChannelAddress}. */
  address: string;
  /** Provider settings (non-secret), default `{}`. */
  settings?: Record<string, unknown>;
  /** The provider's credentials (validated by its schema); absent = the environment's. */
  credentials?: unknown;
}

/** Options of the writes: a step run inside the transaction before it commits (a throw rolls everything back). */
export interface WriteOptions {
  /** Runs after the row was written, before commit (e.g. register a Telegram webhook); a throw stores nothing. */
  beforeCommit?: (row: ChannelRow) => Promise<void>;
}

/**
 * Creates a channel and its audit entry (`channel.create`) in one transaction.
 * @returns the stored row
 * @throws HttpError 409 `channel_address_taken` (a live channel of the kind has the address), 422
 *   `invalid_address` / `invalid_credentials` / `credentials_not_supported`; whatever `beforeCommit` throws
 */
export async function createChannel(
  db: Db,
  keyring: Keyring,
  input: NewChannel,
  actor: AuditActor,
  options: WriteOptions = {},
): Promise<ChannelRow> {
  const id = input.id ?? randomUUID();
  const { provider } = kindSpec(input.kind);
  const address = normalizeChannelAddress(input.kind, input.address);
  const sealed = input.credentials === undefined ? null : sealCredentialsFor(keyring, id, provider, input.credentials);
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('channels')
        .values({
          id,
          org_id: input.orgId,
          kind: input.kind,
          name: input.name,
          address,
          provider,
          settings: JSON.stringify(input.settings ?? {}),
          credentials_ciphertext: sealed?.credentials_ciphertext ?? null,
          credentials_key_id: sealed?.credentials_key_id ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(trx, {
        orgId: input.orgId,
        actor,
        action: 'channel.create',
        targetType: 'channel',
        targetId: id,
        after: auditState(row),
      });
      if (options.beforeCommit) await options.beforeCommit(row);
      return row;
    });
  } catch (err) {
    if (isAddressTaken(err)) throw addressTaken(input.kind, address);
    throw err;
  }
}

/** The org's channel with this id (live or archived), or `undefined` (also for a malformed id). */
export async function findChannel(db: Db, orgId: string, channelId: string): Promise<ChannelRow | undefined> {
  if (!UUID.test(channelId)) return undefined;
  return selectChannel(db, orgId, channelId).executeTakeFirst();
}

/** The query for the org's channel `channelId` (a UUID: the caller checks), on `db` or in a transaction. */
function selectChannel(db: Kysely<Database>, orgId: string, channelId: string) {
  return db.selectFrom('channels').selectAll().where('org_id', '=', orgId).where('id', '=', channelId);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The org's channels, oldest first (then by id); archived ones only with `includeArchived`. */
export async function listChannels(db: Db, orgId: string, opts: { includeArchived?: boolean } = {}): Promise<ChannelRow[]> {
  let query = db.selectFrom('channels').selectAll().where('org_id', '=', orgId);
  if (!opts.includeArchived) query = query.where('archived_at', 'is', null);
  return query.orderBy('created_at').orderBy('id').execute();
}

/** A change to a channel (address, kind and provider are immutable). */
export interface ChannelChange {
  name?: string;
  /** Replaces the settings as a whole. */
  settings?: Record<string, unknown>;
  /** New credentials, sealed with the current key; `null` removes them (the environment's apply again). */
  credentials?: unknown;
}

/**
 * Updates the org's channel (locked `FOR UPDATE`) and records `channel.update`, in one transaction;
 * `updated_at` = now (the send path's adapter cache keys on it).
 * @returns the updated row, or `undefined` when the org has no such channel
 * @throws HttpError 422 `invalid_credentials` / `credentials_not_supported`, 409 `channel_archived`
 *   for an archived channel; whatever `beforeCommit` throws
 */
export async function updateChannel(
  db: Db,
  keyring: Keyring,
  orgId: string,
  channelId: string,
  change: ChannelChange,
  actor: AuditActor,
  options: WriteOptions = {},
): Promise<ChannelRow | undefined> {
  if (!UUID.test(channelId)) return undefined;
  return db.transaction().execute(async (trx) => {
    const before = await selectChannel(trx, orgId, channelId).forUpdate().executeTakeFirst();
    if (!before) return undefined;
    if (before.archived_at !== null) throw new HttpError(409, 'channel_archived', 'An archived channel cannot be changed');
    const sealed =
      change.credentials === undefined
        ? undefined
        : change.credentials === null
          ? { credentials_ciphertext: null, credentials_key_id: null }
          : sealCredentialsFor(keyring, channelId, before.provider, change.credentials);
    const row = await trx
      .updateTable('channels')
      .set({
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.settings !== undefined ? { settings: JSON.stringify(change.settings) } : {}),
        ...(sealed ?? {}),
        updated_at: sql<Date>`greatest(now(), ${before.updated_at}::timestamptz + interval '1 millisecond')`,
      })
      .where('id', '=', channelId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      orgId,
      actor,
      action: 'channel.update',
      targetType: 'channel',
      targetId: channelId,
      before: auditState(before),
      after: auditState(row),
    });
    if (options.beforeCommit) await options.beforeCommit(row);
    return row;
  });
}

/** Outcome of {@link archiveOrDeleteChannel}. */
export type ChannelRemoval = { kind: 'deleted' } | { kind: 'archived'; row: ChannelRow } | { kind: 'not_found' };

/**
 * Deletes the org's channel when it has no conversations, else archives it (`archived_at` = now: it
 * takes no new inbound messages, and its address may be connected again); records `channel.delete` or
 * `channel.archive`, in one transaction. Archiving an archived channel answers `archived` again
 * without a new entry.
 */
export async function archiveOrDeleteChannel(db: Db, orgId: string, channelId: string, actor: AuditActor): Promise<ChannelRemoval> {
  if (!UUID.test(channelId)) return { kind: 'not_found' };
  return db.transaction().execute(async (trx): Promise<ChannelRemoval> => {
    const before = await selectChannel(trx, orgId, channelId).forUpdate().executeTakeFirst();
    if (!before) return { kind: 'not_found' };
    if (before.archived_at !== null) return { kind: 'archived', row: before };
    const used = await trx.selectFrom('conversations').select('id').where('channel_id', '=', channelId).limit(1).executeTakeFirst();
    if (used === undefined) {
      await trx.deleteFrom('channels').where('id', '=', channelId).execute();
      await recordAudit(trx, {
        orgId,
        actor,
        action: 'channel.delete',
        targetType: 'channel',
        targetId: channelId,
        before: auditState(before),
      });
      return { kind: 'deleted' };
    }
    const row = await trx
      .updateTable('channels')
      .set({ archived_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', '=', channelId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      orgId,
      actor,
      action: 'channel.archive',
      targetType: 'channel',
      targetId: channelId,
      before: auditState(before),
      after: auditState(row),
    });
    return { kind: 'archived', row };
  });
}
