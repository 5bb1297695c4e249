/**
 * Where attachment bytes live. Postgres keeps the `attachments` row (name, type, size, sha256,
 * `storage_key`); the bytes go to a {@link BlobStore} under that key.
 *
 * {@link FileBlobStore} keeps them on the local filesystem (one file per key under a root
 * directory). A deployment with several API replicas swaps it for object storage (S3, GCS, Azure
 * Blob) by implementing {@link BlobStore} over that service's SDK (`put` → PutObject, `get` →
 * GetObject with "no such key" → `undefined`, `delete` → DeleteObject) and injecting it instead;
 * nothing else depends on the filesystem.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** A key → bytes store. Keys are `/`-separated, e.g. `<orgId>/<attachmentId>`. */
export interface BlobStore {
  /** Stores `bytes` under `key`, replacing any previous value; readers see the old or the new bytes, never a part. */
  put(key: string, bytes: Buffer): Promise<void>;
  /** The bytes under `key`, or `undefined` when there are none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** Thrown for a key that is not a safe relative path (empty segments, `..`, odd characters). */
export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string) {
    super(`Invalid blob key ${JSON.stringify(key)}`);
    this.name = 'InvalidBlobKeyError';
  }
}

/** One key segment: starts with a letter or digit (so never `.`, `..` or a hidden temp file), then `[A-Za-z0-9._-]`. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const MAX_KEY_LENGTH = 512;

/**
 * Throws {@link InvalidBlobKeyError} unless `key` is one or more `/`-separated segments of
 * `[A-Za-z0-9._-]` that start with a letter or digit, contains no `..`, and is at most 512 characters.
 */
export function assertValidBlobKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('..') || !key.split('/').every((s) => SEGMENT.test(s))) {
    throw new InvalidBlobKeyError(key);
  }
}

/**
 * A {@link BlobStore} on the local filesystem: key `a/b` is the file `<root>/a/b`.
 * `put` writes a temporary file beside the target (same directory, so the same filesystem),
 * fsyncs it and renames it over the target: the rename is atomic, so a concurrent `get` or a
 * crash never exposes a partly written file. Keys are validated ({@link assertValidBlobKey}), so
 * a key can never point outside `root`.
 */
export class FileBlobStore implements BlobStore {
  /** Absolute root directory (created on first `put`). */
  readonly root: string;

  /** @param root directory that holds the blobs (made absolute) */
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The absolute file path of `key` (validated; always inside `root`). */
  pathOf(key: string): string {
    assertValidBlobKey(key);
    const file = path.resolve(this.root, ...key.split('/'));
    if (!file.startsWith(this.root + path.sep)) throw new InvalidBlobKeyError(key);
    return file;
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    await mkdir(dir, { recursive: true });
    // a leading dot: never a valid key segment, so a temp file can't be read as (or collide with) a blob
    const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
