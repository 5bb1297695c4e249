/**
 * Imports the media of an inbound carrier message (MMS, WhatsApp, Telegram): each carrier media URL
 * is fetched (Twilio's with the account's credentials, HTTP Basic, following Twilio's redirect to its
 * media store; a file the carrier only named by id, e.g. a Telegram `file_id`, where the channel's
 * adapter says it can be downloaded), stored as an attachment record with sha256 and size, and the
 * message's attachment list is rewritten to reference it. Source:
 * twilio.com/docs/messaging/guides/media-support (media URLs require auth when "HTTP Basic
 * Authentication for media access" is on; fetch them rather than keeping bare carrier URLs),
 * core.telegram.org/bots/api#getfile.
 */
import { sql } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import { ApplicationFailure, log } from '@temporalio/activity';
import { storeAttachment } from '../db/attachment-store';
import type { BlobStore } from '../db/blob-store';
import type { Db } from '../db/client';
import type { ChannelAdapters } from '../channels';
import type { MediaDownload } from '../channels/types';
import type { Attachment } from '../domain/message';
import { SWITCHBOARD_NAMESPACE } from '../domain/routing';

/** What the media importer needs. */
export interface MediaImportDeps {
  db: Db;
  blobs: BlobStore;
  /** Twilio account credentials, sent as HTTP Basic auth to media URLs on Twilio's hosts. */
  twilioCredentials: { accountSid: string; authToken: string };
  /** Host names besides `twilio.com` / `*.twilio.com` that get the credentials (a stand-in's). */
  extraMediaHosts?: string[];
  /** Largest media accepted, in bytes (a larger one is skipped and recorded as not imported). */
  maxBytes: number;
  /** The channel adapters: where a file a carrier only named (`providerFileId`) is downloaded. */
  channels: Pick<ChannelAdapters, 'adapterFor'>;
}

/** Builds the media import activity. */
export function createMediaImportActivities(deps: MediaImportDeps) {
  const credentialHosts = new Set((deps.extraMediaHosts ?? []).map((h) => h.toLowerCase()));
  const sendsCredentials = (url: URL): boolean => {
    const host = url.hostname.toLowerCase();
    return host === 'twilio.com' || host.endsWith('.twilio.com') || credentialHosts.has(host);
  };

  /**
   * Fetches one media URL (credentials only to Twilio's hosts), refuses bodies over `maxBytes`
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
   * Where one media is downloaded: a carrier URL (with the Twilio credentials on Twilio's hosts), or
   * what the channel's adapter says for a file it only named; `null` = it cannot be downloaded.
   */
  const downloadOf = async (kind: Parameters<MediaImportDeps['channels']['adapterFor']>[0], media: Attachment, auth: string) => {
    if (media.providerFileId) return (await deps.channels.adapterFor(kind).mediaDownload?.(media)) ?? null;
    const url = new URL(media.url!);
    return { url: url.href, headers: sendsCredentials(url) ? { Authorization: auth } : {} };
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
        .select(['m.id', 'm.org_id', 'm.attachments', 'c.channel_kind'])
        .where('m.id', '=', input.messageId)
        .executeTakeFirst();
      if (!message) return { imported: 0 };
      const auth = `Basic ${Buffer.from(`${deps.twilioCredentials.accountSid}:${deps.twilioCredentials.authToken}`).toString('base64')}`;
      let imported = 0;
      const attachments: Attachment[] = [];
      for (const [index, media] of message.attachments.entries()) {
        if (media.attachmentId || (!media.url && !media.providerFileId)) {
          attachments.push(media);
          continue;
        }
        try {
          const download = await downloadOf(message.channel_kind, media, auth);
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
