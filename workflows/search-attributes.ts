/**
 * Typed search attributes operators filter conversation runs by in the Temporal UI / CLI
 * (e.g. `SwitchboardStatus = "open" AND SwitchboardOverdue = true`). No personal data: ids,
 * enums and flags only. They must be registered on the namespace before a workflow upserts them
 * (`temporal server start-dev --search-attribute Name=Type`, see `SEARCH_ATTRIBUTE_TYPES`).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrgIdSA = defineSearchAttributeKey('SwitchboardOrgId', SearchAttributeType.KEYWORD);
export const ChannelSA = defineSearchAttributeKey('SwitchboardChannel', SearchAttributeType.KEYWORD);
export const StatusSA = defineSearchAttributeKey('SwitchboardStatus', SearchAttributeType.KEYWORD);
export const AssigneeIdSA = defineSearchAttributeKey('SwitchboardAssigneeId', SearchAttributeType.KEYWORD);
export const PrioritySA = defineSearchAttributeKey('SwitchboardPriority', SearchAttributeType.KEYWORD);
export const OverdueSA = defineSearchAttributeKey('SwitchboardOverdue', SearchAttributeType.BOOL);

/** Name → CLI type of every search attribute, for `--search-attribute` / operator set-up. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Bool'> = {
  [OrgIdSA.name]: 'Keyword',
  [ChannelSA.name]: 'Keyword',
  [StatusSA.name]: 'Keyword',
  [AssigneeIdSA.name]: 'Keyword',
  [PrioritySA.name]: 'Keyword',
  [OverdueSA.name]: 'Bool',
};
