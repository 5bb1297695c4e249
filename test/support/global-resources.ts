/**
 * Shared test resources created by the global setup, passed to test files through env vars.
 */
export interface GlobalResources {
  databaseUrl: string;
  temporalAddress: string;
  /** Time-skipping test server binary; `undefined` = let the SDK download it. */
  testServerPath: string | undefined;
  prismUrl: string;
  workflowBundlePath: string;
}

const ENV_KEY = 'SWITCHBOARD_TEST_RESOURCES';

/** Publishes the resources to `process.env` (inherited by jest workers). */
export function setGlobalResources(resources: GlobalResources): void {
  process.env[ENV_KEY] = JSON.stringify(resources);
}

/** Reads the resources in a test file. @throws Error when the global setup did not run */
export function globalResources(): GlobalResources {
  const raw = process.env[ENV_KEY];
  if (!raw) throw new Error(`${ENV_KEY} is not set: run the tests with the project's jest config (npm test)`);
  return JSON.parse(raw) as GlobalResources;
}
