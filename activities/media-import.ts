/**
 * Imports the media of an inbound MMS / WhatsApp message: each carrier `MediaUrl` is fetched with
 * the Twilio account's credentials (HTTP Basic, following Twilio's redirect to its media store),
 * stored as an attachment record with sha256 and size, and the message's attachment list is
 * rewritten to reference it. Source: twilio.com/docs/messaging/guides/media-support (media URLs
 * require auth when "HTTP Basic Authentication for media access" is on; fetch them rather than
 * keeping bare carrier URLs).
 */
import { sql } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import { ApplicationFailure } from '@temporalio/activity';
import { storeAttachment } from '../db/attachment-store';
import type { BlobStore } from '../db/blob-store';
import type { Db } from '../db/client';
import type { Attachment } from '../domain/message';
import { SWITCHBOARD_NAMESPACE } from '../domain/routing';

/** What the media importer needs. */
export interface MediaImportDeps {
  db: Db;
  blobs: BlobStore;
  /** Twilio account credentials, sent as HTTP Basic auth to the media URLs. */
  twilioCredentials: { accountSid: string; authToken: string };
  /** Largest media accepted, in bytes (a larger one is skipped and recorded as not imported). */
  maxBytes: number;
}

/** Builds the media import activity. */
export function createMediaImportActivities(deps: MediaImportDeps) {
  return {
    /**
     * Fetches and stores every not-yet-imported media of an inbound message (idempotent: attachment
     * ids derive from the message id and position, already imported ones are skipped).
     * @returns how many media were imported now
     * @throws (retryable) on network errors and 5xx / 429; ApplicationFailure non-retryable for other 4xx
     */
    async importInboundMedia(input: { messageId: string }): Promise<{ imported: number }> {
      const message = await deps.db
        .selectFrom('messages')
        .select(['id', 'org_id', 'attachments'])
        .where('id', '=', input.messageId)
        .executeTakeFirst();
      if (!message) return { imported: 0 };
      const auth = `Basic ${Buffer.from(`${deps.twilioCredentials.accountSid}:${deps.twilioCredentials.authToken}`).toString('base64')}`;
      let imported = 0;
      const attachments: Attachment[] = [];
      for (const [index, media] of message.attachments.entries()) {
        if (media.attachmentId || !media.url) {
          attachments.push(media);
          continue;
        }
        const res = await fetch(media.url, { headers: { Authorization: auth }, redirect: 'follow', signal: AbortSignal.timeout(30_000) });
        if (!res.ok) {
          const message = `media fetch ${media.url} answered ${res.status}`;
          if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(message);
          throw ApplicationFailure.nonRetryable(message, 'MediaFetchFailed', { status: res.status });
        }
        const bytes = Buffer.from(await res.arrayBuffer());
        if (bytes.length > deps.maxBytes) {
          attachments.push(media); // keep the carrier URL; too large to store
          continue;
        }
        const contentType = media.contentType || res.headers.get('content-type') || 'application/octet-stream';
        const row = await storeAttachment(
          deps.db,
          deps.blobs,
          {
            id: uuidv5(`${message.org_id}|mms|${message.id}|${index}`, SWITCHBOARD_NAMESPACE),
            orgId: message.org_id,
            name: media.name ?? `media-${index + 1}.${contentType.split('/')[1]?.split(';')[0] ?? 'bin'}`,
            contentType,
            bytes,
            source: 'mms',
          },
          { maxBytes: deps.maxBytes },
        );
        attachments.push({ ...media, attachmentId: row.id, name: row.name, size: row.size_bytes, sha256: row.sha256 });
        imported++;
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
