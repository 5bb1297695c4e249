import type { Response } from 'superagent';

/** supertest/superagent parser that collects the response body as raw bytes (a Buffer). */
export function binaryParser(response: Response, callback: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}
