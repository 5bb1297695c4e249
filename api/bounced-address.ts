/**
 * The hard-bounce guard of email replies: an address whose mail bounced permanently (or was
 * reported as spam) is not written to again unless the caller insists (`force: true`). The flag is
 * `contacts.email_bounced_at`, set by Postmark's Bounce / SpamComplaint webhooks and cleared by the
 * next email from that address.
 */
import { HttpError } from './errors';

/** What the guard reads of a conversation's (or a contact's) row. */
export interface BounceFlag {
  /** The channel the reply goes out on (`email` is the only one checked). */
  channelKind: string;
  email: string | null;
  emailBouncedAt: Date | null;
  emailBounceReason: string | null;
}

/**
 * @throws HttpError 422 `email_address_bounced` (details `{ email, bouncedAt (ISO-8601), reason }`) when
 *   an email reply would go to a hard-bounced address and `force` is not set
 */
export function assertEmailDeliverable(flag: BounceFlag, force: boolean): void {
  if (flag.channelKind !== 'email' || force || flag.emailBouncedAt === null) return;
  throw new HttpError(
    422,
    'email_address_bounced',
    `Email to ${flag.email ?? 'this contact'} bounced permanently; send with "force": true to try anyway`,
    { email: flag.email, bouncedAt: flag.emailBouncedAt.toISOString(), reason: flag.emailBounceReason },
  );
}

/** The {@link BounceFlag} of a conversation row read with `getConversation` / `load` (db/queries.ts). */
export function bounceFlagOf(row: {
  channel_kind: string;
  contact_email: string | null;
  contact_email_bounced_at: Date | null;
  contact_email_bounce_reason: string | null;
}): BounceFlag {
  return {
    channelKind: row.channel_kind,
    email: row.contact_email,
    emailBouncedAt: row.contact_email_bounced_at,
    emailBounceReason: row.contact_email_bounce_reason,
  };
}
