/**
 * The Telegram webhook: `POST /webhooks/telegram/:channelId`, where the channel's bot is told to
 * deliver its updates (`setWebhook` with the channel's `webhookSecret` as `secret_token`).
 *
 * - Verified by `X-Telegram-Bot-Api-Secret-Token` against the channel's webhook secret: the one in its
 *   sealed credentials (channels connected through `POST /v1/channels`), else `settings.webhookSecret`
 *   (the dev seed's channel); constant-time compare; 403 `invalid_secret_token` when missing or wrong,
 *   or when the channel has no secret or its credentials do not open: fail closed. 404 `unknown_channel` for a channel id that is not a Telegram channel.
 * - Needs no Postgres: the channel comes from the cached channel map, the contact is found or created
 *   by the workflow's first activity, so while the database is down updates wait in Temporal.
 * - A message → signal-with-start of the conversation workflow (dedupe: the provider message id
 *   `<chat id>:<message_id>`, so a redelivered update is stored once); an edit → the edit signal (the
 *   stored text changes); anything else (groups, bots, stickers, callback queries) → 200, ignored.
 * - 200 `{ ok: true }` once Temporal accepted the signal; 503 when it could not (Telegram redelivers
 *   the update later); 400 for a body that is not an Update.
 * Source: core.telegram.org/bots/api#setwebhook ("secret_token … sent in a header
 * X-Telegram-Bot-Api-Secret-Token in every webhook request"; "In case of an unsuccessful request,
 * we will give up after a reasonable amount of attempts"), #update.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../../api/deps';
import { HttpError } from '../../api/errors';
import { defineRoute, type RouteDefinition, routerFor, type WebhookAuth } from '../../api/http/define-route';
import type { NewConversation } from '../../domain/conversation';
import { conversationIdFor } from '../../domain/routing';
import { ChannelDirectory, type ChannelRoute, telegramCredentialsOf } from '../channel-directory';
import { TELEGRAM_KIND } from './kinds';
import { readTelegramUpdate, TelegramUpdate } from './updates';

/** The header Telegram sends the webhook's secret token in. */
export const TELEGRAM_SECRET_HEADER = 'X-Telegram-Bot-Api-Secret-Token';

/** How Telegram's webhook authenticates: the channel's secret token in `X-Telegram-Bot-Api-Secret-Token` (403 when wrong). */
export const TELEGRAM_WEBHOOK_AUTH: WebhookAuth = {
  webhook: 'telegram',
  scheme: 'telegramSecretToken',
  definition: {
    type: 'apiKey',
    in: 'header',
    name: TELEGRAM_SECRET_HEADER,
    description:
      "The secret token the channel's bot was given with `setWebhook` (https://core.telegram.org/bots/api#setwebhook), " +
      "kept sealed with the Telegram channel's credentials (`POST /v1/channels`); Telegram sends it with every update. Missing or wrong → 403 " +
      '`invalid_secret_token`, nothing stored.',
  },
  errors: [403],
};

/** What the Telegram webhook answers when it took the update (stored, queued or ignored). */
const TelegramWebhookAnswer = z.object({ ok: z.literal(true) }).openapi('TelegramWebhookAnswer');

/** Whether `given` is the channel's webhook secret (constant time; `false` without a usable secret). */
function secretMatches(route: ChannelRoute, given: string | undefined): boolean {
  if (route.credentials === 'unusable') return false;
  const expected = telegramCredentialsOf(route)?.webhookSecret ?? route.settings.webhookSecret;
  if (typeof expected !== 'string' || expected === '' || given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The routes under `/webhooks/telegram`. */
export const telegramWebhookRoutes: RouteDefinition<ApiDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/webhooks/telegram/:channelId',
      auth: TELEGRAM_WEBHOOK_AUTH,
      operationId: 'telegramWebhook',
      tags: ['webhooks'],
      summary: 'Telegram bot webhook (an Update, X-Telegram-Bot-Api-Secret-Token)',
      request: {
        params: z.object({ channelId: z.string().openapi({ description: 'The Telegram channel (inbox) id' }) }),
        body: TelegramUpdate.openapi('TelegramUpdate'),
      },
      response: { status: 200, description: 'Taken: stored, queued for storing, or ignored', schema: TelegramWebhookAnswer },
      errors: [404],
    },
    ({ db, conversations, logger, keyring, channelChanges }) => {
      const channels = new ChannelDirectory(db, logger, [TELEGRAM_KIND.kind], { keyring, changes: channelChanges });
      return async (req, res) => {
        const channelId = String(req.params.channelId);
        const lookup = await channels.lookupById(channelId);
        if (!lookup.found && lookup.reason === 'unknown') throw new HttpError(404, 'unknown_channel', 'No Telegram channel with this id');
        if (!lookup.found) {
          logger.warn(
            { err: String(lookup.error), channelId },
            'channel not cached and the database is unreachable: Telegram will redeliver',
          );
          res.setHeader('Retry-After', '30');
          throw new HttpError(503, 'temporarily_unavailable', 'The update could not be routed right now; retry later');
        }
        const channel = lookup.route;
        if (!secretMatches(channel, req.header(TELEGRAM_SECRET_HEADER))) {
          throw new HttpError(403, 'invalid_secret_token', `${TELEGRAM_SECRET_HEADER} does not match this channel's webhook secret`);
        }
        const parsed = TelegramUpdate.safeParse(req.body);
        if (!parsed.success)
          throw new HttpError(400, 'invalid_update', 'The body is not a Telegram Update', { issues: parsed.error.issues });
        const inbound = readTelegramUpdate(parsed.data);
        if (inbound.type === 'ignored') {
          logger.info({ channelId, updateId: parsed.data.update_id, reason: inbound.reason }, 'Telegram update ignored');
          res.json({ ok: true });
          return;
        }
        const sender = { kind: TELEGRAM_KIND.kind, address: inbound.chatId };
        const conversation: NewConversation = {
          conversationId: conversationIdFor(channel.orgId, channel.channelId, inbound.chatId),
          orgId: channel.orgId,
          channelId: channel.channelId,
          channelKind: TELEGRAM_KIND.kind,
          customer: { ...sender, profileName: inbound.type === 'message' ? inbound.profileName : null },
        };
        try {
          if (inbound.type === 'message') {
            await conversations.deliverInbound(conversation, {
              provider: TELEGRAM_KIND.provider,
              providerMessageId: inbound.providerMessageId,
              text: inbound.text,
              attachments: inbound.attachments,
              profileName: inbound.profileName,
              // a run already going on an erased stand-in moves to the sender's contact (adoptSenderAfterErase)
              from: sender,
            });
          } else {
            await conversations.deliverInboundEdit(conversation, {
              provider: TELEGRAM_KIND.provider,
              providerMessageId: inbound.providerMessageId,
              text: inbound.text,
              editedAt: inbound.editedAt,
            });
          }
        } catch (err) {
          logger.error({ err, conversationId: conversation.conversationId }, 'could not signal conversation workflow');
          throw new HttpError(503, 'temporarily_unavailable', 'The update could not be accepted right now; retry later');
        }
        res.json({ ok: true });
      };
    },
  ),
];

/** Builds the Telegram webhook router (mounted at `/webhooks/telegram`): JSON body (≤ 1 MB), then the routes. */
export function telegramWebhooksRouter(deps: ApiDeps): Router {
  return routerFor(telegramWebhookRoutes, deps, {
    prefix: '/webhooks/telegram',
    auth: TELEGRAM_WEBHOOK_AUTH,
    before: [express.json({ limit: '1mb' })],
  });
}
