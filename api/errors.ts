/**
 * HTTP error model: every error answers `{ "error": { "code", "message", "details" } }`.
 * Domain rule violations keep their code (e.g. 422 `whatsapp_session_expired`); zod failures are
 * 400 `validation_failed` with the failing fields; malformed URLs, bodies and encodings are 4xx; transient
 * Temporal and Postgres states are 503 with `Retry-After`; anything unexpected is a logged 500.
 */
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AttachmentTooLargeError } from '../db/attachment-store';
import { isConnectionError } from '../db/client';
import { DomainError, domainErrorStatus, isDomainErrorCode } from '../domain/errors';
import type { Logger } from '../config/logger';

/** An error with an HTTP status and a stable code, thrown by route handlers. */
export class HttpError extends Error {
  /**
   * @param status HTTP status code of the response
   * @param code stable snake_case `error.code`, e.g. `not_found`
   * @param details optional JSON `error.details` (e.g. `{ fields }` for validation errors)
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** HttpError 404 `not_found` with the message "<what> not found", e.g. `notFound('Contact')`. */
export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);

/** One failing field: dotted `path` (e.g. `tags.0`), readable `message`, zod issue `code`. */
export interface FieldError {
  path: string;
  message: string;
  code: string;
}

/** The zod issues as `{ path, message, code }` for `error.details`. */
export function zodDetails(err: ZodError): { fields: FieldError[] } {
  return {
    fields: err.issues.flatMap((i): FieldError[] =>
      // zod reports unknown keys once, with the parent's path and the key names in `keys`
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => ({ path: [...i.path, key].join('.'), message: `Unrecognized key: "${key}"`, code: i.code }))
        : [{ path: i.path.join('.'), message: i.message, code: i.code }],
    ),
  };
}

/**
 * Maps a failed workflow update to an HttpError when it failed on a domain rule
 * (an `ApplicationFailure` whose `type` is a domain error code); otherwise `undefined`.
 */
export function httpErrorFromUpdateFailure(err: unknown): HttpError | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && isDomainErrorCode(cause.type ?? undefined)) {
    const code = cause.type as keyof typeof domainErrorStatus;
    return new HttpError(domainErrorStatus[code], code, cause.message, cause.details?.[0] ?? undefined);
  }
  // the database refused the write for good (e.g. the assignee was deleted meanwhile): a conflict
  const root = cause instanceof ActivityFailure ? cause.cause : undefined;
  if (root instanceof ApplicationFailure && root.type === 'DatabaseConstraintViolation') {
    return new HttpError(409, 'conflict', 'The change conflicts with the current data; reload and try again');
  }
  return undefined;
}

/** gRPC status codes Temporal answers for states that pass by themselves (retry later). */
const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([
  1, // CANCELLED: the call was cut (e.g. our deadline, a restarting frontend)
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED: rate limits, a busy workflow, too many in-flight updates
  9, // FAILED_PRECONDITION: e.g. the workflow task is failing (being retried) or the run is closing
  10, // ABORTED: a concurrent change or a shard moving
  14, // UNAVAILABLE
]);

/**
 * Whether an error means a dependency is down, busy or too slow rather than a bug or bad input, so
 * the same request may succeed when retried: Temporal unreachable, past its deadline or in a
 * passing state (gRPC CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION — e.g. a
 * workflow task that is failing and being retried —, ABORTED, UNAVAILABLE; update RPC timeout), or
 * Postgres unreachable or overloaded (SQLSTATE classes 08 connection exception, 53 insufficient
 * resources, 57P operator intervention, 40001/40P01 serialization failure and deadlock; socket
 * errors; pg-pool connect timeouts). Follows `cause` chains. The API answers these with 503 and
 * `Retry-After` so callers (and carriers) retry.
 */
export function isUnavailableError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(e) && TRANSIENT_GRPC_CODES.has(e.code)) return true;
    if (typeof e !== 'object') return false;
    const code = (e as { code?: unknown }).code;
    // Postgres unreachable (db/client.ts), out of resources (53…), or a serialization failure / deadlock
    if (isConnectionError(e)) return true;
    if (typeof code === 'string' && (/^53/.test(code) || code === '40001' || code === '40P01')) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isUnavailableError(inner))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client should wait before retrying a 503 (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 2;

/**
 * Maps errors caused by the request itself that Express, the body parsers or Postgres raise
 * before or outside our validation to a 4xx; otherwise `undefined`:
 * - a path segment that is not valid percent-encoded UTF-8 (`URIError` from the router) → 400 `invalid_path`;
 * - a `Content-Encoding` the server does not decode → 415 `unsupported_content_encoding`, an unsupported
 *   charset → 415 `unsupported_charset`;
 * - a body that does not decompress as its `Content-Encoding` says, or does not parse → 400 `invalid_body`;
 *   too large → 413 `payload_too_large`;
 * - any other `http-errors` error with an exposed 4xx status (body-parser, multer wrappers) → that status;
 * - a Postgres data exception (SQLSTATE class 22, e.g. 22021 invalid byte sequence, 22P02 invalid
 *   text representation) → 400 `invalid_input`: a value our schemas let through but the database refuses.
 */
export function httpErrorFromClientError(err: unknown): HttpError | undefined {
  if (err instanceof URIError) return new HttpError(400, 'invalid_path', 'The URL is not valid percent-encoded UTF-8');
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : 'The request is not valid';
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500 && (typeof e.type === 'string' || e.expose === true)) {
    if (e.type === 'encoding.unsupported') return new HttpError(415, 'unsupported_content_encoding', message);
    if (e.type === 'charset.unsupported') return new HttpError(415, 'unsupported_charset', message);
    if (status === 413) return new HttpError(413, 'payload_too_large', message);
    if (status === 415) return new HttpError(415, 'unsupported_media_type', message);
    return new HttpError(status, status === 400 ? 'invalid_body' : 'invalid_request', message);
  }
  if (typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code) && 'severity' in e) {
    return new HttpError(400, 'invalid_input', 'A value in the request cannot be stored or compared (e.g. a NUL byte or invalid encoding)');
  }
  return undefined;
}

/** 404 JSON for unknown routes. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'route_not_found', `No route for ${req.method} ${req.path}`));
};

/** The last middleware: turns any error into the JSON error shape (503 with `Retry-After`). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const http = toHttpError(err, (unavailable) =>
      unavailable
        ? logger.warn({ err: String(err), method: req.method, path: req.path }, 'dependency unavailable')
        : logger.error({ err, method: req.method, path: req.path }, 'unhandled error'),
    );
    if (http.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    if (res.headersSent) return void res.end();
    res.status(http.status).json(errorBody(http));
  };
}

/** The JSON error body `{ error: { code, message, details } }` of an HttpError (`details` null when absent). */
export function errorBody(http: HttpError): { error: { code: string; message: string; details: unknown } } {
  return { error: { code: http.code, message: http.message, details: http.details ?? null } };
}

/**
 * The HttpError an error answers as: HttpError as is; zod → 400 `validation_failed`; domain rules and
 * update failures their code; client-caused errors ({@link httpErrorFromClientError}) their 4xx;
 * transient dependency states ({@link isUnavailableError}) 503 `temporarily_unavailable`; anything
 * else 500 `internal_error`. `report(true)` is called for a 503, `report(false)` for a 500.
 */
export function toHttpError(err: unknown, report: (unavailable: boolean) => void = () => {}): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ZodError) return new HttpError(400, 'validation_failed', 'The request is not valid', zodDetails(err));
  if (err instanceof AttachmentTooLargeError)
    return new HttpError(413, 'payload_too_large', err.message, { maxBytes: err.maxBytes, size: err.size });
  if (err instanceof DomainError) return new HttpError(err.httpStatus, err.code, err.message, err.details);
  const update = httpErrorFromUpdateFailure(err);
  if (update) return update;
  const client = httpErrorFromClientError(err);
  if (client) return client;
  if (isUnavailableError(err)) {
    report(true);
    return new HttpError(503, 'temporarily_unavailable', 'A service Switchboard depends on is unavailable; retry shortly');
  }
  report(false);
  return new HttpError(500, 'internal_error', 'Something went wrong on our side');
}
