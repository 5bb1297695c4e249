/**
 * Emails to staff users about their account (not conversation messages): the password-reset link.
 * Sent through the org's own email channel (its oldest live Postmark channel, with that channel's
 * server token when it has its own credentials, else the environment's), from the channel's address.
 * An org without an email channel gets no email: its admin prints a token with
 * `npm run admin -- reset-password` instead.
 *
 * The secret token is created inside the activity and goes only into the email, never into the
 * workflow's input or history (the Temporal UI shows those).
 *
 * Retries never send twice silently: Postmark has no idempotency key, so only failures where Postmark
 * answered and refused the email (429, 5xx) are retried; a network error or timeout (the email may
 * have been accepted) ends the attempt with a non-retryable `email_unconfirmed`, logged. The user can
 * ask again. Rules: postmarkapp.com/developer/api/overview#http-response-codes.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import { Errors } from 'postmark';
import { createPostmarkClient, isPermanentPostmarkError } from '../channels/postmark/client';
import { DecryptionError, type Keyring } from '../config/keyring';
import { openChannelCredentials } from '../db/channel-credentials';
import type { Db } from '../db/client';
import { issueOneTimeToken, setPasswordUrl } from '../db/staff-auth';

/** How long a password-reset link works: 1 h (in ms). */
export const PASSWORD_RESET_TTL_MS = 60 * 60 * 1000;

/** What the staff-email activities need. */
export interface StaffEmailDeps {
  db: Db;
  keyring: Keyring;
  /** The environment's Postmark settings: the server token of channels without their own, and the API base URL (stand-ins). */
  postmark: { serverToken: string; apiBaseUrl: string | undefined };
  /** Where the set-password page lives: `${publicBaseUrl}/set-password?token=…`. */
  publicBaseUrl: string;
}

/** Input of {@link createStaffEmailActivities}' `sendPasswordResetEmail`. */
export interface PasswordResetEmailInput {
  orgId: string;
  staffId: string;
}

/** What happened: `sent` with Postmark's MessageID, or why no email went out. */
export type PasswordResetEmailResult =
  { sent: true; providerMessageId: string } | { sent: false; reason: 'no_active_user' | 'no_email_channel' };

/** The staff-email activities. */
export function createStaffEmailActivities(deps: StaffEmailDeps) {
  return {
    /**
     * Issues a password-reset token (1 h; the user's earlier unused reset tokens stop working, an invite
     * or a CLI token does not) and emails the
     * link to the user from the org's email channel.
     * @throws ApplicationFailure non-retryable `email_rejected` (Postmark refused: bad token, inactive
     *   recipient), `email_unconfirmed` (no answer: it may have been sent) or
     *   `channel_credentials_unavailable` (the channel's sealed credentials do not open with this keyring:
     *   no token is issued); other errors are retried
     */
    async sendPasswordResetEmail(input: PasswordResetEmailInput): Promise<PasswordResetEmailResult> {
      const user = await deps.db
        .selectFrom('staff_users as u')
        .innerJoin('orgs as o', 'o.id', 'u.org_id')
        .select(['u.id', 'u.email', 'u.name', 'o.name as org_name'])
        .where('u.org_id', '=', input.orgId)
        .where('u.id', '=', input.staffId)
        .where('u.deactivated_at', 'is', null)
        .executeTakeFirst();
      if (!user) return { sent: false, reason: 'no_active_user' };
      const channel = await deps.db
        .selectFrom('channels')
        .select(['id', 'address', 'name', 'credentials_ciphertext', 'credentials_key_id'])
        .where('org_id', '=', input.orgId)
        .where('kind', '=', 'email')
        .where('provider', '=', 'postmark')
        .where('archived_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .executeTakeFirst();
      if (!channel) return { sent: false, reason: 'no_email_channel' };
      let own: ReturnType<typeof openChannelCredentials<'postmark'>>;
      try {
        own = openChannelCredentials(deps.keyring, { ...channel, provider: 'postmark' as const });
      } catch (err) {
        // a key missing from CREDENTIALS_ENCRYPTION_KEYS (or a damaged row) does not heal by retrying
        if (err instanceof DecryptionError) {
          throw ApplicationFailure.nonRetryable(
            `the email channel's credentials cannot be opened: ${err.message}`,
            'channel_credentials_unavailable',
          );
        }
        throw err;
      }
      const client = createPostmarkClient({
        serverToken: own?.serverToken ?? deps.postmark.serverToken,
        apiBaseUrl: deps.postmark.apiBaseUrl,
        timeoutSeconds: 30,
      });
      const { token, expiresAt } = await issueOneTimeToken(
        deps.db,
        user.id,
        'reset_password',
        new Date(),
        PASSWORD_RESET_TTL_MS,
        'same_purpose',
      );
      const link = setPasswordUrl(deps.publicBaseUrl, token);
      try {
        const res = await client.sendEmail({
          From: `"${user.org_name.replaceAll('"', "'")}" <${channel.address}>`,
          To: user.email,
          Subject: 'Reset your Switchboard password',
          TextBody:
            `Hello ${user.name},\n\nSomeone (hopefully you) asked to reset your Switchboard password for ${user.org_name}.\n` +
            `Set a new password here (the link works once, until ${expiresAt.toISOString()}):\n\n${link}\n\n` +
            `If you did not ask for this, ignore this email: your password stays as it is.\n`,
          Tag: 'password-reset',
          MessageStream: 'outbound',
        });
        return { sent: true, providerMessageId: res.MessageID };
      } catch (err) {
        const permanent = isPermanentPostmarkError(err);
        if (permanent) {
          throw ApplicationFailure.nonRetryable(`Postmark refused the reset email: ${permanent.message}`, 'email_rejected', {
            status: permanent.status,
            code: permanent.code,
          });
        }
        if (err instanceof Errors.PostmarkError && err.statusCode === 0) {
          log.warn('password reset email unconfirmed (no answer from Postmark); not retried', { staffId: user.id });
          throw ApplicationFailure.nonRetryable(
            'Postmark did not answer: the reset email may or may not have been sent',
            'email_unconfirmed',
          );
        }
        throw err;
      }
    },
  };
}
