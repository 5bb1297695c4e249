/**
 * The API's cached map of carrier channels (our numbers, addresses and bots → channel id, org and
 * settings), so an inbound webhook can route a message without Postgres: verify, look up here,
 * signal-with-start, ack. Temporal then holds the message until the workflow's activities can write it.
 *
 * - Loaded when the directory is created (the API's start) and refreshed in the background when a
 *   lookup finds the snapshot older than `refreshIntervalMs` (only while requests come in; a failed
 *   refresh keeps the previous snapshot and is retried on a later lookup).
 * - A miss asks Postgres for that one address (a channel created since the last refresh) and caches it.
 * - A miss while Postgres cannot be asked is `unavailable`, never `unknown`: the webhook answers 503
 *   and Twilio retries, instead of a 404 that would drop a message for a number we may well own.
 * Channels are rarely changed and never re-pointed to another org, so a stale entry is harmless
 * for at most one refresh interval.
 */
import { findChannelByAddress, findChannelById, listChannelsOfKinds } from '../db/channels';
import type { Db } from '../db/client';
import type { ChannelKind } from './kinds';

/** Where an inbound carrier message goes: the channel, its org, and its provider settings. */
export interface ChannelRoute {
  channelId: string;
  orgId: string;
  kind: ChannelKind;
  /** The channel's address (E.164, email address, bot username). */
  address: string;
  /** Provider-specific settings (`channels.settings`), e.g. a Telegram channel's `webhookSecret`. */
  settings: Record<string, unknown>;
}

/** Result of {@link ChannelDirectory.lookup} / {@link ChannelDirectory.lookupById}. */
export type ChannelLookup =
  | { found: true; route: ChannelRoute }
  /** Postgres answered: no such channel (→ 404). */
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

const keyOf = (kind: string, address: string): string => `${kind}:${address}`;

type ChannelRowLike = { id: string; org_id: string; kind: ChannelKind; address: string; settings: Record<string, unknown> };
const routeOf = (row: ChannelRowLike): ChannelRoute => ({
  channelId: row.id,
  orgId: row.org_id,
  kind: row.kind,
  address: row.address,
  settings: row.settings,
});

/** Cached channel routes of some kinds (see the module comment). */
export class ChannelDirectory {
  private byAddress = new Map<string, ChannelRoute>();
  private byId = new Map<string, ChannelRoute>();
  /** Epoch ms of the last complete load; 0 = never loaded. */
  private loadedAt = 0;
  private refreshing: Promise<void> | undefined;
  private readonly refreshIntervalMs: number;

  /**
   * Starts the first load at once (in the background: a failure is logged, the API still starts).
   * @param kinds the channel kinds cached (a webhook router caches its provider's)
   * @param opts.refreshIntervalMs snapshot age (ms) that triggers a background refresh (default {@link CHANNEL_REFRESH_INTERVAL_MS})
   */
  constructor(
    private readonly db: Db,
    private readonly logger: DirectoryLogger,
    private readonly kinds: readonly ChannelKind[],
    opts: { refreshIntervalMs?: number } = {},
  ) {
    this.refreshIntervalMs = opts.refreshIntervalMs ?? CHANNEL_REFRESH_INTERVAL_MS;
    void this.refresh();
  }

  /** Whether a complete snapshot has been loaded at least once. */
  get loaded(): boolean {
    return this.loadedAt > 0;
  }

  /**
   * Reloads every channel of the directory's kinds. Concurrent calls share one load; never rejects
   * (a failure is logged and the previous snapshot stays).
   */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const rows = await listChannelsOfKinds(this.db, this.kinds);
        const byAddress = new Map<string, ChannelRoute>();
        const byId = new Map<string, ChannelRoute>();
        for (const row of rows) {
          const route = routeOf(row);
          byAddress.set(keyOf(row.kind, row.address), route);
          byId.set(row.id, route);
        }
        const first = !this.loaded;
        this.byAddress = byAddress;
        this.byId = byId;
        this.loadedAt = Date.now();
        if (first) this.logger.info({ channels: byId.size, kinds: this.kinds }, 'channel map loaded');
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'could not load the channel map (keeping the previous one)');
      } finally {
        this.refreshing = undefined;
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
      return { found: true, route: this.remember(routeOf(row)) };
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
      return { found: true, route: this.remember(routeOf(row)) };
    } catch (error) {
      return { found: false, reason: 'unavailable', error };
    }
  }
}
