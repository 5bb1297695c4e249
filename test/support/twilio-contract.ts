/**
 * Validates JSON values against Twilio's OpenAPI 3.0 document for the 2010-04-01 REST API
 * (`test/contracts/twilio_api_v2010.json`): the stand-in's answers (channels/twilio/standin.ts) against
 * the schemas Twilio documents for them, e.g. `api.v2010.account` (FetchAccount),
 * `api.v2010.account.incoming_phone_number` (CreateIncomingPhoneNumber) and the inline
 * `ListAvailablePhoneNumberLocalResponse`.
 *
 * How (as test/support/openai-contract.ts does for OpenAI's): Ajv with `strict: false` (OpenAPI's own
 * keywords such as `x-twilio` are ignored) and `ajv-formats`; the whole document is added once under
 * {@link TWILIO_OPENAPI_ID}, so a component compiles as `…#/components/schemas/<name>` and its refs
 * resolve inside the document. Adjustments, in memory:
 *  - OpenAPI 3.0 `nullable: true` → `anyOf: [{type: 'null'}, <schema>]` where there is no `type`
 *    (next to a `$ref`), which Ajv cannot take; with a `type`, Ajv's own `nullable` support applies;
 *  - Twilio's own formats: `date-time-rfc-2822` (a date `Date.parse` reads), `phone-number` (E.164 or
 *    a `(NXX) NXX-XXXX` friendly form), `iso-country-code` (two capitals), `http-method` (GET/POST…),
 *    `uri-map` / `phone-number-capabilities` (objects, checked by `type`), `currency` (3 letters);
 *    `uri` accepts a URI reference (Twilio's own answers carry paths such as `/2010-04-01/…`).
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { TWILIO_SPEC_PATH } from './contracts';

/** The `$id` under which the document is registered with Ajv. */
export const TWILIO_OPENAPI_ID = 'https://switchboard.invalid/contracts/twilio_api_v2010.json';

let ajv: Ajv | undefined;
let doc: { components?: { schemas?: Record<string, unknown> }; paths?: Record<string, Record<string, unknown>> } | undefined;
const validators = new Map<string, ValidateFunction>();

/** Rewrites OpenAPI 3.0 `nullable` where Ajv cannot take it (see the file comment). Mutates `node`. */
function normalizeNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) normalizeNullable(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  if (typeof obj.nullable === 'boolean') {
    const nullable = obj.nullable;
    delete obj.nullable;
    if (nullable && obj.type !== undefined) {
      obj.nullable = true;
    } else if (nullable) {
      const rest = { ...obj };
      for (const key of Object.keys(obj)) delete obj[key];
      obj.anyOf = [{ type: 'null' }, rest];
    }
  }
  for (const value of Object.values(obj)) normalizeNullable(value);
}

function loadAjv(): Ajv {
  if (ajv) return ajv;
  const parsed = JSON.parse(readFileSync(TWILIO_SPEC_PATH, 'utf8')) as NonNullable<typeof doc>;
  normalizeNullable(parsed);
  doc = parsed;
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
  instance.addSchema(parsed, TWILIO_OPENAPI_ID);
  ajv = instance;
  return instance;
}

function formatError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(root)' : e.instancePath;
  const params = Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : '';
  return `${where} ${e.message ?? e.keyword}${params} [${e.schemaPath}]`;
}

/** A JSON pointer segment (RFC 6901), percent-encoded for a URI fragment. */
function pointerSegment(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function validateAt(key: string, fragment: string, value: unknown): string[] {
  const instance = loadAjv();
  let validate = validators.get(key);
  if (!validate) {
    const found = instance.getSchema(`${TWILIO_OPENAPI_ID}#${fragment}`);
    if (!found) throw new Error(`Ajv could not resolve ${key} in twilio_api_v2010.json`);
    validate = found;
    validators.set(key, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map(formatError);
}

/**
 * Validates `value` against `components.schemas[schemaName]` of Twilio's document.
 * @returns one line per Ajv error; empty = valid
 * @throws Error if the document has no such schema
 */
export function validateAgainstTwilioSchema(schemaName: string, value: unknown): string[] {
  loadAjv();
  if (!doc?.components?.schemas?.[schemaName]) throw new Error(`twilio_api_v2010.json has no components.schemas[${JSON.stringify(schemaName)}]`);
  return validateAt(`schema ${schemaName}`, `/components/schemas/${pointerSegment(schemaName)}`, value);
}

/**
 * Validates `value` against the documented answer of an operation (e.g. `GET
 * /2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json`, 200).
 * @returns one line per Ajv error; empty = valid
 * @throws Error if the document has no such operation or answer
 */
export function validateTwilioResponse(method: 'get' | 'post', path: string, status: number, value: unknown): string[] {
  loadAjv();
  const op = doc?.paths?.[path]?.[method] as { responses?: Record<string, { content?: Record<string, unknown> }> } | undefined;
  if (!op?.responses?.[String(status)]?.content?.['application/json']) {
    throw new Error(`twilio_api_v2010.json documents no ${status} JSON answer of ${method.toUpperCase()} ${path}`);
  }
  const fragment = `/paths/${pointerSegment(path)}/${method}/responses/${status}/content/${pointerSegment('application/json')}/schema`;
  return validateAt(`${method} ${path} ${status}`, fragment, value);
}
