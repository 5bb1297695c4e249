/**
 * Inbound MMS media are fetched with the Twilio account's credentials by an activity (retried),
 * stored as attachments (sha256, size), and served by `GET /v1/attachments/:id`.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { binaryParser } from '../support/binary';
import { createHarness, type Harness, randomPhone, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from '../support/harness';

let h: Harness;
let media: Server;
let mediaUrl: string;
const seenAuth: (string | undefined)[] = [];
let failuresLeft = 1;
// bytes that are not valid UTF-8, so any text conversion on the way would corrupt them
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);

beforeAll(async () => {
  h = await createHarness();
  media = createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(503).end('busy');
      return;
    }
    if (req.headers.authorization !== `Basic ${Buffer.from(`${TWILIO_ACCOUNT_SID}:${TWILIO_AUTH_TOKEN}`).toString('base64')}`) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': PNG.length }).end(PNG);
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  mediaUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages/MM1/Media/ME1`;
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => media?.close(resolve));
});

test('MMS media are fetched with the account credentials (retrying a 503), stored with sha256, and downloadable byte for byte', async () => {
  const from = randomPhone();
  expect((await h.inbound({ from, body: 'photo of the damage', media: [`${mediaUrl}.png`] })).status).toBe(200);
  const conversationId = h.conversationIdOf(from);
  const attachment = await h.waitFor(
    async () => {
      const row = await h.db.selectFrom('messages').select('attachments').where('conversation_id', '=', conversationId).executeTakeFirst();
      return row?.attachments[0]?.attachmentId ? row.attachments[0] : undefined;
    },
    'media imported',
    20_000,
  );
  expect(attachment).toMatchObject({
    url: `${mediaUrl}.png`,
    contentType: 'image/png',
    size: PNG.length,
    sha256: createHash('sha256').update(PNG).digest('hex'),
  });
  expect(seenAuth.length).toBeGreaterThanOrEqual(2); // the 503 was retried
  const res = await request(h.app)
    .get(`/v1/attachments/${attachment.attachmentId}`)
    .set('Authorization', h.auth)
    .buffer(true)
    .parse(binaryParser);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^image\/png/);
  expect(Buffer.compare(res.body as Buffer, PNG)).toBe(0);
  const rows = await h.db.selectFrom('attachments').select(['source', 'size_bytes']).where('id', '=', attachment.attachmentId!).execute();
  expect(rows).toEqual([{ source: 'mms', size_bytes: PNG.length }]);
});

test('media over the size limit keep only their carrier URL; a 404 media does not block the others', async () => {
  const big = createServer((req, res) => {
    if (req.url?.includes('missing')) {
      res.writeHead(404).end();
      return;
    }
    if (req.url?.includes('huge')) {
      res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': 3 * 1024 * 1024 }).end(Buffer.alloc(3 * 1024 * 1024));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'image/png' }).end(PNG);
  });
  await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(big.address() as AddressInfo).port}/media`;
  try {
    const from = randomPhone();
    expect(
      (await h.inbound({ from, body: 'three files', media: [`${base}/missing.png`, `${base}/huge.mp4`, `${base}/ok.png`] })).status,
    ).toBe(200);
    const conversationId = h.conversationIdOf(from);
    const attachments = await h.waitFor(
      async () => {
        const row = await h.db
          .selectFrom('messages')
          .select('attachments')
          .where('conversation_id', '=', conversationId)
          .executeTakeFirst();
        return row?.attachments[2]?.attachmentId ? row.attachments : undefined;
      },
      'third media imported',
      20_000,
    );
    expect(attachments[0]).toMatchObject({ url: `${base}/missing.png` });
    expect(attachments[0]!.attachmentId).toBeUndefined();
    expect(attachments[1]).toMatchObject({ url: `${base}/huge.mp4` });
    expect(attachments[1]!.attachmentId).toBeUndefined();
    expect(attachments[2]).toMatchObject({ size: PNG.length });
  } finally {
    await new Promise((resolve) => big.close(resolve));
  }
});
