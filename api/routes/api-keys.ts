/**
 * `/v1/api-keys` (admins only; agents and keys without the `admin` scope → 403 `forbidden`): an org's
 * integration keys (`db/api-keys.ts`). The key itself is in the 201 answer of `POST` only; lists show
 * its `prefix`. Creating and revoking are audited (`api_key.create` / `api_key.revoke`).
 */
import type { Router } from 'express';
import { createAuditedApiKey, listApiKeys, revokeApiKey, toApiKeyView } from '../../db/api-keys';
import { auditActorOf, recordAudit } from '../../db/audit-log';
import { ApiKey, ApiKeyList, CreateApiKeyBody, CreatedApiKey } from '../api-key-schemas';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { IdParams } from '../schemas';

/**
 * The routes under `/v1/api-keys` (behind auth and `express.json()`):
 * - `GET /v1/api-keys` → 200 `ApiKeyList`;
 * - `POST /v1/api-keys` → 201 `CreatedApiKey` (400 `validation_failed`);
 * - `DELETE /v1/api-keys/:id` → 204 (also when already revoked; 404 `not_found` for an unknown or another org's key).
 */
export const apiKeyRoutes: RouteDefinition<Pick<ApiDeps, 'db'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/api-keys',
      auth: 'staff',
      role: 'admin',
      operationId: 'listApiKeys',
      tags: ['api-keys'],
      summary: 'List the org’s API keys, revoked ones too, newest first (admins only; never the keys themselves)',
      response: { status: 200, schema: ApiKeyList, description: 'Every key of the org' },
      errors: [],
    },
    ({ db }) =>
      async (_req, res) => {
        const me = principalOf(res);
        const data: ApiKey[] = (await listApiKeys(db, me.orgId)).map(toApiKeyView);
        res.json({ data });
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/api-keys',
      auth: 'staff',
      role: 'admin',
      operationId: 'createApiKey',
      tags: ['api-keys'],
      summary: 'Create an API key (admins only): the answer holds the key, shown this once',
      request: { body: CreateApiKeyBody },
      response: { status: 201, schema: CreatedApiKey, description: 'The key, with its secret `key` (not retrievable later)' },
      errors: [],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = CreateApiKeyBody.parse(req.body);
        const created = await createAuditedApiKey(
          db,
          { orgId: me.orgId, name: body.name, scopes: body.scopes, createdBy: me.userId },
          auditActorOf(me),
        );
        const answer: CreatedApiKey = { ...toApiKeyView(created.row), key: created.key };
        res.status(201).json(answer);
      },
  ),
  defineRoute(
    {
      method: 'delete',
      path: '/v1/api-keys/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'revokeApiKey',
      tags: ['api-keys'],
      summary: 'Revoke an API key at once (admins only): its next request is 401',
      request: { params: IdParams },
      response: { status: 204, description: 'Revoked (also when it already was)' },
      errors: [{ status: 404, description: '`not_found`: no such key in this org' }],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const found = await db.transaction().execute(async (trx) => {
          const revoked = await revokeApiKey(trx, me.orgId, id);
          if (revoked && revoked.before.revoked_at === null) {
            await recordAudit(trx, {
              orgId: me.orgId,
              actor: auditActorOf(me),
              action: 'api_key.revoke',
              targetType: 'api_key',
              targetId: id,
              before: { ...toApiKeyView(revoked.before) },
              after: { ...toApiKeyView(revoked.after) },
            });
          }
          return revoked !== undefined;
        });
        if (!found) throw notFound('API key');
        res.status(204).end();
      },
  ),
];

/** Builds the API keys router (mounted under `/v1/api-keys`, behind auth and `express.json()`). */
export function apiKeysRouter(deps: Pick<ApiDeps, 'db'>): Router {
  return routerFor(apiKeyRoutes, deps, { prefix: '/v1/api-keys', auth: 'staff' });
}
