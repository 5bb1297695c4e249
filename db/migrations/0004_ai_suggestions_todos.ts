import { type Kysely, sql } from 'kysely';

/**
 * The AI assistant at work:
 * - `conversations.ai_assist` (null = follow the org's settings: enabled and the channel in its list;
 *   true/false = set per conversation) and `conversations.needs_human` (the assistant handed off);
 * - `ai_suggestions`: every draft the assistant made for a conversation and what became of it;
 * - `ai_training_pairs`: a draft next to what a human actually sent instead (one per suggestion);
 * - `todos`: follow-ups created by staff or by the assistant's `create_todo` tool.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('ai_assist', 'boolean').execute();
  await db.schema
    .alterTable('conversations')
    .addColumn('needs_human', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`create index conversations_org_needs_human_idx on conversations (org_id, last_activity_at desc, id desc) where needs_human`.execute(
    db,
  );

  await db.schema
    .createTable('ai_suggestions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('trigger_message_id', 'uuid')
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('auto_send', 'suggest', 'hand_off')`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`status in ('pending', 'scheduled', 'sent', 'auto_sent', 'answered', 'dismissed', 'superseded', 'cancelled', 'handed_off')`,
        ),
    )
    .addColumn('reasons', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('reply', 'text', (c) => c.notNull())
    .addColumn('confidence', 'double precision', (c) => c.notNull())
    .addColumn('complexity', 'text', (c) => c.notNull().check(sql`complexity in ('low', 'medium', 'high')`))
    .addColumn('intent', 'text', (c) => c.notNull())
    .addColumn('handoff', 'boolean', (c) => c.notNull())
    .addColumn('handoff_reason', 'text')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('send_at', 'timestamptz')
    .addColumn('message_id', 'uuid')
    .addColumn('resolved_by', 'text')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index ai_suggestions_conversation_idx on ai_suggestions (conversation_id, created_at desc)`.execute(db);
  await sql`create index ai_suggestions_org_created_idx on ai_suggestions (org_id, created_at)`.execute(db);

  await db.schema
    .createTable('ai_training_pairs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('suggestion_id', 'uuid', (c) => c.notNull().unique().references('ai_suggestions.id').onDelete('cascade'))
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('draft', 'text', (c) => c.notNull())
    .addColumn('sent', 'text', (c) => c.notNull())
    .addColumn('edited', 'boolean', (c) => c.notNull())
    .addColumn('intent', 'text', (c) => c.notNull())
    .addColumn('staff_user_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index ai_training_pairs_org_created_idx on ai_training_pairs (org_id, created_at, id)`.execute(db);

  await db.schema
    .createTable('todos')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz')
    .addColumn('source_type', 'text', (c) => c.notNull().check(sql`source_type in ('inbox')`))
    .addColumn('source_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'done')`),
    )
    .addColumn('created_by_type', 'text', (c) => c.notNull().check(sql`created_by_type in ('staff', 'ai')`))
    .addColumn('created_by', 'text')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index todos_org_status_due_idx on todos (org_id, status, due_at nulls last, created_at, id)`.execute(db);
  await sql`create index todos_source_idx on todos (org_id, source_type, source_id)`.execute(db);
}

/** Reverts 0004. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['todos', 'ai_training_pairs', 'ai_suggestions']) await db.schema.dropTable(table).ifExists().execute();
  await sql`drop index if exists conversations_org_needs_human_idx`.execute(db);
  await db.schema.alterTable('conversations').dropColumn('needs_human').execute();
  await db.schema.alterTable('conversations').dropColumn('ai_assist').execute();
}
