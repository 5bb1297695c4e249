/**
 * The conversation workflow's contract: every signal, update and query, their argument types, the
 * workflow type name and the workflow-id helper. Imported by the callers (`client.ts`, the API, the
 * agent tools) to send them and by the workflow (`workflow.ts`, `assistant.ts`) to handle them; no
 * I/O, so it is safe in the workflow bundle.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChannelKind } from '../../domain/channels';
import type { AiAssistantConfig } from '../../domain/ai-assistant';
import type { AttributeChange, ConversationState, NewConversation, StatusChange } from '../../domain/conversation';
import type { DeliveryStatus } from '../../domain/delivery';
import type { SlaPolicy, SlaSettings } from '../../domain/sla';
import type { Attachment, EmailDetails, EmailRecipients, MessageRecord, Provider, TemplateUse } from '../../domain/message';
import type { ScheduledSend } from '../../domain/scheduled';

/** A draft waiting for staff (`pending`) or held for an auto-send (`scheduled`, going out at `sendAt`). */
export interface PendingSuggestion {
  id: string;
  status: 'pending' | 'scheduled';
  reply: string;
  intent: string;
  /** ISO-8601; set while `scheduled`. */
  sendAt: string | null;
}

/**
 * Registered workflow type name: the name of the function `workflows/index.ts` exports (the worker
 * registers it by that name). Never rename it: running workflows and recorded histories use it.
 */
export const CONVERSATION_WORKFLOW_TYPE = 'conversationWorkflow';

/** Workflow id of a conversation: `conversation-<conversation uuid>` (no personal data). */
export function conversationWorkflowId(conversationId: string): string {
  return `conversation-${conversationId}`;
}

/** Arguments of one run; `state` and `seenProviderMessageIds` are carried across continue-as-new. */
export interface ConversationWorkflowInput {
  conversation: NewConversation;
  state?: ConversationState;
  /**
   * The org's SLA policy, carried with `state`: the full {@link SlaSettings} (business hours, pausing,
   * warning, overrides) since patch `sla-business-hours`; older runs carry only the two targets.
   */
  sla?: SlaPolicy & SlaSettings;
  /** Most recent provider message ids already handled (bounded), for in-workflow dedupe. */
  seenProviderMessageIds?: string[];
  /** How long (ms) a closed, idle conversation's run waits before ending. Default 10 min. */
  closedRunGraceMs?: number;
  /** The AI suggestion still open when the previous run continued as new. */
  pendingSuggestion?: PendingSuggestion | null;
  /** Customer messages the previous run received but had not recorded yet (oldest first, bounded). */
  pendingInbound?: QueuedInboundMessage[];
  /** Customer edits the previous run received but had not applied yet (oldest first). */
  pendingEdits?: InboundEdit[];
  /** Delivery reports the previous run received but had not applied yet. */
  pendingReports?: DeliveryReport[];
  /** Ids of recorded replies the previous run had not sent yet (in order; sending is idempotent). */
  outbox?: string[];
  /** Ids of inbound messages whose carrier media the previous run had not imported yet. */
  mediaQueue?: string[];
  /** The newest customer message the previous run stored without asking the assistant for a draft. */
  assistantTrigger?: string | null;
  /** The assistant's state carried across continue-as-new (absent: loaded / derived at run start). */
  assistant?: AssistantCarry;
  /**
   * Send later: the replies the previous run held for their `sendAt` (absent = none; a run without
   * `state` loads them from Postgres).
   */
  scheduled?: ScheduledSend[];
  /**
   * The erased stand-in the conversation's contact replaced when the customer wrote again after an
   * erase (carried across continue-as-new; absent = none): a `contactErased` naming it is stale (see
   * {@link contactErasedUpdate}).
   */
  replacedStandInId?: string;
}

/**
 * The org's assistant settings as a conversation run holds them (loaded once at run start, replaced by
 * {@link aiSettingsSignal} when `PUT /v1/ai-assistant` changes them; the highest `version` wins).
 */
export interface AiSettingsSnapshot {
  /** `ai_assistant_settings.version` (0 = never saved, defaults). */
  version: number;
  config: AiAssistantConfig;
  /** Whether the worker has an OpenAI API key (without one the assistant does nothing). */
  available: boolean;
}

/** What the assistant carries from one run to the next (continue-as-new). */
export interface AssistantCarry {
  /** The org's settings; `null` = not loaded yet (the run loads them). */
  settings: AiSettingsSnapshot | null;
  /**
   * A staff member replied since the conversation was last (re)opened (a human owns it; the AI only
   * suggests); `null` = unknown (derived from the state: not closed and any staff reply so far).
   */
  staffRepliedSinceOpen: boolean | null;
}

/** A customer message queued in the workflow, stamped with the workflow time (ms since epoch) it arrived. */
export type QueuedInboundMessage = InboundMessage & { receivedAtMs: number };

/** A customer message delivered by a carrier webhook. */
export interface InboundMessage {
  provider: Provider;
  providerMessageId: string;
  text: string;
  attachments: Attachment[];
  /** Sender's profile name when the carrier provides it (WhatsApp `ProfileName`, email `FromName`). */
  profileName?: string | null;
  /** Envelope, bodies and thread ids of an email (email channel only). */
  email?: EmailDetails | null;
  /**
   * Automatic mail (RFC 3834, see `isAutoReply` in domain/email.ts): recorded, but it does not
   * reopen the conversation, restart SLA clocks or trigger the AI assistant.
   */
  autoReply?: boolean;
  /** `text` is shorter than received (the full body is one of `attachments`). */
  truncated?: boolean;
  /**
   * Who sent it, on the conversation's kind (SMS / WhatsApp: E.164 `+15551234567`; Telegram: the chat
   * id), as the webhook's `customer` for the start: filled by the Twilio and Telegram webhooks (email
   * has `email.from`). Used only when the conversation's stored contact is an erased stand-in: the
   * sender's contact, found or created by this address, becomes the conversation's (see
   * `adoptSenderAfterErase` in activities/conversation-store.ts). Absent in signals from before it
   * (and from other callers): the message is recorded on the run's contact. Personal data: kept out
   * of workflow ids and search attributes.
   */
  from?: InboundSender | null;
}

/** The address a customer message came from (see {@link InboundMessage.from}). */
export interface InboundSender {
  /** The conversation's channel kind (`sms`, `whatsapp`, `telegram`). */
  kind: ChannelKind;
  /** The normalised address on `kind`: E.164 for `sms` / `whatsapp`, the decimal chat id for `telegram`. */
  address: string;
}

/**
 * The customer edited a message they sent (Telegram `edited_message`): the stored text becomes
 * `text`. Applied after the customer messages received before it; an edit older than the stored one
 * (a redelivered update) changes nothing.
 */
export interface InboundEdit {
  provider: Provider;
  /** The edited message's provider message id (Telegram `<chat id>:<message_id>`). */
  providerMessageId: string;
  text: string;
  /** When the customer edited it (ISO-8601). */
  editedAt: string;
}

/** A carrier delivery report for an outbound message. */
export interface DeliveryReport {
  messageId: string;
  /** The carrier's id for the message (Twilio `MessageSid`): recorded if the send did not record it. */
  providerMessageId?: string;
  /** Apply even if not progress (a hard bounce after `delivered`). */
  force?: boolean;
  status: DeliveryStatus;
  errorCode: string | null;
  errorMessage: string | null;
}

/** Who issued a command: a staff user (default) or the AI assistant's agent tools (`actorId` `ai-assistant`). */
export type ActorType = 'staff' | 'ai';

/** A staff (or AI agent) reply or internal note. `authorId` is the staff user id (or `ai-assistant`). */
export interface ReplyCommand {
  text: string;
  isInternalNote: boolean;
  authorId: string;
  /** Default `staff`; `ai` for the assistant's `reply_to_inbox` tool (stored with author type `ai`). */
  authorType?: ActorType;
  /** Stored files to send with the reply (resolved and org-checked by the API). */
  attachments?: Attachment[];
  /** Set when the text was rendered from a template (WhatsApp templates may go outside the window). */
  template?: TemplateUse | null;
  /** Email only: extra `cc` / `bcc` asked for by staff (the thread's Cc is added at send time). */
  emailRecipients?: EmailRecipients | null;
  /**
   * Send later (staff replies only): ISO-8601 instant, future, ≤ 1 year ahead (422 `invalid_send_at`).
   * The message is stored `scheduled` and sent at that instant (WhatsApp window checked then).
   */
  sendAt?: string | null;
  /** With `sendAt`: a customer message recorded before the instant cancels the scheduled reply. */
  cancelIfCustomerReplies?: boolean;
  /**
   * Collision guard: the newest message id the author saw; a customer message or another author's
   * reply stored after it fails the command with 409 `conversation_changed` (`details.messageIds`).
   */
  ifNoNewActivitySince?: string | null;
}

/** Status change request plus who made it; closing may carry a resolution note (stored as an internal note). */
export type StatusCommand = StatusChange & { actorId: string; actorType?: ActorType; resolutionNote?: string | null };

/**
 * Assignment request: to a member (`assigneeId`), to a team (`teamId`), or both; `null` removes it,
 * `undefined` leaves it unchanged. A team is checked (422 `team_not_found` unless a team of the org)
 * only when `teamId` is given, so runs recorded before teams replay the same commands.
 */
export interface AssignCommand {
  assigneeId?: string | null;
  teamId?: string | null;
  actorId: string;
}

/** Tags / priority / subject change (assignee goes through {@link assignUpdate}). */
export type AttributesCommand = Omit<AttributeChange, 'assigneeId'> & { actorId: string; actorType?: ActorType };

/** The start arguments of a conversation's workflow, from its stored row. */
export function workflowConversationOf(row: {
  id: string;
  org_id: string;
  channel_id: string;
  channel_kind: NewConversation['channelKind'];
  contact_id: string;
}): NewConversation {
  return { conversationId: row.id, orgId: row.org_id, channelId: row.channel_id, channelKind: row.channel_kind, contactId: row.contact_id };
}

/** Send a pending AI suggestion as a staff reply, as drafted or with edited `text`. */
export interface SendSuggestionCommand {
  suggestionId: string;
  /** Edited text; `null`/absent = the draft as it is. */
  text?: string | null;
  actorId: string;
}

/** Dismiss a pending AI suggestion (also cancels its held auto-send). */
export interface DismissSuggestionCommand {
  suggestionId: string;
  actorId: string;
}

/** What the assistant is doing in this conversation (for operators and tests). */
export interface AssistantState {
  /** A draft or agent loop is in progress. */
  busy: boolean;
  pending: PendingSuggestion | null;
}

/** Signal: a customer message arrived (carrier webhook → signal-with-start). */
export const inboundMessageSignal = defineSignal<[InboundMessage]>('inboundMessage');
/** Signal: the customer edited one of their messages on the carrier (see {@link InboundEdit}). */
export const inboundEditSignal = defineSignal<[InboundEdit]>('inboundEdit');
/** Signal: a carrier status callback for one of this conversation's outbound messages. */
export const deliveryReportSignal = defineSignal<[DeliveryReport]>('deliveryReport');
/**
 * Signal: the org's AI assistant settings changed (sent to every running conversation of the org by
 * the `aiSettingsBroadcastWorkflow` after `PUT /v1/ai-assistant`); ignored unless newer than the run's.
 */
export const aiSettingsSignal = defineSignal<[AiSettingsSnapshot]>('aiSettingsChanged');

/**
 * Signal: the org's SLA settings changed (sent to every running conversation of the org by the
 * `slaSettingsBroadcastWorkflow` after `PUT /v1/conversations/sla`); ignored unless its `version` is
 * newer than the run's. The run recomputes its due and warning instants at once.
 */
export const slaSettingsSignal = defineSignal<[SlaSettings]>('slaSettingsChanged');

/** Update: record a reply (queued for sending) or an internal note; returns the stored message. */
export const replyUpdate = defineUpdate<MessageRecord, [ReplyCommand]>('reply');
/** Cancel one of the caller's scheduled replies (send later) before its instant. */
export interface CancelScheduledCommand {
  messageId: string;
  actorId: string;
}

/**
 * Update: cancel a scheduled reply (its row becomes `canceled`, never sent); returns the message.
 * 409 `message_not_scheduled` when it is not held for sending (already sent / sending, or not a
 * scheduled reply); 403 `not_your_message` when another staff member scheduled it.
 */
export const cancelScheduledUpdate = defineUpdate<MessageRecord, [CancelScheduledCommand]>('cancelScheduled');

/** A staff member's edit of their own internal note or scheduled reply (not sent yet). */
export interface EditMessageCommand {
  messageId: string;
  text: string;
  actorId: string;
}

/**
 * Update: edit the caller's own internal note or scheduled reply; the previous text is kept in
 * `message_edits`, `editedAt` set; returns the message. 403 `not_your_message` (another author's),
 * 409 `message_not_editable` (a customer message, a template reply), 409 `message_not_scheduled` (a
 * reply already released for sending), 404 `message_not_found`.
 */
export const editMessageUpdate = defineUpdate<MessageRecord, [EditMessageCommand]>('editMessage');

/** A staff member deletes their own internal note. */
export interface DeleteNoteCommand {
  messageId: string;
  actorId: string;
}

/**
 * Update: delete the caller's own internal note (its text kept in `message_edits`); returns the
 * note as it was. Errors as {@link editMessageUpdate}.
 */
export const deleteNoteUpdate = defineUpdate<MessageRecord, [DeleteNoteCommand]>('deleteNote');

/** Update: change status (`snoozed` may carry `until`); returns the new state. */
export const setStatusUpdate = defineUpdate<ConversationState, [StatusCommand]>('setStatus');
/** Update: assign to an org member and/or team, or unassign; returns the new state. */
export const assignUpdate = defineUpdate<ConversationState, [AssignCommand]>('assign');
/** Update: change tags, priority and/or subject; returns the new state. */
export const updateAttributesUpdate = defineUpdate<ConversationState, [AttributesCommand]>('updateAttributes');

/** Update: send the pending suggestion (409 `suggestion_not_pending` if it is not the pending one); returns the stored message. */
export const sendSuggestionUpdate = defineUpdate<MessageRecord, [SendSuggestionCommand]>('sendSuggestion');
/** Update: dismiss the pending suggestion (409 `suggestion_not_pending` if it is not the pending one); returns its id. */
export const dismissSuggestionUpdate = defineUpdate<{ suggestionId: string; status: 'dismissed' }, [DismissSuggestionCommand]>(
  'dismissSuggestion',
);

/** A human's request to send again a message whose send was not confirmed (`unknown`) or failed. */
export interface RetryMessageCommand {
  messageId: string;
  actorId: string;
}

/**
 * Update: re-queue an outbound message in `unknown` or `failed` (no carrier id) for sending; returns
 * the message (now `queued`). 409 `message_not_retryable` in any other state.
 */
export const retryMessageUpdate = defineUpdate<MessageRecord, [RetryMessageCommand]>('retryMessage');

/**
 * Update: returns the state once the run has loaded it (used right after starting a conversation,
 * so the caller can read the stored row).
 */
export const readyUpdate = defineUpdate<ConversationState, []>('ready');

/** Query: the assistant's live state (pending suggestion, busy). */
export const getAssistantStateQuery = defineQuery<AssistantState>('getAssistantState');

/** Query: the live conversation state. */
export const getStateQuery = defineQuery<ConversationState>('getState');

/**
 * The conversation moved to another contact (`POST /v1/contacts/:id/merge`): the row already points
 * at `toContactId` (the merge's transaction moved it); the run adopts it for what it writes later
 * (customer messages' `author_id`, the contact's profile name / bounce flag, the assistant's context).
 */
export interface ContactChangedCommand {
  fromContactId: string;
  toContactId: string;
  actorId: string;
}

/**
 * Update: adopt the new contact (see {@link ContactChangedCommand}), under the run's lock; customer
 * messages the run stored with the old id meanwhile are re-attributed. A run whose contact is not
 * `fromContactId` changes nothing. Returns the state.
 */
export const contactChangedUpdate = defineUpdate<ConversationState, [ContactChangedCommand]>('contactChanged');

/**
 * The conversation's contact was erased (`DELETE /v1/contacts/:id`): Postgres is already erased (texts
 * tombstoned, unsent replies canceled, the row pointing at the anonymous stand-in `standInContactId`).
 */
export interface ContactErasedCommand {
  contactId: string;
  standInContactId: string;
  actorId: string;
  /**
   * When the erase happened (ISO-8601): its `contact.erase` audit row's `created_at` (Postgres `now()`
   * of the erase's transaction, which commits right after). Customer messages the run received before
   * it (workflow time, `QueuedInboundMessage.receivedAtMs`) are the erased person's and are dropped;
   * those received at or after it are kept (the customer wrote again). Absent in updates recorded
   * before it was added: every queued message is dropped, as they were then.
   */
  erasedAt?: string;
}

/**
 * Update: purge the run of the erased contact's personal data, under the run's lock: customer messages
 * not recorded yet that the run received before `erasedAt` (all of them without it) are dropped, and
 * the edits not applied yet except those of messages it keeps (an edit of any other message would
 * write the erased person's words back); messages received at or after `erasedAt` stay queued and
 * are recorded afterwards (on the sender's fresh contact, see `InboundMessage.from`). Receipt times
 * are workflow time and `erasedAt` is Postgres time: a message received within the clock skew of
 * the erase may fall on either side, and one received by a run that was not making progress (worker
 * down) is stamped when the run processes it. Held and queued replies are forgotten (their rows are
 * canceled), the pending AI draft cancelled, the state's `subject` / `lastMessagePreview` cleared and its contact
 * set to the stand-in (saved); then the run ends once idle, so the next carrier message starts a run
 * that resolves the sender's contact afresh. Changes nothing (returns the state as it is) when the run's
 * contact is neither `contactId` nor the stand-in, or when the run's contact replaced this erase's
 * stand-in: the customer wrote again after the erase (a message recorded before this update reached the
 * run, or one that started a run after it; see `InboundMessage.from`) and the conversation moved to
 * their fresh contact, which may have the erased contact's id again (a carrier contact's id derives from
 * its address), so the update is stale, whether late or delivered again. Returns the (purged) state.
 */
export const contactErasedUpdate = defineUpdate<ConversationState, [ContactErasedCommand]>('contactErased');
