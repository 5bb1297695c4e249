/**
 * Validates JSON values against a component schema of OpenAI's official OpenAPI 3.1 document
 * (`test/contracts/openai_openapi.json`), e.g. what the SDK sent to the stand-in against
 * `CreateChatCompletionRequest` / `CreateResponse`, and the stand-in's answers against
 * `CreateChatCompletionResponse` / `Response` / `ErrorResponse`.
 *
 * How (test/support/openapi-validator.ts, shared with test/support/twilio-contract.ts): Ajv's JSON
 * Schema 2020-12 dialect (`ajv/dist/2020`, `strict: false` so OpenAPI's extra keywords —
 * `discriminator`, `example`, `x-oai*`, … — are ignored) with `ajv-formats`; the whole
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
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { OPENAI_OPENAPI_PATH } from './contracts';
import { openApiValidator } from './openapi-validator';

/** The OpenAPI document (3.4 MB, not read at import time). */
export { OPENAI_OPENAPI_PATH };

/** The `$id` under which the document is registered with Ajv. */
export const OPENAI_OPENAPI_ID = 'https://switchboard.invalid/contracts/openai_openapi.json';

const openai = openApiValidator({
  path: OPENAI_OPENAPI_PATH,
  id: OPENAI_OPENAPI_ID,
  createAjv: () => {
    // validateSchema: false — the document as a whole is not a JSON schema (paths, info, …), only its components are.
    const instance = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(instance);
    instance.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) && n >= 0 });
    return instance;
  },
});

/**
 * Validates `value` against `components.schemas[schemaName]` of the OpenAI OpenAPI document.
 * @returns one line per Ajv error (`/path message {params} [schemaPath]`); empty = valid
 * @throws Error if the document has no such schema
 */
export function validateAgainstOpenApi(schemaName: string, value: unknown): string[] {
  return openai.schema(schemaName, value);
}
