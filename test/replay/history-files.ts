/**
 * The recorded workflow histories of `test/replay/histories/`: one JSON envelope per run
 * (`{ workflowId, events, historyBase64 }`, the `History` protobuf in base64), named
 * `<prefix>-<scenario>.json` (prefix = the release that recorded it, e.g. `v4`).
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { temporal } from '@temporalio/proto';

/** Where the recorded histories live. */
export const HISTORY_DIR = path.join(__dirname, 'histories');

/** One recorded history. */
export interface StoredHistory {
  /** File name, e.g. `v4-sms.json`. */
  name: string;
  /** The scenario part of the name, e.g. `sms`. */
  scenario: string;
  workflowId: string;
  history: temporal.api.history.v1.History;
}

/** Every recorded history, by file name. */
export function readHistories(dir: string = HISTORY_DIR): StoredHistory[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => {
      const { workflowId, historyBase64 } = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as {
        workflowId: string;
        historyBase64: string;
      };
      const history = temporal.api.history.v1.History.decode(Buffer.from(historyBase64, 'base64'));
      return { name, scenario: name.replace(/^[^-]+-/, '').replace(/\.json$/, ''), workflowId, history };
    });
}

/** Writes `<prefix>-<scenario>.json` (replacing a file of that name). */
export function writeHistory(prefix: string, scenario: string, workflowId: string, history: temporal.api.history.v1.IHistory): string {
  mkdirSync(HISTORY_DIR, { recursive: true });
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  const json = { workflowId, events: history.events?.length ?? 0, historyBase64: Buffer.from(bytes).toString('base64') };
  const file = path.join(HISTORY_DIR, `${prefix}-${scenario}.json`);
  writeFileSync(file, JSON.stringify(json, null, 1) + '\n');
  return file;
}
