/**
 * `Idempotency-Key` support for commands that act (send, change status, assign): a client that
 * retries after a timeout or a 503 never acts twice.
 *
 * - The header is optional: 1–255 visible ASCII characters (else 400 `invalid_idempotency_key`).
 * - Keys are kept per org for 24 h (`db/idempotency.ts`). The first request with a key runs; its
 *   answer (status + JSON body) is stored and replayed to every later request with the same key
 *   (header `Idempotent-Replayed: true`).
 * - The same key with a different request (another route, caller or body) → 422 `idempotency_key_reused`.
 * - The same key while the first request is still running → 409 `idempotency_key_in_progress` with `Retry-After`.
 * - Answers that say "try again" are not stored — 5xx (e.g. 503 when Temporal is busy), 409 and
 *   429 — the key is released and a retry runs again. Because the workflow update id derives from the
 *   key ({@link idempotencyOf}), a retry after a 503 whose update did reach the workflow gets
 *   Temporal's first result instead of a second message.
 * - Expired keys are ignored at once and deleted in batches at most every {@link PURGE_INTERVAL_MS}
 *   by the requests that use keys (no timer, no separate job).
 */
import { createHash } from 'node:crypto';
import type { UpdateDefinition } from '@temporalio/common';
import type { RequestHandler, Response } from 'express';
import type { Db } from '../db/client';
import { claimIdempotencyKey, completeIdempotencyKey, purgeExpiredIdempotencyKeys, releaseIdempotencyKey } from '../db/idempotency';
import type { Logger } from '../config/logger';
import type { NewConversation } from '../domain/conversation';
import { principalOf } from './auth';
import type { ConversationClient } from '../workflows/conversation/client';
import { HttpError, RETRY_AFTER_SECONDS } from './errors';

/** The request header carrying the key. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Minimum time between two purges of expired keys by one API process (ms). */
export const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/** A valid key: 1–255 visible ASCII characters (else 400 `invalid_idempotency_key`). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;

/** What a handler learns about the request's key (`undefined` when the request carries none). */
export interface IdempotencyContext {
  /** The client's key. */
  key: string;
  /**
   * A Temporal update id derived from the org, key and request fingerprint (stable across retries of
   * the same request), e.g. `idem-<sha256>`; pass it as `updateId` to `ConversationClient.update`.
   */
  updateId: string;
}

/** The {@link IdempotencyContext} set by {@link idempotent} for this request, if it carried a key. */
export function idempotencyOf(res: Response): IdempotencyContext | undefined {
  return res.locals.idempotency as IdempotencyContext | undefined;
}

/**
 * The conversation client for the ONE command update of this request: `update` passes the update id
 * derived from the request's `Idempotency-Key` ({@link IdempotencyContext.updateId}) unless one is
 * given, so Temporal deduplicates a retried command too. Without a key it is `conversations.update` as is.
 */
export function commandClient(conversations: ConversationClient, res: Response): Pick<ConversationClient, 'update'> {
  return {
    update: <Ret, Arg>(
      conversation: NewConversation,
      definition: UpdateDefinition<Ret, [Arg]>,
      arg: Arg,
      opts: { updateId?: string } = {},
    ) => conversations.update(conversation, definition, arg, { updateId: opts.updateId ?? idempotencyOf(res)?.updateId }),
  };
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` fingerprint the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Statuses whose answers are not kept: the client is told to retry, and the retry must run again. */
const retryable = (status: number): boolean => status >= 500 || status === 409 || status === 429;

/**
 * Express middleware (after auth and the JSON body parser) that makes a command idempotent by its
 * `Idempotency-Key` header; see the module comment for the rules. Wraps `res.json` to store the
 * answer before sending it.
 * @throws HttpError 400 `invalid_idempotency_key`, 409 `idempotency_key_in_progress`, 422 `idempotency_key_reused` (to the error handler)
 */
export function idempotent(db: Db, logger: Logger): RequestHandler {
  let lastPurge = 0;
  return async (req, res, next) => {
    const key = req.header(IDEMPOTENCY_HEADER);
    if (key === undefined) return next();
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new HttpError(400, 'invalid_idempotency_key', `${IDEMPOTENCY_HEADER} must be 1–255 visible ASCII characters`);
    }
    const me = principalOf(res);
    const fingerprint = sha256(
      canonicalJson({ user: me.userId, method: req.method, path: `${req.baseUrl}${req.path}`, body: req.body ?? null }),
    );
    if (Date.now() - lastPurge > PURGE_INTERVAL_MS) {
      lastPurge = Date.now();
      purgeExpiredIdempotencyKeys(db).catch((err: unknown) => logger.warn({ err: String(err) }, 'purging expired idempotency keys failed'));
    }
    const claim = await claimIdempotencyKey(db, me.orgId, key, fingerprint);
    switch (claim.kind) {
      case 'mismatch':
        throw new HttpError(
          422,
          'idempotency_key_reused',
          `This ${IDEMPOTENCY_HEADER} was already used with a different request; use a new key for a new request`,
        );
      case 'in_progress':
        res.set('Retry-After', String(RETRY_AFTER_SECONDS));
        throw new HttpError(
          409,
          'idempotency_key_in_progress',
          `A request with this ${IDEMPOTENCY_HEADER} is still in progress; retry shortly`,
        );
      case 'replay':
        res.set('Idempotent-Replayed', 'true');
        res.status(claim.status).json(claim.body);
        return;
      case 'claimed':
        break;
    }
    const { claimId } = claim;
    res.locals.idempotency = {
      key,
      updateId: `idem-${sha256(`${me.orgId}\n${key}\n${fingerprint}`)}`,
    } satisfies IdempotencyContext;
    const send = res.json.bind(res);
    let settled = false;
    res.json = (body: unknown) => {
      if (settled) return send(body);
      settled = true;
      const status = res.statusCode;
      const store = retryable(status)
        ? releaseIdempotencyKey(db, me.orgId, key, claimId)
        : completeIdempotencyKey(db, me.orgId, key, claimId, status, body);
      // the answer goes out either way; a failed store leaves the claim to expire (the update id still dedups)
      void store
        .catch((err: unknown) => logger.warn({ err: String(err), status }, 'storing the idempotent answer failed'))
        .finally(() => send(body));
      return res;
    };
    next();
  };
}
