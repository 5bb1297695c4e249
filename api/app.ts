/**
 * The Express app: `/healthz`, `/openapi.json`, Twilio webhooks, and the JWT-protected `/v1` API.
 */
import express, { type Express } from 'express';
import { pingDb } from '../db/client';
import { requireAuth } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler, unknownRoute } from './errors';
import { buildOpenApiDocument } from './openapi';
import { contactsRouter } from './routes/contacts';
import { conversationsRouter } from './routes/conversations';
import { meRouter } from './routes/me';
import { twilioWebhooksRouter } from './routes/twilio-webhooks';

/** Builds the app (does not listen). */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  const openapi = buildOpenApiDocument();

  app.get('/healthz', async (_req, res) => {
    const [database, temporal] = await Promise.all([pingDb(deps.db), deps.conversations.ping()]);
    res.status(database && temporal ? 200 : 503).json({ status: database && temporal ? 'ok' : 'degraded', database, temporal });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  app.use('/webhooks/twilio', twilioWebhooksRouter(deps));

  const v1 = express.Router();
  v1.use(requireAuth(deps.config.jwtSecret));
  v1.use(express.json({ limit: '1mb' }));
  v1.use('/conversations', conversationsRouter(deps));
  v1.use('/contacts', contactsRouter(deps));
  v1.use('/me', meRouter(deps));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
