/**
 * Database rows → API JSON (timestamps ISO-8601 UTC), and the opaque list cursor.
 */
import type { ConversationCursor, ConversationListRow } from '../db/queries';
import type { ContactRow } from '../db/schema';
import type { Contact, ConversationView } from './schemas';
import { z } from 'zod';
import { encodeKeyset } from '../db/keyset';
import { decodeCursorTuple } from './cursors';
import { suggestionViewFromJson } from './ai-suggestion-schemas';
import { mergeAiAssistantConfig } from '../db/ai-assistant-settings';
import { effectiveAiAssist, type AiAssistantConfig } from '../domain/ai-assistant';
import { kindSpec } from '../channels/kinds';

const CursorTuple = z.tuple([z.iso.datetime({ offset: true }), z.uuid()]);
/** A search page's cursor (`?q=`): `[rank as text, lastActivityAt, id]`. */
const SearchCursorTuple = z.tuple([
  z
    .string()
    .max(40)
    .transform(Number)
    .refine((n) => Number.isFinite(n)),
  z.iso.datetime({ offset: true }),
  z.uuid(),
]);

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/**
 * Warnings for staff about to reply: `email_address_bounced` on a conversation whose kind reports
 * bounced addresses (`capabilities.addressBounces`: email) and whose contact's address is flagged (a reply is refused with 422 unless sent with `force: true`).
 */
function conversationWarnings(row: ConversationListRow): ConversationView['warnings'] {
  if (!kindSpec(row.channel_kind).capabilities.addressBounces || row.contact_email_bounced_at === null) return [];
  return [
    {
      code: 'email_address_bounced',
      message: `Email to ${row.contact_email ?? 'this contact'} bounced permanently; replies are refused unless sent with force: true.`,
      details: { email: row.contact_email, bouncedAt: iso(row.contact_email_bounced_at), reason: row.contact_email_bounce_reason },
    },
  ];
}

// ---- SLA (issue 11) ----
/**
 * The `sla` object of a conversation: the workflow's copy (migration 0017), or for rows written
 * before SLA clocks the wall-clock `sla_due_at` as the first or next response due.
 */
function slaViewOfRow(row: ConversationListRow): ConversationView['sla'] {
  if (!row.sla_has_clocks) {
    const due = isoOrNull(row.sla_due_at);
    return {
      firstResponseDueAt: row.has_staff_replied ? null : due,
      nextResponseDueAt: row.has_staff_replied ? due : null,
      resolutionDueAt: null,
      atRisk: false,
      overdue: row.overdue,
    };
  }
  return {
    firstResponseDueAt: isoOrNull(row.sla_first_response_due_at),
    nextResponseDueAt: isoOrNull(row.sla_next_response_due_at),
    resolutionDueAt: isoOrNull(row.sla_resolution_due_at),
    atRisk: row.sla_at_risk,
    overdue: row.overdue,
  };
}
// ---- end SLA ----

/** A conversation row (joined with channel and contact) as the `Conversation` schema. */
export function toConversationView(row: ConversationListRow): ConversationView {
  return {
    id: row.id,
    channel: row.channel_kind,
    inbox: { id: row.channel_id, name: row.channel_name, kind: row.channel_kind, address: row.channel_address },
    contact: {
      id: row.contact_id,
      name: row.contact_name,
      phone: row.contact_phone,
      email: row.contact_email,
      whatsapp: row.contact_whatsapp,
      vip: row.contact_vip,
      emailBouncedAt: isoOrNull(row.contact_email_bounced_at),
      emailBounceReason: row.contact_email_bounce_reason,
    },
    subject: row.subject,
    status: row.status,
    snoozedUntil: isoOrNull(row.snoozed_until),
    priority: row.priority,
    assigneeId: row.assignee_id,
    assigneeInactive: row.assignee_inactive,
    teamId: row.team_id,
    tags: row.tags,
    // the caller's own: customer messages after their read marker (db/personal-state.ts)
    unreadCount: row.my_unread_count,
    lastMessagePreview: row.last_message_preview,
    lastActivityAt: iso(row.last_activity_at),
    lastCustomerMessageAt: isoOrNull(row.last_customer_message_at),
    sessionExpiresAt: isoOrNull(row.session_expires_at),
    sessionExpired: row.session_expired,
    slaDueAt: isoOrNull(row.sla_due_at),
    overdue: row.overdue,
    closedReason: row.closed_reason,
    // ---- SLA (issue 11) ----
    sla: slaViewOfRow(row),
    // ---- end SLA ----
    aiAssist: effectiveAiAssist(
      mergeAiAssistantConfig((row.ai_config as Partial<AiAssistantConfig> | null) ?? undefined),
      row.channel_kind,
      row.ai_assist,
    ),
    aiAssistSetting: row.ai_assist,
    needsHuman: row.needs_human,
    pendingSuggestion: suggestionViewFromJson(row.pending_suggestion),
    warnings: conversationWarnings(row),
    // ---- per-person state, archive, session status (issue 11) ----
    starred: row.starred,
    archivedAt: isoOrNull(row.archived_at),
    sessionStatus: row.session_status,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A contact row as the `Contact` schema. */
export function toContactView(row: ContactRow): z.infer<typeof Contact> {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    email: row.email,
    whatsapp: row.whatsapp,
    vip: row.vip,
    emailBouncedAt: isoOrNull(row.email_bounced_at),
    emailBounceReason: row.email_bounce_reason,
    identities: row.identities.map(({ kind, address }) => ({ kind, address })),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/**
 * Encodes a list cursor as opaque base64url JSON (`[lastActivityAt ISO-8601, id]`; a search page's
 * `[rank, lastActivityAt, id]`).
 */
export function encodeCursor(cursor: ConversationCursor): string {
  if (cursor.rank !== undefined) return encodeKeyset([String(cursor.rank), cursor.lastActivityAt, cursor.id]);
  return encodeKeyset([cursor.lastActivityAt, cursor.id]);
}

/**
 * Decodes a cursor made by {@link encodeCursor}; `search`: the list has `?q=` (its cursors carry the rank;
 * a cursor of the other kind is not valid).
 * @throws HttpError 400 `invalid_cursor` when it was not made by us
 */
export function decodeCursor(value: string, search = false): ConversationCursor {
  if (search) {
    const [rank, lastActivityAt, id] = decodeCursorTuple(SearchCursorTuple, value);
    return { rank, lastActivityAt, id };
  }
  const [lastActivityAt, id] = decodeCursorTuple(CursorTuple, value);
  return { lastActivityAt, id };
}
