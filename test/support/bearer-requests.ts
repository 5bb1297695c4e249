/**
 * supertest requests to an app that all carry `Authorization: Bearer <token>` (a staff JWT or an
 * `sb_…` API key), so a test reads `as(key).get('/v1/me')` instead of a four-line chain.
 */
import type { Express } from 'express';
import request from 'supertest';

/** One request builder per method; `post` / `put` / `patch` send `body` as JSON when given. */
export interface BearerRequests {
  get(path: string): request.Test;
  head(path: string): request.Test;
  delete(path: string): request.Test;
  post(path: string, body?: object): request.Test;
  put(path: string, body?: object): request.Test;
  patch(path: string, body?: object): request.Test;
}

/** Requests to `app` as the bearer of `token`. */
export function bearerRequests(app: Express, token: string): BearerRequests {
  const auth = (r: request.Test): request.Test => r.set('Authorization', `Bearer ${token}`);
  const withBody = (r: request.Test, body: object | undefined): request.Test => (body === undefined ? r : r.send(body));
  return {
    get: (path) => auth(request(app).get(path)),
    head: (path) => auth(request(app).head(path)),
    delete: (path) => auth(request(app).delete(path)),
    post: (path, body) => withBody(auth(request(app).post(path)), body),
    put: (path, body) => withBody(auth(request(app).put(path)), body),
    patch: (path, body) => withBody(auth(request(app).patch(path)), body),
  };
}
