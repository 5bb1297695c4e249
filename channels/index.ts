/**
 * The runtime channel registry (worker and API side): every provider's adapter definition, the
 * configuration they need, and the lookup from a channel kind to its adapter. Workflow code must not
 * import this module (it pulls in the SDKs): it uses `channels/kinds.ts`.
 *
 * A new channel: `channels/<provider>/` exporting a {@link ChannelAdapterDefinition} (kinds, `create`,
 * `webhooks`), one line in {@link CHANNEL_ADAPTERS}, its kinds in `channels/kinds.ts`, its migration.
 */
import { INTERNAL_CHANNEL } from './internal/adapter';
import { CHANNEL_KIND_SPECS, type ChannelKind, type ChannelProvider } from './kinds';
import { POSTMARK_CHANNEL } from './postmark/adapter';
import { TELEGRAM_CHANNEL } from './telegram/adapter';
import { TWILIO_CHANNEL } from './twilio/adapter';
import type { ChannelAdapter, ChannelAdapterDefinition } from './types';

export {
  CHANNEL_KINDS,
  CHANNEL_KIND_SPECS,
  CHANNEL_PROVIDERS,
  MESSAGE_PROVIDERS,
  type ChannelKind,
  type ChannelProvider,
  type MessageProvider,
  contactAddressOf,
  isChannelKind,
  kindSpec,
  messageProviderOf,
} from './kinds';
export * from './types';

/** Every provider's adapter definition. */
export const CHANNEL_ADAPTERS = [TWILIO_CHANNEL, POSTMARK_CHANNEL, TELEGRAM_CHANNEL, INTERNAL_CHANNEL] as const;

type Definitions = (typeof CHANNEL_ADAPTERS)[number];
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/**
 * The configuration every adapter needs, keyed by provider (`{ twilio: { accountSid, authToken,
 * apiBaseUrl }, postmark: { serverToken, apiBaseUrl, inboundDomain, timeoutSeconds? } }`): the
 * intersection of each definition's `create` parameter. `Config` (config/index.ts) satisfies it.
 */
export type ChannelsConfig = UnionToIntersection<Parameters<Definitions['create']>[0]>;

/** The adapters built for one process. */
export interface ChannelAdapters {
  /** Every built adapter, one per provider. */
  readonly all: readonly ChannelAdapter[];
  /** The adapter carrying `kind`. @throws Error for a kind no adapter carries (a registry bug). */
  adapterFor(kind: ChannelKind): ChannelAdapter;
  /**
   * Builds a new adapter of `provider` from the process configuration with `overlay` merged over the
   * provider's slice (a channel's own credentials, e.g. `{ accountSid, authToken }` over `config.twilio`);
   * the override when `provider` has one (tests: a fake adapter). See `channels/resolver.ts`.
   * @throws Error for a provider without an adapter definition
   */
  withConfig(provider: ChannelProvider, overlay: Record<string, unknown>): ChannelAdapter;
}

/**
 * Builds every adapter (their SDK clients) from `config`.
 * @param overrides adapters to use instead of building them, by provider (tests: a client on a stand-in).
 * @throws Error when a registered kind has no adapter, or two adapters claim one kind.
 */
export function createChannelAdapters(
  config: ChannelsConfig,
  overrides: Partial<Record<ChannelProvider, ChannelAdapter>> = {},
): ChannelAdapters {
  const all = CHANNEL_ADAPTERS.map(
    (d: ChannelAdapterDefinition<ChannelsConfig>) => overrides[d.provider as ChannelProvider] ?? d.create(config),
  );
  const byKind = new Map<string, ChannelAdapter>();
  for (const adapter of all) {
    for (const spec of adapter.kinds) {
      if (byKind.has(spec.kind)) throw new Error(`two channel adapters carry ${spec.kind}`);
      byKind.set(spec.kind, adapter);
    }
  }
  for (const spec of CHANNEL_KIND_SPECS) {
    if (!byKind.has(spec.kind)) throw new Error(`no channel adapter carries ${spec.kind}`);
  }
  return {
    all,
    adapterFor(kind) {
      const adapter = byKind.get(kind);
      if (adapter === undefined) throw new Error(`no channel adapter carries ${kind}`);
      return adapter;
    },
    withConfig(provider, overlay) {
      const override = overrides[provider];
      if (override !== undefined) return override;
      const slice = (config as unknown as Record<string, Record<string, unknown> | undefined>)[provider] ?? {};
      return adapterDefinition(provider).create({ ...config, [provider]: { ...slice, ...overlay } } as ChannelsConfig);
    },
  };
}

/** The adapter definition of a provider (its kinds, factory, webhooks). @throws Error for an unknown provider. */
export function adapterDefinition(provider: ChannelProvider): ChannelAdapterDefinition<ChannelsConfig> {
  const definition = CHANNEL_ADAPTERS.find((d) => d.provider === provider);
  if (definition === undefined) throw new Error(`no channel adapter for provider ${provider}`);
  return definition;
}
