/**
 * The internal adapter: web chat, carried by Switchboard itself. Nothing is sent through a carrier yet:
 * a send fails permanently with `unsupported_channel`; reconciliation finds nothing.
 */
import { type ChannelAdapter, type ChannelAdapterDefinition, PermanentSendError } from '../types';
import { CHAT_KIND } from './kinds';

/** The web-chat adapter (no configuration). */
export const INTERNAL_ADAPTER: ChannelAdapter = {
  provider: 'internal',
  kinds: [CHAT_KIND],
  async send(_ctx, outbound) {
    throw new PermanentSendError('unsupported_channel', `Sending on ${outbound.kind} is not supported yet.`);
  },
  async reconcile() {
    return { outcome: 'not_sent' };
  },
};

/** Internal: web chat (no webhooks yet). */
export const INTERNAL_CHANNEL: ChannelAdapterDefinition<object> = {
  provider: 'internal',
  kinds: [CHAT_KIND],
  create: () => INTERNAL_ADAPTER,
};
