/**
 * Typed search attributes operators filter conversation runs by in the Temporal UI / CLI
 * (e.g. `SwitchboardStatus = "open" AND SwitchboardOverdue = true`). No personal data: ids,
 * enums and flags only. They must be registered on the namespace before a workflow upserts them
 * (`temporal server start-dev --search-attribute Name=Type`, see `SEARCH_ATTRIBUTE_TYPES`).
 * Defined once here: the workflow upserts these keys, `scripts/embedded-temporal.ts` (dev server of
 * `npm start` and the tests) and `test/support/time-skipping.ts` register {@link CONVERSATION_SEARCH_ATTRIBUTES}.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** `SwitchboardOrgId` (Keyword): the conversation's org id (UUID). */
export const OrgIdSA = defineSearchAttributeKey('SwitchboardOrgId', SearchAttributeType.KEYWORD);
/** `SwitchboardChannel` (Keyword): the channel kind, `sms`, `whatsapp`, `email` or `chat`. */
export const ChannelSA = defineSearchAttributeKey('SwitchboardChannel', SearchAttributeType.KEYWORD);
/** `SwitchboardStatus` (Keyword): `open`, `pending`, `snoozed` or `closed`. */
export const StatusSA = defineSearchAttributeKey('SwitchboardStatus', SearchAttributeType.KEYWORD);
/** `SwitchboardAssigneeId` (Keyword): the assigned staff user id (UUID); unset while unassigned. */
export const AssigneeIdSA = defineSearchAttributeKey('SwitchboardAssigneeId', SearchAttributeType.KEYWORD);
/** `SwitchboardPriority` (Keyword): `low`, `normal`, `high` or `urgent`. */
export const PrioritySA = defineSearchAttributeKey('SwitchboardPriority', SearchAttributeType.KEYWORD);
/** `SwitchboardOverdue` (Bool): true while the waiting customer message is past its SLA deadline. */
export const OverdueSA = defineSearchAttributeKey('SwitchboardOverdue', SearchAttributeType.BOOL);

/** `SwitchboardNeedsHuman` (Bool): true while the AI assistant's hand-off waits for a human. */
export const NeedsHumanSA = defineSearchAttributeKey('SwitchboardNeedsHuman', SearchAttributeType.BOOL);

/** Every search attribute key the conversation workflow upserts (the list a server must have registered). */
export const CONVERSATION_SEARCH_ATTRIBUTES = [OrgIdSA, ChannelSA, StatusSA, AssigneeIdSA, PrioritySA, OverdueSA, NeedsHumanSA] as const;

/** Name → CLI type of every search attribute, for `--search-attribute` / operator set-up. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Bool'> = Object.fromEntries(
  CONVERSATION_SEARCH_ATTRIBUTES.map((key) => [key.name, key.type === SearchAttributeType.BOOL ? 'Bool' : 'Keyword']),
);
