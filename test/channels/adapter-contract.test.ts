/**
 * The channel adapter contract (channels/types.ts), run as the SAME suite over every registered kind and
 * adapter: address normalisation, status mapping totality and order, capabilities and session-window
 * policy consistency, registry wiring, and — where the provider has a local stand-in — a real send and
 * reconciliation through the real SDK pointed at it. A new channel gets this suite by registering;
 * its `SAMPLES` entry (and, with a stand-in, its `STAND_INS` entry) is all this file needs.
 */
import { randomUUID } from 'node:crypto';
import {
  CHANNEL_ADAPTERS,
  CHANNEL_KINDS,
  CHANNEL_KIND_SPECS,
  type ChannelAdapter,
  type ChannelKind,
  type ChannelProvider,
  type OutboundMessage,
  PermanentSendError,
  type SendContext,
  contactAddressOf,
  createChannelAdapters,
  isChannelKind,
  kindSpec,
  messageProviderOf,
} from '../../channels';
import { isFreeFormReplyAllowed, sessionExpiresAt } from '../../channels/kinds';
import { postmarkAdapter } from '../../channels/postmark/adapter';
import { createPostmarkClient } from '../../channels/postmark/client';
import { startPostmarkStandIn } from '../../channels/postmark/standin';
import { twilioAdapter } from '../../channels/twilio/adapter';
import { createTwilioClient } from '../../channels/twilio/client';
import { startTwilioStub } from '../../channels/twilio/standin';
import { telegramAdapter } from '../../channels/telegram/adapter';
import { createTelegramApi } from '../../channels/telegram/bot-api';
import { startTelegramStandIn } from '../../channels/telegram/standin';
import { FileBlobStore } from '../../db/blob-store';
import { createDb, type Db } from '../../db/client';
import { DELIVERY_STATUSES, isDeliveryProgress } from '../../domain/delivery';
import { globalResources } from '../support/global-resources';

/** Addresses per kind: valid ones (raw → normalised) and invalid ones. */
const SAMPLES: Record<ChannelKind, { valid: [raw: string, normalised: string][]; invalid: string[] }> = {
  sms: {
    valid: [
      ['+1 (555) 123-4567', '+15551234567'],
      ['+44 7700 900123', '+447700900123'],
    ],
    invalid: ['', 'hello', '+1', 'user@example.com'],
  },
  whatsapp: {
    valid: [
      ['whatsapp:+447700900123', '+447700900123'],
      ['+1 555 123 4567', '+15551234567'],
    ],
    invalid: ['', 'whatsapp:', 'whatsapp:hello', 'user@example.com'],
  },
  email: {
    valid: [
      ['  Ada@Example.COM ', 'ada@example.com'],
      ['support+tag@help.example.test', 'support+tag@help.example.test'],
    ],
    invalid: ['', 'ada', 'ada@', '@example.com', 'a b@example.com', '+15551234567'],
  },
  chat: {
    valid: [[' visitor-7f3a ', 'visitor-7f3a']],
    invalid: ['', '   ', 'two words', 'x'.repeat(201)],
  },
  telegram: {
    valid: [
      [' 123456789 ', '123456789'],
      ['-1001234567890', '-1001234567890'],
    ],
    invalid: ['', '0', 'abc', '@username', '12.5', '99999999999999999'],
  },
};

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'contract-twilio-auth-token';
const SERVER_TOKEN = 'contract-postmark-server-token';
const TELEGRAM_TOKEN = '4242:contract-telegram-token';

/** A provider's local stand-in, started for the send tests: the adapter on it and the recipients it saw. */
interface StandInRun {
  adapter: ChannelAdapter;
  /** The recipient of every outbound message the stand-in accepted, in order (provider form, e.g. `whatsapp:+…`). */
  recipients(): string[];
  /** The provider can list what was sent, so a reconciliation finds a send (Telegram's Bot API cannot). */
  reconciles: boolean;
  stop(): Promise<void>;
}

/** The providers with a local stand-in: how to start it and build the adapter (the real SDK) on it. */
const STAND_INS: Partial<Record<ChannelProvider, () => Promise<StandInRun>>> = {
  twilio: async () => {
    const stub = await startTwilioStub();
    return {
      adapter: twilioAdapter(createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: stub.url }), {
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        extraHosts: [],
      }),
      recipients: () => stub.requests.filter((r) => r.method === 'POST').map((r) => String(r.form.To)),
      reconciles: true,
      stop: () => stub.stop(),
    };
  },
  postmark: async () => {
    const standIn = await startPostmarkStandIn({ serverToken: SERVER_TOKEN });
    return {
      adapter: postmarkAdapter(createPostmarkClient({ serverToken: SERVER_TOKEN, apiBaseUrl: standIn.url }), {
        inboundDomain: 'inbound.contract.test',
      }),
      recipients: () => standIn.requests.filter((r) => r.method === 'POST').map((r) => String((r.body as { To?: unknown }).To)),
      reconciles: true,
      stop: () => standIn.stop(),
    };
  },
  telegram: async () => {
    const standIn = await startTelegramStandIn({ token: TELEGRAM_TOKEN, acceptAnyChat: true });
    const bot = { token: TELEGRAM_TOKEN, apiRoot: standIn.url };
    return {
      adapter: telegramAdapter(createTelegramApi(bot), bot),
      recipients: () => standIn.sent.map((m) => m.chatId),
      reconciles: false,
      stop: () => standIn.stop(),
    };
  },
};

/** A channel address of the org for `kind` (the sender). */
function channelAddressFor(kind: ChannelKind): string {
  return kind === 'email' ? 'support@help.contract.test' : SAMPLES[kind].valid[0]![1];
}

function outbound(kind: ChannelKind, contactAddress: string | null, text = 'Contract test message'): OutboundMessage {
  return {
    id: randomUUID(),
    orgId: randomUUID(),
    conversationId: randomUUID(),
    kind,
    text,
    attachments: [],
    template: null,
    emailRecipients: null,
    subject: 'Contract',
    replyToken: 'contracttoken',
    channel: { address: channelAddressFor(kind), name: 'Contract Support', settings: {} },
    contact: { name: 'Ada', address: contactAddress },
    createdAt: new Date(),
    sendStartedAt: new Date(),
  };
}

describe('channel registry', () => {
  it('lists every kind once, in the order of the specs', () => {
    expect([...CHANNEL_KINDS]).toEqual(CHANNEL_KIND_SPECS.map((s) => s.kind));
    expect(new Set(CHANNEL_KINDS).size).toBe(CHANNEL_KINDS.length);
    for (const kind of CHANNEL_KINDS) expect(isChannelKind(kind)).toBe(true);
    expect(isChannelKind('fax')).toBe(false);
  });

  it('has exactly one adapter definition per provider, carrying the registered specs', () => {
    const providers = CHANNEL_ADAPTERS.map((d) => d.provider);
    expect(new Set(providers).size).toBe(providers.length);
    const carried = CHANNEL_ADAPTERS.flatMap((d) => d.kinds.map((k) => k.kind));
    expect([...carried].sort()).toEqual([...CHANNEL_KINDS].sort());
    for (const definition of CHANNEL_ADAPTERS) {
      for (const spec of definition.kinds) {
        expect(spec).toBe(kindSpec(spec.kind as ChannelKind));
        expect(spec.provider).toBe(definition.provider);
      }
    }
  });

  it('builds one adapter per provider and routes every kind to the adapter of its provider', () => {
    const adapters = createChannelAdapters({
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: 'http://127.0.0.1:9' },
      postmark: { serverToken: SERVER_TOKEN, apiBaseUrl: 'http://127.0.0.1:9', inboundDomain: undefined },
      telegram: { botToken: TELEGRAM_TOKEN, apiRoot: 'http://127.0.0.1:9' },
    });
    expect(adapters.all).toHaveLength(CHANNEL_ADAPTERS.length);
    for (const kind of CHANNEL_KINDS) expect(adapters.adapterFor(kind).provider).toBe(kindSpec(kind).provider);
  });
});

describe.each(CHANNEL_KIND_SPECS.map((spec) => [spec.kind, spec] as const))('channel kind %s', (kind, spec) => {
  const samples = SAMPLES[kind];

  describe('addresses', () => {
    it.each(samples.valid)('normalises %j to %s, idempotently', (raw, normalised) => {
      expect(spec.normalizeAddress(raw)).toBe(normalised);
      expect(spec.normalizeAddress(normalised)).toBe(normalised);
      expect(spec.validateAddress(raw)).toBe(true);
    });

    it.each(samples.invalid)('rejects %j', (raw) => {
      expect(spec.normalizeAddress(raw)).toBeNull();
      expect(spec.validateAddress(raw)).toBe(false);
    });

    it('takes the contact address from its identity kinds, preferred first', () => {
      expect(contactAddressOf(kind, [])).toBeNull();
      expect(contactAddressOf(kind, [{ kind: 'no-such-kind', address: 'x' }])).toBeNull();
      const [first, second] = spec.identityKinds;
      if (first !== undefined) expect(contactAddressOf(kind, [{ kind: first, address: 'first' }])).toBe('first');
      if (first !== undefined && second !== undefined) {
        const both = [
          { kind: second, address: 'second' },
          { kind: first, address: 'first' },
        ];
        expect(contactAddressOf(kind, both)).toBe('first');
        expect(contactAddressOf(kind, [{ kind: second, address: 'second' }])).toBe('second');
      }
      if (spec.identityKinds.length > 0) expect(spec.identityKinds[0]).toBe(kind);
    });
  });

  describe('delivery statuses', () => {
    it('maps every provider status to a stored status (total)', () => {
      for (const status of spec.providerStatuses) expect(DELIVERY_STATUSES).toContain(spec.fromProviderStatus(status));
    });

    it('ignores statuses outside the vocabulary', () => {
      for (const status of ['', 'no-such-status', 'toString', 'constructor', '__proto__']) {
        if (!spec.providerStatuses.includes(status)) expect(spec.fromProviderStatus(status)).toBeNull();
      }
    });

    it('maps onto the stored order: every mapped status is progress from nothing, none is progress from itself', () => {
      for (const status of spec.providerStatuses) {
        const stored = spec.fromProviderStatus(status)!;
        expect(isDeliveryProgress(null, stored)).toBe(true);
        expect(isDeliveryProgress(stored, stored)).toBe(false);
      }
    });

    it('has a provider status vocabulary exactly when it has a message provider', () => {
      expect(spec.providerStatuses.length > 0).toBe(messageProviderOf(kind) !== null);
    });
  });

  describe('capabilities and session policy', () => {
    it('has a sane text limit and label', () => {
      const max = spec.capabilities.maxTextLength;
      expect(max === null || (Number.isInteger(max) && max > 0)).toBe(true);
      // a caption limit is a tighter limit for text with files, only on kinds that carry files
      const caption = spec.capabilities.maxCaptionLength;
      if (caption !== null) {
        expect(spec.capabilities.media).toBe(true);
        expect(Number.isInteger(caption) && caption > 0 && (max === null || caption <= max)).toBe(true);
      }
      expect(spec.label.trim()).not.toBe('');
      expect(spec.addressLabel.trim()).not.toBe('');
    });

    it('supports templates only where it can be sent to (a contact address and a provider)', () => {
      if (spec.capabilities.templates) {
        expect(spec.identityKinds.length).toBeGreaterThan(0);
        expect(messageProviderOf(kind)).not.toBeNull();
      }
    });

    it('has a subject on templates only if it has templates, and provider-approved templates only with a provider', () => {
      expect([false, 'rendered', 'approved']).toContain(spec.capabilities.templates);
      if (spec.capabilities.templateSubject) expect(spec.capabilities.templates).not.toBe(false);
      if (spec.capabilities.templates === 'approved') expect(messageProviderOf(kind)).not.toBeNull();
    });

    it('copies recipients, reports bounced addresses and runs the agent tools only where it can be sent to', () => {
      const sendable = spec.identityKinds.length > 0 && messageProviderOf(kind) !== null;
      for (const capability of ['copyRecipients', 'addressBounces', 'aiAgentTools'] as const) {
        if (spec.capabilities[capability]) expect({ capability, sendable }).toEqual({ capability, sendable: true });
      }
    });

    it('reports bounced addresses only on a kind addressed by the contact email the bounce flag belongs to', () => {
      // the flag is contacts.email_bounced_at (set by the provider's bounce webhooks)
      if (spec.capabilities.addressBounces) expect(spec.identityKinds).toContain('email');
    });

    it('needs an open window for free-form messages only if it has a window', () => {
      expect(spec.sessionWindowMs === null || spec.sessionWindowMs > 0).toBe(true);
      if (spec.freeFormNeedsOpenWindow) expect(spec.sessionWindowMs).not.toBeNull();
    });

    it('applies its window policy: half-open window, or always allowed', () => {
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      const end = sessionExpiresAt(kind, t0);
      expect(end).toBe(spec.sessionWindowMs === null ? null : t0 + spec.sessionWindowMs);
      if (spec.freeFormNeedsOpenWindow) {
        expect(isFreeFormReplyAllowed(kind, end, t0)).toBe(true);
        expect(isFreeFormReplyAllowed(kind, end, end! - 1)).toBe(true);
        expect(isFreeFormReplyAllowed(kind, end, end!)).toBe(false);
        expect(isFreeFormReplyAllowed(kind, null, t0)).toBe(false);
      } else {
        expect(isFreeFormReplyAllowed(kind, null, t0)).toBe(true);
        expect(isFreeFormReplyAllowed(kind, t0, t0 + 1000 * 3_600_000)).toBe(true);
      }
    });
  });

  describe('send', () => {
    const startStandIn = STAND_INS[spec.provider as ChannelProvider];
    let db: Db;
    let ctx: SendContext;
    let run: StandInRun | undefined;

    beforeAll(async () => {
      db = createDb(globalResources().databaseUrl, { max: 2 });
      ctx = {
        db,
        blobs: new FileBlobStore('/nonexistent-contract-blobs'),
        publicBaseUrl: 'http://127.0.0.1:9',
        mediaUrl: (id) => `http://127.0.0.1:9/media/${id}`,
      };
      run = startStandIn ? await startStandIn() : undefined;
    });
    afterAll(async () => {
      await run?.stop();
      await db.destroy();
    });

    const adapterOf = (): ChannelAdapter =>
      run?.adapter ??
      createChannelAdapters({
        twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: 'http://127.0.0.1:9' },
        postmark: { serverToken: SERVER_TOKEN, apiBaseUrl: 'http://127.0.0.1:9', inboundDomain: undefined },
        telegram: { botToken: TELEGRAM_TOKEN, apiRoot: 'http://127.0.0.1:9' },
      }).adapterFor(kind);

    it('carries this kind', () => {
      expect(adapterOf().kinds.map((k) => k.kind)).toContain(kind);
    });

    if (spec.identityKinds.length === 0) {
      it('refuses to send (permanently): nothing carries it yet', async () => {
        const error = await adapterOf()
          .send(ctx, outbound(kind, null))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PermanentSendError);
        expect(await adapterOf().reconcile(ctx, outbound(kind, null))).toEqual({ outcome: 'not_sent' });
      });
      return;
    }

    it('fails permanently with no_address when the contact has none, and reconciles to not_sent', async () => {
      const error = await adapterOf()
        .send(ctx, outbound(kind, null))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentSendError);
      expect((error as PermanentSendError).code).toBe('no_address');
      expect(await adapterOf().reconcile(ctx, outbound(kind, null))).toEqual({ outcome: 'not_sent' });
    });

    (startStandIn ? it : it.skip)('sends through the real SDK to the stand-in, and a reconciliation finds that send', async () => {
      const address = samples.valid[0]![1];
      const message = outbound(kind, address, `Contract ${randomUUID()}`);
      const sent = await run!.adapter.send(ctx, message);
      expect(sent.providerMessageId).not.toBe('');
      expect(DELIVERY_STATUSES).toContain(sent.status);
      expect(run!.recipients().at(-1)).toContain(address);
      const again = await run!.adapter.reconcile(ctx, message);
      if (run!.reconciles)
        expect(again).toEqual({ outcome: 'sent', providerMessageId: sent.providerMessageId, status: expect.any(String) });
      // a provider that cannot list sends never says `not_sent` for a message that may have gone out
      else expect(again).toEqual({ outcome: 'undecided', reason: expect.any(String) });
    });
  });
});
