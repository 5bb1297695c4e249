/**
 * `tsx scripts/openapi-json.ts [file]`: writes the OpenAPI document the API serves at
 * `GET /openapi.json` (`buildOpenApiDocument()`) to `file` (its folder created), or prints it.
 * `npm run openapi:lint` writes it to `dist/openapi.json` and runs `redocly lint` on it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildOpenApiDocument } from '../api/openapi';

const text = JSON.stringify(buildOpenApiDocument(), null, 2) + '\n';
const out = process.argv[2];
if (out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
} else {
  process.stdout.write(text);
}
