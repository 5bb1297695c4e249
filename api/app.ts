/**
 * The Express app: `/healthz`, `/openapi.json`, every channel's webhooks (`/webhooks/<provider>`), signed `/media`, and
 * the JWT-protected `/v1` API. The routes are declared in `api/routes/*` with `defineRoute`
 * (registry: `api/routes/index.ts`); this file mounts their routers in Express match order.
 */
import express, { type Express, type RequestHandler } from 'express';
import { CHANNEL_ADAPTERS } from '../channels';
import { requireAuth } from './auth';
import { mediaSigningSecret } from '../db/media-urls';
import type { ApiDeps } from './deps';
import { HttpError, errorHandler, unknownRoute } from './errors';
import { buildOpenApiDocument } from './openapi';
import { contactsRouter } from './routes/contacts';
import { conversationsRouter } from './routes/conversations';
import { conversationsBetweenRouter } from './routes/conversations-between';
import { aiAssistantRouter } from './routes/ai-assistant';
import { aiTrainingPairsRouter } from './routes/ai-training-pairs';
import { attachmentsRouter, mediaRouter } from './routes/attachments';
import { apiKeysRouter } from './routes/api-keys';
import { auditLogRouter } from './routes/audit-log';
import { authRouter } from './routes/auth';
import { channelsRouter } from './routes/channels';
import { twilioOnboardingRouter } from './routes/twilio-onboarding';
import { conversationStatsRouter } from './routes/conversation-stats';
import { conversationViewsRouter } from './routes/conversation-views';
import { overdueCountRouter, slaRouter } from './routes/sla';
import { healthRouter } from './routes/health';
import { inboxFeedRouter } from './routes/inbox-feed';
import { meRouter } from './routes/me';
import { sendTemplateRouter } from './routes/send-template';
import { staffRouter } from './routes/staff';
import { teamsRouter } from './routes/teams';
import { templatesRouter } from './routes/templates';
import { todosRouter } from './routes/todos';

/** `Content-Encoding`s the JSON and form body parsers decode (body-parser's `inflate`). */
const DECODED_ENCODINGS: ReadonlySet<string> = new Set(['identity', 'gzip', 'deflate', 'br']);

/**
 * Rejects a request body in a `Content-Encoding` the server does not decode with 415
 * `unsupported_content_encoding` before any route reads it: anything but identity / gzip / deflate /
 * br, or any encoding on a multipart upload (multer reads the raw bytes). A body that does not decode
 * as its encoding says is a 400 `invalid_body` from the body parser.
 */
const supportedContentEncoding: RequestHandler = (req, _res, next) => {
  const header = req.headers['content-encoding'];
  if (header === undefined) return next();
  const encodings = header
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  const multipart = Boolean(req.is('multipart/*'));
  const ok = encodings.length <= 1 && encodings.every((e) => (multipart ? e === 'identity' : DECODED_ENCODINGS.has(e)));
  if (ok) return next();
  next(
    new HttpError(415, 'unsupported_content_encoding', `Content-Encoding "${header}" is not supported; send identity, gzip, deflate or br`),
  );
};

/** Builds the app (does not listen). */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  const openapi = buildOpenApiDocument();

  app.use('/healthz', healthRouter(deps));
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  app.use(supportedContentEncoding);
  // every channel's inbound webhooks, at /webhooks/<provider> (channels/<provider>/webhooks.ts)
  for (const channel of CHANNEL_ADAPTERS) {
    if (channel.webhooks) app.use(`/webhooks/${channel.provider}`, channel.webhooks(deps));
  }
  app.use('/media', mediaRouter({ db: deps.db, blobs: deps.blobs, secret: mediaSigningSecret(deps.config.jwtSecret) }));

  // public sign-in routes, before the /v1 JWT middleware
  app.use('/v1/auth', authRouter(deps));
  const v1 = express.Router();
  v1.use(requireAuth(deps.config.jwtSecret, deps.db));
  v1.use(express.json({ limit: '1mb' }));
  // before the conversations router, whose `/:id` would take `stats` for an id
  v1.use('/conversations/stats', conversationStatsRouter(deps));
  v1.use('/conversations/sla', slaRouter(deps));
  v1.use('/conversations/overdue', overdueCountRouter(deps));
  v1.use('/conversations/views', conversationViewsRouter(deps));
  v1.use('/conversations/between', conversationsBetweenRouter(deps));
  v1.use('/conversations', conversationsRouter(deps));
  v1.use('/contacts', contactsRouter(deps));
  v1.use('/me', meRouter(deps));
  v1.use('/staff', staffRouter(deps));
  v1.use('/teams', teamsRouter(deps));
  v1.use('/attachments', attachmentsRouter({ db: deps.db, blobs: deps.blobs, maxBytes: deps.config.attachments.maxBytes }));
  v1.use('/templates', templatesRouter(deps));
  v1.use('/channels', channelsRouter(deps));
  v1.use('/communications/twilio', twilioOnboardingRouter(deps));
  v1.use('/todos', todosRouter(deps));
  // before the `/ai-assistant` router
  v1.use('/ai-assistant/training-pairs', aiTrainingPairsRouter(deps));
  v1.use(
    '/ai-assistant',
    aiAssistantRouter({ db: deps.db, openAiAvailable: deps.config.openai?.apiKey !== undefined, conversations: deps.conversations }),
  );
  v1.use('/send-template', sendTemplateRouter(deps));
  v1.use('/api-keys', apiKeysRouter(deps));
  v1.use('/audit-log', auditLogRouter(deps));
  v1.use('/inbox', inboxFeedRouter(deps));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
