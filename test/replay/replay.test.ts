/**
 * Replay safety: conversations live for weeks, so every change to workflow code must replay the
 * histories that earlier versions wrote. `test/replay/histories/*.json` are real histories recorded
 * from earlier versions of the workflow through the real path (webhooks → API → dev server → worker);
 * all of them are replayed here against today's bundle (`Worker.runReplayHistories`), which fails on
 * any nondeterminism (a changed command sequence without `patched()`).
 *
 * Record a new set from the code in the work tree with `npm run replay:record -- <prefix>`
 * (`scripts/record-histories.ts`, which runs `record-histories.test.ts` beside this file). Keep the
 * older files: they prove that today's code still replays the runs older versions wrote.
 */
import { Worker } from '@temporalio/worker';
import { globalResources } from '../support/global-resources';
import { readHistories } from './history-files';

/** Scenarios that must stay covered by a recorded history (from any version). */
const REQUIRED_SCENARIOS = [
  'sms',
  'whatsapp-window-lapse',
  'email-thread',
  'ai-held-cancelled',
  'continued-as-new',
  'telegram',
  'sla',
  'scheduled',
  'contacts',
];

const stored = readHistories();

test('there is a recorded history of every required scenario, each more than a start', () => {
  expect([...new Set(stored.map((s) => s.scenario))]).toEqual(expect.arrayContaining(REQUIRED_SCENARIOS));
  for (const s of stored) expect({ name: s.name, events: Math.min(s.history.events.length, 4) }).toEqual({ name: s.name, events: 4 });
});

test('every recorded history replays against today’s workflow code', async () => {
  const nameOf = new Map(stored.map((s) => [s.workflowId, s.name]));
  expect(nameOf.size).toBe(stored.length); // one run per workflow id, so results can be told apart
  const results: { name: string; error: string | null }[] = [];
  const replays = Worker.runReplayHistories(
    { workflowBundle: { codePath: globalResources().workflowBundlePath } },
    stored.map((s) => ({ workflowId: s.workflowId, history: s.history })),
  );
  for await (const result of replays) {
    results.push({ name: nameOf.get(result.workflowId) ?? result.workflowId, error: result.error ? String(result.error) : null });
  }
  expect(results.map((r) => r.name).sort()).toEqual(stored.map((s) => s.name));
  expect(results.filter((r) => r.error !== null)).toEqual([]);
});
