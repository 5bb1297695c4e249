import { type Kysely, sql } from 'kysely';

/**
 * Email channel, attachments and message templates:
 * - `conversations.reply_token`: the unguessable `+token` of an email conversation's Reply-To address;
 * - `messages.template`: the template a message was sent from (name, WhatsApp Content SID and variables);
 * - `messages.email` (sender, recipients, subject, date, text / HTML bodies, headers) and
 *   `messages.email_message_id` (RFC 5322 Message-ID without `<>`, unique per org: threading + dedupe);
 * - `contacts.email_bounced_at` / `email_bounce_reason`: a hard bounce flags the address;
 * - `attachments`: stored files (bytes in the blob store under `storage_key`), with sha256 and size;
 * - `templates`: per-org message templates with `{{variable}}` merge tags and WhatsApp Content SIDs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('conversations')
    .addColumn('reply_token', 'text', (c) => c.unique())
    .execute();

  await db.schema
    .alterTable('messages')
    .addColumn('email', 'jsonb')
    .addColumn('email_message_id', 'text')
    .addColumn('template', 'jsonb')
    .execute();
  await sql`create unique index messages_org_email_message_id_key on messages (org_id, email_message_id) where email_message_id is not null`.execute(
    db,
  );

  await db.schema.alterTable('contacts').addColumn('email_bounced_at', 'timestamptz').addColumn('email_bounce_reason', 'text').execute();

  await db.schema
    .createTable('attachments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull().check(sql`size_bytes >= 0`))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('content_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('upload', 'email', 'mms')`))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index attachments_org_idx on attachments (org_id, created_at desc)`.execute(db);

  await db.schema
    .createTable('templates')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('sms', 'whatsapp', 'email', 'chat')`))
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('variables', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('whatsapp_content_sid', 'text', (c) => c.check(sql`whatsapp_content_sid ~ '^HX[0-9a-f]{32}$'`))
    .addColumn('approval_status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`approval_status in ('pending', 'approved', 'rejected')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('templates_org_name_key', ['org_id', 'name'])
    .execute();
}

/** Reverts 0002. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('templates').ifExists().execute();
  await db.schema.dropTable('attachments').ifExists().execute();
  await db.schema.alterTable('contacts').dropColumn('email_bounce_reason').dropColumn('email_bounced_at').execute();
  await sql`drop index if exists messages_org_email_message_id_key`.execute(db);
  await db.schema.alterTable('messages').dropColumn('template').dropColumn('email_message_id').dropColumn('email').execute();
  await db.schema.alterTable('conversations').dropColumn('reply_token').execute();
}
