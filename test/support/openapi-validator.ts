/**
 * Validating JSON values against a vendored OpenAPI document with Ajv, shared by the Twilio and
 * OpenAI contract helpers (test/support/twilio-contract.ts, test/support/openai-contract.ts).
 *
 * The whole document is read once, on first use, adjusted in memory (OpenAPI 3.0 `nullable`, see
 * {@link normalizeNullable}), and added to the caller's Ajv instance under one `$id`, so a component
 * compiles as `<id>#/components/schemas/<name>` and its `#/components/…` refs resolve inside the
 * document. Compiled validators are cached per schema or per operation answer.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type AjvCore from 'ajv/dist/core';

/** How to load one document. */
export interface OpenApiValidatorOptions {
  /** The document's file (JSON). */
  path: string;
  /** The `$id` under which the document is registered with Ajv. */
  id: string;
  /** A new Ajv instance with the formats the document needs (called once, on first use). */
  createAjv(): AjvCore;
}

/** Validators over one document; each returns one line per Ajv error (`/path message {params} [schemaPath]`), empty = valid. */
export interface OpenApiValidator {
  /**
   * Validates `value` against `components.schemas[schemaName]`.
   * @throws Error if the document has no such schema
   */
  schema(schemaName: string, value: unknown): string[];
  /**
   * Validates `value` against the documented JSON answer `status` of `method path`.
   * @throws Error if the document has no such operation or answer
   */
  response(method: string, path: string, status: number, value: unknown): string[];
}

type OpenApiDocument = {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, unknown>>;
};

/**
 * Rewrites OpenAPI 3.0 `nullable` where Ajv cannot take it: with a `type`, `nullable: true` stays (Ajv
 * implements it); without one (e.g. next to a `$ref`, where Ajv throws "nullable cannot be used
 * without type"), the node becomes `anyOf: [{type: 'null'}, <node>]`; `nullable: false` is dropped.
 * Mutates `node`.
 */
export function normalizeNullable(node: unknown): void {
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

function formatError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(root)' : e.instancePath;
  const params = Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : '';
  return `${where} ${e.message ?? e.keyword}${params} [${e.schemaPath}]`;
}

/** A JSON pointer segment (RFC 6901), percent-encoded for a URI fragment. */
function pointerSegment(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

/** Validators over the document at `options.path` (nothing is read until the first call). */
export function openApiValidator(options: OpenApiValidatorOptions): OpenApiValidator {
  const file = path.basename(options.path);
  let loaded: { ajv: AjvCore; doc: OpenApiDocument } | undefined;
  const validators = new Map<string, ValidateFunction>();

  const load = (): { ajv: AjvCore; doc: OpenApiDocument } => {
    if (loaded) return loaded;
    const doc = JSON.parse(readFileSync(options.path, 'utf8')) as OpenApiDocument;
    normalizeNullable(doc);
    const ajv = options.createAjv();
    ajv.addSchema(doc, options.id);
    loaded = { ajv, doc };
    return loaded;
  };

  const validateAt = (key: string, fragment: string, value: unknown): string[] => {
    let validate = validators.get(key);
    if (!validate) {
      const found = load().ajv.getSchema(`${options.id}#${fragment}`);
      if (!found) throw new Error(`Ajv could not resolve ${key} in ${file}`);
      validate = found;
      validators.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(formatError);
  };

  return {
    schema(schemaName, value) {
      const schemas = load().doc.components?.schemas ?? {};
      if (!Object.hasOwn(schemas, schemaName)) throw new Error(`${file} has no components.schemas[${JSON.stringify(schemaName)}]`);
      return validateAt(`schema ${schemaName}`, `/components/schemas/${pointerSegment(schemaName)}`, value);
    },
    response(method, opPath, status, value) {
      const op = load().doc.paths?.[opPath]?.[method] as { responses?: Record<string, { content?: Record<string, unknown> }> } | undefined;
      if (!op?.responses?.[String(status)]?.content?.['application/json']) {
        throw new Error(`${file} documents no ${status} JSON answer of ${method.toUpperCase()} ${opPath}`);
      }
      const fragment = `/paths/${pointerSegment(opPath)}/${method}/responses/${status}/content/${pointerSegment('application/json')}/schema`;
      return validateAt(`${method} ${opPath} ${status}`, fragment, value);
    },
  };
}
