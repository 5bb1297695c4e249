/**
 * Starts Stoplight Prism (`@stoplight/prism-cli`, devDependency) as a mock of Twilio's REST API,
 * generated from Twilio's official OpenAPI spec `test/contracts/twilio_api_v2010.json`.
 *
 * Contract checking: Prism validates every request against the spec (it is on by default in
 * `prism mock`; no flag needed) and answers, instead of the mocked 201:
 *   - 422 problem+json when the body/path/query break the schema (missing `To`, `ContentSid` not
 *     `^HX[0-9a-fA-F]{32}$`, `StatusCallback` not a URI, AccountSid not `^AC[0-9a-fA-F]{32}$`, …);
 *   - 401 without HTTP Basic auth; 415 for a non-form content type; 404 for unknown paths.
 * The SDK turns those into `twilio.RestException` with `status` 4xx (and `message` undefined,
 * because Prism's problem+json has `detail`/`validation`, not Twilio's `message`/`code`).
 * We deliberately do NOT pass `--errors`: it only affects RESPONSE validation (turns response-schema
 * violations into 500), and some of Twilio's own spec examples violate their schema (e.g. the
 * `GET …/Messages.json` list example), which would break those calls without checking our code.
 * Valid requests get the spec's static example (e.g. `sid: "SMaaaa…"`, always the same).
 *
 * Limits (see test/contracts/README.md): no Twilio error bodies, and Prism rejects `MediaUrl`
 * (Prism #2473: "must be array" even when repeated) — use `test/support/twilio-stub.ts` for MMS and errors.
 *
 * Startup takes ≈2–3 s (parsing the 1.9 MB spec); we poll until it answers HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { TWILIO_SPEC_PATH } from './contracts';

/** Twilio API v2010 OpenAPI spec (vendored in test/contracts). */
export { TWILIO_SPEC_PATH };
const PRISM_BIN = path.resolve(__dirname, '../../node_modules/.bin/prism');
const MAX_LOG_CHARS = 256 * 1024;

/** A running Prism mock. */
export interface PrismHandle {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash); pass as `apiBaseUrl`. */
  url: string;
  /** Prism's log output so far (last 256 KB, stdout+stderr; warn level: validation failures). */
  logs(): string;
  /** Kills Prism's whole process group and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startPrism}. */
export interface StartPrismOptions {
  /** Port to listen on (127.0.0.1). Default: a free port picked by the OS. */
  port?: number;
  /** Give up if Prism does not answer within this many ms. Default 60 000. */
  startTimeoutMs?: number;
}

/** Asks the OS for a currently free TCP port on 127.0.0.1. */
export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      if (address === null || typeof address === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      srv.close(() => resolve(address.port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // negative pid = the whole process group (detached: true)
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

async function startOnce(port: number, startTimeoutMs: number): Promise<PrismHandle> {
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > MAX_LOG_CHARS) log = log.slice(log.length - MAX_LOG_CHARS);
  };

  // process.execPath: run Prism with the same Node as the tests (the project's Node 24),
  // independent of which `node` happens to be first on PATH for the `#!/usr/bin/env node` shebang.
  const child = spawn(process.execPath, [PRISM_BIN, 'mock', TWILIO_SPEC_PATH, '-h', '127.0.0.1', '-p', String(port), '-v', 'warn'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  // Safety net: never leave Prism behind if the test process exits without calling stop().
  const onExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', onExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return exitPromise;
    stopped = true;
    process.removeListener('exit', onExit);
    if (exited === undefined) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(timer);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError !== undefined || exited !== undefined) {
      await stop();
      const how = spawnError ? spawnError.message : `exit code ${exited?.code} signal ${exited?.signal}`;
      throw new PrismStartError(`Prism exited before answering on ${url} (${how})`, log);
    }
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
      const text = await res.text();
      // Prism answers "/" with a 404 problem+json of type https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR;
      // checking for it avoids mistaking another server on that port for Prism.
      if (text.includes('stoplight.io/prism') && exited === undefined) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new PrismStartError(`Prism did not answer on ${url} within ${startTimeoutMs} ms`, log);
    }
    await sleep(100);
  }
  return { url, logs: () => log, stop };
}

/** Thrown when Prism fails to start; `logs` holds its output. */
export class PrismStartError extends Error {
  constructor(
    message: string,
    readonly logs: string,
  ) {
    super(`${message}\n--- prism output ---\n${logs.trim() || '(none)'}`);
    this.name = 'PrismStartError';
  }
}

/**
 * Spawns `prism mock test/contracts/twilio_api_v2010.json -h 127.0.0.1 -p <port> -v warn` and resolves
 * once it answers HTTP. With no `port`, picks a free one (and retries twice with another port if Prism
 * dies on start, e.g. a port race). Prism's output is kept in memory, not printed; it is included in
 * the error if start fails and available via `logs()`.
 *
 * @example
 *   let prism: PrismHandle;
 *   beforeAll(async () => { prism = await startPrism(); });
 *   afterAll(() => prism?.stop());
 */
export async function startPrism(opts: StartPrismOptions = {}): Promise<PrismHandle> {
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  if (opts.port !== undefined) return startOnce(opts.port, startTimeoutMs);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await getFreePort(), startTimeoutMs);
    } catch (err) {
      lastError = err;
      if (!(err instanceof PrismStartError) || !/exited before answering/.test(err.message)) throw err;
    }
  }
  throw lastError;
}
