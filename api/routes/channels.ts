/**
 * `/v1/channels`: an org's channels (inboxes) and their carrier accounts. Every staff user lists and
 * reads them; only admins create, change and delete them (403 `forbidden` for agents). Another org's
 * channel is 404, like an unknown one. Credentials are validated by the provider's schema (422
 * `invalid_credentials`), stored sealed (AES-256-GCM) and never returned (`hasCredentials`).
 *
 * A Telegram channel with credentials is connected on create (and on new credentials): `getMe` (its
 * username is the default address) and `setWebhook` with the channel's `webhookUrl` and webhook
 * secret (generated when omitted); a Bot API error answers 422 `telegram_webhook_failed` and stores
 * nothing. `DELETE` deletes a channel without conversations (204) and archives one with conversations
 * (200 `{ archived: true, channel }`): it takes no new inbound messages and is listed only with
 * `?includeArchived=true`.
 */
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import { auditActorOf } from '../../db/audit-log';
import {
  archiveOrDeleteChannel,
  channelView,
  channelWebhookUrl,
  checkCredentials,
  createChannel,
  findChannel,
  listChannels,
  updateChannel,
  type WriteOptions,
} from '../../db/channel-admin';
import { type ChannelKind, kindSpec } from '../../channels/kinds';
import { hasCredentialsSchema } from '../../channels/credentials';
import {
  newTelegramWebhookSecret,
  registerTelegramWebhook,
  TelegramSetupError,
  telegramBotIdentity,
} from '../../channels/telegram/webhook-setup';
import { principalOf } from '../auth';
import {
  ArchivedChannel,
  Channel,
  ChannelList,
  CreateChannelBody,
  CreateChannelEnvelope,
  ListChannelsQuery,
  PatchChannelBody,
  PatchChannelEnvelope,
} from '../channel-schemas';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { IdParams } from '../schemas';

type ChannelDeps = Pick<ApiDeps, 'db' | 'keyring' | 'config'>;

/**
 * 422 `credentials_required` when a carrier channel (one whose provider takes credentials) would run on
 * the environment's account and the deployment does not share it (`SHARED_CARRIER_ACCOUNT=false`, the
 * production default): an org's admin may not claim the operator's numbers or addresses.
 */
function assertSharedAccountAllowed(deps: ChannelDeps, kind: ChannelKind): void {
  if (deps.config.sharedCarrierAccount !== false) return;
  const provider = kindSpec(kind).provider;
  if (!hasCredentialsSchema(provider)) return;
  throw new HttpError(
    422,
    'credentials_required',
    `A ${kindSpec(kind).label} channel needs its own ${provider} credentials on this deployment`,
    {
      fields: [
        { path: 'credentials', message: 'Required: this deployment does not share its carrier accounts', code: 'credentials_required' },
      ],
    },
  );
}

function telegramFailed(err: TelegramSetupError): HttpError {
  return new HttpError(422, 'telegram_webhook_failed', err.message, { method: err.method, telegramStatus: err.status });
}

/**
 * Telegram credentials as given (`botToken`, optional `webhookSecret`) with the secret filled in; other
 * values are returned as they are (the provider schema judges them).
 */
function withWebhookSecret(credentials: Record<string, unknown>): Record<string, unknown> {
  return credentials.webhookSecret === undefined ? { ...credentials, webhookSecret: newTelegramWebhookSecret() } : credentials;
}

/** The step that registers a Telegram channel's webhook before its row commits (422 on a Bot API error). */
function registerWebhookStep(deps: ChannelDeps, credentials: Record<string, unknown>): WriteOptions {
  return {
    beforeCommit: async (row) => {
      try {
        await registerTelegramWebhook({
          botToken: String(credentials.botToken),
          apiRoot: deps.config.telegram?.apiRoot,
          url: channelWebhookUrl(deps.config.publicBaseUrl, row)!,
          secretToken: String(credentials.webhookSecret),
        });
      } catch (err) {
        if (err instanceof TelegramSetupError) throw telegramFailed(err);
        throw err;
      }
    },
  };
}

/** The routes under `/v1/channels` (behind auth and `express.json()`). */
export const channelRoutes: RouteDefinition<ChannelDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/channels',
      auth: 'staff',
      operationId: 'listChannels',
      tags: ['channels'],
      summary: "List the org's channels, oldest first (archived ones with includeArchived=true)",
      request: { query: ListChannelsQuery },
      response: { status: 200, schema: ChannelList, description: 'The channels' },
      errors: [400],
    },
    ({ db, config }) =>
      async (req, res) => {
        const me = principalOf(res);
        const query = ListChannelsQuery.parse(req.query);
        const rows = await listChannels(db, me.orgId, { includeArchived: query.includeArchived === true });
        res.json({ data: rows.map((row) => channelView(row, config.publicBaseUrl)) });
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/channels',
      auth: 'staff',
      role: 'admin',
      operationId: 'createChannel',
      tags: ['channels'],
      summary: 'Connect a channel with its carrier credentials (admins only)',
      request: { body: CreateChannelBody },
      response: { status: 201, schema: Channel, description: 'The channel (without its credentials)' },
      errors: [
        { status: 409, description: '`channel_address_taken`: a live channel of the kind has this address' },
        {
          status: 422,
          description:
            '`invalid_credentials` (details.fields), `credentials_not_supported`, `credentials_required` (SHARED_CARRIER_ACCOUNT=false), `invalid_address`, `address_required`, ' +
            '`telegram_webhook_failed` (the Bot API refused getMe or setWebhook; nothing stored)',
        },
      ],
    },
    (deps) => async (req, res) => {
      const me = principalOf(res);
      const body = CreateChannelEnvelope.parse(req.body);
      const id = randomUUID();
      let { address } = body;
      let credentials = body.credentials;
      let options: WriteOptions = {};
      if (body.kind === 'telegram' && credentials !== undefined) {
        credentials = withWebhookSecret(credentials);
        checkCredentials('telegram', credentials);
        if (address === undefined) {
          try {
            address = (await telegramBotIdentity(String(credentials.botToken), deps.config.telegram?.apiRoot)).username;
          } catch (err) {
            if (err instanceof TelegramSetupError) throw telegramFailed(err);
            throw err;
          }
        }
        options = registerWebhookStep(deps, credentials);
      }
      if (credentials === undefined) assertSharedAccountAllowed(deps, body.kind);
      if (address === undefined) {
        throw new HttpError(422, 'address_required', `A ${kindSpec(body.kind).label} channel needs an address`, {
          fields: [{ path: 'address', message: 'Required', code: 'invalid_type' }],
        });
      }
      const row = await createChannel(
        deps.db,
        deps.keyring,
        { id, orgId: me.orgId, kind: body.kind, name: body.name, address, settings: body.settings, credentials },
        auditActorOf(me),
        options,
      );
      res.status(201).json(channelView(row, deps.config.publicBaseUrl));
    },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/channels/:id',
      auth: 'staff',
      operationId: 'getChannel',
      tags: ['channels'],
      summary: 'Get a channel (live or archived)',
      request: { params: IdParams },
      response: { status: 200, schema: Channel, description: 'The channel' },
      errors: [400, 404],
    },
    ({ db, config }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const row = await findChannel(db, me.orgId, id);
        if (!row) throw notFound('Channel');
        res.json(channelView(row, config.publicBaseUrl));
      },
  ),
  defineRoute(
    {
      method: 'patch',
      path: '/v1/channels/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'updateChannel',
      tags: ['channels'],
      summary: "Rename a channel, replace its settings or its credentials (admins only; kind and address can't change)",
      request: { params: IdParams, body: PatchChannelBody },
      response: { status: 200, schema: Channel, description: 'The updated channel' },
      errors: [
        400,
        404,
        { status: 409, description: '`channel_archived`: an archived channel cannot change' },
        {
          status: 422,
          description:
            '`invalid_credentials`, `credentials_not_supported`, `credentials_required` (removing them when SHARED_CARRIER_ACCOUNT=false), `telegram_webhook_failed`',
        },
      ],
    },
    (deps) => async (req, res) => {
      const me = principalOf(res);
      const { id } = IdParams.parse(req.params);
      const body = PatchChannelEnvelope.parse(req.body);
      const current = await findChannel(deps.db, me.orgId, id);
      if (!current) throw notFound('Channel');
      let credentials = body.credentials;
      let options: WriteOptions = {};
      if (credentials === null) assertSharedAccountAllowed(deps, current.kind);
      if (current.provider === 'telegram' && credentials !== undefined && credentials !== null) {
        credentials = withWebhookSecret(credentials);
        options = registerWebhookStep(deps, credentials);
      }
      const row = await updateChannel(
        deps.db,
        deps.keyring,
        me.orgId,
        id,
        { name: body.name, settings: body.settings, credentials },
        auditActorOf(me),
        options,
      );
      if (!row) throw notFound('Channel');
      res.json(channelView(row, deps.config.publicBaseUrl));
    },
  ),
  defineRoute(
    {
      method: 'delete',
      path: '/v1/channels/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'deleteChannel',
      tags: ['channels'],
      summary: 'Delete a channel; one with conversations is archived instead (admins only)',
      request: { params: IdParams },
      response: { status: 204, description: 'Deleted (the channel had no conversations)' },
      otherResponses: {
        200: {
          description: 'Archived instead (the channel has conversations): it takes no new messages, its address can be connected again',
          content: { 'application/json': { schema: ArchivedChannel } },
        },
      },
      errors: [400, 404],
    },
    ({ db, config }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const removed = await archiveOrDeleteChannel(db, me.orgId, id, auditActorOf(me));
        if (removed.kind === 'not_found') throw notFound('Channel');
        if (removed.kind === 'deleted') {
          res.status(204).end();
          return;
        }
        res.json({ archived: true, channel: channelView(removed.row, config.publicBaseUrl) });
      },
  ),
];

/** Builds the channels router (mounted under `/v1/channels`, behind auth and `express.json()`). */
export function channelsRouter(deps: ChannelDeps): Router {
  return routerFor(channelRoutes, deps, { prefix: '/v1/channels', auth: 'staff' });
}
