/**
 * Posting provider webhooks to the app under test through supertest, as the provider would: Twilio's
 * form bodies with (or without) an `X-Twilio-Signature`.
 */
import type { Express } from 'express';
import request from 'supertest';
import { PUBLIC_BASE_URL } from './harness';
import { signTwilioRequest } from './twilio-webhooks';

/** POSTs a Twilio form body to `path` with an explicit `X-Twilio-Signature`, or none when `signature` is null. */
export function postTwilioForm(app: Express, path: string, form: string, signature: string | null): request.Test {
  const req = request(app).post(path).set('Content-Type', 'application/x-www-form-urlencoded');
  if (signature !== null) req.set('X-Twilio-Signature', signature);
  return req.send(form);
}

/**
 * POSTs a Twilio form body to `pathWithQuery`, signed with `authToken` over the public URL Twilio
 * would have called (`PUBLIC_BASE_URL + pathWithQuery`).
 */
export function postSignedTwilioForm(app: Express, pathWithQuery: string, form: string, authToken: string): request.Test {
  return postTwilioForm(app, pathWithQuery, form, signTwilioRequest(authToken, PUBLIC_BASE_URL + pathWithQuery, form));
}

/** HTTP Basic credentials of a webhook (Postmark's per-channel or global user and password). */
export interface BasicCredentials {
  user: string;
  password: string;
}

/**
 * POSTs `body` as JSON to `path` (Postmark's and Telegram's webhooks), with HTTP Basic `auth` when
 * given and any extra `headers` (e.g. `X-Telegram-Bot-Api-Secret-Token`).
 */
export function postJsonWebhook(
  app: Express,
  path: string,
  body: object,
  auth?: BasicCredentials | null,
  headers: Record<string, string> = {},
): request.Test {
  const req = request(app).post(path).set('Content-Type', 'application/json');
  if (auth) req.auth(auth.user, auth.password);
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  return req.send(JSON.stringify(body));
}
