/**
 * Contract tests of the Twilio stand-in's accounts and numbers routes (used by the Twilio onboarding,
 * api/routes/twilio-onboarding.ts), through the real twilio SDK: every answer the stand-in gives is
 * validated against the schema Twilio's OpenAPI document (test/contracts/twilio_api_v2010.json)
 * declares for it, and the SDK's requests (paths, form fields, Basic auth) are checked as received.
 */
import twilio from 'twilio';
import { createTwilioClient } from '../../channels/twilio/client';
import { captureError } from '../support/capture-error';
import { validateAgainstTwilioSchema, validateTwilioResponse } from '../support/twilio-contract';
import { startTwilioStub, type TwilioStub } from '../support/twilio-stub';

const ACCOUNT = { sid: 'AC11111111111111111111111111111111', authToken: 'token-of-account-one', friendlyName: 'Acme sub-account' };
const AVAILABLE_LOCAL = '/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json';

let stub: TwilioStub;
let client: twilio.Twilio;

beforeAll(async () => {
  stub = await startTwilioStub({ accounts: [ACCOUNT] });
  client = createTwilioClient({ accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken, apiBaseUrl: stub.url });
});
afterEach(() => stub.reset());
afterAll(async () => {
  await stub?.stop();
});

describe('the validator', () => {
  it("accepts the document's own examples and rejects a broken body", () => {
    const example = {
      sid: 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      owner_account_sid: 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      status: 'active',
      type: 'Full',
      friendly_name: 'friendly_name',
      date_created: 'Thu, 30 Jul 2015 20:00:00 +0000',
      auth_token: 'auth_token',
      subresource_uris: {},
      uri: '/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json',
    };
    expect(validateAgainstTwilioSchema('api.v2010.account', example)).toEqual([]);
    expect(validateAgainstTwilioSchema('api.v2010.account', { ...example, status: 'sleeping' }).join('\n')).toMatch(/status/);
    expect(validateAgainstTwilioSchema('api.v2010.account', { ...example, sid: 'XX1' }).join('\n')).toMatch(/sid/);
    expect(validateTwilioResponse('get', AVAILABLE_LOCAL, 200, { available_phone_numbers: [{ phone_number: 42 }] })).not.toEqual([]);
  });
});

describe('twilio SDK → stand-in: accounts and numbers', () => {
  it('accounts(sid).fetch(): the registered account, answer as api.v2010.account', async () => {
    const account = await client.api.v2010.accounts(ACCOUNT.sid).fetch();
    expect(account).toMatchObject({ sid: ACCOUNT.sid, friendlyName: ACCOUNT.friendlyName, status: 'active' });
    const req = stub.requests.at(-1)!;
    expect([req.method, req.path]).toEqual(['GET', `/2010-04-01/Accounts/${ACCOUNT.sid}.json`]);
    expect(req.basicAuth).toEqual({ username: ACCOUNT.sid, password: ACCOUNT.authToken });
    expect(validateAgainstTwilioSchema('api.v2010.account', req.responseBody)).toEqual([]);
  });

  it("a registered account's routes refuse another token: 401 / 20003", async () => {
    const wrong = createTwilioClient({ accountSid: ACCOUNT.sid, authToken: 'not-the-token', apiBaseUrl: stub.url });
    const err = await captureError(wrong.api.v2010.accounts(ACCOUNT.sid).fetch());
    expect(err instanceof twilio.RestException && [err.status, err.code]).toEqual([401, 20003]);
    const list = await captureError(wrong.availablePhoneNumbers('US').local.list({ areaCode: 415, limit: 5 }));
    expect(list instanceof twilio.RestException && list.code).toBe(20003);
  });

  it('availablePhoneNumbers(US).local.list({ areaCode, limit }): numbers in that area code, answer as documented', async () => {
    const numbers = await client.availablePhoneNumbers('US').local.list({ areaCode: 628, limit: 3 });
    expect(numbers.map((n) => n.phoneNumber)).toEqual(['+16285551000', '+16285551001', '+16285551002']);
    expect(numbers[0]).toMatchObject({ friendlyName: '(628) 555-1000', isoCountry: 'US', capabilities: { sms: true } });
    const req = stub.requests.at(-1)!;
    expect(req.path).toBe(`/2010-04-01/Accounts/${ACCOUNT.sid}/AvailablePhoneNumbers/US/Local.json`);
    expect(req.query).toMatchObject({ AreaCode: '628', PageSize: '3' });
    expect(validateTwilioResponse('get', AVAILABLE_LOCAL, 200, req.responseBody)).toEqual([]);
    for (const n of (req.responseBody as { available_phone_numbers: unknown[] }).available_phone_numbers) {
      expect(validateAgainstTwilioSchema('api.v2010.account.available_phone_number_country.available_phone_number_local', n)).toEqual([]);
    }
  });

  it('incomingPhoneNumbers.create: buys the number with SmsUrl / StatusCallback, answer as api.v2010.account.incoming_phone_number', async () => {
    const bought = await client.incomingPhoneNumbers.create({
      phoneNumber: '+16285551000',
      smsUrl: 'https://inbox.example.test/webhooks/twilio/messaging',
      smsMethod: 'POST',
      statusCallback: 'https://inbox.example.test/webhooks/twilio/status',
    });
    expect(bought.sid).toMatch(/^PN[0-9a-f]{32}$/);
    expect(bought).toMatchObject({ phoneNumber: '+16285551000', smsUrl: 'https://inbox.example.test/webhooks/twilio/messaging', smsMethod: 'POST' });
    const req = stub.requests.at(-1)!;
    expect(req.form).toMatchObject({ PhoneNumber: '+16285551000', SmsMethod: 'POST' });
    expect(validateAgainstTwilioSchema('api.v2010.account.incoming_phone_number', req.responseBody)).toEqual([]);
    expect(validateTwilioResponse('post', '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json', 201, req.responseBody)).toEqual([]);
    // sold: no longer available, and not for sale twice
    const after = await client.availablePhoneNumbers('US').local.list({ areaCode: 628, limit: 1 });
    expect(after.map((n) => n.phoneNumber)).toEqual(['+16285551001']);
    const again = await captureError(client.incomingPhoneNumbers.create({ phoneNumber: '+16285551000' }));
    expect(again instanceof twilio.RestException && [again.status, again.code]).toEqual([400, 21422]);
  });
});
