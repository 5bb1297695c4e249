import {
  formatMessageIdHeader,
  headerValue,
  isAutoReply,
  normalizeMessageId,
  outboundMessageId,
  parseEmailAddress,
  parseEmailAddressList,
  parseMessageIdList,
  replyAllCc,
  replySubject,
  replyToAddress,
  threadReferences,
} from '../../domain/email';
import { applyInboundMessage, applyStatusChange } from '../../domain/conversation';
import { deliveryUpdateApplies, type DeliveryStatus, isFinalDeliveryFailure } from '../../domain/delivery';
import { HOUR, inbound, makeState, reply, SLA, T0 } from './fixtures';

describe('email', () => {
  describe('normalizeMessageId', () => {
    it.each([
      ['<CAF3x9q2Lk7m@mail.example.net>', 'CAF3x9q2Lk7m@mail.example.net'],
      ['  <CAF3x9q2Lk7m@mail.example.net>  ', 'CAF3x9q2Lk7m@mail.example.net'],
      ['CAF3x9q2Lk7m@mail.example.net', 'CAF3x9q2Lk7m@mail.example.net'],
      ['<a@Mail.EXAMPLE.net>', 'a@Mail.EXAMPLE.net'],
      ['<a@\r\n mail.example.net>', 'a@mail.example.net'],
      ['<>', ''],
      ['', ''],
      ['   ', ''],
    ])('%j → %j', (input, expected) => {
      expect(normalizeMessageId(input)).toBe(expected);
    });

    it('keeps case exactly (ids are matched byte-for-byte)', () => {
      expect(normalizeMessageId('<AbC@Example.COM>')).not.toBe(normalizeMessageId('<abc@example.com>'));
    });
  });

  describe('parseMessageIdList', () => {
    it('takes every <…> token in order', () => {
      expect(
        parseMessageIdList('<CAF3x9q2Lk7m@mail.example.net> <out.01HZX8.4821@help.example.test> <out.01HZXA.4821@help.example.test>'),
      ).toEqual(['CAF3x9q2Lk7m@mail.example.net', 'out.01HZX8.4821@help.example.test', 'out.01HZXA.4821@help.example.test']);
    });

    it('handles folding, commas, comments and no separator', () => {
      expect(parseMessageIdList('<a@x>\r\n\t<b@x>,<c@x> (comment) <d@x><e@x>')).toEqual(['a@x', 'b@x', 'c@x', 'd@x', 'e@x']);
    });

    it('keeps duplicates and drops empty tokens', () => {
      expect(parseMessageIdList('<a@x> <> <a@x>')).toEqual(['a@x', 'a@x']);
    });

    it('falls back to a white-space/comma split without brackets', () => {
      expect(parseMessageIdList('a@x  b@x,c@x')).toEqual(['a@x', 'b@x', 'c@x']);
    });

    it.each([undefined, '', '   ', '<>'])('%j → []', (header) => {
      expect(parseMessageIdList(header)).toEqual([]);
    });
  });

  describe('headerValue', () => {
    const headers = [
      { Name: 'Message-ID', Value: '<m@x>' },
      { Name: 'In-Reply-To', Value: '<p@x>' },
      { Name: 'X-Dup', Value: 'first' },
      { Name: 'x-dup', Value: 'second' },
    ];

    it('matches the name case-insensitively', () => {
      expect(headerValue(headers, 'message-id')).toBe('<m@x>');
      expect(headerValue(headers, 'MESSAGE-ID')).toBe('<m@x>');
      expect(headerValue(headers, 'In-Reply-To')).toBe('<p@x>');
    });

    it('returns the first of repeated headers', () => {
      expect(headerValue(headers, 'X-DUP')).toBe('first');
    });

    it('returns undefined when absent', () => {
      expect(headerValue(headers, 'References')).toBeUndefined();
      expect(headerValue([], 'Message-ID')).toBeUndefined();
    });
  });

  describe('replySubject', () => {
    it.each([
      ['Order 4821 - wrong size delivered', 'Re: Order 4821 - wrong size delivered'],
      ['Re: Order 4821', 'Re: Order 4821'],
      ['RE: Order 4821', 'RE: Order 4821'],
      ['re:Order 4821', 're:Order 4821'],
      ['Re[2]: Order 4821', 'Re[2]: Order 4821'],
      ['RE (3): Order', 'RE (3): Order'],
      ['  Re: padded  ', 'Re: padded'],
      ['Fwd: Order 4821', 'Re: Fwd: Order 4821'],
      ['FW: Order 4821', 'Re: FW: Order 4821'],
      ['Regarding order', 'Re: Regarding order'],
      ['Re order', 'Re: Re order'],
      ['', 'Re:'],
      ['   ', 'Re:'],
    ])('%j → %j', (subject, expected) => {
      expect(replySubject(subject)).toBe(expected);
    });

    it('is idempotent', () => {
      const once = replySubject('Hello');
      expect(replySubject(once)).toBe(once);
    });
  });

  describe('replyToAddress', () => {
    it('uses the channel domain without an inbound domain', () => {
      expect(replyToAddress('reply@help.example.test', 't_9QzK2mW7', null)).toBe('reply+t_9QzK2mW7@help.example.test');
      expect(replyToAddress('reply@help.example.test', 't_9QzK2mW7', '')).toBe('reply+t_9QzK2mW7@help.example.test');
    });

    it('uses the inbound domain when given (a leading @ is ignored)', () => {
      expect(replyToAddress('support@help.example.test', 'tok', 'inbound.example.test')).toBe('support+tok@inbound.example.test');
      expect(replyToAddress('support@help.example.test', 'tok', '@inbound.example.test')).toBe('support+tok@inbound.example.test');
    });

    it('drops an existing +tag and reads display-name addresses', () => {
      expect(replyToAddress('support+old@help.example.test', 'tok', null)).toBe('support+tok@help.example.test');
      expect(replyToAddress('Example Support <support@help.example.test>', 'tok', null)).toBe('support+tok@help.example.test');
    });

    it.each([
      ['not-an-address', 'tok'],
      ['@help.example.test', 'tok'],
      ['support@', 'tok'],
      ['+x@help.example.test', 'tok'],
      ['support@help.example.test', ''],
      ['support@help.example.test', 'a+b'],
      ['support@help.example.test', 'a@b'],
      ['support@help.example.test', 'a b'],
    ])('rejects %j with token %j', (address, token) => {
      expect(() => replyToAddress(address, token, null)).toThrow();
    });
  });

  describe('threadReferences', () => {
    it('normalises, de-duplicates and keeps order', () => {
      expect(threadReferences(['<a@x>', 'b@x', '<a@x>', '', '<>', 'c@x', 'b@x'])).toEqual(['a@x', 'b@x', 'c@x']);
    });

    it('keeps the first and the last max-1 when too long', () => {
      const ids = Array.from({ length: 30 }, (_, i) => `m${i}@x`);
      const refs = threadReferences(ids);
      expect(refs).toHaveLength(20);
      expect(refs[0]).toBe('m0@x');
      expect(refs[1]).toBe('m11@x');
      expect(refs[19]).toBe('m29@x');
      expect(threadReferences(ids, 3)).toEqual(['m0@x', 'm28@x', 'm29@x']);
      expect(threadReferences(ids, 1)).toEqual(['m0@x']);
      expect(threadReferences(ids, 0)).toEqual([]);
    });

    it('returns short lists whole (exactly max too)', () => {
      expect(threadReferences(['a@x', 'b@x'], 2)).toEqual(['a@x', 'b@x']);
      expect(threadReferences([])).toEqual([]);
    });
  });

  describe('Message-ID formatting', () => {
    it('formatMessageIdHeader brackets once', () => {
      expect(formatMessageIdHeader('a@x')).toBe('<a@x>');
      expect(formatMessageIdHeader('<a@x>')).toBe('<a@x>');
    });

    it('outboundMessageId builds id@domain', () => {
      expect(outboundMessageId('0b9c3e0e-4f8e-4d4b-9d7f-2b1a3c4d5e6f', 'help.example.test')).toBe(
        '0b9c3e0e-4f8e-4d4b-9d7f-2b1a3c4d5e6f@help.example.test',
      );
      expect(outboundMessageId('abc', '@help.example.test')).toBe('abc@help.example.test');
      expect(formatMessageIdHeader(outboundMessageId('abc', 'help.example.test'))).toBe('<abc@help.example.test>');
    });

    it.each([
      ['', 'x.test'],
      ['a b', 'x.test'],
      ['a@b', 'x.test'],
      ['<a>', 'x.test'],
      ['a', ''],
      ['a', 'x .test'],
    ])('outboundMessageId rejects %j at %j', (id, domain) => {
      expect(() => outboundMessageId(id, domain)).toThrow();
    });

    it('round-trips through parseMessageIdList', () => {
      const id = outboundMessageId('out-1', 'help.example.test');
      expect(parseMessageIdList(threadReferences(['root@x', id]).map(formatMessageIdHeader).join(' '))).toEqual(['root@x', id]);
    });
  });

  describe('parseEmailAddressList', () => {
    it('maps Postmark …Full entries, empty name → null, drops empty emails', () => {
      expect(
        parseEmailAddressList([
          { Email: 'support@help.example.test', Name: '' },
          { Email: ' jon.okafor@mail.example.net ', Name: ' Jon Okafor ' },
          { Email: '', Name: 'Nobody' },
        ]),
      ).toEqual([
        { email: 'support@help.example.test', name: null },
        { email: 'jon.okafor@mail.example.net', name: 'Jon Okafor' },
      ]);
      expect(parseEmailAddressList([])).toEqual([]);
    });

    it('parseEmailAddress keeps case', () => {
      expect(parseEmailAddress({ Email: 'Amara.Okafor@Mail.Example.net', Name: 'Amara Okafor' })).toEqual({
        email: 'Amara.Okafor@Mail.Example.net',
        name: 'Amara Okafor',
      });
    });
  });
});

describe('isAutoReply (RFC 3834)', () => {
  const h = (Name: string, Value: string) => [
    { Name: 'Subject', Value: 'Re: x' },
    { Name, Value },
  ];
  it.each([
    ['Auto-Submitted', 'auto-replied'],
    ['Auto-Submitted', 'auto-generated'],
    ['auto-submitted', 'Auto-Replied; owner-email="a@b.test"'],
    ['Auto-Submitted', 'auto-notified'],
    ['X-Autoreply', 'yes'],
    ['X-AutoReply', 'True'],
    ['X-Autorespond', 'Out of office'],
    ['Precedence', 'bulk'],
    ['Precedence', ' Junk '],
    ['Precedence', 'auto_reply'],
  ])('%s: %s → automatic', (name, value) => {
    expect(isAutoReply(h(name, value))).toBe(true);
  });
  it.each([
    ['Auto-Submitted', 'no'],
    ['Auto-Submitted', ' NO '],
    ['X-Autoreply', 'no'],
    ['X-Autorespond', 'false'],
    ['Precedence', 'list'],
    ['Precedence', 'first-class'],
    ['X-Mailer', 'Autoreply 2000'],
  ])('%s: %s → a person', (name, value) => {
    expect(isAutoReply(h(name, value))).toBe(false);
  });
  it('no headers → a person', () => {
    expect(isAutoReply([])).toBe(false);
  });
});

describe('replyAllCc', () => {
  const a = (email: string, name: string | null = null) => ({ email, name });
  const base = { to: 'amara@client.test', channelAddress: 'Support@acme.test', inboundDomain: 'inbound.acme.test' };
  it('keeps the others on the thread, drops our addresses (any +tag, the inbound domain) and the To, once each', () => {
    expect(
      replyAllCc({
        ...base,
        thread: [
          a('support@acme.test'),
          a('support+t_123@acme.test'),
          a('reply+t_123@inbound.acme.test'),
          a('boss@client.test', 'Boss'),
          a('AMARA@client.test'),
          a('Boss@Client.test', 'Dup'),
          a('ops@client.test'),
        ],
        extra: [a('finance@client.test'), a('ops@client.test', 'again')],
      }),
    ).toEqual([a('boss@client.test', 'Boss'), a('ops@client.test'), a('finance@client.test')]);
  });
  it('without an inbound domain only the channel address is ours', () => {
    expect(replyAllCc({ ...base, inboundDomain: null, thread: [a('x@inbound.acme.test'), a('support@acme.test')] })).toEqual([
      a('x@inbound.acme.test'),
    ]);
  });
  it('nothing on the thread → []', () => {
    expect(replyAllCc({ ...base, thread: [] })).toEqual([]);
  });
});

describe('delivery events never undo a hard bounce', () => {
  type Event = { status: DeliveryStatus; errorCode: string | null };
  const events: Record<string, Event> = {
    sent: { status: 'sent', errorCode: null },
    delivered: { status: 'delivered', errorCode: null },
    opened: { status: 'read', errorCode: null },
    bounced: { status: 'failed', errorCode: 'bounce_HardBounce' },
    spam: { status: 'failed', errorCode: 'bounce_SpamComplaint' },
  };
  /** Applies events in order with the rule; returns the final stored outcome. */
  const run = (order: string[]): Event =>
    order.reduce<Event>(
      (current, name) => {
        const next = events[name]!;
        return deliveryUpdateApplies(current, next) ? next : current;
      },
      { status: 'queued', errorCode: null },
    );
  const permutations = (items: string[]): string[][] =>
    items.length <= 1
      ? [items]
      : items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((r) => [x, ...r]));

  it.each(permutations(['sent', 'delivered', 'bounced', 'opened']).map((o) => [o.join(' → '), o]))(
    '%s → failed bounce_HardBounce',
    (_n, order) => {
      expect(run(order as string[])).toEqual(events.bounced);
    },
  );
  it.each(permutations(['delivered', 'spam', 'opened']).map((o) => [o.join(' → '), o]))('%s → failed bounce_SpamComplaint', (_n, order) => {
    expect(run(order as string[])).toEqual(events.spam);
  });
  it.each(permutations(['sent', 'delivered', 'opened']).map((o) => [o.join(' → '), o]))('%s (no bounce) → read', (_n, order) => {
    expect(run(order as string[])).toEqual(events.opened);
  });
  it('a hard bounce after a spam complaint (or the reverse) keeps the first final outcome', () => {
    expect(run(['spam', 'bounced'])).toEqual(events.spam);
    expect(run(['bounced', 'spam'])).toEqual(events.bounced);
  });
  it('a send failure that is not a bounce is not final: a later delivery report still applies', () => {
    expect(isFinalDeliveryFailure('failed', '30007')).toBe(false);
    expect(deliveryUpdateApplies({ status: 'failed', errorCode: '30007' }, events.delivered!)).toBe(true);
  });
  it('a forced report (nextFinal) applies over delivered; the same final outcome twice is no change', () => {
    expect(deliveryUpdateApplies({ status: 'delivered', errorCode: null }, { status: 'failed', errorCode: 'x', nextFinal: true })).toBe(
      true,
    );
    expect(deliveryUpdateApplies(events.bounced!, events.bounced!)).toBe(false);
  });
});

describe('applyInboundMessage with autoReply', () => {
  it('a closed conversation stays closed; no SLA clock, no window, no lastCustomerMessageAt change; unread and preview move', () => {
    const closed = applyStatusChange(reply(inbound(makeState({ channelKind: 'email' }), T0), T0 + HOUR), { status: 'closed' });
    const next = applyInboundMessage(closed, { text: 'Out of office', receivedAtMs: T0 + 2 * HOUR, sla: SLA, autoReply: true });
    expect(next).toEqual({
      ...closed,
      unreadCount: closed.unreadCount + 1,
      lastMessagePreview: 'Out of office',
      lastActivityAt: new Date(T0 + 2 * HOUR).toISOString(),
    });
  });
  it('a pending conversation stays pending without an SLA deadline; snoozed stays snoozed', () => {
    const pending = reply(inbound(makeState({ channelKind: 'email' }), T0), T0 + HOUR);
    expect(applyInboundMessage(pending, { text: 'auto', receivedAtMs: T0 + 2 * HOUR, sla: SLA, autoReply: true })).toMatchObject({
      status: 'pending',
      slaDueAt: null,
    });
    const until = new Date(T0 + 48 * HOUR).toISOString();
    const snoozed = applyStatusChange(pending, { status: 'snoozed', until });
    expect(applyInboundMessage(snoozed, { text: 'auto', receivedAtMs: T0 + 2 * HOUR, sla: SLA, autoReply: true })).toMatchObject({
      status: 'snoozed',
      snoozedUntil: until,
    });
  });
  it('without the flag the same message reopens (control)', () => {
    const closed = applyStatusChange(reply(inbound(makeState({ channelKind: 'email' }), T0), T0 + HOUR), { status: 'closed' });
    expect(applyInboundMessage(closed, { text: 'Hi again', receivedAtMs: T0 + 2 * HOUR, sla: SLA }).status).toBe('open');
  });
});
