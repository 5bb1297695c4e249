/**
 * Channel kinds, their specs (`kindSpec(kind)`: capabilities, labels) and their session-window rules:
 * re-exported from the workflow-safe registry `channels/kinds.ts` (each kind's spec holds its window
 * and free-form rule).
 */
export {
  CHANNEL_KINDS,
  CHANNEL_KIND_SPECS,
  type ChannelKind,
  SESSION_WINDOW_MS,
  isFreeFormReplyAllowed,
  kindSpec,
  sessionExpiresAt,
} from '../channels/kinds';
