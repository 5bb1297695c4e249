/**
 * Channel kinds and their session-window rules: re-exported from the workflow-safe registry
 * `channels/kinds.ts` (each kind's spec holds its window and free-form rule).
 */
export { CHANNEL_KINDS, type ChannelKind, SESSION_WINDOW_MS, isFreeFormReplyAllowed, sessionExpiresAt } from '../channels/kinds';
