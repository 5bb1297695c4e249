/**
 * Kysely table types for the Switchboard database (see `db/migrations/` for the DDL).
 * Every table carries `org_id`; timestamps are `timestamptz` (read as `Date`).
 */
import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable } from 'kysely';
import type { AiAssistantConfig } from '../domain/ai-assistant';
import type { SlaClocks, SlaSettings } from '../domain/sla';
import type { ChannelKind, ChannelProvider, MessageProvider } from '../channels/kinds';
import type { DeliveryStatus } from '../domain/delivery';
import type { Attachment, EmailDetails, EmailRecipients, TemplateUse } from '../domain/message';

/** timestamptz: read as Date, written as Date or ISO-8601 string, optional on insert where the column has a default. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** `orgs`: one tenant (organisation); every other table belongs to one. */
export interface OrgsTable {
  id: string;
  name: string;
  /** First-response SLA target in minutes (default 60, > 0). */
  sla_first_response_minutes: Generated<number>;
  /** Next-response SLA target in minutes (default 240, > 0). */
  sla_next_response_minutes: Generated<number>;
  created_at: Timestamp;
}

/** `staff_users`: people who use the API (JWT `sub`); `email` unique per org. */
export interface StaffUsersTable {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  created_at: Timestamp;
  /** argon2id PHC string (`$argon2id$v=19$…`); `null` = no password set yet (migration 0011). */
  password_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the user was deactivated; `null` = active. Deactivated users cannot sign in. */
  deactivated_at: NullableTimestamp;
  /** Bumped to revoke every access token whose `tv` claim is older (deactivation, password change). */
  token_version: Generated<number>;
}

/**
 * `staff_refresh_tokens`: rotating refresh tokens (migration 0011). One `family_id` per login; each
 * refresh marks the presented token `used_at` and issues a new one in the family; presenting a used
 * token again revokes the family. `token_hash` = SHA-256 hex of the token (the token is never stored).
 */
export interface StaffRefreshTokensTable {
  id: Generated<string>;
  staff_id: string;
  family_id: string;
  token_hash: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: Timestamp;
  used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

/** Purposes of a {@link StaffOneTimeTokensTable} row. */
export type OneTimeTokenPurpose = 'set_password' | 'reset_password' | 'invite';

/**
 * `staff_one_time_tokens`: single-use password tokens printed by the admin CLI (migration 0011, 24 h),
 * or handed out by `POST /v1/staff` (`invite`, migration 0013, 7 days).
 */
export interface StaffOneTimeTokensTable {
  id: Generated<string>;
  staff_id: string;
  purpose: OneTimeTokenPurpose;
  /** SHA-256 hex of the token. */
  token_hash: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

/** Who did an audited action: a staff user (JWT), an API key, or the system (admin CLI, migrations). */
export type AuditActorType = 'staff' | 'api_key' | 'system';

/**
 * `twilio_accounts`: the Twilio (sub-)account an org connected (migration 0015), one per org; its
 * credentials sealed by `config/keyring.ts` (AAD = the row id), never returned by the API.
 */
export interface TwilioAccountsTable {
  id: Generated<string>;
  org_id: string;
  /** `AC` + 32 hex digits (not a secret). */
  account_sid: string;
  /** `{ accountSid, authToken }` sealed (AES-256-GCM, AAD = `id`). */
  credentials_ciphertext: string;
  credentials_key_id: string;
  /** Twilio's `friendly_name` of the account at the last check. */
  friendly_name: string | null;
  /** Twilio's account status at the last check: `active`, `suspended` or `closed`. */
  status: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A selected `twilio_accounts` row. */
export type TwilioAccountRow = Selectable<TwilioAccountsTable>;

/** `audit_log`: admin actions of an org (migration 0012); `before` / `after` never hold secrets. */
export interface AuditLogTable {
  id: Generated<string>;
  org_id: string;
  actor_type: AuditActorType;
  /** The staff user or API key id; `null` for `system`. */
  actor_id: string | null;
  /** Dotted verb, e.g. `channel.create`, `staff.deactivate`, `api_key.revoke`. */
  action: string;
  /** What was acted on: `channel`, `staff`, `team`, `api_key`, … */
  target_type: string;
  target_id: string | null;
  before: JSONColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  after: JSONColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

/** Scopes of an API key: `read` (GET/HEAD), `write` (+ every other non-admin request), `admin` (+ admin routes). */
export type ApiKeyScope = 'read' | 'write' | 'admin';

/**
 * `api_keys`: an org's integration keys (migration 0014). `key_hash` = SHA-256 hex of the whole key
 * (the key itself is shown once and never stored); `prefix` = its first characters, for lists;
 * `created_by` = the creating staff user (`null` from the admin CLI); `revoked_at` `null` = live.
 */
export interface ApiKeysTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: ApiKeyScope[];
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

/** `teams`: groups of an org's staff (migration 0013); `name` unique per org, case-insensitive. */
export interface TeamsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `team_members`: which staff users belong to which team (primary key `(team_id, staff_id)`; migration 0013). */
export interface TeamMembersTable {
  team_id: string;
  staff_id: string;
  created_at: Timestamp;
}

/** `contacts`: an org's customers; their addresses are `contact_identities` rows. */
export interface ContactsTable {
  id: string;
  org_id: string;
  name: string | null;
  vip: Generated<boolean>;
  /** Set when an email to this contact hard-bounced (the address is flagged). */
  email_bounced_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  email_bounce_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * Set on the anonymous stand-in of an erased contact (migration 0022): the erased contact's
   * conversations point at it; it has no name and no identities and is left out of lookups.
   */
  erased_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * `contact_identities`: one address of a contact on one channel kind (migration 0009); `address` is
 * normalised by the kind (E.164 for sms / whatsapp, lower-cased for email); `(org_id, kind, address)`
 * is unique: an address belongs to one contact of an org.
 */
export interface ContactIdentitiesTable {
  id: Generated<string>;
  org_id: string;
  contact_id: string;
  kind: ChannelKind;
  address: string;
  created_at: Timestamp;
}

/** `channels`: an org's number or address on a provider; `settings` is provider-specific JSON (default `{}`). */
export interface ChannelsTable {
  id: string;
  org_id: string;
  kind: ChannelKind;
  /** E.164 for sms/whatsapp, an email address for email. Globally unique per kind: inbound routing key. */
  address: string;
  name: string;
  provider: ChannelProvider;
  settings: JSONColumnType<Record<string, unknown>>;
  /** The channel's own credentials, sealed by `config/keyring.ts` (AAD = id); `null` = the environment's (migration 0012). */
  credentials_ciphertext: ColumnType<string | null, string | null | undefined, string | null>;
  /** Id of the key that sealed `credentials_ciphertext`; set exactly when it is. */
  credentials_key_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set when the channel was deleted while it still had conversations (it then takes no new messages). */
  archived_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * `conversations`: the Postgres copy of each conversation workflow's state (written by its activities,
 * see `db/mappers.ts`), for listing and filtering. `channel_kind` duplicates the channel's kind.
 */
export interface ConversationsTable {
  id: string;
  org_id: string;
  channel_id: string;
  channel_kind: ChannelKind;
  contact_id: string;
  subject: string | null;
  status: 'open' | 'pending' | 'snoozed' | 'closed';
  snoozed_until: NullableTimestamp;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  assignee_id: string | null;
  /** The team the conversation is assigned to (migration 0013); `null` = none (also once the team is deleted). */
  team_id: ColumnType<string | null, string | null | undefined, string | null>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  unread_count: number;
  last_message_preview: string | null;
  last_activity_at: Timestamp;
  last_customer_message_at: NullableTimestamp;
  session_expires_at: NullableTimestamp;
  session_expired: boolean;
  sla_due_at: NullableTimestamp;
  overdue: boolean;
  has_staff_replied: boolean;
  closed_reason: 'closed_by_staff' | 'session_expired' | null;
  /** Unguessable `+token` of an email conversation's Reply-To address (`null` for other channels). */
  reply_token: ColumnType<string | null, string | null | undefined, string | null>;
  /** The conversation's own AI-assist switch; `null` = the org's default (assistant enabled and the channel in its list). */
  ai_assist: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  /** Set when the AI assistant handed the conversation off to a human; cleared by a staff reply or closing. */
  needs_human: Generated<boolean>;
  // ---- SLA copy (migration 0017; written by the workflow's activities) ----
  /** The run's SLA clocks (`SlaClocks`, domain/sla.ts); `null` for states written before. */
  sla_clocks: ColumnType<SlaClocks | null, SlaClocks | string | null | undefined, SlaClocks | string | null>;
  sla_first_response_due_at: NullableTimestamp;
  sla_next_response_due_at: NullableTimestamp;
  sla_resolution_due_at: NullableTimestamp;
  /** A clock passed its warning instant and is not breached. */
  sla_at_risk: Generated<boolean>;
  /**
   * When the conversation was archived for the whole org (migration 0016); `null` = not archived.
   * Written by the API (`POST …/archive`) and cleared by a new customer message; never part of the
   * workflow's state upserts (`conversationColumns`).
   */
  archived_at: NullableTimestamp;
  /**
   * `seq` of the newest inbound (customer) message, `null` = none (bigint as string; migration 0021). Kept
   * by the trigger `messages_track_last_inbound`: never written by the application.
   */
  last_inbound_seq: ColumnType<string | null, never, never>;
  /** The transaction that last wrote the row (`xid8` as a string; migration 0023). Stamped by a trigger: never written by the application. */
  changed_xid: ColumnType<string, never, never>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The stored SLA settings document (the version is its own column). */
export type SlaSettingsDocument = Omit<SlaSettings, 'version'>;

/** `org_sla_settings` (migration 0017): an org's SLA settings (`SlaSettings` without `version`, jsonb). */
export interface OrgSlaSettingsTable {
  org_id: string;
  version: number;
  settings: ColumnType<SlaSettingsDocument, string, string>;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

/**
 * `conversation_reads`: how far a staff user has read a conversation (migration 0016; primary key
 * `(conversation_id, staff_id)`). Inbound messages with `seq` > `last_read_seq` are unread for them;
 * no row = nothing read.
 */
export interface ConversationReadsTable {
  conversation_id: string;
  staff_id: string;
  /** A `messages.seq` (bigint as string). */
  last_read_seq: ColumnType<string, string | number | bigint, string | number | bigint>;
  updated_at: Timestamp;
  /** The transaction that last wrote the row (`xid8` as a string; migration 0023). Stamped by a trigger: never written by the application. */
  changed_xid: ColumnType<string, never, never>;
}

/** `conversation_stars`: a staff user's starred conversations (migration 0016; primary key `(conversation_id, staff_id)`). */
export interface ConversationStarsTable {
  conversation_id: string;
  staff_id: string;
  created_at: Timestamp;
}

/** Built-in view keys of `saved_views.builtin_key` (migration 0021). */
export type BuiltinViewKey = 'unread' | 'recents' | 'starred' | 'all';

/**
 * `saved_views`: a staff user's saved inbox views, or a team's shared ones (migration 0021; exactly one
 * of `owner_staff_id` / `team_id`). `filters`: the conversation list's query parameters as strings.
 */
export interface SavedViewsTable {
  id: Generated<string>;
  org_id: string;
  owner_staff_id: string | null;
  team_id: string | null;
  name: string;
  filters: JSONColumnType<Record<string, string>>;
  /** 0-based order within the owner's (or the team's) list. */
  position: number;
  builtin_key: BuiltinViewKey | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * `messages`: inbound and outbound messages and internal notes (outbound, no provider or status);
 * `(org_id, provider, provider_message_id)` is unique, so a redelivered provider message is stored once.
 */
export interface MessagesTable {
  id: string;
  /** Insertion order within the database; orders a conversation's messages chronologically. */
  seq: Generated<string>;
  org_id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  author_type: 'customer' | 'staff' | 'ai' | 'system';
  author_id: string | null;
  text: string;
  attachments: JSONColumnType<Attachment[]>;
  is_internal_note: boolean;
  provider: MessageProvider | null;
  provider_message_id: string | null;
  delivery_status: DeliveryStatus | null;
  /** When the current send attempt began (the row turned `sending`); the window a retried send reconciles over. */
  send_started_at: ColumnType<Date | null, string | Date | null | undefined, string | Date | null>;
  error_code: string | null;
  error_message: string | null;
  /** Email envelope and bodies (email channel only). */
  email: ColumnType<EmailDetails | null, string | null | undefined, string | null>;
  /** The template this message was rendered from (`null` for free-form messages). */
  template: ColumnType<TemplateUse | null, string | null | undefined, string | null>;
  /** RFC 5322 Message-ID without angle brackets (email channel only); unique per org. */
  email_message_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The stored `text` is shorter than received (the full body is an attachment). */
  text_truncated: Generated<boolean>;
  /** Extra recipients staff asked for on an outbound email (`cc` / `bcc`); `null` = none. */
  email_recipients: ColumnType<EmailRecipients | null, string | null | undefined, string | null>;
  /** When the customer last edited the message on the carrier (Telegram); `null` = never edited. */
  edited_at: NullableTimestamp;
  /** When a `scheduled` reply goes out (send later, migration 0020); `null` for every other message. */
  send_at: ColumnType<Date | null, string | Date | null | undefined, string | Date | null>;
  /** A customer message arriving before `send_at` cancels the scheduled reply (migration 0020). */
  cancel_if_customer_replies: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /**
   * `to_tsvector('simple', left(text, 100000))`, generated and stored by Postgres (migration 0016) for
   * full-text search; never written, read as its text form.
   */
  search_vector: ColumnType<string, never, never>;
}

/**
 * `message_edits` (migration 0020): the text of a staff note / scheduled reply before each edit, and
 * of a note before it was deleted (`action`); no foreign key to `messages` (a deleted note's rows stay).
 */
export interface MessageEditsTable {
  id: Generated<string>;
  org_id: string;
  conversation_id: string;
  message_id: string;
  action: ColumnType<'edit' | 'delete', 'edit' | 'delete' | undefined, 'edit' | 'delete'>;
  previous_text: string;
  /** The staff user id who edited it. */
  edited_by: string;
  edited_at: Timestamp;
}

/** A stored file; its bytes live in the blob store under `storage_key`. */
export interface AttachmentsTable {
  id: string;
  org_id: string;
  name: string;
  content_type: string;
  /** Size in bytes. */
  size_bytes: number;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  storage_key: string;
  /** `Content-ID` of an inline email image (without `cid:`), else `null`. */
  content_id: ColumnType<string | null, string | null | undefined, string | null>;
  source: 'upload' | 'email' | 'mms';
  created_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

/** A message template with `{{variable}}` merge tags; WhatsApp templates carry a Twilio Content SID. */
export interface TemplatesTable {
  id: string;
  org_id: string;
  name: string;
  channel: ChannelKind;
  /** Email subject (may contain merge tags); `null` for other channels. */
  subject: string | null;
  body: string;
  variables: ColumnType<string[], string[] | undefined, string[]>;
  /** Twilio Content SID (`HX` + 32 hex) of the approved WhatsApp template. */
  whatsapp_content_sid: string | null;
  approval_status: ColumnType<
    'pending' | 'approved' | 'rejected',
    'pending' | 'approved' | 'rejected' | undefined,
    'pending' | 'approved' | 'rejected'
  >;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * `ai_assistant_settings`: an org's AI assistant configuration (at most one row per org; none = the
 * defaults). `config` holds the domain field names; read it merged over `DEFAULT_AI_ASSISTANT_CONFIG`
 * (older rows may lack newer fields). Written as a JSON string.
 */
export interface AiAssistantSettingsTable {
  org_id: string;
  config: ColumnType<Partial<AiAssistantConfig>, string, string>;
  /** Staff user who last changed the settings. */
  updated_by: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
  /** 0 for a new row; each `PUT /v1/ai-assistant` adds 1 (running conversations keep the newest they were sent). */
  version: ColumnType<number, number | undefined, number>;
}

/** What became of an AI suggestion (see `domain/ai-assistant.ts` `AI_SUGGESTION_STATUSES`). */
export type AiSuggestionStatus =
  'pending' | 'scheduled' | 'sent' | 'auto_sent' | 'answered' | 'dismissed' | 'superseded' | 'cancelled' | 'handed_off' | 'failed';

/** `ai_suggestions`: one row per draft the assistant made for a conversation, and its fate. */
export interface AiSuggestionsTable {
  id: string;
  org_id: string;
  conversation_id: string;
  /** The customer message the draft answers. */
  trigger_message_id: string | null;
  decision: 'auto_send' | 'suggest' | 'hand_off' | 'failed';
  status: AiSuggestionStatus;
  /** Why the draft was suggested rather than auto-sent (`AiSuggestReason[]`). */
  reasons: ColumnType<string[], string | undefined, string>;
  reply: string;
  /** 0–1 */
  confidence: number;
  complexity: 'low' | 'medium' | 'high';
  intent: string;
  handoff: boolean;
  handoff_reason: string | null;
  model: string;
  /** When a `scheduled` auto-send goes out. */
  send_at: NullableTimestamp;
  /** The message sent from this suggestion (auto-sent, sent by staff) or the staff reply that answered instead. */
  message_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Staff user id (or `ai-assistant`) who resolved it. */
  resolved_by: ColumnType<string | null, string | null | undefined, string | null>;
  resolved_at: NullableTimestamp;
  /** Why a `failed` suggestion has no draft, for staff (the error's message); `null` otherwise. */
  error_message: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `ai_training_pairs`: the assistant's draft and what a human sent instead (one per suggestion). */
export interface AiTrainingPairsTable {
  id: string;
  org_id: string;
  conversation_id: string;
  suggestion_id: string;
  message_id: string;
  draft: string;
  sent: string;
  /** Whether `sent` differs from `draft`. */
  edited: boolean;
  intent: string;
  staff_user_id: string | null;
  created_at: Timestamp;
}

/** `todos`: follow-ups (from staff or the assistant's `create_todo` tool), each about one inbox item. */
export interface TodosTable {
  id: string;
  org_id: string;
  title: string;
  due_at: NullableTimestamp;
  source_type: 'inbox';
  /** The conversation (inbox item) the todo is about. */
  source_id: string;
  status: ColumnType<'open' | 'done', 'open' | 'done' | undefined, 'open' | 'done'>;
  created_by_type: 'staff' | 'ai';
  /** Staff user id, or `ai-assistant`. */
  created_by: string | null;
  completed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The whole database, as kysely sees it. */
export interface Database {
  orgs: OrgsTable;
  staff_users: StaffUsersTable;
  staff_refresh_tokens: StaffRefreshTokensTable;
  staff_one_time_tokens: StaffOneTimeTokensTable;
  contacts: ContactsTable;
  contact_identities: ContactIdentitiesTable;
  channels: ChannelsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  message_edits: MessageEditsTable;
  attachments: AttachmentsTable;
  templates: TemplatesTable;
  ai_assistant_settings: AiAssistantSettingsTable;
  ai_suggestions: AiSuggestionsTable;
  ai_training_pairs: AiTrainingPairsTable;
  todos: TodosTable;
  audit_log: AuditLogTable;
  api_keys: ApiKeysTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  twilio_accounts: TwilioAccountsTable;
  org_sla_settings: OrgSlaSettingsTable;
  conversation_reads: ConversationReadsTable;
  conversation_stars: ConversationStarsTable;
  saved_views: SavedViewsTable;
}

/** An `orgs` row as selected. */
export type OrgRow = Selectable<OrgsTable>;
/** A `staff_users` row as selected. */
export type StaffUserRow = Selectable<StaffUsersTable>;
/** One address of a contact (a `contact_identities` row, reduced). */
export interface ContactIdentity {
  kind: ChannelKind;
  address: string;
}

/**
 * A contact as read (db/contacts.ts `findContact`): the `contacts` row, its identities (oldest first),
 * and the addresses derived from them: `phone` (the `sms` identity), `whatsapp`, `email`.
 */
export type ContactRow = Selectable<ContactsTable> & {
  phone: string | null;
  whatsapp: string | null;
  email: string | null;
  identities: ContactIdentity[];
};
/** A `channels` row as selected. */
export type ChannelRow = Selectable<ChannelsTable>;
/** A `conversations` row as selected. */
export type ConversationRow = Selectable<ConversationsTable>;
/** A `conversations` row to insert (columns with defaults optional; timestamps Date or ISO-8601). */
export type NewConversationRow = Insertable<ConversationsTable>;
/** A `messages` row as selected (`seq` is a bigint as string). */
export type MessageRow = Selectable<MessagesTable>;
/** A selected `attachments` row. */
export type AttachmentRow = Selectable<AttachmentsTable>;
/** A selected `templates` row. */
export type TemplateRow = Selectable<TemplatesTable>;
/** A selected `ai_suggestions` row. */
export type AiSuggestionRow = Selectable<AiSuggestionsTable>;
/** A selected `ai_training_pairs` row. */
export type AiTrainingPairRow = Selectable<AiTrainingPairsTable>;
/** A selected `todos` row. */
export type TodoRow = Selectable<TodosTable>;
