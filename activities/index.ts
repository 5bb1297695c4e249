/**
 * All activities of the conversation workflow, built from their dependencies
 * (`createActivities(deps)`, as in Temporal's activities-dependency-injection sample).
 */
import type OpenAI from 'openai';
import { createAiAgentActivities, type InboxCommands } from './ai-agent';
import { createAiDraftActivities } from './ai-draft';
import { type ConversationSignaller, createAiSettingsBroadcastActivities } from './ai-settings-broadcast';
import { createAiSuggestionActivities } from './ai-suggestions';
import { type CarrierDeps, createCarrierActivities } from './carrier';
import { type ConversationUpdater, createContactChangeBroadcastActivities } from './contact-change-broadcast';
import { createConversationStoreActivities } from './conversation-store';
import { createMediaImportActivities, type MediaImportDeps } from './media-import';
import { createSlaSettingsBroadcastActivities } from './sla-settings-broadcast';
import { createStaffEmailActivities, type StaffEmailDeps } from './staff-email';

/** Everything the activities need: database, carrier SDK clients, blob store, URLs and secrets, the optional OpenAI client. */
export type ActivityDeps = CarrierDeps & {
  /** Largest inbound media imported, in bytes (see {@link MediaImportDeps.maxBytes}). */
  maxAttachmentBytes: number;
  /** OpenAI client built with `maxRetries: 0` (Temporal retries); `undefined` without OPENAI_API_KEY: the assistant is unavailable. */
  openai?: OpenAI;
  /**
   * Runs updates on conversation workflows (the agent tools act through them, like a human would) and
   * reaches open runs for the broadcasts (settings signals, contact merge / erase updates): a `ConversationClient`.
   */
  commands: InboxCommands & ConversationSignaller & ConversationUpdater;
  /** The environment's Postmark settings, for staff emails (see {@link StaffEmailDeps.postmark}). */
  postmark: StaffEmailDeps['postmark'];
};

/** Builds the activity object registered on the worker. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createConversationStoreActivities(deps.db),
    ...createCarrierActivities(deps),
    ...createMediaImportActivities({ ...deps, maxBytes: deps.maxAttachmentBytes }),
    ...createAiDraftActivities({ db: deps.db, openai: deps.openai }),
    ...createAiSuggestionActivities({ db: deps.db, openAiAvailable: deps.openai !== undefined }),
    ...createAiAgentActivities({ db: deps.db, openai: deps.openai, commands: deps.commands }),
    ...createAiSettingsBroadcastActivities({ db: deps.db, openAiAvailable: deps.openai !== undefined, signaller: deps.commands }),
    ...createSlaSettingsBroadcastActivities({ db: deps.db, signaller: deps.commands }),
    ...createContactChangeBroadcastActivities({ db: deps.db, updater: deps.commands }),
    ...createStaffEmailActivities(deps),
  };
}

/** The activity interface the workflow proxies (`proxyActivities<Activities>`). */
export type Activities = ReturnType<typeof createActivities>;
