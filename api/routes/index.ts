/**
 * The route registry: every route the app serves, as declared beside its handler with `defineRoute`
 * (`api/http/define-route.ts`). `buildOpenApiDocument()` (`api/openapi.ts`) documents exactly these,
 * and tests enumerate them (e.g. every `staff` route answers 401 without a token). `api/app.ts` mounts
 * each list's router; a test checks that the app serves exactly the routes listed here.
 * `GET /openapi.json` itself is the one route outside it: the document does not describe itself.
 */
import { CHANNEL_ADAPTERS } from '../../channels';
import type { RouteSpec } from '../http/define-route';
import { aiAssistantRoutes } from './ai-assistant';
import { aiTrainingPairRoutes } from './ai-training-pairs';
import { apiKeyRoutes } from './api-keys';
import { attachmentRoutes, mediaRoutes } from './attachments';
import { auditLogRoutes } from './audit-log';
import { authRoutes } from './auth';
import { channelRoutes } from './channels';
import { twilioOnboardingRoutes } from './twilio-onboarding';
import { contactRoutes } from './contacts';
import { conversationsBetweenRoutes } from './conversations-between';
import { conversationStatsRoutes } from './conversation-stats';
import { conversationViewRoutes } from './conversation-views';
import { conversationRoutes } from './conversations';
import { overdueCountRoutes, slaRoutes } from './sla';
import { healthRoutes } from './health';
import { inboxFeedRoutes } from './inbox-feed';
import { meRoutes } from './me';
import { sendTemplateRoutes } from './send-template';
import { staffRoutes } from './staff';
import { teamRoutes } from './teams';
import { templateRoutes } from './templates';
import { todoRoutes } from './todos';

/** Every declared route, in document order. */
export const API_ROUTES: readonly RouteSpec[] = [
  ...conversationStatsRoutes,
  ...slaRoutes,
  ...overdueCountRoutes,
  ...conversationViewRoutes,
  ...conversationRoutes,
  ...contactRoutes,
  ...conversationsBetweenRoutes,
  ...inboxFeedRoutes,
  ...templateRoutes,
  ...sendTemplateRoutes,
  ...aiAssistantRoutes,
  ...aiTrainingPairRoutes,
  ...todoRoutes,
  ...authRoutes,
  ...meRoutes,
  ...apiKeyRoutes,
  ...auditLogRoutes,
  ...staffRoutes,
  ...teamRoutes,
  ...channelRoutes,
  ...twilioOnboardingRoutes,
  ...attachmentRoutes,
  ...mediaRoutes,
  // every channel's inbound webhooks (channels/<provider>/webhooks.ts)
  ...CHANNEL_ADAPTERS.flatMap((channel) => channel.webhookRoutes ?? []),
  ...healthRoutes,
].map((route) => route.spec);
