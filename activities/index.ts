/**
 * All activities of the conversation workflow, built from their dependencies
 * (`createActivities(deps)`, as in Temporal's activities-dependency-injection sample).
 */
import { type CarrierDeps, createCarrierActivities } from './carrier';
import { createConversationStoreActivities } from './conversation-store';
import { createMediaImportActivities, type MediaImportDeps } from './media-import';

/** Everything the activities need: database, carrier SDK clients, blob store, URLs and secrets. */
export type ActivityDeps = CarrierDeps & Pick<MediaImportDeps, 'twilioCredentials' | 'extraMediaHosts'> & { maxAttachmentBytes: number };

/** Builds the activity object registered on the worker. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createConversationStoreActivities(deps.db),
    ...createCarrierActivities(deps),
    ...createMediaImportActivities({ ...deps, maxBytes: deps.maxAttachmentBytes }),
  };
}

/** The activity interface the workflow proxies (`proxyActivities<Activities>`). */
export type Activities = ReturnType<typeof createActivities>;
