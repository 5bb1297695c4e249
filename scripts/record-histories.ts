/**
 * `npm run replay:record -- [prefix] [scenario ...]`: records the conversation workflow's histories for
 * the replay test from the code in the work tree, into `test/replay/histories/<prefix>-<scenario>.json`.
 *
 * - `prefix` (`v<N>`): the release the histories belong to; default the next one after the highest
 *   `v<N>` already recorded. Existing files of that prefix are replaced; older prefixes are kept
 *   (they prove today's code still replays what older versions wrote).
 * - `scenario ...`: only these (names as in `test/replay/record-histories.test.ts`: `sms`, `whatsapp`,
 *   `email-thread`, `ai`, `ai-held-cancelled`, `whatsapp-window-lapse`, `continued-as-new`); default all.
 *
 * Runs jest on `test/replay/record-histories.test.ts` with `RECORD_HISTORIES` / `RECORD_SCENARIOS`
 * (the suite's global setup provides the database, the Temporal servers, Prism and the bundle), then
 * the replay test, so a recording that does not replay fails here. Needs what `npm test` needs
 * (PostgreSQL at `DATABASE_URL`, the Temporal binaries). Exits with jest's exit code.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const HISTORY_DIR = path.join(ROOT, 'test', 'replay', 'histories');

/** The next `v<N>` after the highest one in `files` (`v1` when there is none). */
export function nextPrefix(files: readonly string[]): string {
  const versions = files.map((f) => /^v(\d+)-/.exec(f)?.[1]).filter((v): v is string => v !== undefined);
  return `v${Math.max(0, ...versions.map(Number)) + 1}`;
}

function jest(files: string[], env: Record<string, string>): number {
  const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '-w', '1', ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
}

function main(): void {
  const [first, ...rest] = process.argv.slice(2);
  const explicit = first !== undefined && /^v\d+$/.test(first);
  const prefix = explicit ? first : nextPrefix(readdirSync(HISTORY_DIR));
  const scenarios = explicit ? rest : [first, ...rest].filter((s): s is string => s !== undefined);
  console.log(`recording ${scenarios.length > 0 ? scenarios.join(', ') : 'every scenario'} as ${prefix}-<scenario>.json`);
  const recorded = jest(['test/replay/record-histories.test.ts'], {
    RECORD_HISTORIES: prefix,
    ...(scenarios.length > 0 ? { RECORD_SCENARIOS: scenarios.join(',') } : {}),
  });
  if (recorded !== 0) process.exit(recorded);
  process.exit(jest(['test/replay/replay.test.ts'], {}));
}

if (require.main === module) main();
