import { type Kysely, sql } from 'kysely';

/**
 * Initial schema: orgs, staff users, contacts, channels, conversations, messages, with the org-scoped
 * `(last_activity_at desc, id desc)` list indexes. Typed `Kysely<unknown>` so it never depends on `db/schema.ts`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sla_first_response_minutes', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(60)
        .check(sql`sla_first_response_minutes > 0`),
    )
    .addColumn('sla_next_response_minutes', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(240)
        .check(sql`sla_next_response_minutes > 0`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('staff_users')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'agent')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('staff_users_org_email_key', ['org_id', 'email'])
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('whatsapp', 'text')
    .addColumn('vip', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('contacts_org_phone_key', ['org_id', 'phone'])
    .addUniqueConstraint('contacts_org_whatsapp_key', ['org_id', 'whatsapp'])
    .addUniqueConstraint('contacts_org_email_key', ['org_id', 'email'])
    .execute();

  await db.schema
    .createTable('channels')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('sms', 'whatsapp', 'email', 'chat')`))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull().check(sql`provider in ('twilio', 'postmark', 'internal')`))
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('channels_kind_address_key', ['kind', 'address'])
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('channel_id', 'uuid', (c) => c.notNull().references('channels.id'))
    .addColumn('channel_kind', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('subject', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'pending', 'snoozed', 'closed')`))
    .addColumn('snoozed_until', 'timestamptz')
    .addColumn('priority', 'text', (c) =>
      c
        .notNull()
        .defaultTo('normal')
        .check(sql`priority in ('low', 'normal', 'high', 'urgent')`),
    )
    .addColumn('assignee_id', 'uuid', (c) => c.references('staff_users.id').onDelete('set null'))
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_preview', 'text')
    .addColumn('last_activity_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_customer_message_at', 'timestamptz')
    .addColumn('session_expires_at', 'timestamptz')
    .addColumn('session_expired', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('sla_due_at', 'timestamptz')
    .addColumn('overdue', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('has_staff_replied', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('closed_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // List filters: every list is org-scoped and ordered by (last_activity_at desc, id desc).
  await sql`create index conversations_org_activity_idx on conversations (org_id, last_activity_at desc, id desc)`.execute(db);
  await sql`create index conversations_org_status_activity_idx on conversations (org_id, status, last_activity_at desc, id desc)`.execute(
    db,
  );
  await sql`create index conversations_org_assignee_activity_idx on conversations (org_id, assignee_id, last_activity_at desc, id desc)`.execute(
    db,
  );
  await sql`create index conversations_org_channel_activity_idx on conversations (org_id, channel_kind, last_activity_at desc, id desc)`.execute(
    db,
  );
  await sql`create index conversations_org_overdue_idx on conversations (org_id, last_activity_at desc, id desc) where overdue`.execute(db);
  await sql`create index conversations_tags_idx on conversations using gin (tags)`.execute(db);
  await sql`create index conversations_contact_idx on conversations (contact_id)`.execute(db);

  await db.schema
    .createTable('messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('author_type', 'text', (c) => c.notNull().check(sql`author_type in ('customer', 'staff', 'ai', 'system')`))
    .addColumn('author_id', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('attachments', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('is_internal_note', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('provider', 'text')
    .addColumn('provider_message_id', 'text')
    .addColumn('delivery_status', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('messages_org_provider_message_key', ['org_id', 'provider', 'provider_message_id'])
    .execute();
  await sql`create index messages_conversation_seq_idx on messages (conversation_id, seq)`.execute(db);
}

/** Reverts {@link up}: drops all six tables (dependants first) and their data. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['messages', 'conversations', 'channels', 'contacts', 'staff_users', 'orgs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
