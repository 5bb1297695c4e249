/**
 * The email threading decision (channels/postmark/threading.ts) with fake lookups: no database.
 * The webhook route's end-to-end behaviour is covered by test/api/email-routing.test.ts and friends.
 */
import {
  decideEmailThread,
  emailThreadHeaders,
  type EmailChannelRef,
  type EmailThreadLookups,
  type InboundEmailThreadingFields,
  type InboundEmailRecipient,
} from '../../channels/postmark/threading';
import type { EmailConversationTarget } from '../../channels/postmark/email-routing';
import type { EmailHeader } from '../../domain/email';
import { conversationIdFor } from '../../domain/routing';

const ORG_A = '0b6f7f44-8d8a-4f27-9d3e-1c2b3a4d5e6f';
const ORG_B = '7d2e9a10-3c4b-4e5f-8a6b-9c0d1e2f3a4b';
const CHANNEL_A: EmailChannelRef = { id: 'a3c1e2d4-5b6f-4a7b-8c9d-0e1f2a3b4c5d', org_id: ORG_A };

function conversation(id: string, orgId = ORG_A): EmailConversationTarget {
  return { id, org_id: orgId, channel_id: CHANNEL_A.id, contact_id: `contact-of-${id}`, subject: 'Hello' };
}

function to(email: string, mailboxHash = ''): InboundEmailRecipient {
  return { Email: email, MailboxHash: mailboxHash };
}

/** An inbound email to support@acme.test with no token and no threading headers, overridable. */
function mail(overrides: Partial<InboundEmailThreadingFields> = {}): InboundEmailThreadingFields {
  return {
    MessageID: 'pm-inbound-1',
    MailboxHash: '',
    ToFull: [to('support@acme.test')],
    CcFull: [],
    OriginalRecipient: 'support@acme.test',
    To: 'support@acme.test',
    Headers: [{ Name: 'Message-ID', Value: '<new-1@client.test>' }],
    ...overrides,
  };
}

function headers(values: Record<string, string>): EmailHeader[] {
  return Object.entries(values).map(([Name, Value]) => ({ Name, Value }));
}

/**
 * Fake lookups: tokens and thread ids map to conversations (thread ids scoped by org), recipients
 * to channels (exact string match: the real normalisation lives in db/email-routing.ts). Every call
 * is recorded.
 */
function fakeLookups(data: {
  tokens?: Record<string, EmailConversationTarget>;
  channels?: Record<string, EmailChannelRef>;
  threads?: { orgId: string; messageId: string; conversation: EmailConversationTarget }[];
}) {
  const lookups = {
    conversationByReplyToken: jest.fn(async (tokens: string[]) => tokens.map((t) => data.tokens?.[t]).find((c) => c !== undefined)),
    emailChannel: jest.fn(async (recipients: string[]) => recipients.map((r) => data.channels?.[r]).find((c) => c !== undefined)),
    conversationByThread: jest.fn(
      async (orgId: string, threadIds: string[]) =>
        (data.threads ?? []).find((t) => t.orgId === orgId && threadIds.includes(t.messageId))?.conversation,
    ),
  } satisfies EmailThreadLookups;
  return lookups;
}

const ACME = { 'support@acme.test': CHANNEL_A };

describe('reply token', () => {
  test('a MailboxHash token that matches routes to its conversation; no channel or thread lookup', async () => {
    const lookups = fakeLookups({ tokens: { tokA1: conversation('conv-token') }, channels: ACME });
    const decision = await decideEmailThread(mail({ MailboxHash: 'tokA1' }), lookups);
    expect(decision).toEqual({ kind: 'token', conversation: conversation('conv-token') });
    expect(lookups.emailChannel).not.toHaveBeenCalled();
    expect(lookups.conversationByThread).not.toHaveBeenCalled();
  });

  test('the token wins over thread Message-IDs that match another conversation', async () => {
    const lookups = fakeLookups({
      tokens: { tokA1: conversation('conv-token') },
      channels: ACME,
      threads: [{ orgId: ORG_A, messageId: 'parent@acme.test', conversation: conversation('conv-thread') }],
    });
    const decision = await decideEmailThread(
      mail({ MailboxHash: 'tokA1', Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<parent@acme.test>' }) }),
      lookups,
    );
    expect(decision).toEqual({ kind: 'token', conversation: conversation('conv-token') });
    expect(lookups.conversationByThread).not.toHaveBeenCalled();
  });

  test("a token of another org's conversation wins (tokens are global), whatever channel is addressed", async () => {
    const other = conversation('conv-org-b', ORG_B);
    const lookups = fakeLookups({ tokens: { tokB: other }, channels: ACME });
    expect(await decideEmailThread(mail({ MailboxHash: 'tokB' }), lookups)).toEqual({ kind: 'token', conversation: other });
    expect(lookups.emailChannel).not.toHaveBeenCalled();
  });

  test('a matching token routes even when no recipient is one of our channels (no 404)', async () => {
    const lookups = fakeLookups({ tokens: { tokA1: conversation('conv-token') } });
    const decision = await decideEmailThread(
      mail({ MailboxHash: 'tokA1', ToFull: [to('someone@else.test', 'tokA1')], OriginalRecipient: '', To: '' }),
      lookups,
    );
    expect(decision.kind).toBe('token');
  });

  test('tokens are looked up from MailboxHash, then ToFull, then CcFull, each as given and lower-cased; empty hashes skipped', async () => {
    const lookups = fakeLookups({ channels: ACME });
    await decideEmailThread(
      mail({
        MailboxHash: 'Tok1',
        ToFull: [to('support@acme.test'), to('reply+tok2@in.acme.test', 'tok2')],
        CcFull: [to('x+TOK3@acme.test', 'TOK3')],
      }),
      lookups,
    );
    expect(lookups.conversationByReplyToken).toHaveBeenCalledTimes(1);
    expect(lookups.conversationByReplyToken).toHaveBeenCalledWith(['Tok1', 'tok1', 'tok2', 'tok2', 'TOK3', 'tok3']);
  });

  test('a token upper-cased by the sender still matches the stored lower-case token', async () => {
    const lookups = fakeLookups({ tokens: { abcdef: conversation('conv-token') }, channels: ACME });
    expect(await decideEmailThread(mail({ MailboxHash: 'ABCDEF' }), lookups)).toEqual({
      kind: 'token',
      conversation: conversation('conv-token'),
    });
  });

  test('a token found only on a Cc entry matches', async () => {
    const lookups = fakeLookups({ tokens: { tokcc: conversation('conv-cc') }, channels: ACME });
    const decision = await decideEmailThread(mail({ CcFull: [to('reply+tokcc@in.acme.test', 'tokcc')] }), lookups);
    expect(decision).toEqual({ kind: 'token', conversation: conversation('conv-cc') });
  });

  test('no MailboxHash anywhere: the token lookup is not made', async () => {
    const lookups = fakeLookups({ channels: ACME });
    await decideEmailThread(mail(), lookups);
    expect(lookups.conversationByReplyToken).not.toHaveBeenCalled();
  });

  test('an unknown token falls through to the thread Message-IDs', async () => {
    const lookups = fakeLookups({
      channels: ACME,
      threads: [{ orgId: ORG_A, messageId: 'parent@acme.test', conversation: conversation('conv-thread') }],
    });
    const decision = await decideEmailThread(
      mail({ MailboxHash: 'stale', Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<parent@acme.test>' }) }),
      lookups,
    );
    expect(lookups.conversationByReplyToken).toHaveBeenCalledWith(['stale', 'stale']);
    expect(decision).toEqual({ kind: 'thread', conversation: conversation('conv-thread'), channel: CHANNEL_A });
  });
});

describe('addressed channel', () => {
  test('the channel is looked up from OriginalRecipient, ToFull, CcFull and the raw To header, in that order', async () => {
    const lookups = fakeLookups({ channels: ACME });
    await decideEmailThread(
      mail({
        OriginalRecipient: 'support+x@acme.test',
        ToFull: [to('Support@Acme.test'), to('boss@client.test')],
        CcFull: [to('cc@client.test')],
        To: '"Support" <support@acme.test>, boss@client.test',
      }),
      lookups,
    );
    expect(lookups.emailChannel).toHaveBeenCalledWith([
      'support+x@acme.test',
      'Support@Acme.test',
      'boss@client.test',
      'cc@client.test',
      '"Support" <support@acme.test>, boss@client.test',
    ]);
  });

  test('no token match and no channel → unknown_channel, and no thread lookup (it needs the org)', async () => {
    const lookups = fakeLookups({
      threads: [{ orgId: ORG_A, messageId: 'parent@acme.test', conversation: conversation('conv-thread') }],
    });
    const decision = await decideEmailThread(
      mail({ MailboxHash: 'stale', Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<parent@acme.test>' }) }),
      lookups,
    );
    expect(decision).toEqual({ kind: 'unknown_channel' });
    expect(lookups.conversationByThread).not.toHaveBeenCalled();
  });
});

describe('thread Message-IDs', () => {
  test('In-Reply-To matching a thread of the addressed org routes there', async () => {
    const lookups = fakeLookups({
      channels: ACME,
      threads: [{ orgId: ORG_A, messageId: 'parent@acme.test', conversation: conversation('conv-thread') }],
    });
    const decision = await decideEmailThread(
      mail({ Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<parent@acme.test>' }) }),
      lookups,
    );
    expect(decision).toEqual({ kind: 'thread', conversation: conversation('conv-thread'), channel: CHANNEL_A });
    expect(lookups.conversationByThread).toHaveBeenCalledWith(ORG_A, ['parent@acme.test']);
  });

  test('the lookup is scoped to the addressed org: a Message-ID of another org never matches', async () => {
    const lookups = fakeLookups({
      channels: ACME,
      threads: [{ orgId: ORG_B, messageId: 'parent@other.test', conversation: conversation('conv-org-b', ORG_B) }],
    });
    const decision = await decideEmailThread(
      mail({
        Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<parent@other.test>', References: '<parent@other.test>' }),
      }),
      lookups,
    );
    expect(lookups.conversationByThread).toHaveBeenCalledWith(ORG_A, expect.any(Array));
    expect(decision).toMatchObject({ kind: 'new', channel: CHANNEL_A, rootMessageId: 'parent@other.test' });
  });

  test('ids are passed nearest first: In-Reply-To, then References last to first (duplicates kept)', async () => {
    const lookups = fakeLookups({ channels: ACME });
    await decideEmailThread(
      mail({ Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<c@x>', References: '<a@x> <b@x>\r\n <c@x>' }) }),
      lookups,
    );
    expect(lookups.conversationByThread).toHaveBeenCalledWith(ORG_A, ['c@x', 'c@x', 'b@x', 'a@x']);
  });

  test('References alone (no In-Reply-To) are used, reversed', async () => {
    const lookups = fakeLookups({
      channels: ACME,
      threads: [{ orgId: ORG_A, messageId: 'a@x', conversation: conversation('conv-root') }],
    });
    const decision = await decideEmailThread(
      mail({ Headers: headers({ 'Message-ID': '<r@client.test>', References: '<a@x> <b@x>' }) }),
      lookups,
    );
    expect(lookups.conversationByThread).toHaveBeenCalledWith(ORG_A, ['b@x', 'a@x']);
    expect(decision).toMatchObject({ kind: 'thread', conversation: conversation('conv-root') });
  });

  test('header names are matched case-insensitively; bare ids without brackets are accepted', async () => {
    const lookups = fakeLookups({
      channels: ACME,
      threads: [{ orgId: ORG_A, messageId: 'parent@acme.test', conversation: conversation('conv-thread') }],
    });
    const decision = await decideEmailThread(
      mail({ Headers: headers({ 'message-id': '<r@client.test>', 'IN-REPLY-TO': 'parent@acme.test' }) }),
      lookups,
    );
    expect(decision).toMatchObject({ kind: 'thread', conversation: conversation('conv-thread') });
  });

  test('no In-Reply-To and no References: no thread lookup, a new conversation', async () => {
    const lookups = fakeLookups({ channels: ACME });
    const decision = await decideEmailThread(mail(), lookups);
    expect(lookups.conversationByThread).not.toHaveBeenCalled();
    expect(decision.kind).toBe('new');
  });

  test('headers with no ids in them (empty, `<>`) count as absent', async () => {
    const lookups = fakeLookups({ channels: ACME });
    const decision = await decideEmailThread(
      mail({ Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<>', References: '  ' }) }),
      lookups,
    );
    expect(lookups.conversationByThread).not.toHaveBeenCalled();
    expect(decision).toMatchObject({ kind: 'new', rootMessageId: 'r@client.test' });
  });
});

describe('new conversation', () => {
  const idFor = (root: string) => conversationIdFor(ORG_A, CHANNEL_A.id, `message-id:${root}`);

  test('a first email: keyed by its own Message-ID on the addressed channel', async () => {
    const decision = await decideEmailThread(mail(), fakeLookups({ channels: ACME }));
    expect(decision).toEqual({
      kind: 'new',
      conversationId: idFor('new-1@client.test'),
      channel: CHANNEL_A,
      rootMessageId: 'new-1@client.test',
    });
  });

  test('an unmatched reply: keyed by References[0] (the thread root), over In-Reply-To and the Message-ID', async () => {
    const decision = await decideEmailThread(
      mail({ Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<c@x>', References: '<a@x> <b@x> <c@x>' }) }),
      fakeLookups({ channels: ACME }),
    );
    expect(decision).toEqual({ kind: 'new', conversationId: idFor('a@x'), channel: CHANNEL_A, rootMessageId: 'a@x' });
  });

  test('an unmatched reply with In-Reply-To only: keyed by the first In-Reply-To id', async () => {
    const decision = await decideEmailThread(
      mail({ Headers: headers({ 'Message-ID': '<r@client.test>', 'In-Reply-To': '<p1@x> <p2@x>' }) }),
      fakeLookups({ channels: ACME }),
    );
    expect(decision).toMatchObject({ kind: 'new', conversationId: idFor('p1@x'), rootMessageId: 'p1@x' });
  });

  test('a follow-up that overtakes the first email of its thread gets the first email’s conversation id', async () => {
    const lookups = fakeLookups({ channels: ACME });
    const first = await decideEmailThread(mail({ Headers: headers({ 'Message-ID': '<root@client.test>' }) }), lookups);
    const followUp = await decideEmailThread(
      mail({
        MessageID: 'pm-2',
        Headers: headers({ 'Message-ID': '<r2@client.test>', 'In-Reply-To': '<root@client.test>', References: '<root@client.test>' }),
      }),
      lookups,
    );
    expect(first).toMatchObject({ kind: 'new', rootMessageId: 'root@client.test' });
    expect(followUp).toEqual(first);
  });

  test('no Message-ID header: Postmark’s MessageID at inbound.postmarkapp.com is the key', async () => {
    const decision = await decideEmailThread(
      mail({ MessageID: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817', Headers: [] }),
      fakeLookups({ channels: ACME }),
    );
    const root = 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817@inbound.postmarkapp.com';
    expect(decision).toEqual({ kind: 'new', conversationId: idFor(root), channel: CHANNEL_A, rootMessageId: root });
  });

  test('an empty Message-ID header falls back to Postmark’s MessageID (two such emails never share a conversation)', async () => {
    const first = await decideEmailThread(mail({ Headers: headers({ 'Message-ID': '<>' }) }), fakeLookups({ channels: ACME }));
    const root = 'pm-inbound-1@inbound.postmarkapp.com';
    expect(first).toEqual({ kind: 'new', conversationId: idFor(root), channel: CHANNEL_A, rootMessageId: root });
    const other = await decideEmailThread(
      mail({ MessageID: 'c0ffee00-0000-4000-8000-000000000001', Headers: headers({ 'Message-ID': '<>' }) }),
      fakeLookups({ channels: ACME }),
    );
    expect(other.kind === 'new' && first.kind === 'new' && other.conversationId !== first.conversationId).toBe(true);
  });

  test('the conversation id ignores the case of the root Message-ID (rootMessageId keeps it)', async () => {
    const lookups = fakeLookups({ channels: ACME });
    const upper = await decideEmailThread(mail({ Headers: headers({ 'Message-ID': '<ABC@Client.Test>' }) }), lookups);
    const lower = await decideEmailThread(mail({ Headers: headers({ 'Message-ID': '<abc@client.test>' }) }), lookups);
    expect(upper).toMatchObject({ kind: 'new', rootMessageId: 'ABC@Client.Test' });
    expect(upper.kind === 'new' && lower.kind === 'new' && upper.conversationId === lower.conversationId).toBe(true);
  });

  test('the conversation id is per org and channel', async () => {
    const channelB: EmailChannelRef = { id: 'f0e1d2c3-b4a5-4968-8776-655443322110', org_id: ORG_B };
    const a = await decideEmailThread(mail(), fakeLookups({ channels: ACME }));
    const b = await decideEmailThread(mail(), fakeLookups({ channels: { 'support@acme.test': channelB } }));
    expect(a.kind === 'new' && b.kind === 'new' && a.conversationId !== b.conversationId).toBe(true);
    expect(b).toMatchObject({
      kind: 'new',
      conversationId: conversationIdFor(ORG_B, channelB.id, 'message-id:new-1@client.test'),
      channel: channelB,
    });
  });
});

describe('emailThreadHeaders', () => {
  test('normalises the Message-ID and parses In-Reply-To / References in header order', () => {
    expect(
      emailThreadHeaders({
        MessageID: 'pm-1',
        Headers: headers({ 'Message-Id': ' <m@x> ', 'In-Reply-To': '<p@x>', References: '<a@x>, <b@x>' }),
      }),
    ).toEqual({ messageId: 'm@x', inReplyTo: ['p@x'], references: ['a@x', 'b@x'] });
  });

  test('the first of repeated headers wins', () => {
    expect(
      emailThreadHeaders({
        MessageID: 'pm-1',
        Headers: [
          { Name: 'Message-ID', Value: '<one@x>' },
          { Name: 'Message-ID', Value: '<two@x>' },
        ],
      }).messageId,
    ).toBe('one@x');
  });
});
