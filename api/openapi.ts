/**
 * The OpenAPI 3.1 document, generated from the route registry (`api/routes/index.ts`): each route's
 * `defineRoute` declaration, with the same zod schemas that validate its requests.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { API_TAGS } from './http/api-tags';
import { assertUniqueRoutes, type RouteSpec, registerRoute, registerSecuritySchemes } from './http/define-route';
import { API_ROUTES } from './routes';

/**
 * Builds the OpenAPI 3.1 document (JSON object) served at `GET /openapi.json`: one operation per
 * declared route (the bearer-JWT `/v1` routes, attachments and signed media, `/healthz`, and every
 * channel's webhooks), their security schemes and tags.
 * @param routes the routes to document (default: every route of the app)
 * @throws Error when two routes share an `operationId` or a method + path
 */
export function buildOpenApiDocument(routes: readonly RouteSpec[] = API_ROUTES) {
  assertUniqueRoutes(routes);
  const registry = new OpenAPIRegistry();
  registerSecuritySchemes(registry, routes);
  for (const route of routes) registerRoute(registry, route);
  const used = new Set<string>(routes.flatMap((r) => r.tags));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: '0.1.0',
      description:
        'Omnichannel inbox backend. `/v1` takes a staff JWT or, in the same `bearerAuth` header, an API key ' +
        '(`Authorization: Bearer sb_…`, `/v1/api-keys`; scopes `read` / `write` / `admin`, 403 `insufficient_scope` otherwise); ' +
        'the webhooks are authenticated the way each provider signs them; ' +
        '`/healthz` and this document (`GET /openapi.json`) need no auth.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'The server this document is served from (PUBLIC_BASE_URL in production)' }],
    tags: Object.entries(API_TAGS)
      .filter(([name]) => used.has(name))
      .map(([name, description]) => ({ name, description })),
  });
}
