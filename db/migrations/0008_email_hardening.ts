import type { Kysely } from 'kysely';

/**
 * Email hardening ("Email"):
 * - `messages.text_truncated`: the stored `text` is shorter than what was received (the full body is
 *   kept as an attachment); the API shows it as `truncated: true`;
 * - `messages.email_recipients`: the `cc` / `bcc` staff asked for on an email reply
 *   (`{ cc: EmailAddress[], bcc: EmailAddress[] }`), read by the send; `null` = none asked for.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('messages')
    .addColumn('text_truncated', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('email_recipients', 'jsonb')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('email_recipients').dropColumn('text_truncated').execute();
}
