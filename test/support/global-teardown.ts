/** Jest global teardown: stops the shared servers and drops the test database. */
export default async function globalTeardown(): Promise<void> {
  const teardown = (globalThis as { __switchboardTeardown?: () => Promise<void> }).__switchboardTeardown;
  if (teardown) await teardown();
}
