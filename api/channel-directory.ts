/**
 * @deprecated Moved to `channels/twilio/channel-directory.ts`; re-exported for
 * api/routes/twilio-webhooks.ts until that route moves into `channels/twilio/` (the route-registry
 * rewrite owns api/routes).
 */
export * from '../channels/channel-directory';
