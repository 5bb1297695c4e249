/**
 * Validates JSON values against Twilio's OpenAPI 3.0 document for the 2010-04-01 REST API
 * (`test/contracts/twilio_api_v2010.json`): the stand-in's answers (channels/twilio/standin.ts) against
 * the schemas Twilio documents for them, e.g. `api.v2010.account` (FetchAccount),
 * `api.v2010.account.incoming_phone_number` (CreateIncomingPhoneNumber) and the inline
 * `ListAvailablePhoneNumberLocalResponse`.
 *
 * How (test/support/openapi-validator.ts, shared with test/support/openai-contract.ts): Ajv with
 * `strict: false` (OpenAPI's own keywords such as `x-twilio` are ignored) and `ajv-formats`; the whole
 * document is added once under {@link TWILIO_OPENAPI_ID}, so a component compiles as
 * `…#/components/schemas/<name>` and its refs resolve inside the document. Adjustments, in memory:
 *  - OpenAPI 3.0 `nullable: true` → `anyOf: [{type: 'null'}, <schema>]` where there is no `type`
 *    (next to a `$ref`), which Ajv cannot take; with a `type`, Ajv's own `nullable` support applies;
 *  - Twilio's own formats: `date-time-rfc-2822` (a date `Date.parse` reads), `phone-number` (E.164 or
 *    a `(NXX) NXX-XXXX` friendly form), `iso-country-code` (two capitals), `http-method` (GET/POST…),
 *    `uri-map` / `phone-number-capabilities` (objects, checked by `type`), `currency` (3 letters);
 *    `uri` accepts a URI reference (Twilio's own answers carry paths such as `/2010-04-01/…`).
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { TWILIO_SPEC_PATH } from './contracts';
import { openApiValidator } from './openapi-validator';

/** The `$id` under which the document is registered with Ajv. */
export const TWILIO_OPENAPI_ID = 'https://switchboard.invalid/contracts/twilio_api_v2010.json';

const twilio = openApiValidator({
  path: TWILIO_SPEC_PATH,
  id: TWILIO_OPENAPI_ID,
  createAjv: () => {
    const instance = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(instance);
    instance.addFormat('uri', { type: 'string', validate: (v: string) => /^(https?:\/\/[^\s]+|\/[^\s]*)$/.test(v) });
    instance.addFormat('date-time-rfc-2822', { type: 'string', validate: (v: string) => !Number.isNaN(Date.parse(v)) });
    instance.addFormat('phone-number', { type: 'string', validate: (v: string) => /^(\+[1-9]\d{6,14}|\(\d{3}\) \d{3}-\d{4})$/.test(v) });
    instance.addFormat('iso-country-code', /^[A-Z]{2}$/);
    instance.addFormat('http-method', /^(GET|POST|PUT|DELETE|HEAD|PATCH)$/);
    instance.addFormat('currency', /^[A-Za-z]{3}$/);
    instance.addFormat('uri-map', true);
    instance.addFormat('phone-number-capabilities', true);
    return instance;
  },
});

/**
 * Validates `value` against `components.schemas[schemaName]` of Twilio's document.
 * @returns one line per Ajv error; empty = valid
 * @throws Error if the document has no such schema
 */
export function validateAgainstTwilioSchema(schemaName: string, value: unknown): string[] {
  return twilio.schema(schemaName, value);
}

/**
 * Validates `value` against the documented answer of an operation (e.g. `GET
 * /2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json`, 200).
 * @returns one line per Ajv error; empty = valid
 * @throws Error if the document has no such operation or answer
 */
export function validateTwilioResponse(method: 'get' | 'post', path: string, status: number, value: unknown): string[] {
  return twilio.response(method, path, status, value);
}
