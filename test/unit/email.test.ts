import {
  formatMessageIdHeader,
  headerValue,
  normalizeMessageId,
  outboundMessageId,
  parseEmailAddress,
  parseEmailAddressList,
  parseMessageIdList,
  replySubject,
  replyToAddress,
  threadReferences,
} from '../../domain/email';

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
