/**
 * Imports the media of an inbound carrier message (MMS, WhatsApp, Telegram): each carrier media is
 * fetched where the channel's adapter says it can be downloaded (`ChannelAdapter.mediaDownload`: the
 * URL and the headers, e.g. the provider's credentials; an adapter without it = the media's own URL,
 * no credentials), following redirects, stored as an attachment record with sha256 and size, and the
 * message's attachment list is rewritten to reference it (rather than keeping bare carrier URLs).
 */
import { sql } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import { ApplicationFailure, log } from '@temporalio/activity';
import { storeAttachment } from '../db/attachment-store';
import type { BlobStore } from '../db/blob-store';
import type { Db } from '../db/client';
import type { ChannelAdapters } from '../channels';
import { type ResolvableChannel, createChannelAdapterResolver } from '../channels/resolver';
import type { MediaDownload } from '../channels/types';
import { DecryptionError, type Keyring } from '../config/keyring';
import type { Attachment } from '../domain/message';
import { SWITCHBOARD_NAMESPACE } from '../domain/routing';

/** What the media importer needs. */
export interface MediaImportDeps {
  db: Db;
  blobs: BlobStore;
  /** Largest media accepted, in bytes (a larger one is skipped and recorded as not imported). */
  maxBytes: number;
  /**
   * The channel adapters: where (and with which credentials) a carrier's media is downloaded; a channel
   * with its own credentials downloads with an adapter built from them (`channels/resolver.ts`).
   */
  channels: Pick<ChannelAdapters, 'adapterFor' | 'withConfig'>;
  /** Opens a channel's own credentials. */
  keyring: Keyring;
}

/** Builds the media import activity. */
export function createMediaImportActivities(deps: MediaImportDeps) {
  const adapters = createChannelAdapterResolver({ channels: deps.channels, keyring: deps.keyring });
  /**
   * Fetches one media as its adapter said (`download`), refuses bodies over `maxBytes`
   * (by Content-Length, then while reading), stores it under an id derived from message + position.
   * @returns the stored attachment reference, or `undefined` when too large (the URL is kept)
   */
  const importOne = async (
    orgId: string,
    messageId: string,
    index: number,
    media: Attachment,
    download: MediaDownload,
  ): Promise<Attachment | undefined> => {
    const url = new URL(download.url);
    const res = await fetch(url, {
      headers: download.headers,
      redirect: 'follow',
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) {
      // the URL may embed a credential (Telegram's bot token): name the host only
      const message = `media fetch from ${url.host} answered ${res.status}`;
      if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(message);
      throw ApplicationFailure.nonRetryable(message, 'MediaFetchFailed', { status: res.status });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > deps.maxBytes) {
      await res.body?.cancel();
      return undefined;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > deps.maxBytes) return undefined;
      chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks);
    const contentType = media.contentType || res.headers.get('content-type') || 'application/octet-stream';
    const row = await storeAttachment(
      deps.db,
      deps.blobs,
      {
        id: uuidv5(`${orgId}|mms|${messageId}|${index}`, SWITCHBOARD_NAMESPACE),
        orgId,
        name: media.name ?? `media-${index + 1}.${contentType.split('/')[1]?.split(';')[0] ?? 'bin'}`,
        contentType,
        bytes,
        source: 'mms',
      },
      { maxBytes: deps.maxBytes },
    );
    return { ...media, attachmentId: row.id, name: row.name, size: row.size_bytes, sha256: row.sha256 };
  };

  /**
   * Where one media is downloaded: what the channel's adapter says (its `mediaDownload`), else the
   * media's own URL without credentials; `null` = it cannot be downloaded (kept as it is).
   */
  const downloadOf = async (channel: ResolvableChannel, media: Attachment): Promise<MediaDownload | null> => {
    let adapter;
    try {
      adapter = adapters.forRow(channel);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      // no retry helps until an operator restores the key: keep the carrier reference
      throw ApplicationFailure.nonRetryable(
        `the channel's credentials cannot be decrypted: ${err.message}`,
        'ChannelCredentialsUnavailable',
      );
    }
    if (adapter.mediaDownload) return adapter.mediaDownload(media);
    return media.url ? { url: media.url, headers: {} } : null;
  };

  return {
    /**
     * Fetches and stores every not-yet-imported media of an inbound message (idempotent: attachment
     * ids derive from the message id and position, already imported ones are skipped).
     * @returns how many media were imported now
     * @throws (retryable) on network errors and 5xx / 429; ApplicationFailure non-retryable for other 4xx
     */
    async importInboundMedia(input: { messageId: string }): Promise<{ imported: number }> {
      const message = await deps.db
        .selectFrom('messages as m')
        .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
        .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
        .select(['m.id', 'm.org_id', 'm.attachments', 'ch.id as channelId', 'ch.kind', 'ch.provider'])
        .select(['ch.credentials_ciphertext', 'ch.credentials_key_id', 'ch.updated_at'])
        .where('m.id', '=', input.messageId)
        .executeTakeFirst();
      if (!message) return { imported: 0 };
      let imported = 0;
      const attachments: Attachment[] = [];
      for (const [index, media] of message.attachments.entries()) {
        if (media.attachmentId || (!media.url && !media.providerFileId)) {
          attachments.push(media);
          continue;
        }
        try {
          const download = await downloadOf({ ...message, id: message.channelId }, media);
          if (download === null) {
            attachments.push(media);
            continue;
          }
          const stored = await importOne(message.org_id, message.id, index, media, download);
          if (stored) imported++;
          attachments.push(stored ?? media);
        } catch (err) {
          if (!(err instanceof ApplicationFailure) || !err.nonRetryable) throw err; // retried: stored ones are reused
          log.warn('media not imported; its carrier reference is kept', {
            messageId: message.id,
            url: media.url,
            providerFileId: media.providerFileId,
            error: err.message,
          });
          attachments.push(media);
        }
      }
      if (imported > 0) {
        await deps.db
          .updateTable('messages')
          .set({ attachments: JSON.stringify(attachments), updated_at: sql`now()` })
          .where('id', '=', message.id)
          .execute();
      }
      return { imported };
    },
  };
}
