/**
 * The OpenAPI tags operations are grouped by (`RouteSpec.tags`), each with the description the
 * document lists at its top level (`tags`). A tag not listed here does not type-check.
 */
export const API_TAGS = {
  conversations: 'Conversations: list, read, messages, and the commands sent to their workflows',
  suggestions: "The AI assistant's drafts of a conversation: list, send, dismiss",
  contacts: 'Contacts and staff-initiated conversations',
  inbox: 'The cross-channel feed: every carrier channel’s messages newest first, its rooms and sources (read-only)',
  templates: 'Message templates and sending them',
  attachments: 'Uploaded files and their downloads, and the signed media URLs Twilio fetches',
  'ai-assistant': 'AI assistant settings and the training-pair export',
  todos: 'Follow-ups about conversations',
  auth: 'Signing in: set a password with a one-time token, log in, refresh and log out (public)',
  me: 'The signed-in staff user',
  'api-keys': 'API keys for integrations (admins): `Authorization: Bearer sb_…` acting as the org',
  'audit-log': 'The audit log of admin actions (admins)',
  staff: "The org's staff users: list, invite by email, change role or name, deactivate and reactivate",
  teams: 'Teams of staff users that conversations can be assigned to, and their members',
  channels: "The org's channels (inboxes) and their carrier credentials (never returned)",
  communications: 'Twilio onboarding: connect the org’s Twilio account, search and buy numbers, the primary outbound number (admins)',
  webhooks: 'Carrier webhooks (Twilio, Postmark), authenticated the way each provider signs them',
  health: 'Reachability of the database and Temporal',
} as const;

/** One tag name of {@link API_TAGS}. */
export type ApiTag = keyof typeof API_TAGS;
