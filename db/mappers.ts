/**
 * Row ↔ domain shape conversions (type-only imports from domain/: no runtime dependency).
 */
import type { ConversationState } from '../domain/conversation';
import type { MessageRecord } from '../domain/message';
import { slaViewOf } from '../domain/sla';
import type { ConversationRow, ConversationsTable, MessageRow } from './schema';
import { type RawBuilder, sql, type Updateable } from 'kysely';

const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** A conversation row as the workflow's {@link ConversationState}. */
export function conversationStateFromRow(row: ConversationRow): ConversationState {
  return {
    conversationId: row.id,
    orgId: row.org_id,
    channelId: row.channel_id,
    channelKind: row.channel_kind,
    contactId: row.contact_id,
    status: row.status,
    snoozedUntil: isoOrNull(row.snoozed_until),
    assigneeId: row.assignee_id,
    teamId: row.team_id,
    tags: row.tags,
    priority: row.priority,
    subject: row.subject,
    unreadCount: row.unread_count,
    lastMessagePreview: row.last_message_preview,
    lastActivityAt: row.last_activity_at.toISOString(),
    lastCustomerMessageAt: isoOrNull(row.last_customer_message_at),
    sessionExpiresAt: isoOrNull(row.session_expires_at),
    sessionExpired: row.session_expired,
    slaDueAt: isoOrNull(row.sla_due_at),
    overdue: row.overdue,
    hasStaffReplied: row.has_staff_replied,
    closedReason: row.closed_reason,
    aiAssist: row.ai_assist,
    needsHuman: row.needs_human,
    // SLA clocks (migration 0017): absent for rows written before
    ...(row.sla_clocks ? { slaClocks: row.sla_clocks } : {}),
  };
}

/**
 * The mutable columns of a conversation row for a {@link ConversationState} (timestamps as ISO-8601 strings).
 * `team_id` is written through a lookup of the team (`null` when it was deleted since the state took
 * it), so a run holding a deleted team's id never fails its writes on the foreign key.
 * `archived_at` is deliberately not among them (the type excludes it): archiving is the org's, set by
 * the API, and a workflow save must never overwrite it (a new customer message clears it, in the
 * inbound activity).
 */
export function conversationColumns(
  state: ConversationState,
): Omit<Updateable<ConversationsTable>, 'team_id' | 'archived_at'> & { team_id: RawBuilder<string | null> | null } {
  const teamId = state.teamId ?? null;
  return {
    status: state.status,
    snoozed_until: state.snoozedUntil,
    assignee_id: state.assigneeId,
    team_id:
      teamId === null
        ? null
        : sql<string | null>`(select t.id from teams t where t.id = ${teamId}::uuid and t.org_id = ${state.orgId}::uuid)`,
    tags: state.tags,
    priority: state.priority,
    subject: state.subject,
    unread_count: state.unreadCount,
    last_message_preview: state.lastMessagePreview,
    last_activity_at: state.lastActivityAt,
    last_customer_message_at: state.lastCustomerMessageAt,
    session_expires_at: state.sessionExpiresAt,
    session_expired: state.sessionExpired,
    sla_due_at: state.slaDueAt,
    overdue: state.overdue,
    has_staff_replied: state.hasStaffReplied,
    closed_reason: state.closedReason,
    ai_assist: state.aiAssist,
    needs_human: state.needsHuman,
    // ---- SLA copy (migration 0017) ----
    ...slaColumns(state),
  };
}

/** The SLA columns of a state (clocks as jsonb plus the view's instants and flag); none for states without clocks. */
function slaColumns(
  state: ConversationState,
): Partial<
  Pick<
    Updateable<ConversationsTable>,
    'sla_clocks' | 'sla_first_response_due_at' | 'sla_next_response_due_at' | 'sla_resolution_due_at' | 'sla_at_risk'
  >
> {
  if (state.slaClocks === undefined) return {};
  const view = slaViewOf(state.slaClocks);
  return {
    sla_clocks: JSON.stringify(state.slaClocks),
    sla_first_response_due_at: view.firstResponseDueAt,
    sla_next_response_due_at: view.nextResponseDueAt,
    sla_resolution_due_at: view.resolutionDueAt,
    sla_at_risk: view.atRisk,
  };
}

/** A message row as the API's {@link MessageRecord}. */
export function messageRecordFromRow(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    conversationId: row.conversation_id,
    direction: row.direction,
    authorType: row.author_type,
    authorId: row.author_id,
    text: row.text,
    attachments: row.attachments,
    isInternalNote: row.is_internal_note,
    provider: row.provider,
    providerMessageId: row.provider_message_id,
    deliveryStatus: row.delivery_status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    email: row.email,
    template: row.template,
    truncated: row.text_truncated,
    editedAt: row.edited_at?.toISOString() ?? null,
    ...(row.send_at ? { sendAt: row.send_at.toISOString(), cancelIfCustomerReplies: row.cancel_if_customer_replies } : {}),
    createdAt: row.created_at.toISOString(),
  };
}
