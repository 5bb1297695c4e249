/**
 * One declaration per HTTP route. A route is declared once, beside its handler, with
 * {@link defineRoute}: method, path, auth, request schemas, success answer, error statuses,
 * `operationId`, tags and summary. From that one {@link RouteDefinition}:
 * - {@link routerFor} mounts the handlers on an Express `Router` (in list order, which is Express's
 *   match order), with the router's own middleware first and the `Idempotency-Key` middleware before
 *   the handler of each idempotent route;
 * - {@link registerRoute} adds the operation to a zod-to-openapi `OpenAPIRegistry` (the pattern of
 *   express-typescript-2024's `registry.registerPath` beside the router), so `GET /openapi.json`
 *   (`api/openapi.ts`) is built from the same list the app serves;
 * - tests enumerate the routes (e.g. every `staff` route answers 401 without a token).
 *
 * A definition is a plain object: a feature file (in `api/routes/` or, later, `channels/<provider>/`)
 * exports its list, its router factory builds the router from it, and `api/routes/index.ts` collects
 * every list into the registry.
 *
 * The helper does not parse requests: each handler validates its own params, query and body (in the
 * order its rules need, e.g. "admins only" before the body), so the declared schemas document what the
 * handler checks. Errors answer the project's shape `{ error: { code, message, details } }` (`api/errors.ts`).
 */
import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { principalOf } from '../auth';
import { HttpError } from '../errors';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from '../idempotency';
import { ErrorResponse } from '../schemas';
import type { ApiTag } from './api-tags';

/** An OpenAPI security scheme object, as zod-to-openapi's registry takes it. */
type SecuritySchemeObject = Parameters<OpenAPIRegistry['registerComponent']>[2] & { type: string };

/** HTTP methods a route may use (lower case, as Express and OpenAPI spell them). */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * How a provider's webhooks authenticate, declared by the channel beside its routes
 * (`channels/<provider>/webhooks.ts`): the OpenAPI security scheme the document names and the error
 * statuses a request that fails it gets (e.g. Twilio's `X-Twilio-Signature`, 403).
 */
export interface WebhookAuth {
  /** The provider (`twilio`): the webhooks live under `/webhooks/<provider>`. */
  readonly webhook: string;
  /** The security scheme's component name in the OpenAPI document (`twilioSignature`). */
  readonly scheme: string;
  /** The OpenAPI security scheme object (`apiKey` header, HTTP Basic, …) with a description. */
  readonly definition: SecuritySchemeObject;
  /** Statuses of a request that fails the check (before the handler runs), e.g. `[403]`. */
  readonly errors: readonly number[];
}

/**
 * How a route authenticates its caller, each with its OpenAPI security scheme:
 * - `staff`: `Authorization: Bearer <JWT>` or `Bearer sb_…` (an API key acting as its org, with scopes) (`api/auth.ts`;
 *   401 without or with a bad token or key, 403 when `X-Org-Id` differs or the key's scope is too narrow);
 * - a {@link WebhookAuth}: the provider's own signature or secret, declared by its channel;
 * - `signedUrl`: `?expires=&signature=` of a signed, time-limited URL (403 when invalid or expired);
 * - `none`: public.
 */
export type RouteAuth = 'staff' | 'signedUrl' | 'none' | WebhookAuth;

/** A route auth's name: `staff`, `signedUrl`, `none`, or `webhook:<provider>`. */
export function authName(auth: RouteAuth): string {
  return typeof auth === 'string' ? auth : `webhook:${auth.webhook}`;
}

/** The success answer of a route. */
export interface SuccessResponse {
  /** HTTP status, e.g. 200, 201, 204. */
  status: number;
  description: string;
  /** Body schema; absent = no body (e.g. 204). */
  schema?: z.ZodType;
  /** Media type of the body (default `application/json`); `*\/*` for a file's own type. */
  contentType?: string;
}

/** An error status of a route: the code alone (default description), or with its own description. */
export type ErrorStatus = number | { status: number; description: string };

/** Everything a route declares (see {@link defineRoute}). */
export interface RouteSpec {
  method: HttpMethod;
  /** Absolute Express path, e.g. `/v1/conversations/:id` (documented as `/v1/conversations/{id}`). */
  path: string;
  auth: RouteAuth;
  /**
   * `'admin'`: only admins may call it (a staff token with role `admin`, or an API key with the `admin`
   * scope). {@link routerFor} answers anyone else 403 `forbidden` before the request is read, and the
   * document marks the operation (`x-required-role: admin`, "Admins only." in its description). Only
   * with `auth: 'staff'`. Absent = any signed-in staff user.
   */
  role?: 'admin';
  /** Unique across the document (clients generated from it name their methods after it). */
  operationId: string;
  summary: string;
  tags: [ApiTag, ...ApiTag[]];
  request?: {
    /** Path parameters; required when the path has `:name` segments, and then exactly their names. */
    params?: z.ZodObject;
    query?: z.ZodObject;
    /** Request headers besides `Idempotency-Key` (which `idempotent` adds). */
    headers?: z.ZodObject;
    body?: z.ZodType;
    /** Media type of the body (default `application/json`). */
    bodyContentType?: string;
  };
  /**
   * Accepts an `Idempotency-Key` header (`api/idempotency.ts`): documents the header and its 400 / 409 /
   * 422 answers, and {@link routerFor} puts the idempotency middleware before the handler.
   */
  idempotent?: boolean;
  response: SuccessResponse;
  /** Other answers that are not the error shape, by status (e.g. 304 Not Modified, `/healthz`'s 503). */
  otherResponses?: Record<number, ResponseConfig>;
  /**
   * Error statuses the handler itself gives (`{ error: { code, message, details } }`). Added to them:
   * the auth's (staff 401 + 403, Postmark 401, Twilio and signed URLs 403); 400 when any request part
   * is declared; 413 and 415 with a body (body limits, `Content-Encoding`); 400, 409 and 422 when
   * idempotent; 503 with `Retry-After` always (unless `otherResponses` documents a 503).
   */
  errors: ErrorStatus[];
}

/** A route's handler, built from the dependencies of the router that mounts it. */
export type HandlerFactory<D> = (deps: D) => RequestHandler;

/** A declared route: its {@link RouteSpec} and its handler factory. */
export interface RouteDefinition<D> {
  spec: RouteSpec;
  handler: HandlerFactory<D>;
}

/** `:name` segments of an Express path, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** The OpenAPI form of an Express path: `/v1/conversations/:id` → `/v1/conversations/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

/**
 * Declares a route. Checks the declaration at once (module load): the path is absolute and its
 * `:name` segments match the params schema's keys exactly.
 * @param spec what the route is (see {@link RouteSpec})
 * @param handler builds the Express handler from the router's dependencies
 * @throws Error when the path or its params declaration is inconsistent
 */
export function defineRoute<D>(spec: RouteSpec, handler: HandlerFactory<D>): RouteDefinition<D> {
  const where = `${spec.method.toUpperCase()} ${spec.path} (${spec.operationId})`;
  if (!spec.path.startsWith('/')) throw new Error(`${where}: the path must be absolute`);
  const inPath = pathParamNames(spec.path).sort();
  const declared = Object.keys(spec.request?.params?.shape ?? {}).sort();
  if (inPath.join(',') !== declared.join(',')) {
    throw new Error(`${where}: path parameters [${inPath}] but params schema [${declared}]`);
  }
  return { spec, handler };
}

/** What {@link routerFor} needs besides the routes and their dependencies. */
export interface RouterOptions {
  /** Where the router is mounted (`app.use(prefix, router)`); every route's path starts with it. */
  prefix: string;
  /**
   * The auth the router's mount enforces (e.g. `/v1` runs `requireAuth` before every router under it;
   * the Twilio router checks signatures in `before`); every route must declare the same.
   */
  auth: RouteAuth;
  /** Router-level middleware, in order, before every route (body parsers, signature checks). */
  before?: RequestHandler[];
  /** The `Idempotency-Key` middleware (`idempotent(db, logger)`); required when a route is idempotent. */
  idempotency?: RequestHandler;
}

/**
 * Builds the Express router of a list of routes, mounted in list order at their path relative to
 * `prefix` (`/v1/templates/:id` under `/v1/templates` → `/:id`; the prefix itself → `/`).
 * @throws Error when a route's path is outside `prefix`, its auth is not the router's, or it is
 *   idempotent and no idempotency middleware was given
 */
export function routerFor<D>(routes: readonly RouteDefinition<D>[], deps: D, options: RouterOptions): Router {
  const router = Router();
  for (const middleware of options.before ?? []) router.use(middleware);
  for (const { spec, handler } of routes) {
    const where = `${spec.method.toUpperCase()} ${spec.path} (${spec.operationId})`;
    if (authName(spec.auth) !== authName(options.auth)) {
      throw new Error(`${where}: auth ${authName(spec.auth)} on a router whose mount enforces ${authName(options.auth)}`);
    }
    const rest = spec.path.slice(options.prefix.length);
    if (!spec.path.startsWith(options.prefix) || (rest !== '' && !rest.startsWith('/'))) {
      throw new Error(`${where}: not under the router prefix ${options.prefix}`);
    }
    const chain: RequestHandler[] = [];
    if (spec.role !== undefined) {
      if (spec.auth !== 'staff') throw new Error(`${where}: a role requires staff auth`);
      chain.push(requireRole(spec.role));
    }
    if (spec.idempotent) {
      if (!options.idempotency) throw new Error(`${where}: idempotent, but the router has no idempotency middleware`);
      chain.push(options.idempotency);
    }
    chain.push(handler(deps));
    router[spec.method](rest === '' ? '/' : rest, ...chain);
  }
  return router;
}

/** 403 `forbidden` unless the caller (set by `requireAuth`) has `role`. */
function requireRole(role: 'admin'): RequestHandler {
  return (_req, res, next) => {
    if (principalOf(res).role === role) return next();
    next(new HttpError(403, 'forbidden', 'Only admins may do this'));
  };
}

/** The OpenAPI security schemes of the app's own auths (`staff`, `signedUrl`): component name and definition. */
export const SECURITY_SCHEMES = {
  staff: {
    name: 'bearerAuth',
    scheme: {
      type: 'http',
      scheme: 'bearer',
      description:
        'A staff access token (JWT from `POST /v1/auth/login`) or an API key (`sb_…`, from `POST /v1/api-keys`) acting as its ' +
        'org: scope `read` allows GET only (else 403 `insufficient_scope`), `write` everything but admin routes, `admin` all.',
    },
  },
  signedUrl: {
    name: 'mediaUrlSignature',
    scheme: {
      type: 'apiKey',
      in: 'query',
      name: 'signature',
      description:
        'Signed, time-limited URL (no token): `signature` is the unpadded base64url HMAC-SHA256 of `"<id>.<expires>"` under a ' +
        'key derived from JWT_SECRET; the server hands out such URLs (1 h lifetime) as the MediaUrl of outbound MMS. ' +
        'Invalid, or `expires` in the past → 403 `forbidden`.',
    },
  },
} as const satisfies Record<'staff' | 'signedUrl', { name: string; scheme: SecuritySchemeObject }>;

/**
 * Registers the security scheme of every auth `routes` use (the app's own and each webhook's), once
 * each (call once per registry, before {@link registerRoute}).
 */
export function registerSecuritySchemes(registry: OpenAPIRegistry, routes: readonly RouteSpec[]): void {
  const schemes = new Map<string, SecuritySchemeObject>(Object.values(SECURITY_SCHEMES).map(({ name, scheme }) => [name, scheme]));
  for (const { auth } of routes) if (typeof auth !== 'string') schemes.set(auth.scheme, auth.definition);
  for (const [name, scheme] of schemes) registry.registerComponent('securitySchemes', name, scheme);
}

/** Error statuses an auth can answer before the handler runs. */
function authErrorsOf(auth: RouteAuth): readonly number[] {
  if (typeof auth !== 'string') return auth.errors;
  return { staff: [401, 403], signedUrl: [403], none: [] }[auth];
}

/** The security requirement of a route in the document (`[]` = public). */
function securityOf(auth: RouteAuth): Record<string, string[]>[] {
  if (auth === 'none') return [];
  return [{ [typeof auth === 'string' ? SECURITY_SCHEMES[auth].name : auth.scheme]: [] }];
}

/** The optional `Idempotency-Key` request header of the commands that act (see `api/idempotency.ts`). */
const IdempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .optional()
    .openapi({
      description:
        'Makes the command safe to retry: kept per org for 24 h; the same key replays the first answer (header `Idempotent-Replayed: true`), ' +
        'the same key with a different request → 422 `idempotency_key_reused`, while the first request is still running → 409 ' +
        '`idempotency_key_in_progress`. 1–255 visible ASCII characters (else 400 `invalid_idempotency_key`).',
    }),
});

const UNAVAILABLE_DESCRIPTION = 'Temporal or the database is unavailable or busy: retry after `Retry-After` seconds';
/** The `Retry-After` header of 503 answers (seconds, `RETRY_AFTER_SECONDS` in `api/errors.ts`). */
const retryAfterHeader = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const } } };

/**
 * Every error status of a route with its description, ascending: the declared ones plus those its
 * auth, request parts, body and idempotency imply, and 503 (see {@link RouteSpec.errors}).
 */
export function errorStatusesOf(spec: RouteSpec): Map<number, string> {
  const request = spec.request ?? {};
  const implied = [
    ...authErrorsOf(spec.auth),
    ...(request.params || request.query || request.headers || request.body || spec.idempotent ? [400] : []),
    ...(request.body ? [413, 415] : []),
    ...(spec.idempotent ? [409, 422] : []),
    ...(spec.otherResponses?.[503] ? [] : [503]),
  ];
  const described = new Map<number, string>();
  for (const e of spec.errors) if (typeof e !== 'number') described.set(e.status, e.description);
  const statuses = [...new Set([...spec.errors.map((e) => (typeof e === 'number' ? e : e.status)), ...implied])].sort((a, b) => a - b);
  return new Map(
    statuses.map((status) => [status, described.get(status) ?? (status === 503 ? UNAVAILABLE_DESCRIPTION : `Error ${status}`)]),
  );
}

/** The zod-to-openapi operation of a route (see {@link registerRoute}). */
export function operationOf(spec: RouteSpec): RouteConfig {
  const request = spec.request ?? {};
  const errorContent = { 'application/json': { schema: ErrorResponse } };
  const headers = spec.idempotent
    ? request.headers
      ? request.headers.extend(IdempotencyHeaders.shape)
      : IdempotencyHeaders
    : request.headers;
  const ok = spec.response;
  const responses: RouteConfig['responses'] = {
    [ok.status]: {
      description: ok.description,
      ...(ok.schema ? { content: { [ok.contentType ?? 'application/json']: { schema: ok.schema } } } : {}),
    },
    ...spec.otherResponses,
  };
  for (const [status, description] of errorStatusesOf(spec)) {
    if (responses[status]) continue;
    responses[status] = { description, ...(status === 503 ? { headers: retryAfterHeader } : {}), content: errorContent };
  }
  return {
    method: spec.method,
    path: openApiPath(spec.path),
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.role ? { description: 'Admins only.', 'x-required-role': spec.role } : {}),
    tags: spec.tags,
    security: securityOf(spec.auth),
    request: {
      ...(request.params ? { params: request.params } : {}),
      ...(request.query ? { query: request.query } : {}),
      ...(headers ? { headers } : {}),
      ...(request.body ? { body: { content: { [request.bodyContentType ?? 'application/json']: { schema: request.body } } } } : {}),
    },
    responses,
  };
}

/** Adds a route's operation to `registry` (its security scheme must be registered: {@link registerSecuritySchemes}). */
export function registerRoute(registry: OpenAPIRegistry, spec: RouteSpec): void {
  registry.registerPath(operationOf(spec));
}

/**
 * Checks a whole route list: `operationId`s unique, no method + path declared twice.
 * @throws Error naming the first duplicate
 */
export function assertUniqueRoutes(specs: readonly RouteSpec[]): void {
  const ids = new Set<string>();
  const operations = new Set<string>();
  for (const spec of specs) {
    const operation = `${spec.method.toUpperCase()} ${openApiPath(spec.path)}`;
    if (ids.has(spec.operationId)) throw new Error(`operationId ${spec.operationId} is declared twice`);
    if (operations.has(operation)) throw new Error(`${operation} is declared twice`);
    ids.add(spec.operationId);
    operations.add(operation);
  }
}
