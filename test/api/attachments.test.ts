/**
 * Attachments: `POST /v1/attachments` (multipart upload, size limit, validation), `GET
 * /v1/attachments/:id` (bytes, headers, org scoping), signed `GET /media/:id` (what Twilio fetches
 * for MMS), `storeAttachment` for email attachments, and the filesystem blob store (atomic writes,
 * key validation). The routers are mounted on their own Express app, as `api/app.ts` would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { AttachmentTooLargeError, MAX_ATTACHMENT_BYTES, readAttachment, sha256Hex, storeAttachment } from '../../db/attachment-store';
import { requireAuth, signStaffToken } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import { attachmentsRouter, mediaRouter } from '../../api/routes/attachments';
import { mediaSigningSecret, mediaUrlFor, signMediaUrl } from '../../db/media-urls';
import { createLogger } from '../../config/logger';
import { FileBlobStore, InvalidBlobKeyError } from '../../db/blob-store';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, PUBLIC_BASE_URL } from '../support/harness';
import { type ErrorBody, expectError, expectValidationError } from './rest-helpers';
import { SAMPLES_DIR } from '../support/contracts';

interface AttachmentBody {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
}

/** Small limit for these tests (the default is 10 MiB). */
const MAX_BYTES = 64 * 1024;
const MEDIA_SECRET = mediaSigningSecret(JWT_SECRET);

let h: Harness;
let root: string;
let blobs: FileBlobStore;
let app: Express;
/** A real PDF (binary bytes ≥ 0x80 included) from the Postmark contract sample. */
let pdf: Buffer;
let pngLabel: { name: string; contentType: string; contentId: string; bytes: Buffer };

beforeAll(async () => {
  h = await createHarness();
  root = await mkdtemp(path.join(tmpdir(), 'switchboard-blobs-'));
  blobs = new FileBlobStore(root);
  app = express();
  const v1 = express.Router();
  v1.use(requireAuth(JWT_SECRET));
  v1.use(express.json({ limit: '1mb' }));
  v1.use('/attachments', attachmentsRouter({ db: h.db, blobs, maxBytes: MAX_BYTES }));
  app.use('/v1', v1);
  app.use('/media', mediaRouter({ db: h.db, blobs, secret: MEDIA_SECRET }));
  app.use(errorHandler(createLogger(process.env.TEST_LOG_LEVEL ?? 'silent')));

  const send = JSON.parse(await readFile(path.join(SAMPLES_DIR, 'postmark-send-email.request.json'), 'utf8')) as {
    Attachments: { Content: string }[];
  };
  pdf = Buffer.from(send.Attachments[0]!.Content, 'base64');
  const inbound = JSON.parse(await readFile(path.join(SAMPLES_DIR, 'postmark-inbound-with-attachment.json'), 'utf8')) as {
    Attachments: { Name: string; Content: string; ContentType: string; ContentID: string }[];
  };
  const png = inbound.Attachments.find((a) => a.ContentID !== '')!;
  pngLabel = { name: png.Name, contentType: png.ContentType, contentId: png.ContentID, bytes: Buffer.from(png.Content, 'base64') };
});
afterAll(async () => {
  await h?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Collects a response body as a Buffer (superagent only buffers text/JSON); JSON (errors) is parsed. */
function binary(res: request.Response, cb: (err: Error | null, body: unknown) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const bytes = Buffer.concat(chunks);
    const json = /^application\/json/.test(String(res.headers['content-type']));
    cb(null, json ? (JSON.parse(bytes.toString('utf8')) as unknown) : bytes);
  });
}

function upload(bytes: Buffer, filename: string, contentType: string, token: string = h.tokens.admin) {
  return request(app).post('/v1/attachments').set('Authorization', `Bearer ${token}`).attach('file', bytes, { filename, contentType });
}

function download(id: string, token: string = h.tokens.admin) {
  return request(app).get(`/v1/attachments/${id}`).set('Authorization', `Bearer ${token}`).buffer(true).parse(binary);
}

/** Path and query of a signed media URL (the app is reached through supertest, not the public host). */
function localPath(url: string): string {
  expect(url.startsWith(`${PUBLIC_BASE_URL}/media/`)).toBe(true);
  return url.slice(PUBLIC_BASE_URL.length);
}

async function attachmentCount(orgId: string = h.org.orgId): Promise<number> {
  const row = await h.db
    .selectFrom('attachments')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('POST /v1/attachments then GET /v1/attachments/:id', () => {
  let uploaded: AttachmentBody;

  test('a PDF, a PNG and all 256 byte values round-trip byte for byte, with size and sha256 right', async () => {
    const everyByte = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    // NUL, 0x80–0xff and invalid UTF-8: any text re-encoding on the way would show
    expect(pngLabel.bytes.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    for (const [bytes, name, type] of [
      [pdf, 'return-label.pdf', 'application/pdf'],
      [pngLabel.bytes, 'label.png', 'image/png'],
      [everyByte, 'bytes.bin', 'application/octet-stream'],
    ] as const) {
      const res = await upload(bytes, name, type);
      expect(res.status).toBe(201);
      const body = res.body as AttachmentBody;
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        name,
        contentType: type,
        size: bytes.length,
        sha256: sha256Hex(bytes),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(res.headers.location).toBe(`/v1/attachments/${body.id}`);

      const row = await h.db.selectFrom('attachments').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        org_id: h.org.orgId,
        source: 'upload',
        created_by: h.org.adminId,
        content_id: null,
        size_bytes: bytes.length,
        storage_key: `${h.org.orgId}/${body.id}`,
      });
      expect((await readFile(path.join(root, h.org.orgId, body.id))).equals(bytes)).toBe(true);

      const got = await download(body.id);
      expect(got.status).toBe(200);
      expect(Buffer.isBuffer(got.body)).toBe(true);
      expect((got.body as Buffer).equals(bytes)).toBe(true);
      expect(got.headers).toMatchObject({
        'content-type': type,
        'content-length': String(bytes.length),
        'content-disposition': `attachment; filename=${name}`, // a token-safe name needs no quotes (RFC 6266)
        'x-content-type-options': 'nosniff',
        etag: `"${body.sha256}"`,
      });
      expect(got.headers['content-security-policy']).toContain('sandbox');
      if (name === 'return-label.pdf') uploaded = body;
    }
  });

  test('If-None-Match with the sha256 ETag → 304 without a body', async () => {
    const res = await request(app)
      .get(`/v1/attachments/${uploaded.id}`)
      .set('Authorization', h.auth)
      .set('If-None-Match', `"${uploaded.sha256}"`);
    expect(res.status).toBe(304);
  });

  test('a name with spaces and non-ASCII: RFC 6266 filename fallback plus RFC 8187 filename*', async () => {
    const name = 'Étiquette retour – été 2026.pdf';
    const res = await upload(pdf, name, 'application/pdf');
    expect(res.status).toBe(201);
    expect((res.body as AttachmentBody).name).toBe(name);
    const got = await download((res.body as AttachmentBody).id);
    expect(got.status).toBe(200);
    expect(got.headers['content-disposition']).toBe(
      `attachment; filename="?tiquette retour ? ?t? 2026.pdf"; filename*=UTF-8''%C3%89tiquette%20retour%20%E2%80%93%20%C3%A9t%C3%A9%202026.pdf`,
    );
    // what a client decodes from filename*
    const star = /filename\*=UTF-8''(.+)$/.exec(got.headers['content-disposition'] as string)![1]!;
    expect(decodeURIComponent(star)).toBe(name);
  });

  test("a browser's Windows path is stripped from the name; a quote in the name is escaped in the header", async () => {
    const res = await upload(pdf, 'C:\\fakepath\\report.pdf', 'application/pdf');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'report.pdf', contentType: 'application/pdf' });
    const got = await download((res.body as AttachmentBody).id);
    expect(got.headers['content-disposition']).toBe('attachment; filename=report.pdf');

    const quoted = await storeAttachment(h.db, blobs, {
      orgId: h.org.orgId,
      name: 'say "hi".txt',
      contentType: 'text/plain',
      bytes: Buffer.from('hi'),
      source: 'email',
    });
    const gotQuoted = await download(quoted.id);
    expect(gotQuoted.headers['content-disposition']).toBe('attachment; filename="say \\"hi\\".txt"');
  });

  test('uploaded HTML is only ever a sandboxed download, never rendered as our origin', async () => {
    const res = await upload(Buffer.from('<script>alert(1)</script>'), 'x.html', 'text/html');
    expect(res.status).toBe(201);
    const got = await download((res.body as AttachmentBody).id);
    expect(got.headers['content-type']).toMatch(/^text\/html/);
    expect(got.headers['content-disposition']).toMatch(/^attachment;/);
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
  });
});

describe('upload limits and validation', () => {
  test(`exactly maxBytes is accepted; one byte more → 413 payload_too_large, nothing stored`, async () => {
    const atLimit = Buffer.alloc(MAX_BYTES, 0xa5);
    const ok = await upload(atLimit, 'at-limit.bin', 'application/octet-stream');
    expect(ok.status).toBe(201);
    expect((ok.body as AttachmentBody).size).toBe(MAX_BYTES);

    const before = await attachmentCount();
    const filesBefore = await readdir(path.join(root, h.org.orgId));
    const tooBig = await upload(Buffer.alloc(MAX_BYTES + 1, 0xa5), 'too-big.bin', 'application/octet-stream');
    const body = expectError(tooBig, 413, 'payload_too_large');
    expect(body.error.details).toEqual({ maxBytes: MAX_BYTES });
    expect(await attachmentCount()).toBe(before);
    expect(await readdir(path.join(root, h.org.orgId))).toEqual(filesBefore);
  });

  test('a much larger upload is cut off with 413 too (the body is not buffered whole)', async () => {
    expectError(await upload(Buffer.alloc(4 * 1024 * 1024, 1), 'huge.bin', 'application/octet-stream'), 413, 'payload_too_large');
  });

  test('the default limit is 10 MiB', () => {
    expect(MAX_ATTACHMENT_BYTES).toBe(10 * 1024 * 1024);
  });

  test('no file → 400 validation_failed on `file` (multipart without it, JSON, empty body)', async () => {
    const before = await attachmentCount();
    expectValidationError(await request(app).post('/v1/attachments').set('Authorization', h.auth).field('note', 'hello'), 'file');
    expectValidationError(await request(app).post('/v1/attachments').set('Authorization', h.auth).send({ file: 'x' }), 'file');
    expectValidationError(await request(app).post('/v1/attachments').set('Authorization', h.auth), 'file');
    expect(await attachmentCount()).toBe(before);
  });

  test('an empty file → 400 on `file`; a file in another field → 400 naming that field; two files → 400', async () => {
    expectValidationError(await upload(Buffer.alloc(0), 'empty.txt', 'text/plain'), 'file');
    expectValidationError(
      await request(app)
        .post('/v1/attachments')
        .set('Authorization', h.auth)
        .attach('upload', pdf, { filename: 'a.pdf', contentType: 'application/pdf' }),
      'upload',
    );
    expectValidationError(
      await request(app)
        .post('/v1/attachments')
        .set('Authorization', h.auth)
        .attach('file', pdf, { filename: 'a.pdf', contentType: 'application/pdf' })
        .attach('file', pdf, { filename: 'b.pdf', contentType: 'application/pdf' }),
      'file',
    );
  });

  test('a malformed multipart body → 400 invalid_body', async () => {
    const res = await request(app)
      .post('/v1/attachments')
      .set('Authorization', h.auth)
      .set('Content-Type', 'multipart/form-data; boundary=XYZ')
      .send('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\ntruncated');
    expectError(res, 400, 'invalid_body');
  });
});

describe('auth and org scoping', () => {
  let id: string;
  beforeAll(async () => {
    const res = await upload(pdf, 'mine.pdf', 'application/pdf');
    expect(res.status).toBe(201);
    id = (res.body as AttachmentBody).id;
  });

  test('no token → 401 for upload and download', async () => {
    expectError(
      await request(app).post('/v1/attachments').attach('file', pdf, { filename: 'a.pdf', contentType: 'application/pdf' }),
      401,
      'unauthorized',
    );
    expectError(await request(app).get(`/v1/attachments/${id}`), 401, 'unauthorized');
  });

  test("another org's attachment → 404; its own upload is invisible to us", async () => {
    const other = await createTestOrg(h.db);
    const token = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
    expectError(await download(id, token), 404, 'not_found');
    const theirs = await upload(pdf, 'theirs.pdf', 'application/pdf', token);
    expect(theirs.status).toBe(201);
    const theirId = (theirs.body as AttachmentBody).id;
    expectError(await download(theirId), 404, 'not_found');
    expect((await download(theirId, token)).status).toBe(200);
    expect(await readAttachment(h.db, blobs, h.org.orgId, theirId)).toBeUndefined();
  });

  test('the agent of the same org can download it', async () => {
    expect((await download(id, h.tokens.agent)).status).toBe(200);
  });

  test('unknown id → 404; non-uuid → 400 on `id`', async () => {
    expectError(await download(randomUUID()), 404, 'not_found');
    const res = await request(app).get('/v1/attachments/42').set('Authorization', h.auth);
    expectValidationError(res, 'id');
  });
});

describe('GET /media/:id (signed, no auth: what Twilio fetches for MMS)', () => {
  let id: string;
  beforeAll(async () => {
    const res = await upload(pngLabel.bytes, 'mms photo.png', 'image/png');
    expect(res.status).toBe(201);
    id = (res.body as AttachmentBody).id;
  });
  const nowSec = (): number => Math.floor(Date.now() / 1000);
  const get = (url: string) => request(app).get(localPath(url)).buffer(true).parse(binary);

  test('a valid signed URL serves the bytes without a token', async () => {
    const res = await get(mediaUrlFor(PUBLIC_BASE_URL, id, MEDIA_SECRET));
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(pngLabel.bytes)).toBe(true);
    expect(res.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(pngLabel.bytes.length),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    });
  });

  test('expired → 403', async () => {
    const res = await request(app).get(localPath(signMediaUrl(PUBLIC_BASE_URL, id, MEDIA_SECRET, nowSec() - 1)));
    expectError(res, 403, 'forbidden');
  });

  test('tampered signature, expiry or id, another secret, or missing parameters → 403', async () => {
    const url = new URL(mediaUrlFor(PUBLIC_BASE_URL, id, MEDIA_SECRET));
    const sig = url.searchParams.get('signature')!;
    const exp = url.searchParams.get('expires')!;
    const flipped = sig[5] === 'A' ? 'B' : 'A';
    const paths = [
      `/media/${id}?expires=${exp}&signature=${sig.slice(0, 5)}${flipped}${sig.slice(6)}`,
      `/media/${id}?expires=${Number(exp) + 86_400}&signature=${sig}`,
      `/media/${randomUUID()}?expires=${exp}&signature=${sig}`,
      localPath(mediaUrlFor(PUBLIC_BASE_URL, id, mediaSigningSecret('some-other-jwt-secret-0123'))),
      `/media/${id}?expires=${exp}`,
      `/media/${id}?signature=${sig}`,
      `/media/${id}`,
      `/media/${id}?expires=${exp}&signature=${sig}&signature=${sig}`,
    ];
    for (const p of paths) {
      const res = await request(app).get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 403 });
      expect((res.body as ErrorBody).error.code).toBe('forbidden');
    }
  });

  test('a staff token does not replace the signature', async () => {
    expectError(await request(app).get(`/media/${id}`).set('Authorization', h.auth), 403, 'forbidden');
  });

  test('a validly signed URL of a deleted/unknown attachment → 404', async () => {
    expectError(await request(app).get(localPath(mediaUrlFor(PUBLIC_BASE_URL, randomUUID(), MEDIA_SECRET))), 404, 'not_found');
  });
});

describe('storeAttachment (inbound email / MMS path)', () => {
  test('an inline email image (base64 from the webhook) is stored with its Content-ID and read back', async () => {
    const row = await storeAttachment(h.db, blobs, {
      orgId: h.org.orgId,
      name: pngLabel.name,
      contentType: pngLabel.contentType,
      contentId: pngLabel.contentId,
      bytes: pngLabel.bytes,
      source: 'email',
    });
    expect(row).toMatchObject({
      org_id: h.org.orgId,
      name: 'label.png',
      content_type: 'image/png',
      content_id: 'label-photo@mail.example.net',
      source: 'email',
      created_by: null,
      size_bytes: pngLabel.bytes.length,
      sha256: sha256Hex(pngLabel.bytes),
    });
    const read = await readAttachment(h.db, blobs, h.org.orgId, row.id);
    expect(read?.bytes.equals(pngLabel.bytes)).toBe(true);
    expect(read?.row.id).toBe(row.id);
  });

  test('a caller-chosen id makes it idempotent: a redelivered webhook stores nothing twice (even concurrently)', async () => {
    const id = randomUUID();
    const input = { id, orgId: h.org.orgId, name: 'receipt.pdf', contentType: 'application/pdf', bytes: pdf, source: 'email' as const };
    const first = await storeAttachment(h.db, blobs, input);
    expect(first.id).toBe(id);
    const again = await storeAttachment(h.db, blobs, input);
    expect(again).toEqual(first);
    const read = await readAttachment(h.db, blobs, h.org.orgId, id);
    expect(read?.bytes.equals(pdf)).toBe(true); // the replay did not delete the bytes

    const raceId = randomUUID();
    const raced = await Promise.all(Array.from({ length: 5 }, () => storeAttachment(h.db, blobs, { ...input, id: raceId })));
    expect(new Set(raced.map((r) => r.id))).toEqual(new Set([raceId]));
    const rows = await h.db.selectFrom('attachments').select('id').where('id', 'in', [id, raceId]).execute();
    expect(rows).toHaveLength(2);
    expect((await readAttachment(h.db, blobs, h.org.orgId, raceId))?.bytes.equals(pdf)).toBe(true);
  });

  test("a caller-chosen id that is not a UUID, or another org's id, is refused", async () => {
    const base = { orgId: h.org.orgId, name: 'x.txt', contentType: 'text/plain', bytes: Buffer.from('x'), source: 'email' as const };
    await expect(storeAttachment(h.db, blobs, { ...base, id: 'not-a-uuid' })).rejects.toThrow(/UUID/);
    const other = await createTestOrg(h.db);
    const theirs = await storeAttachment(h.db, blobs, { ...base, orgId: other.orgId });
    await expect(storeAttachment(h.db, blobs, { ...base, id: theirs.id })).rejects.toThrow(/another org/);
    expect((await readAttachment(h.db, blobs, other.orgId, theirs.id))?.bytes.toString()).toBe('x');
  });

  test('above the limit → AttachmentTooLargeError (the API answers 413) before anything is written', async () => {
    const before = await attachmentCount();
    const err = await storeAttachment(
      h.db,
      blobs,
      { orgId: h.org.orgId, name: 'big.bin', contentType: 'application/octet-stream', bytes: Buffer.alloc(11), source: 'mms' },
      { maxBytes: 10 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachmentTooLargeError);
    expect(err).toMatchObject({ maxBytes: 10 });
    expect(await attachmentCount()).toBe(before);
  });

  test('if the row cannot be inserted, the bytes are removed again', async () => {
    const ghostOrg = randomUUID(); // no such org: the foreign key refuses the row
    await expect(
      storeAttachment(h.db, blobs, { orgId: ghostOrg, name: 'x.pdf', contentType: 'application/pdf', bytes: pdf, source: 'upload' }),
    ).rejects.toThrow();
    const left = await readdir(path.join(root, ghostOrg)).catch(() => []);
    expect(left).toEqual([]);
  });

  test('a name with control characters or only a path is made safe', async () => {
    const row = await storeAttachment(h.db, blobs, {
      orgId: h.org.orgId,
      name: '../../etc/pass\r\nwd\u0000.txt',
      contentType: 'TEXT/Plain; charset=utf-8',
      bytes: Buffer.from('hi'),
      source: 'email',
    });
    expect(row).toMatchObject({ name: 'passwd.txt', content_type: 'text/plain; charset=utf-8' });
    const blank = await storeAttachment(h.db, blobs, {
      orgId: h.org.orgId,
      name: 'dir/',
      contentType: '',
      bytes: Buffer.from('x'),
      source: 'mms',
    });
    expect(blank).toMatchObject({ name: 'attachment', content_type: 'application/octet-stream' });
  });
});

describe('FileBlobStore', () => {
  let dir: string;
  let store: FileBlobStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchboard-blobstore-'));
    store = new FileBlobStore(path.join(dir, 'root'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Every file under `d`, relative, recursively. */
  async function filesUnder(d: string): Promise<string[]> {
    const entries = await readdir(d, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(d, path.join(e.parentPath, e.name)))
      .sort();
  }

  test('put / get / overwrite / delete; a missing key reads as undefined and deletes quietly', async () => {
    const key = `${randomUUID()}/${randomUUID()}`;
    expect(await store.get(key)).toBeUndefined();
    await store.put(key, pdf);
    expect((await store.get(key))?.equals(pdf)).toBe(true);
    await store.put(key, Buffer.from('second'));
    expect((await store.get(key))?.toString()).toBe('second');
    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
    await expect(store.delete(key)).resolves.toBeUndefined();
    await expect(store.delete('never/written')).resolves.toBeUndefined();
  });

  test('writes are atomic: concurrent readers see a whole old or whole new value, and no temp file is left', async () => {
    const key = `atomic/${randomUUID()}`;
    const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(2 * 1024 * 1024, i + 1));
    await store.put(key, versions[0]!);
    const reads: Promise<Buffer | undefined>[] = [];
    const writes = versions.map(async (v) => {
      await store.put(key, v);
    });
    for (let i = 0; i < 40; i++) {
      reads.push(store.get(key));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    for (const got of await Promise.all(reads)) {
      expect(got).toBeDefined();
      expect(versions.some((v) => v.equals(got!))).toBe(true);
    }
    expect(await filesUnder(path.join(store.root, 'atomic'))).toEqual([key.split('/')[1]]);
  });

  test('a failed write leaves the old value and no temp file', async () => {
    // `clash` is a directory (holding `clash/inner`), so renaming a file onto it fails
    await store.put('clash/inner', Buffer.from('inner'));
    await expect(store.put('clash', Buffer.from('file'))).rejects.toThrow();
    expect(await filesUnder(store.root)).toContain(path.join('clash', 'inner'));
    expect((await filesUnder(store.root)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await store.get('clash/inner'))?.toString()).toBe('inner');
  });

  test.each([
    '../escape',
    'a/../../escape',
    '..',
    'a/..',
    'a..b',
    '/abs/path',
    '',
    'a//b',
    'a/',
    'a\\b',
    '.hidden',
    'a/.tmp',
    'sp ace',
    'x'.repeat(513),
  ])('key %j is rejected (put, get, delete) and nothing is written outside the root', async (key) => {
    await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    expect((await readdir(dir)).sort()).toEqual(['root']);
  });

  test('a pre-existing file outside the root stays untouched', async () => {
    const outside = path.join(dir, 'outside.txt');
    await writeFile(outside, 'keep');
    await expect(store.delete('../outside.txt')).rejects.toBeInstanceOf(InvalidBlobKeyError);
    expect(await readFile(outside, 'utf8')).toBe('keep');
    await rm(outside);
  });
});
