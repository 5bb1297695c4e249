/**
 * All activities of the conversation workflow, built from their dependencies
 * (`createActivities(deps)`, as in Temporal's activities-dependency-injection sample).
 */
import type { Twilio } from 'twilio';
import type { Db } from '../db/client';
import { createCarrierActivities } from './carrier';
import { createConversationStoreActivities } from './conversation-store';

/** Everything the activities need. */
export interface ActivityDeps {
  db: Db;
  twilio: Twilio;
  /** Public base URL (no trailing slash), for carrier status callbacks. */
  publicBaseUrl: string;
}

/** Builds the activity object registered on the worker. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createConversationStoreActivities(deps.db),
    ...createCarrierActivities(deps),
  };
}

/** The activity interface the workflow proxies (`proxyActivities<Activities>`). */
export type Activities = ReturnType<typeof createActivities>;
