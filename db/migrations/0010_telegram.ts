import { type Kysely, sql } from 'kysely';

/**
 * Telegram (channels/telegram/):
 * - the `channels` check constraints admit kind `telegram` and provider `telegram`;
 * - `messages.edited_at`: when the customer last edited the message on the carrier (Telegram
 *   `edited_message`); the stored `text` is the edited one; `null` = never edited.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table channels drop constraint channels_kind_check`.execute(db);
  await sql`alter table channels add constraint channels_kind_check check (kind in ('sms', 'whatsapp', 'email', 'chat', 'telegram'))`.execute(db);
  await sql`alter table channels drop constraint channels_provider_check`.execute(db);
  await sql`alter table channels add constraint channels_provider_check check (provider in ('twilio', 'postmark', 'internal', 'telegram'))`.execute(
    db,
  );
  await db.schema.alterTable('messages').addColumn('edited_at', 'timestamptz').execute();
}

/** Fails while Telegram channels exist (they would break the narrower constraints): delete them first. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('edited_at').execute();
  await sql`alter table channels drop constraint channels_provider_check`.execute(db);
  await sql`alter table channels add constraint channels_provider_check check (provider in ('twilio', 'postmark', 'internal'))`.execute(db);
  await sql`alter table channels drop constraint channels_kind_check`.execute(db);
  await sql`alter table channels add constraint channels_kind_check check (kind in ('sms', 'whatsapp', 'email', 'chat'))`.execute(db);
}
