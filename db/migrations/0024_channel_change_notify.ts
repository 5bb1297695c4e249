import { type Kysely, sql } from 'kysely';

/**
 * Channel changes are announced (issue 10 follow-up: credential rotation takes effect at once in every
 * API process): the trigger `channels_notify_changed` (after insert, update or delete, per row) sends
 * `NOTIFY switchboard_channel_changed, '<channel id>'`. Each API process LISTENs
 * (`db/channel-changes.ts`) and reloads its channel directories, so a rotated or revoked credential stops
 * verifying webhooks within moments instead of after the directory's periodic refresh (60 s).
 * Notifications are delivered at commit (none for a rolled-back change) and are only a hint: the
 * periodic refresh stays, for a process that was not listening when a change committed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create function notify_channel_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('switchboard_channel_changed', coalesce(new.id, old.id)::text);
      return null;
    end
  $$`.execute(db);
  await sql`create trigger channels_notify_changed after insert or update or delete on channels
    for each row execute function notify_channel_changed()`.execute(db);
}

/** Drops the trigger and its function. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists channels_notify_changed on channels`.execute(db);
  await sql`drop function if exists notify_channel_changed()`.execute(db);
}
