/**
 * A harness on a private Temporal dev server told to suggest continue-as-new early
 * (`limit.historyCount.suggestContinueAsNew` = 40 events), for the tests of what a run carries into
 * the next one. Not a test file itself.
 */
import { startEmbeddedTemporal } from '../../scripts/embedded-temporal';
import { createHarness, type Harness, type HarnessOptions } from './harness';

/** The harness and how to stop it with its dev server. */
export interface EarlyContinueAsNewHarness {
  h: Harness;
  /** Closes the harness, then stops the dev server. */
  close(): Promise<void>;
}

/** Starts the dev server (history count suggestion at 40 events) and a harness on it (`opts` as for `createHarness`). */
export async function harnessWithEarlyContinueAsNew(
  opts: Omit<HarnessOptions, 'temporalAddress' | 'timeSkipping'> = {},
): Promise<EarlyContinueAsNewHarness> {
  const temporal = await startEmbeddedTemporal({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  try {
    const h = await createHarness({ ...opts, temporalAddress: temporal.address });
    return {
      h,
      async close() {
        await h.close();
        await temporal.stop();
      },
    };
  } catch (err) {
    await temporal.stop();
    throw err;
  }
}
