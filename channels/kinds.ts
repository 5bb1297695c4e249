/**
 * The workflow-safe registry of channel kinds: every {@link ChannelKindSpec}, and the types and pure
 * policies derived from it. Imports only pure modules (no SDK, no I/O, no Node built-ins), so workflow
 * code may use it (`workflows/` → `domain/channels.ts` → here).
 *
 * A new kind: its spec in `channels/<provider>/kinds.ts`, one line in {@link CHANNEL_KIND_SPECS}, a
 * migration admitting it in the `kind` / `provider` check constraints, and its adapter in `channels/index.ts`.
 */
import { CHAT_KIND } from './internal/kinds';
import { EMAIL_KIND } from './postmark/kinds';
import { TELEGRAM_KIND } from './telegram/kinds';
import { SMS_KIND, WHATSAPP_KIND } from './twilio/kinds';
import type { ChannelKindSpec } from './types';

/** Every channel kind, in display order. */
export const CHANNEL_KIND_SPECS = [SMS_KIND, WHATSAPP_KIND, EMAIL_KIND, CHAT_KIND, TELEGRAM_KIND] as const;

type Specs = typeof CHANNEL_KIND_SPECS;
/** The `kind` literals of a tuple of specs, as a tuple (homomorphic: stays a tuple). */
type KindsOf<T extends readonly ChannelKindSpec[]> = { readonly [I in keyof T]: T[I] extends { kind: infer K } ? K : never };

/** One kind (`sms`, `whatsapp`, `email`, `chat`): stored in `channels.kind` and `conversations.channel_kind`. */
export type ChannelKind = Specs[number]['kind'];
/** A provider of channels (`twilio`, `postmark`, `internal`): stored in `channels.provider`. */
export type ChannelProvider = Specs[number]['provider'];
/** A provider that carries messages (every one but `internal`): stored in `messages.provider`. */
export type MessageProvider = Exclude<ChannelProvider, 'internal'>;

/** The kinds as a non-empty const tuple (`z.enum(CHANNEL_KINDS)`). */
export const CHANNEL_KINDS = CHANNEL_KIND_SPECS.map((s) => s.kind) as unknown as KindsOf<Specs>;

/** Every provider (deduplicated, in kind order) as a non-empty tuple. */
export const CHANNEL_PROVIDERS = [...new Set(CHANNEL_KIND_SPECS.map((s) => s.provider))] as unknown as readonly [
  ChannelProvider,
  ...ChannelProvider[],
];

/** Every message-carrying provider (without `internal`) as a non-empty tuple. */
export const MESSAGE_PROVIDERS = CHANNEL_PROVIDERS.filter((p): p is MessageProvider => p !== 'internal') as unknown as readonly [
  MessageProvider,
  ...MessageProvider[],
];

/** Whether `value` is a registered kind. */
export function isChannelKind(value: string): value is ChannelKind {
  return CHANNEL_KIND_SPECS.some((s) => s.kind === value);
}

/** The spec of a kind. @throws Error for an unregistered kind (a programming error: kinds come from the database's check constraint). */
export function kindSpec(kind: ChannelKind): ChannelKindSpec<ChannelKind, ChannelProvider> {
  const spec = CHANNEL_KIND_SPECS.find((s) => s.kind === kind);
  if (spec === undefined) throw new Error(`unknown channel kind ${JSON.stringify(kind)}`);
  return spec;
}

/** The provider stored on a message of this kind: `null` for kinds Switchboard carries itself (`internal`: chat). */
export function messageProviderOf(kind: ChannelKind): MessageProvider | null {
  const { provider } = kindSpec(kind);
  return provider === 'internal' ? null : provider;
}

/** Session window length per kind in ms; `null` = no session window. */
export const SESSION_WINDOW_MS = Object.fromEntries(CHANNEL_KIND_SPECS.map((s) => [s.kind, s.sessionWindowMs])) as Record<
  ChannelKind,
  number | null
>;

/**
 * When the session opened by a customer message at `lastCustomerMessageAtMs` (epoch ms) ends.
 * @returns epoch ms, or `null` for kinds without a session window.
 */
export function sessionExpiresAt(kind: ChannelKind, lastCustomerMessageAtMs: number): number | null {
  const windowMs = kindSpec(kind).sessionWindowMs;
  return windowMs === null ? null : lastCustomerMessageAtMs + windowMs;
}

/**
 * Whether a free-form (non-template) outbound message is allowed at `nowMs`: always, unless the kind's
 * `freeFormNeedsOpenWindow` (WhatsApp); then only while `nowMs < sessionExpiresAtMs` (half-open: at
 * exactly the end it is closed; no window opened yet = closed).
 */
export function isFreeFormReplyAllowed(kind: ChannelKind, sessionExpiresAtMs: number | null, nowMs: number): boolean {
  if (!kindSpec(kind).freeFormNeedsOpenWindow) return true;
  return sessionExpiresAtMs !== null && nowMs < sessionExpiresAtMs;
}

/**
 * The address of `kind` among a contact's identities (oldest first), by the kind's `identityKinds`
 * preference (WhatsApp: a `whatsapp` identity, else an `sms` one); `null` when the contact has none.
 */
export function contactAddressOf(kind: ChannelKind, identities: readonly { kind: string; address: string }[]): string | null {
  for (const identityKind of kindSpec(kind).identityKinds) {
    const found = identities.find((i) => i.kind === identityKind);
    if (found) return found.address;
  }
  return null;
}
