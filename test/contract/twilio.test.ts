/**
 * Contract tests for our Twilio integration, run through the real twilio SDK:
 *  - X-Twilio-Signature vectors (test/contracts/samples/twilio-signature-vectors.json) against
 *    twilio.validateRequest and our signing helper;
 *  - createTwilioClient → Prism mocking Twilio's official OpenAPI spec (valid calls get 201,
 *    contract-breaking calls get 4xx);
 *  - createTwilioClient → hand-written stub for MMS (repeated MediaUrl) and Twilio error bodies.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import twilio from 'twilio';
import { createTwilioClient, rewriteTwilioUrl } from '../../channels/twilio/client';
import { startPrism, type PrismHandle } from '../support/prism';
import { startTwilioStub, type TwilioStub } from '../support/twilio-stub';
import {
  buildInboundMessageForm,
  formToParams,
  readSampleForm,
  SAMPLES_DIR,
  signTwilioRequest,
  withFields,
} from '../support/twilio-webhooks';
import { captureError } from '../support/capture-error';

/** Prism needs hex SIDs: AC + 32 hex. */
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token';
const SID_RE = /^(SM|MM)[0-9a-f]{32}$/;

interface SignatureVector {
  source?: string;
  file?: string;
  authToken: string;
  url: string;
  params?: Record<string, string>;
  signature: string;
}

const vectors = (JSON.parse(readFileSync(path.join(SAMPLES_DIR, 'twilio-signature-vectors.json'), 'utf8')) as { cases: SignatureVector[] })
  .cases;

function paramsOf(v: SignatureVector): Record<string, string | string[]> {
  if (v.params) return v.params;
  if (v.file) return formToParams(readSampleForm(v.file));
  throw new Error('vector has neither params nor file');
}

function isRestException(err: unknown): err is twilio.RestException {
  return err instanceof twilio.RestException;
}

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('X-Twilio-Signature', () => {
  it('has the expected vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(6);
    expect(vectors.filter((v) => v.file).length).toBeGreaterThanOrEqual(5);
  });

  describe.each(vectors.map((v) => [v.file ?? v.source ?? v.url, v] as const))('%s', (_name, v) => {
    it('validates with twilio.validateRequest', () => {
      expect(twilio.validateRequest(v.authToken, v.signature, v.url, paramsOf(v))).toBe(true);
    });

    if (v.file) {
      const file = v.file;
      it('is reproduced by signTwilioRequest over the raw form body', () => {
        expect(signTwilioRequest(v.authToken, v.url, readSampleForm(file))).toBe(v.signature);
      });
    }

    it('fails for a tampered param', () => {
      const params = { ...paramsOf(v) };
      const key = 'Body' in params ? 'Body' : 'From';
      params[key] = `${String(params[key])}x`;
      expect(twilio.validateRequest(v.authToken, v.signature, v.url, params)).toBe(false);
    });

    it('fails for an added param, another URL or another token', () => {
      expect(twilio.validateRequest(v.authToken, v.signature, v.url, { ...paramsOf(v), Extra: '1' })).toBe(false);
      expect(twilio.validateRequest(v.authToken, v.signature, `${v.url}x`, paramsOf(v))).toBe(false);
      expect(twilio.validateRequest(`${v.authToken}x`, v.signature, v.url, paramsOf(v))).toBe(false);
    });
  });

  it('a tampered raw body no longer matches the signature', () => {
    const v = vectors.find((c) => c.file === 'twilio-inbound-sms.form');
    expect(v).toBeDefined();
    if (!v?.file) return;
    const tampered = withFields(readSampleForm(v.file), { Body: 'Send me a refund' });
    expect(twilio.validateRequest(v.authToken, v.signature, v.url, formToParams(tampered))).toBe(false);
    expect(signTwilioRequest(v.authToken, v.url, tampered)).not.toBe(v.signature);
  });

  it('signs repeated keys as arrays, like express.urlencoded + validateRequest see them', () => {
    const url = 'https://inbox.example.test/webhooks/twilio/messaging';
    const body = 'To=%2B15005550006&MediaUrl=https%3A%2F%2Fa.test%2F1&MediaUrl=https%3A%2F%2Fa.test%2F2';
    const sig = signTwilioRequest(AUTH_TOKEN, url, body);
    expect(formToParams(body).MediaUrl).toEqual(['https://a.test/1', 'https://a.test/2']);
    expect(twilio.validateRequest(AUTH_TOKEN, sig, url, formToParams(body))).toBe(true);
    // The naive Object.fromEntries(...) keeps only the last value and signs something else.
    const naive = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, Object.fromEntries(new URLSearchParams(body)));
    expect(naive).not.toBe(sig);
  });
});

describe('webhook form helpers', () => {
  it('withFields overrides in place, appends, and deletes with null', () => {
    const body = withFields('A=1&B=2&C=3', { B: 'x y', D: '+4', C: null });
    expect(body).toBe('A=1&B=x+y&D=%2B4');
  });

  it('buildInboundMessageForm: SMS with fresh SIDs', () => {
    const a = new URLSearchParams(buildInboundMessageForm({ from: '+15551234567', body: 'Hi' }));
    const b = new URLSearchParams(buildInboundMessageForm({ from: '+15551234567', body: 'Hi' }));
    expect(a.get('From')).toBe('+15551234567');
    expect(a.get('To')).toBe('+15005550006');
    expect(a.get('Body')).toBe('Hi');
    expect(a.get('NumMedia')).toBe('0');
    expect(a.get('MessageSid')).toMatch(/^SM[0-9a-f]{32}$/);
    expect(a.get('SmsSid')).toBe(a.get('MessageSid'));
    expect(a.get('SmsMessageSid')).toBe(a.get('MessageSid'));
    expect(b.get('MessageSid')).not.toBe(a.get('MessageSid'));
    expect(a.get('AccountSid')).toMatch(/^AC[0-9a-f]{32}$/);
  });

  it('buildInboundMessageForm: WhatsApp with media', () => {
    const f = new URLSearchParams(
      buildInboundMessageForm({
        from: '+447700900123',
        body: '',
        whatsapp: true,
        media: ['https://media.example.test/a.png', 'https://media.example.test/b.pdf'],
      }),
    );
    expect(f.get('From')).toBe('whatsapp:+447700900123');
    expect(f.get('To')).toBe('whatsapp:+14155238886');
    expect(f.get('WaId')).toBe('447700900123');
    expect(f.get('MessageSid')).toMatch(/^MM[0-9a-f]{32}$/);
    expect(f.get('NumMedia')).toBe('2');
    expect(f.get('MediaUrl0')).toBe('https://media.example.test/a.png');
    expect(f.get('MediaContentType0')).toBe('image/png');
    expect(f.get('MediaContentType1')).toBe('application/pdf');
    expect(f.get('MessageType')).toBe('image');
  });

  it('buildInboundMessageForm: MMS replaces the sample media', () => {
    const f = new URLSearchParams(buildInboundMessageForm({ from: '+15551234567', body: 'x', media: ['https://m.example.test/1.jpg'] }));
    expect(f.get('NumMedia')).toBe('1');
    expect(f.get('MediaUrl0')).toBe('https://m.example.test/1.jpg');
    expect(f.has('MediaUrl1')).toBe(false);
    expect(f.has('MediaContentType1')).toBe(false);
  });
});

describe('rewriteTwilioUrl', () => {
  it('rewrites *.twilio.com, keeps path and query, leaves other hosts alone', () => {
    const base = 'http://127.0.0.1:4010/';
    expect(rewriteTwilioUrl('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=2', base)).toBe(
      'http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json?PageSize=2',
    );
    expect(rewriteTwilioUrl('https://messaging.sydney.au1.twilio.com/v1/Services', base)).toBe('http://127.0.0.1:4010/v1/Services');
    expect(rewriteTwilioUrl('https://example.com/x', base)).toBe('https://example.com/x');
    expect(rewriteTwilioUrl('https://eviltwilio.com/x', base)).toBe('https://eviltwilio.com/x');
  });
});

describe('twilio SDK → Prism (Twilio OpenAPI spec)', () => {
  let prism: PrismHandle | undefined;
  let client: twilio.Twilio;

  beforeAll(async () => {
    prism = await startPrism();
    client = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: prism.url });
  }, 60_000);

  afterAll(async () => {
    await prism?.stop();
  });

  it('messages.create with to/from/body/statusCallback is accepted (201 message)', async () => {
    const msg = await client.messages.create({
      to: '+15551234567',
      from: '+15005550006',
      body: 'hi',
      statusCallback: 'http://127.0.0.1:3000/webhooks/twilio/status?messageId=x',
    });
    expect(msg.sid).toMatch(/^SM[0-9a-fA-F]{32}$/);
    expect(msg.status).toBe('queued');
    expect(msg.direction).toBe('outbound-api');
  });

  it('a contract-breaking ContentSid is rejected with 422 (RestException)', async () => {
    const err = await captureError(client.messages.create({ to: '+15551234567', from: '+15005550006', contentSid: 'bogus' }));
    expect(isRestException(err)).toBe(true);
    if (!isRestException(err)) return;
    expect(err.status).toBe(422);
    // Prism's own log names the violation (its stdout reaches us asynchronously, hence the wait).
    await waitFor(() => /ContentSid/.test(prism?.logs() ?? ''));
    expect(prism?.logs()).toMatch(/ContentSid must match pattern/);
  });

  it('a StatusCallback that is not a URI is rejected', async () => {
    const err = await captureError(
      client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hi', statusCallback: 'not a url' }),
    );
    expect(isRestException(err) && err.status).toBe(422);
  });

  it('a non-hex AccountSid is rejected', async () => {
    const bad = createTwilioClient({
      accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      authToken: AUTH_TOKEN,
      apiBaseUrl: prism?.url,
    });
    const err = await captureError(bad.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hi' }));
    expect(isRestException(err) && err.status).toBe(422);
  });

  it('messages.list as the send reconciliation calls it (To, From, PageSize; one page) satisfies the contract', async () => {
    const page = await client.messages.list({ to: '+15551234567', from: '+15005550006', pageSize: 50, limit: 50 });
    expect(Array.isArray(page)).toBe(true);
    for (const m of page) expect(typeof m.sid).toBe('string');
  });

  it('a valid ContentSid template send is accepted', async () => {
    const msg = await client.messages.create({
      to: 'whatsapp:+447700900123',
      from: 'whatsapp:+14155238886',
      contentSid: 'HX0123456789abcdef0123456789abcdef',
      contentVariables: JSON.stringify({ 1: 'Amara' }),
    });
    expect(msg.sid).toMatch(/^SM/);
  });
});

describe('twilio SDK → hand-written stub', () => {
  let stub: TwilioStub | undefined;
  let client: twilio.Twilio;

  beforeAll(async () => {
    stub = await startTwilioStub({ expectAuth: { username: ACCOUNT_SID, password: AUTH_TOKEN } });
    client = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: stub.url });
  });

  afterEach(() => stub?.reset());

  afterAll(async () => {
    await stub?.stop();
  });

  it('messages.list: the accepted messages newest first, filtered by To and From, paged; the query as the SDK sends it', async () => {
    const first = await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'one' });
    const second = await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'two' });
    await client.messages.create({ to: '+15557654321', from: '+15005550006', body: 'other customer' });
    await client.messages.create({ to: '+15551234567', from: '+15005550007', body: 'other sender' });

    const listed = await client.messages.list({ to: '+15551234567', from: '+15005550006', pageSize: 50, limit: 50 });
    expect(listed.map((m) => m.sid)).toEqual([second.sid, first.sid]);
    expect(listed[0]).toMatchObject({ body: 'two', direction: 'outbound-api', status: 'queued', accountSid: ACCOUNT_SID });
    expect(listed[0]!.dateCreated).toBeInstanceOf(Date);
    const req = stub!.requests.at(-1)!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(req.query).toMatchObject({ To: '+15551234567', From: '+15005550006', PageSize: '50' });

    // paging: the SDK follows next_page_uri
    const paged = await client.messages.list({ to: '+15551234567', pageSize: 1, limit: 3 });
    expect(paged.map((m) => m.body)).toEqual(['other sender', 'two', 'one']);

    // DateSent> (serialized by the SDK as ISO-8601): nothing created after tomorrow
    const future = await client.messages.list({ to: '+15551234567', dateSentAfter: new Date(Date.now() + 86_400_000), limit: 50 });
    expect(future).toEqual([]);
  });

  it('failList makes the list fail (RestException) until cleared; creates still work', async () => {
    stub!.failList({ status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } });
    const err = await captureError(client.messages.list({ to: '+15551234567', limit: 50 }));
    expect(isRestException(err) && err.status).toBe(503);
    await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'still accepted' });
    stub!.failList(null);
    expect((await client.messages.list({ to: '+15551234567', limit: 50 })).map((m) => m.body)).toEqual(['still accepted']);
  });

  it('holdCreates: the message is listed at once, its create answer waits for releaseHeld', async () => {
    stub!.holdCreates(true);
    let answered = false;
    const pending = client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'held' }).then((m) => {
      answered = true;
      return m;
    });
    await waitFor(() => stub!.heldCount === 1);
    expect(answered).toBe(false);
    const listed = await client.messages.list({ to: '+15551234567', limit: 50 });
    expect(listed.map((m) => m.body)).toEqual(['held']);
    stub!.releaseHeld();
    expect((await pending).sid).toBe(listed[0]!.sid);
  });

  it('SMS: fields, Basic auth and a fresh sid per message', async () => {
    const a = await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hello there' });
    const b = await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'again' });
    expect(a.sid).toMatch(SID_RE);
    expect(b.sid).not.toBe(a.sid);
    expect(a.to).toBe('+15551234567');
    expect(a.from).toBe('+15005550006');
    expect(a.body).toBe('hello there');
    expect(a.accountSid).toBe(ACCOUNT_SID);
    expect(a.dateCreated).toBeInstanceOf(Date);

    const req = stub?.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(req?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(req?.form).toMatchObject({ To: '+15551234567', From: '+15005550006', Body: 'hello there' });
  });

  it('MMS: two mediaUrls arrive as two MediaUrl fields', async () => {
    const mediaUrl = ['https://media.example.test/a.jpg', 'https://media.example.test/b.png'];
    const msg = await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'pics', mediaUrl });
    expect(msg.sid).toMatch(/^MM[0-9a-f]{32}$/);
    expect(msg.numMedia).toBe('2');
    expect(stub?.requests).toHaveLength(1);
    expect(stub?.requests[0]?.formAll.MediaUrl).toEqual(mediaUrl);
    expect(stub?.requests[0]?.rawBody.match(/(^|&)MediaUrl=/g)).toHaveLength(2);
  });

  it('failNext(400, 21211 sample) → RestException code 21211 status 400', async () => {
    const errorBody = JSON.parse(readFileSync(path.join(SAMPLES_DIR, 'twilio-rest-error-21211.json'), 'utf8')) as {
      code: number;
      message: string;
      more_info: string;
    };
    stub?.failNext(400, errorBody);
    const err = await captureError(client.messages.create({ to: '+1202555', from: '+15005550006', body: 'hi' }));
    expect(isRestException(err)).toBe(true);
    if (!isRestException(err)) return;
    expect(err.code).toBe(21211);
    expect(err.status).toBe(400);
    expect(err.message).toBe(errorBody.message);
    expect(err.moreInfo).toBe(errorBody.more_info);
    // Only the next create fails.
    await expect(client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hi' })).resolves.toMatchObject({
      status: 'queued',
    });
  });

  it('failNext(500) fails once, the retry succeeds', async () => {
    stub?.failNext(500, { code: 20500, message: 'Internal Server Error', more_info: '', status: 500 });
    const err = await captureError(client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hi' }));
    expect(isRestException(err) && err.status).toBe(500);
    const ok = await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hi' });
    expect(ok.sid).toMatch(SID_RE);
    expect(stub?.requests.map((r) => r.responseStatus)).toEqual([500, 201]);
  });

  it('rejects wrong credentials with 401 / 20003', async () => {
    const bad = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: 'wrong', apiBaseUrl: stub?.url });
    const err = await captureError(bad.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hi' }));
    expect(isRestException(err) && [err.status, err.code]).toEqual([401, 20003]);
  });
});
