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
