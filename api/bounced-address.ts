/**
 * The hard-bounce guard of replies on kinds whose provider reports bounced addresses (the kind spec's
 * `capabilities.addressBounces`: email): an address whose mail bounced permanently (or was reported as
 * spam) is not written to again unless the caller insists (`force: true`). The flag is
 * `contacts.email_bounced_at`, set by the provider's bounce webhooks and cleared by the next email
 * from that address.
 */
import { type ChannelKind, kindSpec } from '../channels/kinds';
import { HttpError } from './errors';

/** What the guard reads of a conversation's (or a contact's) row. */
export interface BounceFlag {
  /** The channel the reply goes out on (checked only where its kind spec has `capabilities.addressBounces`). */
  channelKind: ChannelKind;
  email: string | null;
  emailBouncedAt: Date | null;
  emailBounceReason: string | null;
}

/**
 * @throws HttpError 422 `email_address_bounced` (details `{ email, bouncedAt (ISO-8601), reason }`) when
 *   a reply on a kind with `capabilities.addressBounces` (email) would go to a hard-bounced address and
 *   `force` is not set
 */
export function assertEmailDeliverable(flag: BounceFlag, force: boolean): void {
  if (!kindSpec(flag.channelKind).capabilities.addressBounces || force || flag.emailBouncedAt === null) return;
  throw new HttpError(
    422,
    'email_address_bounced',
    `Email to ${flag.email ?? 'this contact'} bounced permanently; send with "force": true to try anyway`,
    { email: flag.email, bouncedAt: flag.emailBouncedAt.toISOString(), reason: flag.emailBounceReason },
  );
}

/** The {@link BounceFlag} of a conversation row read with `getConversation` / `load` (db/queries.ts). */
export function bounceFlagOf(row: {
  channel_kind: ChannelKind;
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
