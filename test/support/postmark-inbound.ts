/**
 * Postmark inbound-email test inputs: the webhook body type and builders over the contract samples in
 * test/contracts/samples, plus delivering one through the harness.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { MessageRecord } from '../../domain/message';
import type { Harness } from './harness';
import { SAMPLES_DIR } from './contracts';

export interface PostmarkAddress {
  Email: string;
  Name: string;
  MailboxHash: string;
}
export interface PostmarkHeader {
  Name: string;
  Value: string;
}
/** The inbound webhook body as in the samples. */
export interface InboundEmail {
  From: string;
  FromName: string;
  FromFull: PostmarkAddress;
  To: string;
  ToFull: PostmarkAddress[];
  Cc: string;
  CcFull: PostmarkAddress[];
  OriginalRecipient: string;
  Subject: string;
  MessageID: string;
  MailboxHash: string;
  Date: string;
  TextBody: string;
  HtmlBody: string;
  StrippedTextReply: string;
  Headers: PostmarkHeader[];
  Attachments: unknown[];
  [key: string]: unknown;
}

/** A contract sample, parsed. */
export const sample = <T>(name: string): T => JSON.parse(readFileSync(path.join(SAMPLES_DIR, name), 'utf8')) as T;
/** A contract sample, as text. */
export const sampleText = (name: string): string => readFileSync(path.join(SAMPLES_DIR, name), 'utf8');

/** A fresh RFC 5322 Message-ID, bare. */
export const freshMessageId = (): string => `CAF${randomBytes(6).toString('hex')}@mail.example.net`;

/** `headers` without the ones named in `set` (any case), then those of `set` that are defined. */
export function withHeaders(headers: PostmarkHeader[], set: Record<string, string | undefined>): PostmarkHeader[] {
  const names = Object.keys(set).map((n) => n.toLowerCase());
  const kept = headers.filter((x) => !names.includes(x.Name.toLowerCase()));
  const added = Object.entries(set)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([Name, Value]) => ({ Name, Value }));
  return [...kept, ...added];
}

/**
 * postmark-inbound.json from `from` to `to`, with a fresh Postmark MessageID and a fresh Message-ID
 * header (bare id `messageId`), its In-Reply-To / References removed.
 */
export function inboundEmail(from: string, to: string, messageId: string = freshMessageId()): InboundEmail {
  const mail = sample<InboundEmail>('postmark-inbound.json');
  mail.From = from;
  mail.FromFull = { ...mail.FromFull, Email: from };
  mail.To = to;
  mail.ToFull = [{ Email: to, Name: '', MailboxHash: '' }];
  mail.OriginalRecipient = to;
  mail.MessageID = randomUUID();
  mail.Headers = withHeaders(mail.Headers, { 'Message-ID': `<${messageId}>`, 'In-Reply-To': undefined, References: undefined });
  return mail;
}

/** The conversation's messages through the API (empty unless 200). */
export async function emailMessagesOf(h: Harness, conversationId: string): Promise<MessageRecord[]> {
  const r = await request(h.app).get(`/v1/conversations/${conversationId}/messages?limit=100`).set('Authorization', h.auth);
  return r.status === 200 ? (r.body as { data: MessageRecord[] }).data : [];
}

/** Posts an inbound email (200) and waits until it is stored. */
export async function deliverEmail(h: Harness, mail: InboundEmail): Promise<{ conversationId: string; message: MessageRecord }> {
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
  expect(res.status).toBe(200);
  const conversationId = (res.body as { conversationId: string }).conversationId;
  const message = await h.waitFor(
    async () => (await emailMessagesOf(h, conversationId)).find((m) => m.providerMessageId === mail.MessageID),
    `inbound ${mail.MessageID}`,
  );
  return { conversationId, message };
}

/**
 * A Postmark Delivery webhook record (postmarkapp.com/developer/webhooks/delivery-webhook: every field
 * of the documented shape) for the email `messageId` (Postmark's MessageID) to `recipient`; `metadata`
 * is the Metadata our sends attach (`message_id`, `conversation_id`), empty by default.
 */
export function postmarkDeliveryEvent(messageId: string, recipient: string, metadata: Record<string, string> = {}) {
  return {
    RecordType: 'Delivery',
    MessageID: messageId,
    Recipient: recipient,
    DeliveredAt: new Date().toISOString(),
    Details: '',
    Tag: '',
    ServerID: 1,
    MessageStream: 'outbound',
    Metadata: metadata,
  };
}
