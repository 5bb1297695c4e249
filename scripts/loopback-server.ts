/**
 * The HTTP plumbing the local stand-ins (Twilio, Postmark) share: a JSON answer, a server on
 * 127.0.0.1 whose handler errors become 500s, and an idempotent stop that also closes keep-alive
 * connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Writes `body` as a JSON response with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/**
 * Listens on 127.0.0.1:`port` (0 = a free port) with `handle`.
 * @returns the base URL (`http://127.0.0.1:<port>`) and an idempotent `stop()`
 */
export async function listenOnLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port = 0,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop() {
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

/** Reads a request body as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `JSON.parse(raw)`, or `null` for an empty or malformed body. */
export function parseJson(raw: string): unknown {
  if (raw.trim() === '') return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}

/**
 * Answers a stand-in holds back (a carrier that accepted a request but whose reply the client has
 * not heard yet: the moment a crashed worker leaves behind). `until(res)` resolves when the answer
 * is released or the client disconnects; `releaseAll()` releases every held one.
 */
export class HeldAnswers {
  private readonly held = new Set<() => void>();
  /** Whether new answers are held. */
  holding = false;

  /** How many answers are held right now. */
  get count(): number {
    return this.held.size;
  }

  /** Waits until this answer is released or `res`'s client went away. */
  until(res: ServerResponse): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.held.delete(done);
        resolve();
      };
      this.held.add(done);
      res.once('close', done);
    });
  }

  /** Sends every held answer (to clients still connected). */
  releaseAll(): void {
    for (const done of [...this.held]) done();
  }
}
