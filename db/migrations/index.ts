import type { Migration } from 'kysely';
import * as m0001 from './0001_init';
import * as m0002 from './0002_email_attachments_templates';
import * as m0003 from './0003_ai_assistant_settings';
import * as m0004 from './0004_ai_suggestions_todos';
import * as m0005 from './0005_send_reconciliation';
import * as m0006 from './0006_idempotency_keys';
import * as m0007 from './0007_ai_hardening';
import * as m0008 from './0008_email_hardening';
import * as m0009 from './0009_contact_identities';
import * as m0010 from './0010_telegram';
import * as m0011 from './0011_staff_sign_in';
import * as m0012 from './0012_channel_credentials_audit_log';
import * as m0013 from './0013_teams';
import * as m0014 from './0014_api_keys';
import * as m0015 from './0015_twilio_accounts';
import * as m0016 from './0016_personal_state_search';
import * as m0017 from './0017_sla_settings';
import * as m0018 from './0018_inbox_feed';
import * as m0019 from './0019_contacts_search';
import * as m0020 from './0020_scheduled_messages';
import * as m0021 from './0021_saved_views';
import * as m0022 from './0022_contact_merge_erase';
import * as m0023 from './0023_change_stamps';
import * as m0024 from './0024_channel_change_notify';

/**
 * Every migration, in order. Listed statically (not read from the folder) so they work the same
 * under tsx, jest and a bundler; kysely's Migrator applies them by name order.
 */
export const migrations: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_email_attachments_templates': m0002,
  '0003_ai_assistant_settings': m0003,
  '0004_ai_suggestions_todos': m0004,
  '0005_send_reconciliation': m0005,
  '0006_idempotency_keys': m0006,
  '0007_ai_hardening': m0007,
  '0008_email_hardening': m0008,
  '0009_contact_identities': m0009,
  '0010_telegram': m0010,
  '0011_staff_sign_in': m0011,
  '0012_channel_credentials_audit_log': m0012,
  '0013_teams': m0013,
  '0014_api_keys': m0014,
  '0015_twilio_accounts': m0015,
  '0016_personal_state_search': m0016,
  '0017_sla_settings': m0017,
  '0018_inbox_feed': m0018,
  '0019_contacts_search': m0019,
  '0020_scheduled_messages': m0020,
  '0021_saved_views': m0021,
  '0022_contact_merge_erase': m0022,
  '0023_change_stamps': m0023,
  '0024_channel_change_notify': m0024,
};
