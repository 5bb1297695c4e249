/**
 * The provider contracts the tests check against, vendored in `test/contracts/` (see its SOURCES.md
 * and licences): Twilio's and OpenAI's OpenAPI documents and our own sample payloads. Nothing outside
 * the repository is read, so a plain clone runs the suite.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** `test/contracts/`. */
export const CONTRACTS_DIR = path.resolve(__dirname, '../contracts');
/** `test/contracts/samples/`: Twilio forms, Postmark and OpenAI bodies (our own writing). */
export const SAMPLES_DIR = path.join(CONTRACTS_DIR, 'samples');
/** Twilio's OpenAPI document for the 2010-04-01 REST API (twilio/twilio-oai, MIT). */
export const TWILIO_SPEC_PATH = path.join(CONTRACTS_DIR, 'twilio_api_v2010.json');
/** OpenAI's OpenAPI document (openai/openai-openapi, MIT). */
export const OPENAI_OPENAPI_PATH = path.join(CONTRACTS_DIR, 'openai_openapi.json');

/** Reads a sample form body, e.g. `readSampleForm('twilio-inbound-sms.form')` (`.form` may be omitted). */
export function readSampleForm(name: string): string {
  const file = name.endsWith('.form') ? name : `${name}.form`;
  return readFileSync(path.join(SAMPLES_DIR, file), 'utf8').trim();
}
