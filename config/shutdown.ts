/**
 * Runs `shutdown` once on the first SIGINT or SIGTERM. Listens with `on` (not `once`): under tsx,
 * a Ctrl-C or a process-group SIGTERM arrives twice (directly and relayed by tsx), and a second
 * signal without a listener would kill the process half-way through its shutdown.
 */
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => Promise<void> | void): void {
  let started = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (started) return;
      started = true;
      void shutdown(signal);
    });
  }
}
