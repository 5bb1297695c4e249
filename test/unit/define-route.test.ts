/**
 * `defineRoute` (api/http/define-route.ts): one declaration mounts the handler where it says and
 * documents the operation with the statuses its auth, request parts and idempotency imply; and the
 * app's registry (api/routes/index.ts) is consistent. No database: plain Express apps and supertest.
 */
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../api/openapi';
import { API_ROUTES } from '../../api/routes';
import {
  authName,
  assertUniqueRoutes,
  defineRoute,
  openApiPath,
  operationOf,
  routerFor,
  type RouteDefinition,
  type RouteSpec,
} from '../../api/http/define-route';
import { IdParams } from '../../api/schemas';

const base: RouteSpec = {
  method: 'get',
  path: '/v1/things',
  auth: 'staff',
  operationId: 'listThings',
  summary: 'List things',
  tags: ['todos'],
  response: { status: 200, description: 'The things', schema: z.object({ ok: z.boolean() }) },
  errors: [],
};

/** A handler that answers with what it was called with and the middleware trail. */
const echo =
  (name: string): ((deps: { label: string }) => RequestHandler) =>
  ({ label }) =>
  (req, res) => {
    res.json({ name, label, params: req.params, trail: res.locals.trail ?? [] });
  };

/** Middleware that appends `name` to `res.locals.trail`. */
const mark =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.trail = [...((res.locals.trail as string[] | undefined) ?? []), name];
    next();
  };

describe('defineRoute', () => {
  test('checks that the path is absolute and its :params are exactly the params schema', () => {
    expect(() => defineRoute({ ...base, path: 'v1/things' }, echo('x'))).toThrow(/absolute/);
    expect(() => defineRoute({ ...base, path: '/v1/things/:id' }, echo('x'))).toThrow(/path parameters \[id\] but params schema \[\]/);
    expect(() => defineRoute({ ...base, path: '/v1/things', request: { params: IdParams } }, echo('x'))).toThrow(/params schema \[id\]/);
    expect(defineRoute({ ...base, path: '/v1/things/:id', request: { params: IdParams } }, echo('x')).spec.path).toBe('/v1/things/:id');
  });

  test('openApiPath turns :name into {name}', () => {
    expect(openApiPath('/v1/conversations/:id/messages/:messageId/retry')).toBe('/v1/conversations/{id}/messages/{messageId}/retry');
  });
});

describe('routerFor', () => {
  const routes: RouteDefinition<{ label: string }>[] = [
    defineRoute(base, echo('list')),
    defineRoute({ ...base, path: '/v1/things/:id', operationId: 'getThing', request: { params: IdParams } }, echo('get')),
    defineRoute(
      { ...base, method: 'post', path: '/v1/things/:id/do', operationId: 'doThing', request: { params: IdParams }, idempotent: true },
      echo('do'),
    ),
  ];
  const app = express();
  app.use(
    '/v1/things',
    routerFor(routes, { label: 'deps' }, { prefix: '/v1/things', auth: 'staff', before: [mark('before')], idempotency: mark('idem') }),
  );

  test('mounts each handler at its path relative to the prefix, built from the deps, after the router middleware', async () => {
    const list = await request(app).get('/v1/things');
    expect(list.body).toEqual({ name: 'list', label: 'deps', params: {}, trail: ['before'] });
    const one = await request(app).get('/v1/things/abc');
    expect(one.body).toMatchObject({ name: 'get', params: { id: 'abc' }, trail: ['before'] });
  });

  test('puts the idempotency middleware before the handler of an idempotent route only', async () => {
    const done = await request(app).post('/v1/things/abc/do');
    expect(done.body).toMatchObject({ name: 'do', trail: ['before', 'idem'] });
    expect((await request(app).get('/v1/things/abc')).body.trail).toEqual(['before']);
  });

  test('refuses a route outside the prefix, with another auth, or idempotent without the middleware', () => {
    expect(() => routerFor(routes, { label: '' }, { prefix: '/v1/other', auth: 'staff', idempotency: mark('i') })).toThrow(/not under/);
    expect(() => routerFor(routes, { label: '' }, { prefix: '/v1/thing', auth: 'staff', idempotency: mark('i') })).toThrow(/not under/);
    expect(() => routerFor(routes, { label: '' }, { prefix: '/v1/things', auth: 'none', idempotency: mark('i') })).toThrow(/auth staff/);
    expect(() => routerFor(routes, { label: '' }, { prefix: '/v1/things', auth: 'staff' })).toThrow(/no idempotency middleware/);
  });
});

describe('operationOf', () => {
  test('a staff route: bearer security, 401 / 403 / 503 (with Retry-After) in the error shape', () => {
    const op = operationOf(base);
    expect(op).toMatchObject({ method: 'get', path: '/v1/things', operationId: 'listThings', tags: ['todos'] });
    expect(op.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '401', '403', '503']);
    expect(op.responses['503']).toMatchObject({ headers: { 'Retry-After': expect.anything() } });
    expect(op.request).toEqual({});
  });

  test('a body adds 400 / 413 / 415 and its content type; idempotency the header and 409 / 422', () => {
    const body = z.object({ a: z.string() });
    const op = operationOf({
      ...base,
      method: 'post',
      request: { body, bodyContentType: 'application/x-www-form-urlencoded' },
      idempotent: true,
      errors: [404],
    });
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '422', '503']);
    expect(op.request?.body?.content['application/x-www-form-urlencoded']?.schema).toBe(body);
    expect(Object.keys((op.request?.headers as z.ZodObject).shape)).toEqual(['Idempotency-Key']);
  });

  test('own error descriptions win, other responses replace the default 503, public routes have no security', () => {
    const health = z.object({ status: z.string() });
    const op = operationOf({
      ...base,
      auth: 'none',
      otherResponses: { 503: { description: 'Degraded', content: { 'application/json': { schema: health } } } },
      errors: [{ status: 404, description: 'No such thing' }],
    });
    expect(op.security).toEqual([]);
    expect(op.responses['404']).toMatchObject({ description: 'No such thing' });
    expect(op.responses['503']).toEqual({ description: 'Degraded', content: { 'application/json': { schema: health } } });
    expect(Object.keys(op.responses).sort()).toEqual(['200', '404', '503']);
  });

  test("a channel's webhook auth brings its own security scheme and error statuses", () => {
    const auth = {
      webhook: 'fax',
      scheme: 'faxSignature',
      definition: { type: 'apiKey', in: 'header', name: 'X-Fax-Signature' },
      errors: [401, 403],
    } as const;
    const spec = { ...base, path: '/webhooks/fax/in', method: 'post' as const, auth, errors: [] };
    const op = operationOf(spec);
    expect(op.security).toEqual([{ faxSignature: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '401', '403', '503']);
    expect(authName(auth)).toBe('webhook:fax');
    const doc = buildOpenApiDocument([spec]);
    expect(doc.components?.securitySchemes?.faxSignature).toEqual(auth.definition);
    // the router refuses a route whose webhook auth is another provider's
    expect(() => routerFor([defineRoute(spec, () => mark('h'))], {}, { prefix: '/webhooks/fax', auth: 'none' })).toThrow(/webhook:fax/);
  });

  test('assertUniqueRoutes refuses a repeated operationId or method + path', () => {
    expect(() => assertUniqueRoutes([base, { ...base, path: '/v1/other' }])).toThrow(/operationId listThings/);
    expect(() => assertUniqueRoutes([base, { ...base, operationId: 'again' }])).toThrow(/GET \/v1\/things is declared twice/);
  });
});

describe('the app registry', () => {
  test('/v1 routes are exactly the staff routes, but the public /v1/auth/*; webhooks, media and health declare their own auth', () => {
    for (const route of API_ROUTES) {
      const staff = route.path.startsWith('/v1/') && !route.path.startsWith('/v1/auth/');
      expect({ path: route.path, staff: route.auth === 'staff' }).toEqual({ path: route.path, staff });
    }
    const auths = Object.fromEntries(API_ROUTES.filter((r) => r.auth !== 'staff').map((r) => [r.operationId, authName(r.auth)]));
    expect(auths).toEqual({
      downloadSignedMedia: 'signedUrl',
      forgotPassword: 'none',
      postmarkInboundWebhook: 'webhook:postmark',
      postmarkEventsWebhook: 'webhook:postmark',
      postmarkChannelInboundWebhook: 'webhook:postmark',
      postmarkChannelEventsWebhook: 'webhook:postmark',
      twilioMessagingWebhook: 'webhook:twilio',
      twilioStatusWebhook: 'webhook:twilio',
      telegramWebhook: 'webhook:telegram',
      getHealth: 'none',
      setPassword: 'none',
      login: 'none',
      refreshToken: 'none',
      logout: 'none',
    });
  });

  test('the document has one operation per declared route, with its security scheme and a declared tag', () => {
    const doc = buildOpenApiDocument();
    const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      (['get', 'post', 'put', 'patch', 'delete'] as const).flatMap((m) => (item[m] ? [`${m.toUpperCase()} ${path}`] : [])),
    );
    expect(operations.sort()).toEqual(API_ROUTES.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`).sort());
    const schemes = Object.keys(doc.components?.securitySchemes ?? {}).sort();
    expect(schemes).toEqual(['bearerAuth', 'mediaUrlSignature', 'postmarkWebhookBasic', 'telegramSecretToken', 'twilioSignature']);
    const tags = (doc.tags ?? []).map((t) => t.name);
    for (const route of API_ROUTES) for (const tag of route.tags) expect(tags).toContain(tag);
  });
});
