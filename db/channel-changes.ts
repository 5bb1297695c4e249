/**
 * Channel change announcements (migration 0024): one `LISTEN switchboard_channel_changed` connection per
 * API process, through the `pg` driver's `Client` (a pooled connection cannot hold a LISTEN). The
 * trigger `channels_notify_changed` sends the changed channel's id at commit; subscribers (the channel
 * directories, `channels/channel-directory.ts`) reload.
 * - The connection is opened in the background and re-opened after it drops (1 s, doubling to 30 s):
 *   Postgres being down never stops the API (webhooks route from the cached directory meanwhile).
 * - Notifications sent while no connection listened are lost, so every (re)connection is announced
 *   as `null` ("anything may have changed"): subscribers reload everything.
 */
import { Client } from 'pg';

/** The `NOTIFY` channel of migration 0024's trigger. */
export const CHANNEL_CHANGED_NOTIFICATION = 'switchboard_channel_changed';

/** Receives a changed channel's id, or `null` when anything may have changed (after a (re)connection). */
export type ChannelChangeListener = (channelId: string | null) => void;

/** Where channel changes are announced (see the module doc); a test can drive its own. */
export interface ChannelChanges {
  /** Adds a listener; returns its removal. */
  subscribe(listener: ChannelChangeListener): () => void;
}

/** Minimal logger (pino fits). */
interface ChangesLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** First and longest wait (ms) before re-opening a dropped connection. */
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;

/** Listens to {@link CHANNEL_CHANGED_NOTIFICATION} on its own Postgres connection (see the module doc). */
export class PgChannelChanges implements ChannelChanges {
  private readonly listeners = new Set<ChannelChangeListener>();
  private client: Client | undefined;
  private closed = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Settles once the first connection is listening, or failed (never rejects). */
  readonly ready: Promise<void>;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: ChangesLogger,
  ) {
    this.ready = this.connect();
  }

  subscribe(listener: ChannelChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops listening for good (closes the connection). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private emit(channelId: string | null): void {
    for (const listener of this.listeners) {
      try {
        listener(channelId);
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'a channel change listener failed');
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL_CHANGED_NOTIFICATION) this.emit(message.payload ?? null);
    });
    client.on('error', (err) => this.dropped(client, err));
    client.on('end', () => this.dropped(client, undefined));
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL_CHANGED_NOTIFICATION}`);
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.retryMs = RECONNECT_MIN_MS;
      this.logger.info({}, 'listening for channel changes');
      this.emit(null);
    } catch (err) {
      this.dropped(client, err);
    }
  }

  /** The connection failed or ended: re-open it later (unless closed). */
  private dropped(client: Client, err: unknown): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed || this.retryTimer !== undefined) return;
    this.logger.warn(
      { err: err === undefined ? 'connection ended' : String(err), retryInMs: this.retryMs },
      'channel change listener disconnected',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }
}
