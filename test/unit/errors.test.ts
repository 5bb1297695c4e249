import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { isUnavailableError, toHttpError } from '../../api/errors';
import { DomainError, type DomainErrorCode, domainErrorStatus, isDomainErrorCode } from '../../domain/errors';

describe('DomainError', () => {
  it('carries code, message, HTTP status and details', () => {
    const error = new DomainError('invalid_snooze', 'bad snooze', 400, { until: 'x' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.name).toBe('DomainError');
    expect(error.code).toBe('invalid_snooze');
    expect(error.message).toBe('bad snooze');
    expect(error.httpStatus).toBe(400);
    expect(error.details).toEqual({ until: 'x' });
  });

  it('defaults to 422 and no details', () => {
    const error = new DomainError('template_required', 'needs a template');
    expect(error.httpStatus).toBe(422);
    expect(error.details).toBeUndefined();
  });
});

describe('domainErrorStatus', () => {
  it.each<[DomainErrorCode, number]>([
    ['whatsapp_session_expired', 422],
    ['template_required', 422],
    ['invalid_snooze', 400],
    ['invalid_status_change', 422],
    ['empty_message', 400],
    ['assignee_not_member', 422],
    ['invalid_address', 400],
    ['channel_not_supported', 422],
  ])('maps %s to %d', (code, status) => {
    expect(domainErrorStatus[code]).toBe(status);
  });
});

describe('isDomainErrorCode', () => {
  it.each(Object.keys(domainErrorStatus))('accepts %s', (code) => {
    expect(isDomainErrorCode(code)).toBe(true);
  });

  it.each([undefined, '', 'nope', 'WHATSAPP_SESSION_EXPIRED', 'ApplicationFailure'])('rejects %p', (code) => {
    expect(isDomainErrorCode(code)).toBe(false);
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])('rejects the inherited object property %j', (code) => {
    expect(isDomainErrorCode(code)).toBe(false);
  });
});

describe('API error mapping (api/errors.ts)', () => {
  /** A gRPC error as @grpc/grpc-js raises it, wrapped the way the Temporal client wraps it. */
  const grpc = (code: number, details: string) =>
    new ServiceError('Workflow Update failed', { cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }) });

  it.each([
    ['FAILED_PRECONDITION (workflow task failing)', grpc(9, 'Workflow Update was rejected because the workflow task is failing')],
    ['RESOURCE_EXHAUSTED (busy workflow)', grpc(8, 'Workflow is busy')],
    ['ABORTED', grpc(10, 'aborted')],
    ['UNAVAILABLE', grpc(14, 'unavailable')],
    ['DEADLINE_EXCEEDED', grpc(4, 'deadline exceeded')],
    ['an update RPC timeout', new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: new Error('x') })],
    ['Postgres connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [
      'Postgres refused on every address',
      new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })], 'all failed'),
    ],
    ['Postgres shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['Postgres too many connections (53300)', Object.assign(new Error('too many clients'), { code: '53300' })],
    ['a pg connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a pg-pool connect timeout', new Error('timeout exceeded when trying to connect')],
  ])('%s → 503 temporarily_unavailable', (_what, err) => {
    expect(isUnavailableError(err)).toBe(true);
    expect(toHttpError(err)).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
  });

  it.each([
    ['INVALID_ARGUMENT', grpc(3, 'bad')],
    ['INTERNAL', grpc(13, 'bug')],
    ['a plain bug', new TypeError('x is undefined')],
  ])('%s is not transient → 500', (_what, err) => {
    expect(isUnavailableError(err)).toBe(false);
    expect(toHttpError(err).status).toBe(500);
  });

  it.each([
    ['a URIError from the router', Object.assign(new URIError("Failed to decode param '%FF'"), { status: 400 }), 400, 'invalid_path'],
    [
      'a zlib error wrapped by body-parser',
      Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR', status: 400, statusCode: 400, expose: true }),
      400,
      'invalid_body',
    ],
    [
      'an unsupported encoding',
      Object.assign(new Error('unsupported content encoding "x"'), { status: 415, type: 'encoding.unsupported', expose: true }),
      415,
      'unsupported_content_encoding',
    ],
    [
      'a body too large',
      Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' }),
      413,
      'payload_too_large',
    ],
    [
      'a Postgres invalid byte sequence (22021)',
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021', severity: 'ERROR' }),
      400,
      'invalid_input',
    ],
  ])('%s → %d %s', (_what, err, status, code) => {
    expect(toHttpError(err)).toMatchObject({ status, code });
  });

  it('a 4xx status on an error that is not an http-errors error is not trusted', () => {
    expect(toHttpError(Object.assign(new Error('carrier said 400'), { status: 400 })).status).toBe(500);
  });
});
