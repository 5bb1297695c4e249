/**
 * Contract tests for our Postmark integration, run through the real `postmark` SDK (5.x, fetch-based):
 *  - createPostmarkClient → the hand-written stand-in (channels/postmark/standin.ts): the exact request
 *    the SDK sends (`POST /email`, `X-Postmark-Server-Token`, JSON body incl. base64 attachments), the
 *    200 answer, and Postmark error bodies → SDK error classes → isPermanentPostmarkError;
 *  - every test/contracts/samples/postmark-*.json sample against our zod schemas (channels/postmark/schemas.ts),
 *    including the bounce `ID` that only survives as a string read from the raw body.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Errors, type Message, type ServerClient } from 'postmark';
import { z } from 'zod';
import { createPostmarkClient, isPermanentPostmarkError, postmarkConnectionOptions } from '../../channels/postmark/client';
import {
  parseBounceIdFromRaw,
  parsePostmarkBounceWebhook,
  PostmarkBounceWebhook,
  PostmarkClickWebhook,
  PostmarkDeliveryWebhook,
  PostmarkInboundWebhook,
  PostmarkOpenWebhook,
  PostmarkSpamComplaintWebhook,
  withExactBounceId,
} from '../../channels/postmark/schemas';
import { headerValue, normalizeMessageId, parseEmailAddressList, parseMessageIdList } from '../../domain/email';
import { getFreePort } from '../support/prism';
import { startPostmarkStandIn, type PostmarkStandIn } from '../support/postmark-standin';
import { SAMPLES_DIR } from '../support/twilio-webhooks';
import { captureError } from '../support/capture-error';

const SERVER_TOKEN = 'test-token';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BOUNCE_ID = '4323372036854775807';

function sampleText(name: string): string {
  return readFileSync(path.join(SAMPLES_DIR, name), 'utf8');
}
function sample(name: string): unknown {
  return JSON.parse(sampleText(name)) as unknown;
}

/** What `sendEmail` POSTs (postmark-send-email.request.json; fields per postmarkapp.com/developer/api/email-api). */
const SendEmailRequest = z.looseObject({
  From: z.string(),
  To: z.string(),
  ReplyTo: z.string().optional(),
  Subject: z.string(),
  TextBody: z.string().optional(),
  HtmlBody: z.string().optional(),
  Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).optional(),
  Attachments: z.array(z.looseObject({ Name: z.string(), Content: z.base64(), ContentType: z.string() })).optional(),
  MessageStream: z.string().optional(),
  Tag: z.string().optional(),
  Metadata: z.record(z.string(), z.string()).optional(),
  TrackOpens: z.boolean().optional(),
});
/** The 200 answer of `POST /email` (postmark-send-email.response.json) — the stand-in must answer the same keys. */
const SendEmailResponse = z.strictObject({
  To: z.string(),
  SubmittedAt: z.iso.datetime({ offset: true }),
  MessageID: z.string().regex(UUID_RE),
  ErrorCode: z.literal(0),
  Message: z.literal('OK'),
});
/** Postmark's error body `{ErrorCode, Message}` (postmark-send-email.error-406.json). */
const PostmarkErrorBody = z.strictObject({ ErrorCode: z.number().int().positive(), Message: z.string().min(1) });

/** The stored request sample as the SDK's `Message` (the JSON has no `ContentID`, which the SDK type requires). */
function requestSample(): Message {
  return SendEmailRequest.parse(sample('postmark-send-email.request.json')) as unknown as Message;
}

describe('createPostmarkClient', () => {
  it('maps apiBaseUrl to useHttps + requestHost', () => {
    expect(postmarkConnectionOptions('http://127.0.0.1:4011')).toEqual({ useHttps: false, requestHost: '127.0.0.1:4011' });
    expect(postmarkConnectionOptions('http://127.0.0.1:4011/')).toEqual({ useHttps: false, requestHost: '127.0.0.1:4011' });
    expect(postmarkConnectionOptions('https://pm.example.test')).toEqual({ useHttps: true, requestHost: 'pm.example.test' });
    expect(postmarkConnectionOptions('https://gw.example.test:8443/postmark/')).toEqual({
      useHttps: true,
      requestHost: 'gw.example.test:8443/postmark',
    });
    expect(() => postmarkConnectionOptions('127.0.0.1:4011')).toThrow();
    expect(() => postmarkConnectionOptions('ftp://127.0.0.1')).toThrow();
    expect(() => postmarkConnectionOptions('http://u:p@127.0.0.1')).toThrow();
  });

  it('talks to the real Postmark API when apiBaseUrl is unset or empty', () => {
    for (const apiBaseUrl of [undefined, '']) {
      const opts = createPostmarkClient({ serverToken: SERVER_TOKEN, apiBaseUrl }).getClientOptions();
      expect(opts.useHttps).toBe(true);
      expect(opts.requestHost).toBe('api.postmarkapp.com');
    }
  });

  it('passes the stand-in URL and timeout to the SDK', () => {
    const opts = createPostmarkClient({
      serverToken: SERVER_TOKEN,
      apiBaseUrl: 'http://127.0.0.1:4011',
      timeoutSeconds: 5,
    }).getClientOptions();
    expect(opts).toMatchObject({ useHttps: false, requestHost: '127.0.0.1:4011', timeout: 5 });
  });

  it('rejects an empty token itself', () => {
    expect(() => createPostmarkClient({ serverToken: '  ' })).toThrow(/token is empty/);
  });
});

describe('postmark SDK → stand-in', () => {
  let standIn: PostmarkStandIn | undefined;
  let client: ServerClient;

  beforeAll(async () => {
    standIn = await startPostmarkStandIn({ serverToken: SERVER_TOKEN });
    client = createPostmarkClient({ serverToken: SERVER_TOKEN, apiBaseUrl: standIn.url });
  });

  afterEach(() => standIn?.reset());

  afterAll(async () => {
    await standIn?.stop();
  });

  function onlyRequest() {
    expect(standIn?.requests).toHaveLength(1);
    const req = standIn?.requests[0];
    if (!req) throw new Error('no request recorded');
    return req;
  }

  it('sendEmail: POST /email with the server token, the exact body, and the MessageID returned', async () => {
    const message = requestSample();
    const res = await client.sendEmail(message);

    const req = onlyRequest();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/email');
    expect(req.headers['x-postmark-server-token']).toBe(SERVER_TOKEN);
    expect(req.serverToken).toBe(SERVER_TOKEN);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^Postmark\.JS - 5\./);
    // The SDK sends our object as-is (JSON.stringify): same fields, same values, nothing added.
    expect(req.body).toEqual(sample('postmark-send-email.request.json'));
    expect(req.body).toEqual(message);

    expect(SendEmailResponse.parse(res)).toEqual(res);
    expect(res.MessageID).toMatch(UUID_RE);
    expect(res.To).toBe('amara.okafor@mail.example.net');
    expect(res.ErrorCode).toBe(0);
    expect(req.responseStatus).toBe(200);
    expect(req.responseBody).toEqual(res);
  });

  it('answers the same keys as the stored 200 sample, with a fresh MessageID per email', async () => {
    const stored = SendEmailResponse.parse(sample('postmark-send-email.response.json'));
    const a = await client.sendEmail(requestSample());
    const b = await client.sendEmail(requestSample());
    expect(Object.keys(a).sort()).toEqual(Object.keys(stored).sort());
    expect(a.MessageID).not.toBe(b.MessageID);
  });

  it('attachments: base64 content round-trips byte-for-byte', async () => {
    const sampleContent = SendEmailRequest.parse(sample('postmark-send-email.request.json')).Attachments?.[0]?.Content;
    expect(sampleContent).toBeDefined();
    const bytes = Buffer.from(sampleContent ?? '', 'base64');
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Plus every byte value, so nothing in the path treats the content as text.
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

    await client.sendEmail({
      From: 'Example Support <support@help.example.test>',
      To: 'amara.okafor@mail.example.net',
      Subject: 'Return label',
      TextBody: 'Attached.',
      Attachments: [
        { Name: 'return-label.pdf', Content: bytes.toString('base64'), ContentType: 'application/pdf', ContentID: null },
        { Name: 'bytes.bin', Content: allBytes.toString('base64'), ContentType: 'application/octet-stream', ContentID: 'cid-1@x' },
      ],
    });

    const sent = SendEmailRequest.parse(onlyRequest().body).Attachments ?? [];
    expect(sent).toHaveLength(2);
    expect(sent[0]?.Content).toBe(sampleContent);
    expect(Buffer.from(sent[0]?.Content ?? '', 'base64').equals(bytes)).toBe(true);
    expect(Buffer.from(sent[1]?.Content ?? '', 'base64').equals(allBytes)).toBe(true);
    expect(sent[0]?.ContentID).toBeNull();
    expect(sent[1]?.ContentID).toBe('cid-1@x');
  });

  it('threading headers and ReplyTo arrive unchanged', async () => {
    await client.sendEmail({
      From: 'support@help.example.test',
      To: 'amara.okafor@mail.example.net',
      ReplyTo: 'reply+t_9QzK2mW7@help.example.test',
      Subject: 'Re: Order 4821',
      HtmlBody: '<p>Hi</p>',
      Headers: [
        { Name: 'Message-ID', Value: '<out-2@help.example.test>' },
        { Name: 'In-Reply-To', Value: '<CAF3x9q2Lk7m@mail.example.net>' },
        { Name: 'References', Value: '<CAF3x9q2Lk7m@mail.example.net> <out-1@help.example.test>' },
      ],
    });
    const body = SendEmailRequest.parse(onlyRequest().body);
    expect(body.ReplyTo).toBe('reply+t_9QzK2mW7@help.example.test');
    expect(body.Headers).toEqual([
      { Name: 'Message-ID', Value: '<out-2@help.example.test>' },
      { Name: 'In-Reply-To', Value: '<CAF3x9q2Lk7m@mail.example.net>' },
      { Name: 'References', Value: '<CAF3x9q2Lk7m@mail.example.net> <out-1@help.example.test>' },
    ]);
  });

  it('Cc and Bcc arrive as comma-separated address lists', async () => {
    await client.sendEmail({
      From: 'support@help.example.test',
      To: 'amara.okafor@mail.example.net',
      Cc: 'The Boss <boss@client.example.net>, ops@client.example.net',
      Bcc: 'audit@help.example.test',
      Subject: 'Re: Order 4821',
      TextBody: 'Hi',
    });
    const body = SendEmailRequest.parse(onlyRequest().body);
    expect(body).toMatchObject({ Cc: 'The Boss <boss@client.example.net>, ops@client.example.net', Bcc: 'audit@help.example.test' });
  });

  it('wrong token: 401 ErrorCode 10 → InvalidAPIKeyError, permanent (configuration error)', async () => {
    const wrong = createPostmarkClient({ serverToken: 'wrong-token', apiBaseUrl: standIn?.url });
    const err = await captureError(wrong.sendEmail(requestSample()));
    expect(err).toBeInstanceOf(Errors.InvalidAPIKeyError);
    expect(err).toMatchObject({ statusCode: 401, code: 10 });
    expect(isPermanentPostmarkError(err)).toEqual({ code: 10, status: 401, message: 'The Server API token you provided is invalid.' });
    expect(onlyRequest().serverToken).toBe('wrong-token');
  });

  it('the token is compared case-insensitively, as Postmark documents', async () => {
    const upper = createPostmarkClient({ serverToken: SERVER_TOKEN.toUpperCase(), apiBaseUrl: standIn?.url });
    await expect(upper.sendEmail(requestSample())).resolves.toMatchObject({ ErrorCode: 0 });
  });

  it('missing token header: 401 ErrorCode 10', async () => {
    const res = await fetch(`${standIn?.url}/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(requestSample()),
    });
    expect(res.status).toBe(401);
    expect(PostmarkErrorBody.parse(await res.json()).ErrorCode).toBe(10);
  });

  it('failNext(422, error-406 sample) → InactiveRecipientsError, permanent 406 with the recipients', async () => {
    const body = PostmarkErrorBody.parse(sample('postmark-send-email.error-406.json'));
    standIn?.failNext(422, body);
    const err = await captureError(client.sendEmail(requestSample()));
    expect(err).toBeInstanceOf(Errors.InactiveRecipientsError);
    expect(err).toBeInstanceOf(Errors.ApiInputError);
    expect(err).toMatchObject({ statusCode: 422, code: 406, message: body.Message, recipients: ['amara.okafor@mail.example.net'] });
    expect(isPermanentPostmarkError(err)).toEqual({
      code: 406,
      status: 422,
      message: body.Message,
      inactiveRecipients: ['amara.okafor@mail.example.net'],
    });
    // failNext is one-shot: the next send succeeds.
    await expect(client.sendEmail(requestSample())).resolves.toMatchObject({ ErrorCode: 0 });
  });

  it('stand-in validation: no recipients → 422 ErrorCode 300 → InvalidEmailRequestError, permanent', async () => {
    const err = await captureError(client.sendEmail({ From: 'support@help.example.test', Subject: 'x', TextBody: 'x' }));
    expect(err).toBeInstanceOf(Errors.InvalidEmailRequestError);
    expect(isPermanentPostmarkError(err)).toMatchObject({ code: 300, status: 422, message: 'Zero recipients specified' });
  });

  it('stand-in validation: no body → 422 ErrorCode 300', async () => {
    const err = await captureError(client.sendEmail({ From: 'support@help.example.test', To: 'a@x.test', Subject: 'x' }));
    expect(isPermanentPostmarkError(err)).toMatchObject({ code: 300, status: 422 });
  });

  it.each([
    [422, { ErrorCode: 405, Message: 'Not allowed to send' }, 405],
    [422, { ErrorCode: 411, Message: 'Forbidden attachment type' }, 411],
    [413, { ErrorCode: 300, Message: 'Payload too large' }, 300],
    [422, {}, 0],
  ])('failNext(%i, %j) → permanent, code %i', async (status, body, code) => {
    standIn?.failNext(status, body);
    const err = await captureError(client.sendEmail(requestSample()));
    expect(err).toBeInstanceOf(Errors.PostmarkError);
    expect(isPermanentPostmarkError(err)).toMatchObject({ code, status });
  });

  it.each([
    [500, { ErrorCode: 0, Message: 'Internal server error' }, Errors.InternalServerError],
    [503, { ErrorCode: 100, Message: 'Maintenance' }, Errors.ServiceUnavailablerError],
    [429, { ErrorCode: 429, Message: 'Rate limit exceeded' }, Errors.RateLimitExceededError],
    [502, {}, Errors.UnknownError],
    [504, {}, Errors.UnknownError],
    [408, {}, Errors.UnknownError],
    [403, {}, Errors.UnknownError],
  ])('failNext(%i, %j) → transient (null)', async (status, body, errorClass) => {
    standIn?.failNext(status, body);
    const err = await captureError(client.sendEmail(requestSample()));
    expect(err).toBeInstanceOf(errorClass);
    expect(err).toMatchObject({ statusCode: status });
    expect(isPermanentPostmarkError(err)).toBeNull();
  });

  it('network failure (nothing listening) → PostmarkError with status 0 → transient', async () => {
    const port = await getFreePort();
    const offline = createPostmarkClient({ serverToken: SERVER_TOKEN, apiBaseUrl: `http://127.0.0.1:${port}` });
    const err = await captureError(offline.sendEmail(requestSample()));
    expect(err).toBeInstanceOf(Errors.PostmarkError);
    expect(err).toMatchObject({ statusCode: 0, code: 0 });
    expect(isPermanentPostmarkError(err)).toBeNull();
  });

  it('errors that are not from the SDK are not classified', () => {
    expect(isPermanentPostmarkError(new Error('boom'))).toBeNull();
    expect(isPermanentPostmarkError({ statusCode: 422, code: 406, message: 'x' })).toBeNull();
    expect(isPermanentPostmarkError(undefined)).toBeNull();
  });

  it('other routes → 404; reset clears requests and queued failures', async () => {
    const res = await fetch(`${standIn?.url}/email/batch`, { method: 'POST', headers: { 'X-Postmark-Server-Token': SERVER_TOKEN } });
    expect(res.status).toBe(404);
    expect((await fetch(`${standIn?.url}/email`)).status).toBe(404);
    expect(standIn?.requests).toHaveLength(2);
    standIn?.failNext(500, {});
    standIn?.reset();
    expect(standIn?.requests).toHaveLength(0);
    await expect(client.sendEmail(requestSample())).resolves.toMatchObject({ ErrorCode: 0 });
  });

  it('onRequest sees every answered request', async () => {
    const seen: string[] = [];
    const other = await startPostmarkStandIn({ onRequest: (r) => seen.push(`${r.responseStatus} ${r.path}`) });
    try {
      // Without a configured serverToken any non-empty token is accepted.
      const c = createPostmarkClient({ serverToken: 'anything', apiBaseUrl: other.url });
      await c.sendEmail(requestSample());
      expect(seen).toEqual(['200 /email']);
    } finally {
      await other.stop();
      await other.stop(); // idempotent
    }
  });
});

describe('Postmark webhook samples → zod schemas', () => {
  const files = readdirSync(SAMPLES_DIR)
    .filter((f) => f.startsWith('postmark-') && f.endsWith('.json'))
    .sort();

  /** How each sample must parse; a new sample without an entry fails the test below. */
  const checks: Record<string, (raw: string) => void> = {
    'postmark-inbound.json': (raw) => {
      const m = PostmarkInboundWebhook.parse(JSON.parse(raw));
      expect(m.MailboxHash).toBe('');
      expect(m.FromFull).toMatchObject({ Email: 'amara.okafor@mail.example.net', Name: 'Amara Okafor' });
      expect(parseEmailAddressList(m.ToFull)).toEqual([{ email: 'support@help.example.test', name: null }]);
      expect(normalizeMessageId(headerValue(m.Headers, 'message-id') ?? '')).toBe('CAF3x9q2Lk7m@mail.example.net');
      expect(parseMessageIdList(headerValue(m.Headers, 'In-Reply-To'))).toEqual([]);
      expect(m.Attachments).toEqual([]);
    },
    'postmark-inbound-reply.json': (raw) => {
      const m = PostmarkInboundWebhook.parse(JSON.parse(raw));
      expect(m.MailboxHash).toBe('t_9QzK2mW7');
      expect(m.ToFull[0]?.MailboxHash).toBe('t_9QzK2mW7');
      expect(m.StrippedTextReply).toBe("Perfect, thank you! I'll drop the XL at the post office tomorrow.\n\nAmara");
      expect(parseMessageIdList(headerValue(m.Headers, 'In-Reply-To'))).toEqual(['out.01HZXA.4821@help.example.test']);
      expect(parseMessageIdList(headerValue(m.Headers, 'References'))).toEqual([
        'CAF3x9q2Lk7m@mail.example.net',
        'out.01HZX8.4821@help.example.test',
        'out.01HZXA.4821@help.example.test',
      ]);
    },
    'postmark-inbound-with-attachment.json': (raw) => {
      const m = PostmarkInboundWebhook.parse(JSON.parse(raw));
      expect(parseEmailAddressList(m.CcFull)).toEqual([{ email: 'jon.okafor@mail.example.net', name: 'Jon Okafor' }]);
      expect(m.Attachments.map((a) => [a.Name, a.ContentType, a.ContentID])).toEqual([
        ['receipt-4821.pdf', 'application/pdf', ''],
        ['label.png', 'image/png', 'label-photo@mail.example.net'],
      ]);
      for (const a of m.Attachments) expect(Buffer.from(a.Content, 'base64').length).toBe(a.ContentLength);
      expect(m.HtmlBody).toContain(`cid:${m.Attachments[1]?.ContentID}`);
    },
    'postmark-webhook-delivery.json': (raw) => {
      const d = PostmarkDeliveryWebhook.parse(JSON.parse(raw));
      expect(d).toMatchObject({
        RecordType: 'Delivery',
        MessageID: 'f0220143-c387-a27a-13e6-cac430b1e812',
        Recipient: 'amara.okafor@mail.example.net',
        DeliveredAt: '2026-01-16T15:40:14Z',
        Metadata: { conversation_id: 'conv_4821', outbound_id: 'out_01HZXA' },
      });
    },
    'postmark-webhook-bounce.json': (raw) => {
      expect(parseBounceIdFromRaw(raw)).toBe(BOUNCE_ID);
      const parsed = parsePostmarkBounceWebhook(raw);
      expect(parsed.success).toBe(true);
      if (!parsed.success) return;
      expect(parsed.data).toMatchObject({
        RecordType: 'Bounce',
        ID: BOUNCE_ID,
        Type: 'HardBounce',
        TypeCode: 1,
        MessageID: 'cc0a50c7-a38b-76e7-826f-9e5ba676ac8f',
        Email: 'no-such-user@mail.example.net',
        Inactive: true,
        BouncedAt: '2026-01-16T15:41:03Z',
        Metadata: { conversation_id: 'conv_4822', outbound_id: 'out_01HZXB' },
      });
      expect(BigInt(parsed.data.ID)).toBe(4323372036854775807n);
      // The same through the express path: req.body from JSON.parse + req.rawBody.
      expect(PostmarkBounceWebhook.parse(withExactBounceId(JSON.parse(raw), raw)).ID).toBe(BOUNCE_ID);
      // JSON.parse alone rounds the ID: the schema refuses it instead of storing a wrong value.
      const rounded: unknown = JSON.parse(raw);
      expect(String((rounded as { ID: number }).ID)).not.toBe(BOUNCE_ID);
      expect(PostmarkBounceWebhook.safeParse(rounded).success).toBe(false);
    },
    'postmark-send-email.request.json': (raw) => {
      expect(SendEmailRequest.parse(JSON.parse(raw))).toEqual(JSON.parse(raw));
    },
    'postmark-send-email.response.json': (raw) => {
      expect(SendEmailResponse.parse(JSON.parse(raw)).MessageID).toBe('f0220143-c387-a27a-13e6-cac430b1e812');
    },
    'postmark-send-email.error-406.json': (raw) => {
      expect(PostmarkErrorBody.parse(JSON.parse(raw)).ErrorCode).toBe(406);
    },
  };

  it('finds the Postmark samples, and every one has a check', () => {
    expect(files).toEqual(Object.keys(checks).sort());
  });

  it.each(files)('%s', (file) => {
    const check = checks[file];
    if (!check) throw new Error(`no check for ${file}`);
    check(sampleText(file));
  });
});

describe('Postmark webhook schemas: edges', () => {
  const inbound = sample('postmark-inbound.json') as Record<string, unknown>;

  it('unknown fields pass through, missing optional ones get defaults', () => {
    const m = PostmarkInboundWebhook.parse({
      FromFull: { Email: 'a@x.test' },
      MessageID: 'm-1',
      Cc: null,
      Headers: null,
      SomethingNew: { nested: true },
    });
    expect(m).toMatchObject({
      From: '',
      Cc: '',
      CcFull: [],
      ToFull: [],
      Subject: '',
      MailboxHash: '',
      TextBody: '',
      HtmlBody: '',
      StrippedTextReply: '',
      Headers: [],
      Attachments: [],
      FromFull: { Email: 'a@x.test', Name: '', MailboxHash: '' },
      SomethingNew: { nested: true },
    });
  });

  it('requires MessageID and FromFull', () => {
    expect(PostmarkInboundWebhook.safeParse({ ...inbound, MessageID: '' }).success).toBe(false);
    expect(PostmarkInboundWebhook.safeParse({ ...inbound, FromFull: undefined }).success).toBe(false);
  });

  it('attachments: base64 is checked (line breaks tolerated), content type defaults', () => {
    const att = (Content: string, ContentType?: string) =>
      PostmarkInboundWebhook.safeParse({ ...inbound, Attachments: [{ Name: 'a.bin', Content, ContentType }] });
    expect(att('not base64!').success).toBe(false);
    const ok = att('aGVs\r\nbG8=');
    expect(ok.success && ok.data.Attachments[0]).toMatchObject({
      Content: 'aGVsbG8=',
      ContentType: 'application/octet-stream',
      ContentID: '',
    });
  });

  it('delivery: RecordType and timestamp are checked; Postmark offsets and 7 fractional digits are accepted', () => {
    const delivery = sample('postmark-webhook-delivery.json') as Record<string, unknown>;
    expect(PostmarkDeliveryWebhook.safeParse({ ...delivery, RecordType: 'Bounce' }).success).toBe(false);
    expect(PostmarkDeliveryWebhook.safeParse({ ...delivery, DeliveredAt: 'yesterday' }).success).toBe(false);
    expect(PostmarkDeliveryWebhook.safeParse({ ...delivery, DeliveredAt: '2014-08-01T13:28:10.2735393-04:00' }).success).toBe(true);
    const noMeta = PostmarkDeliveryWebhook.parse({ ...delivery, Metadata: undefined });
    expect(noMeta.Metadata).toEqual({});
  });

  it('parseBounceIdFromRaw: only the top-level key, exact digits', () => {
    expect(parseBounceIdFromRaw('{"ID": 18446744073709551615}')).toBe('18446744073709551615');
    expect(parseBounceIdFromRaw('{"ID":"4323372036854775807"}')).toBe(BOUNCE_ID);
    expect(parseBounceIdFromRaw('{"ServerID": 5, "ID": 7}')).toBe('7');
    expect(parseBounceIdFromRaw('{"Metadata": {"ID": 1}, "Content": "\\"ID\\": 2", "ID": 3}')).toBe('3');
    expect(parseBounceIdFromRaw('{"Metadata": {"ID": 1}}')).toBeNull();
    expect(parseBounceIdFromRaw('{"x": ["ID", 1], "y": "ID"}')).toBeNull();
    expect(parseBounceIdFromRaw('{"ID": 1.5}')).toBeNull();
    expect(parseBounceIdFromRaw('{"ID": -1}')).toBeNull();
    expect(parseBounceIdFromRaw('')).toBeNull();
    expect(parseBounceIdFromRaw('{"ID')).toBeNull();
  });

  it('spam complaint, open and click (postmarkapp.com/developer/webhooks/*): documented shapes parse, RecordType is checked', () => {
    const bounce = sample('postmark-webhook-bounce.json') as Record<string, unknown>;
    const raw = JSON.stringify({ ...bounce, RecordType: 'SpamComplaint', Type: 'SpamComplaint', TypeCode: 512, ID: 0 }).replace(
      '"ID":0',
      `"ID":${BOUNCE_ID}`,
    );
    const complaint = PostmarkSpamComplaintWebhook.parse(withExactBounceId(JSON.parse(raw), raw));
    expect(complaint).toMatchObject({ RecordType: 'SpamComplaint', Type: 'SpamComplaint', ID: BOUNCE_ID });
    expect(PostmarkSpamComplaintWebhook.safeParse({ ...bounce, ID: 1 }).success).toBe(false);
    const open = {
      RecordType: 'Open',
      MessageStream: 'outbound',
      FirstOpen: true,
      Client: { Name: 'Chrome 35.0.1916.153', Company: 'Google', Family: 'Chrome' },
      Platform: 'WebMail',
      UserAgent: 'Mozilla/5.0',
      MessageID: '00000000-0000-0000-0000-000000000000',
      ReceivedAt: '2019-11-05T16:33:54.9070259Z',
      Tag: 'welcome-email',
      Recipient: 'john@example.com',
      Metadata: { example: 'value' },
    };
    expect(PostmarkOpenWebhook.parse(open)).toMatchObject({ MessageID: open.MessageID, FirstOpen: true, Metadata: { example: 'value' } });
    const click = { ...open, RecordType: 'Click', ClickLocation: 'HTML', OriginalLink: 'https://example.com' };
    expect(PostmarkClickWebhook.parse(click)).toMatchObject({ OriginalLink: 'https://example.com' });
    expect(PostmarkOpenWebhook.safeParse(click).success).toBe(false);
    expect(PostmarkClickWebhook.safeParse({ ...click, MessageID: '' }).success).toBe(false);
  });

  it('bounce: safe numeric IDs pass without the raw body; invalid JSON fails cleanly', () => {
    const bounce = sample('postmark-webhook-bounce.json') as Record<string, unknown>;
    expect(PostmarkBounceWebhook.parse({ ...bounce, ID: 42 }).ID).toBe('42');
    expect(parsePostmarkBounceWebhook('not json').success).toBe(false);
    expect(withExactBounceId('x', '{"ID": 1}')).toBe('x');
    expect(withExactBounceId({ ID: 1 }, undefined)).toEqual({ ID: 1 });
  });
});
