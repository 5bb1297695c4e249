/**
 * Staff passwords: argon2id through the maintained `argon2` package (node-argon2, prebuilt binaries),
 * with its defaults (argon2id, m = 64 MiB, t = 3, p = 4; OWASP's password storage cheat sheet lists
 * argon2id first). Hashes are PHC strings (`$argon2id$v=19$m=65536,t=3,p=4$…`) carrying their own
 * parameters, so raising them later keeps old hashes verifiable.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import argon2 from 'argon2';
import { z } from 'zod';

// `NewPassword` carries OpenAPI metadata, whichever module loads this one first
extendZodWithOpenApi(z);

/** Shortest accepted password (characters). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password (characters): bounds the hashing work a request can ask for. */
export const MAX_PASSWORD_LENGTH = 256;

/** A new password: 12–256 characters (400 `validation_failed` otherwise). */
export const NewPassword = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);

/** The argon2id PHC hash of `password`. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** Whether `password` matches PHC hash `hash` (false for a malformed hash). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification when there is no user to check (unknown email, deactivated),
 * so the answer takes about as long as a wrong password. Always false.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('switchboard-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
  return false;
}
