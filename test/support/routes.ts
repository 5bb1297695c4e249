/**
 * The routes an Express 5 app serves, read from its router stack (so tests that walk "every route"
 * cannot drift from the code). Not a test file itself.
 */
import type { Express } from 'express';

/** A route as the Express app serves it, in OpenAPI notation (`{id}`). */
export interface ServedRoute {
  method: string;
  path: string;
}

interface RouterLayer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** Every method + path the app's routers serve (walks the Express 5 router stack; `:id` → `{id}`). */
export function expressRoutes(app: Express): ServedRoute[] {
  const walk = (stack: RouterLayer[], prefix: string): ServedRoute[] =>
    stack.flatMap((layer) => {
      const path = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        const full = `${prefix}${layer.route.path === '/' ? '' : layer.route.path}` || '/';
        return Object.keys(layer.route.methods)
          .filter((m) => m !== '_all')
          .map((m) => ({ method: m.toUpperCase(), path: full.replace(/:(\w+)/g, '{$1}') }));
      }
      return layer.handle?.stack ? walk(layer.handle.stack, `${prefix}${path}`) : [];
    });
  return walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
}
