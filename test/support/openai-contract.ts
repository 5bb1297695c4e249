/**
 * Validates JSON values against a component schema of OpenAI's official OpenAPI 3.1 document
 * (`test/contracts/openai_openapi.json`), e.g. what the SDK sent to the stand-in against
 * `CreateChatCompletionRequest` / `CreateResponse`, and the stand-in's answers against
 * `CreateChatCompletionResponse` / `Response` / `ErrorResponse`.
 *
 * How: Ajv's JSON Schema 2020-12 dialect (`ajv/dist/2020`, `strict: false` so OpenAPI's extra
 * keywords — `discriminator`, `example`, `x-oai*`, … — are ignored) with `ajv-formats`; the whole
 * document is added once under {@link OPENAI_OPENAPI_ID}, so a component is compiled as
 * `${OPENAI_OPENAPI_ID}#/components/schemas/${name}` and its `#/components/schemas/…` refs resolve
 * inside the same document. Compiled validators are cached per name.
 *
 * Two adjustments to the document, made in memory when it is loaded:
 *  - it still carries OpenAPI 3.0's `nullable` in 112 places. Ajv implements `nullable: true` itself
 *    (type + null) but throws "nullable cannot be used without type" where there is no `type` (e.g.
 *    next to a `$ref`); there it is rewritten to `anyOf: [{type: 'null'}, <schema>]`, keeping the
 *    document's intent (null is allowed); `nullable: false` is dropped;
 *  - OpenAI's own `format: "unixtime"` (144 places) is registered as "a non-negative integer".
 */
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { OPENAI_OPENAPI_PATH } from './contracts';

/** The OpenAPI document (3.4 MB, not read at import time). */
export { OPENAI_OPENAPI_PATH };

/** The `$id` under which the document is registered with Ajv. */
export const OPENAI_OPENAPI_ID = 'https://switchboard.invalid/contracts/openai_openapi.json';

let ajv: Ajv2020 | undefined;
let schemaNames: Set<string> | undefined;
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

function loadAjv(): Ajv2020 {
  if (ajv) return ajv;
  const doc = JSON.parse(readFileSync(OPENAI_OPENAPI_PATH, 'utf8')) as { components?: { schemas?: Record<string, unknown> } };
  normalizeNullable(doc);
  schemaNames = new Set(Object.keys(doc.components?.schemas ?? {}));
  // validateSchema: false — the document as a whole is not a JSON schema (paths, info, …), only its components are.
  const instance = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(instance);
  instance.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) && n >= 0 });
  instance.addSchema(doc, OPENAI_OPENAPI_ID);
  ajv = instance;
  return instance;
}

function formatError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(root)' : e.instancePath;
  const params = Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : '';
  return `${where} ${e.message ?? e.keyword}${params} [${e.schemaPath}]`;
}

/**
 * Validates `value` against `components.schemas[schemaName]` of the OpenAI OpenAPI document.
 * @returns one line per Ajv error (`/path message {params} [schemaPath]`); empty = valid
 * @throws Error if the document has no such schema
 */
export function validateAgainstOpenApi(schemaName: string, value: unknown): string[] {
  const instance = loadAjv();
  if (!schemaNames?.has(schemaName)) throw new Error(`openai_openapi.json has no components.schemas[${JSON.stringify(schemaName)}]`);
  let validate = validators.get(schemaName);
  if (!validate) {
    const pointer = schemaName.replace(/~/g, '~0').replace(/\//g, '~1');
    const found = instance.getSchema(`${OPENAI_OPENAPI_ID}#/components/schemas/${pointer}`);
    if (!found) throw new Error(`Ajv could not resolve components.schemas[${JSON.stringify(schemaName)}]`);
    validate = found;
    validators.set(schemaName, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map(formatError);
}
