/**
 * The API's cached map of carrier channels (our SMS / WhatsApp numbers → channel id and org), so the
 * inbound Twilio webhook can route a message without Postgres: verify, look up here,
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
import { findChannelByAddress, listChannelsOfKinds } from '../../db/channels';
import type { Db } from '../../db/client';
import type { TwilioKind } from './addresses';
import { SMS_KIND, WHATSAPP_KIND } from './kinds';

/** Where an inbound carrier message goes: the channel and its org. */
export interface ChannelRoute {
  channelId: string;
  orgId: string;
  kind: TwilioKind;
}

/** Result of {@link ChannelDirectory.lookup}. */
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

/** The kinds Twilio carries (the channels this directory caches). */
const TWILIO_KINDS: readonly TwilioKind[] = [SMS_KIND.kind, WHATSAPP_KIND.kind];
const isTwilioKind = (kind: string): kind is TwilioKind => (TWILIO_KINDS as readonly string[]).includes(kind);

const keyOf = (kind: string, address: string): string => `${kind}:${address}`;

/** Cached Twilio channel routes (see the module comment). */
export class ChannelDirectory {
  private routes = new Map<string, ChannelRoute>();
  /** Epoch ms of the last complete load; 0 = never loaded. */
  private loadedAt = 0;
  private refreshing: Promise<void> | undefined;
  private readonly refreshIntervalMs: number;

  /**
   * Starts the first load at once (in the background: a failure is logged, the API still starts).
   * @param opts.refreshIntervalMs snapshot age (ms) that triggers a background refresh (default {@link CHANNEL_REFRESH_INTERVAL_MS})
   */
  constructor(
    private readonly db: Db,
    private readonly logger: DirectoryLogger,
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
   * Reloads every SMS / WhatsApp channel. Concurrent calls share one load; never rejects (a
   * failure is logged and the previous snapshot stays).
   */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const rows = await listChannelsOfKinds(this.db, TWILIO_KINDS);
        const next = new Map<string, ChannelRoute>();
        for (const row of rows) {
          if (!isTwilioKind(row.kind)) continue;
          next.set(keyOf(row.kind, row.address), { channelId: row.id, orgId: row.org_id, kind: row.kind });
        }
        const first = !this.loaded;
        this.routes = next;
        this.loadedAt = Date.now();
        if (first) this.logger.info({ channels: next.size }, 'channel map loaded');
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'could not load the channel map (keeping the previous one)');
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /**
   * Routes a message addressed to `address` (E.164) on `kind`: from the cache, else from Postgres.
   * Never throws.
   */
  async lookup(kind: TwilioKind, address: string): Promise<ChannelLookup> {
    if (Date.now() - this.loadedAt > this.refreshIntervalMs) void this.refresh();
    const cached = this.routes.get(keyOf(kind, address));
    if (cached) return { found: true, route: cached };
    try {
      const row = await findChannelByAddress(this.db, kind, address);
      if (!row) return { found: false, reason: 'unknown' };
      const route: ChannelRoute = { channelId: row.id, orgId: row.org_id, kind };
      this.routes.set(keyOf(kind, address), route);
      return { found: true, route };
    } catch (error) {
      return { found: false, reason: 'unavailable', error };
    }
  }
}
