/**
 * The API's cached map of carrier channels (our numbers, addresses and bots → channel id, org,
 * settings and the channel's own opened credentials), so an inbound webhook can route and verify a
 * message without Postgres: look up, verify with that channel's credentials, signal-with-start, ack.
 * Temporal then holds the message until the workflow's activities can write it.
 *
 * - Loaded when the directory is created (the API's start) and refreshed in the background when a
 *   lookup finds the snapshot older than `refreshIntervalMs` (only while requests come in; a failed
 *   refresh keeps the previous snapshot and is retried on a later lookup).
 * - A miss asks Postgres for that one address (a channel created since the last refresh) and caches it.
 * - A miss while Postgres cannot be asked is `unavailable`, never `unknown`: the webhook answers 503
 *   and Twilio retries, instead of a 404 that would drop a message for a number we may well own.
 * - Archived channels are not listed (`archived_at is null`): their webhooks answer 404.
 * - Credentials (issue 10): each row's sealed credentials are opened with the keyring once per load
 *   (refresh or miss), never per request. A row that does not open (key missing from
 *   `CREDENTIALS_ENCRYPTION_KEYS`, altered ciphertext, wrong shape) is logged with its channel id and
 *   key id only, and carries `credentials: 'unusable'`: its webhooks answer 403, never 500.
 *   A webhook whose verification fails against a cached channel may {@link ChannelDirectory.recheck}
 *   it (at most once per {@link RECHECK_INTERVAL_MS} per channel): credentials changed since the last
 *   refresh (rotated at the carrier and `PATCH`ed) then take effect at once, not after the refresh.
 * - Changes announced by Postgres (`opts.changes`, migration 0024's `NOTIFY`) reload the directory at
 *   once, in every API process: a credential rotated or revoked through the API stops verifying within
 *   moments. The periodic refresh stays for what a listener may miss (it was disconnected).
 * Channels are rarely changed and never re-pointed to another org, so a stale entry is harmless
 * for at most one refresh interval.
 */
import type { Keyring } from '../config/keyring';
import type { ChannelChanges } from '../db/channel-changes';
import { openChannelCredentials } from '../db/channel-credentials';
import { type ChannelRouteRow, findChannelByAddress, findChannelById, listChannelsOfKinds } from '../db/channels';
import type { Db } from '../db/client';
import {
  type CredentialedProvider,
  type CredentialsOf,
  hasCredentialsSchema,
  type PostmarkCredentials,
  type TelegramCredentials,
  type TwilioCredentials,
} from './credentials';
import type { ChannelKind } from './kinds';

/** A channel's own credentials, opened (see `channels/credentials.ts`), by provider. */
export type OpenedCredentials = { [P in CredentialedProvider]: { provider: P; value: CredentialsOf<P> } }[CredentialedProvider];

/**
 * A channel's credentials as the directory holds them: `'none'` = the row has none (the environment's
 * apply: dev seed, single-tenant deployments); `'unusable'` = the row has sealed credentials that do not
 * open (its webhooks answer 403); else the opened credentials.
 */
export type RouteCredentials = 'none' | 'unusable' | OpenedCredentials;

/** Where an inbound carrier message goes: the channel, its org, its provider settings and credentials. */
export interface ChannelRoute {
  channelId: string;
  orgId: string;
  kind: ChannelKind;
  /** The channel's address (E.164, email address, bot username). */
  address: string;
  /** Provider-specific settings (`channels.settings`), e.g. a Telegram channel's `webhookSecret`. */
  settings: Record<string, unknown>;
  /** The channel's own credentials (never log them). */
  credentials: RouteCredentials;
}

/** The channel's own credentials of `provider`, if it has usable ones. */
function ownCredentials<P extends CredentialedProvider>(route: ChannelRoute, provider: P): CredentialsOf<P> | undefined {
  const opened = route.credentials;
  return typeof opened === 'object' && opened.provider === provider ? (opened.value as CredentialsOf<P>) : undefined;
}

/** The channel's own Twilio credentials, if it has usable ones. */
export const twilioCredentialsOf = (route: ChannelRoute): TwilioCredentials | undefined => ownCredentials(route, 'twilio');
/** The channel's own Postmark credentials, if it has usable ones. */
export const postmarkCredentialsOf = (route: ChannelRoute): PostmarkCredentials | undefined => ownCredentials(route, 'postmark');
/** The channel's own Telegram credentials (bot token, webhook secret), if it has usable ones. */
export const telegramCredentialsOf = (route: ChannelRoute): TelegramCredentials | undefined => ownCredentials(route, 'telegram');

/** Result of {@link ChannelDirectory.lookup} / {@link ChannelDirectory.lookupById}. */
export type ChannelLookup =
  | { found: true; route: ChannelRoute }
  /** Postgres answered: no such (live) channel (→ 404). */
  | { found: false; reason: 'unknown' }
  /** Not in the cache and Postgres could not be asked (→ 503, the carrier retries). */
  | { found: false; reason: 'unavailable'; error: unknown };

/** Minimal logger (pino fits). */
interface DirectoryLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Default age (ms) after which a lookup triggers a background refresh: 60 s. */
export const CHANNEL_REFRESH_INTERVAL_MS = 60_000;

/** Least time (ms) between two reloads caused by an unknown Twilio AccountSid ({@link ChannelDirectory.twilioAccountTokens}): 5 s. */
export const ACCOUNT_MISS_RELOAD_MS = 5_000;

/** Least time (ms) between two {@link ChannelDirectory.recheck}s of one channel: 5 s. */
export const RECHECK_INTERVAL_MS = 5_000;

const keyOf = (kind: string, address: string): string => `${kind}:${address}`;

/** Options of {@link ChannelDirectory}. */
export interface ChannelDirectoryOptions {
  /** Snapshot age (ms) that triggers a background refresh (default {@link CHANNEL_REFRESH_INTERVAL_MS}). */
  refreshIntervalMs?: number;
  /**
   * Opens each channel's sealed credentials. Without one, a row with credentials is `'unusable'`
   * (its webhooks answer 403).
   */
  keyring?: Keyring;
  /**
   * Channel change announcements (`db/channel-changes.ts`, migration 0024): each one reloads the
   * directory, so a rotated or revoked credential stops verifying at once in every API process.
   * Without it, changes made elsewhere show after the periodic refresh (or a failed check's recheck).
   */
  changes?: ChannelChanges;
}

/** Cached channel routes of some kinds (see the module comment). */
export class ChannelDirectory {
  private byAddress = new Map<string, ChannelRoute>();
  private byId = new Map<string, ChannelRoute>();
  /** Twilio AccountSid → the auth tokens of our channels on that account (usually one). */
  private byTwilioAccount = new Map<string, Set<string>>();
  /** Epoch ms of the last complete load; 0 = never loaded. */
  private loadedAt = 0;
  /** Epoch ms of the last reload caused by an unknown AccountSid. */
  private accountMissAt = 0;
  /** AccountSids known not to be ours since the last complete load (the environment's account, typically). */
  private notOurAccounts = new Set<string>();
  /** Channel id → epoch ms of its last {@link recheck}. */
  private readonly recheckedAt = new Map<string, number>();
  private refreshing: Promise<void> | undefined;
  /** A change was announced while a load was running (it may have read the row before the change): load again after it. */
  private reloadAfter = false;
  private readonly refreshIntervalMs: number;
  private readonly keyring: Keyring | undefined;

  /**
   * Starts the first load at once (in the background: a failure is logged, the API still starts).
   * @param kinds the channel kinds cached (a webhook router caches its provider's)
   * @param opts see {@link ChannelDirectoryOptions}
   */
  constructor(
    private readonly db: Db,
    private readonly logger: DirectoryLogger,
    private readonly kinds: readonly ChannelKind[],
    opts: ChannelDirectoryOptions = {},
  ) {
    this.refreshIntervalMs = opts.refreshIntervalMs ?? CHANNEL_REFRESH_INTERVAL_MS;
    this.keyring = opts.keyring;
    void this.refresh();
    opts.changes?.subscribe(() => this.reloadSoon());
  }

  /** Reloads now, or right after the load in progress (which may have read a row before it changed). */
  private reloadSoon(): void {
    if (this.refreshing) this.reloadAfter = true;
    else void this.refresh();
  }

  /** Whether a complete snapshot has been loaded at least once. */
  get loaded(): boolean {
    return this.loadedAt > 0;
  }

  /** Opens a row's credentials; a failure is logged (channel id, key id, error name: no secret) and is `'unusable'`. */
  private credentialsOf(row: ChannelRouteRow): RouteCredentials {
    if (row.credentials_ciphertext === null || row.credentials_key_id === null) return 'none';
    if (!this.keyring) return 'unusable';
    const provider = row.provider;
    if (!hasCredentialsSchema(provider)) return 'unusable';
    try {
      const value = openChannelCredentials(this.keyring, { ...row, provider });
      return value ? ({ provider, value } as OpenedCredentials) : 'none';
    } catch (err) {
      this.logger.warn(
        { channelId: row.id, provider: row.provider, keyId: row.credentials_key_id, error: err instanceof Error ? err.name : 'Error' },
        'channel credentials cannot be opened: its webhooks are refused until they are replaced',
      );
      return 'unusable';
    }
  }

  private routeOf(row: ChannelRouteRow): ChannelRoute {
    return {
      channelId: row.id,
      orgId: row.org_id,
      kind: row.kind,
      address: row.address,
      settings: row.settings,
      credentials: this.credentialsOf(row),
    };
  }

  private static indexAccount(byAccount: Map<string, Set<string>>, route: ChannelRoute): void {
    const twilio = twilioCredentialsOf(route);
    if (!twilio) return;
    let tokens = byAccount.get(twilio.accountSid);
    if (!tokens) byAccount.set(twilio.accountSid, (tokens = new Set()));
    tokens.add(twilio.authToken);
  }

  /**
   * Reloads every live channel of the directory's kinds (opening their credentials). Concurrent calls
   * share one load; never rejects (a failure is logged and the previous snapshot stays).
   */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const rows = await listChannelsOfKinds(this.db, this.kinds);
        const byAddress = new Map<string, ChannelRoute>();
        const byId = new Map<string, ChannelRoute>();
        const byTwilioAccount = new Map<string, Set<string>>();
        for (const row of rows) {
          const route = this.routeOf(row);
          byAddress.set(keyOf(row.kind, row.address), route);
          byId.set(row.id, route);
          ChannelDirectory.indexAccount(byTwilioAccount, route);
        }
        const first = !this.loaded;
        this.byAddress = byAddress;
        this.byId = byId;
        this.byTwilioAccount = byTwilioAccount;
        this.notOurAccounts = new Set();
        this.loadedAt = Date.now();
        if (first) this.logger.info({ channels: byId.size, kinds: this.kinds }, 'channel map loaded');
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'could not load the channel map (keeping the previous one)');
      } finally {
        this.refreshing = undefined;
        if (this.reloadAfter) {
          this.reloadAfter = false;
          void this.refresh();
        }
      }
    })();
    return this.refreshing;
  }

  /** Refreshes in the background when the snapshot is older than the refresh interval. */
  private refreshIfStale(): void {
    if (Date.now() - this.loadedAt > this.refreshIntervalMs) void this.refresh();
  }

  /** Caches a route found in Postgres. */
  private remember(route: ChannelRoute): ChannelRoute {
    this.byAddress.set(keyOf(route.kind, route.address), route);
    this.byId.set(route.channelId, route);
    ChannelDirectory.indexAccount(this.byTwilioAccount, route);
    return route;
  }

  /**
   * Routes a message addressed to `address` (normalised: E.164, lower-cased email) on `kind`: from
   * the cache, else from Postgres. Never throws.
   */
  async lookup(kind: ChannelKind, address: string): Promise<ChannelLookup> {
    this.refreshIfStale();
    const cached = this.byAddress.get(keyOf(kind, address));
    if (cached) return { found: true, route: cached };
    try {
      const row = await findChannelByAddress(this.db, kind, address);
      if (!row) return { found: false, reason: 'unknown' };
      return { found: true, route: this.remember(this.routeOf(row)) };
    } catch (error) {
      return { found: false, reason: 'unavailable', error };
    }
  }

  /**
   * The channel with this id if it is of one of the directory's kinds (webhook URLs that name their
   * channel, e.g. `/webhooks/telegram/:channelId`): from the cache, else from Postgres. Never throws.
   */
  async lookupById(channelId: string): Promise<ChannelLookup> {
    this.refreshIfStale();
    const cached = this.byId.get(channelId);
    if (cached) return { found: true, route: cached };
    try {
      const row = await findChannelById(this.db, channelId);
      if (!row || !this.kinds.includes(row.kind)) return { found: false, reason: 'unknown' };
      return { found: true, route: this.remember(this.routeOf(row)) };
    } catch (error) {
      return { found: false, reason: 'unavailable', error };
    }
  }

  /**
   * Reads a cached channel again from Postgres (after a failed verification: its credentials may have
   * changed since the last refresh) and caches what it finds. At most once per
   * {@link RECHECK_INTERVAL_MS} per channel. Never throws.
   * @returns the fresh route; `undefined` when not re-read (too soon, Postgres unavailable) or when the
   *   channel is gone or archived (it is then dropped from the cache)
   */
  async recheck(route: ChannelRoute): Promise<ChannelRoute | undefined> {
    const last = this.recheckedAt.get(route.channelId) ?? 0;
    if (Date.now() - last < RECHECK_INTERVAL_MS) return undefined;
    this.recheckedAt.set(route.channelId, Date.now());
    try {
      const row = await findChannelById(this.db, route.channelId);
      if (!row || !this.kinds.includes(row.kind)) {
        if (this.byId.get(route.channelId) === route) this.byId.delete(route.channelId);
        if (this.byAddress.get(keyOf(route.kind, route.address)) === route) this.byAddress.delete(keyOf(route.kind, route.address));
        return undefined;
      }
      return this.remember(this.routeOf(row));
    } catch {
      return undefined;
    }
  }

  /**
   * Reloads the whole map now when the last reload caused by an account lookup is older than
   * {@link ACCOUNT_MISS_RELOAD_MS} (a status callback whose signature failed: the account's token may
   * have changed since the last refresh). Never throws.
   * @returns whether it reloaded
   */
  async reloadForAccount(): Promise<boolean> {
    if (Date.now() - this.accountMissAt <= ACCOUNT_MISS_RELOAD_MS) return false;
    this.accountMissAt = Date.now();
    await this.refresh();
    return true;
  }

  /**
   * The auth tokens of our channels on Twilio account `accountSid` (status callbacks are signed with
   * the account's token); `[]` when none of our channels uses that account (the caller then verifies
   * with the environment's token). An unknown account reloads the map first (at most once per
   * {@link ACCOUNT_MISS_RELOAD_MS}), so a channel connected since the last refresh is found; one still
   * unknown after that is remembered as not ours until the next complete load (so the environment's
   * account, on every status callback of a single-tenant deployment, costs no reloads). Never throws.
   */
  async twilioAccountTokens(accountSid: string): Promise<string[]> {
    this.refreshIfStale();
    let tokens = this.byTwilioAccount.get(accountSid);
    if (!tokens && !this.notOurAccounts.has(accountSid) && (await this.reloadForAccount())) {
      tokens = this.byTwilioAccount.get(accountSid);
      if (!tokens) this.notOurAccounts.add(accountSid);
    }
    return tokens ? [...tokens] : [];
  }
}

/** Directories shared per dependencies object (a webhook router's deps) and kinds (see {@link channelDirectoryOf}). */
const sharedDirectories = new WeakMap<object, Map<string, ChannelDirectory>>();

/**
 * The one {@link ChannelDirectory} of `kinds` for a router's dependencies `deps` (created on first use),
 * so the routes of one router (e.g. Twilio messaging and status callbacks, Postmark per-channel and
 * global URLs) share one cache; it goes with `deps` (a `WeakMap`).
 */
export function channelDirectoryOf(
  deps: { db: Db; logger: DirectoryLogger; keyring?: Keyring; channelChanges?: ChannelChanges },
  kinds: readonly ChannelKind[],
): ChannelDirectory {
  let byKinds = sharedDirectories.get(deps);
  if (!byKinds) {
    byKinds = new Map();
    sharedDirectories.set(deps, byKinds);
  }
  const key = kinds.join(',');
  let directory = byKinds.get(key);
  if (!directory) {
    directory = new ChannelDirectory(deps.db, deps.logger, kinds, { keyring: deps.keyring, changes: deps.channelChanges });
    byKinds.set(key, directory);
  }
  return directory;
}
