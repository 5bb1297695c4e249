/**
 * The Express app: `/healthz`, `/openapi.json`, Twilio webhooks, and the JWT-protected `/v1` API.
 */
import express, { type Express } from 'express';
import { pingDb } from '../db/client';
import { requireAuth } from './auth';
import { mediaSigningSecret } from '../db/media-urls';
import type { ApiDeps } from './deps';
import { errorHandler, unknownRoute } from './errors';
import { buildOpenApiDocument } from './openapi';
import { contactsRouter } from './routes/contacts';
import { conversationsRouter } from './routes/conversations';
import { aiAssistantRouter } from './routes/ai-assistant';
import { aiTrainingPairsRouter } from './routes/ai-training-pairs';
import { attachmentsRouter, mediaRouter } from './routes/attachments';
import { conversationStatsRouter } from './routes/conversation-stats';
import { meRouter } from './routes/me';
import { postmarkWebhooksRouter } from './routes/postmark-webhooks';
import { sendTemplateRouter } from './routes/send-template';
import { templatesRouter } from './routes/templates';
import { todosRouter } from './routes/todos';
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
  app.use('/webhooks/postmark', postmarkWebhooksRouter(deps));
  app.use('/media', mediaRouter({ db: deps.db, blobs: deps.blobs, secret: mediaSigningSecret(deps.config.jwtSecret) }));

  const v1 = express.Router();
  v1.use(requireAuth(deps.config.jwtSecret));
  v1.use(express.json({ limit: '1mb' }));
  // before the conversations router, whose `/:id` would take `stats` for an id
  v1.use('/conversations/stats', conversationStatsRouter(deps));
  v1.use('/conversations', conversationsRouter(deps));
  v1.use('/contacts', contactsRouter(deps));
  v1.use('/me', meRouter(deps));
  v1.use('/attachments', attachmentsRouter({ db: deps.db, blobs: deps.blobs, maxBytes: deps.config.attachments.maxBytes }));
  v1.use('/templates', templatesRouter(deps));
  v1.use('/todos', todosRouter(deps));
  // before the `/ai-assistant` router
  v1.use('/ai-assistant/training-pairs', aiTrainingPairsRouter(deps));
  v1.use(
    '/ai-assistant',
    aiAssistantRouter({ db: deps.db, openAiAvailable: deps.config.openai?.apiKey !== undefined, conversations: deps.conversations }),
  );
  v1.use('/send-template', sendTemplateRouter(deps));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
