/**
 * HTTP error model: every error answers `{ "error": { "code", "message", "details" } }`.
 * Domain rule violations keep their code (e.g. 422 `whatsapp_session_expired`); zod failures are
 * 400 `validation_failed` with the failing fields; anything unexpected is a logged 500.
 */
import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AttachmentTooLargeError } from '../db/attachment-store';
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

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/**
 * Whether an error means a dependency is down or too slow rather than a bug: Temporal unreachable
 * or past its deadline (gRPC UNAVAILABLE / DEADLINE_EXCEEDED, update RPC timeout), or Postgres
 * unreachable (SQLSTATE classes 08 connection exception and 57P operator intervention, socket
 * errors). The API answers these with 503 so callers (and carriers) retry.
 */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const grpc = err instanceof ServiceError ? err.cause : err;
  if (isGrpcServiceError(grpc) && (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (/^(08|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code));
}

/** 404 JSON for unknown routes. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'route_not_found', `No route for ${req.method} ${req.path}`));
};

/** The last middleware: turns any error into the JSON error shape. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let http: HttpError;
    if (err instanceof HttpError) http = err;
    else if (err instanceof ZodError) http = new HttpError(400, 'validation_failed', 'The request is not valid', zodDetails(err));
    else if (err instanceof AttachmentTooLargeError)
      http = new HttpError(413, 'payload_too_large', err.message, { maxBytes: err.maxBytes, size: err.size });
    else if (err instanceof DomainError) http = new HttpError(err.httpStatus, err.code, err.message, err.details);
    else if (httpErrorFromUpdateFailure(err)) http = httpErrorFromUpdateFailure(err)!;
    else if (isUnavailableError(err)) {
      logger.warn({ err: String(err), method: req.method, path: req.path }, 'dependency unavailable');
      http = new HttpError(503, 'temporarily_unavailable', 'A service Switchboard depends on is unavailable; retry shortly');
    } else if (isBodyParserError(err))
      http = new HttpError(err.status, err.status === 413 ? 'payload_too_large' : 'invalid_body', err.message);
    else {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
      http = new HttpError(500, 'internal_error', 'Something went wrong on our side');
    }
    res.status(http.status).json({ error: { code: http.code, message: http.message, details: http.details ?? null } });
  };
}

function isBodyParserError(err: unknown): err is { status: number; message: string; type: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { status?: unknown }).status === 'number' &&
    typeof (err as { type?: unknown }).type === 'string' &&
    (err as { status: number }).status >= 400 &&
    (err as { status: number }).status < 500
  );
}
