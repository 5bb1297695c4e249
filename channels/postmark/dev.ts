/**
 * `npm start` without POSTMARK_SERVER_TOKEN: a local Postmark stand-in receives what the SDK sends and
 * logs each outbound email.
 */
import type { DevStandIn } from '../types';
import { startPostmarkStandIn } from './standin';

/** The Postmark stand-in of `npm start` (development only). */
export const POSTMARK_DEV_STAND_IN: DevStandIn = {
  async start(config, logger) {
    if (config.env === 'production' || config.postmark.apiBaseUrl || config.postmark.credentialsConfigured) return null;
    return startPostmarkStandIn({
      serverToken: config.postmark.serverToken,
      onRequest: (r) => {
        if (r.method !== 'POST') return logger.debug({ method: r.method, path: r.path }, 'Postmark stand-in answered a lookup');
        const body = (r.body ?? {}) as { To?: unknown; ReplyTo?: unknown; Subject?: unknown; TextBody?: unknown };
        logger.info(
          { to: body.To, replyTo: body.ReplyTo, subject: body.Subject, body: body.TextBody, status: r.responseStatus },
          'Postmark stand-in received an outbound email',
        );
      },
    });
  },
  pointAt: (config, url) => ({ ...config, postmark: { ...config.postmark, apiBaseUrl: url } }),
  summary: (config, standIn) => [
    `  Postmark:    ${standIn ? `local stand-in at ${standIn.url} (no POSTMARK_SERVER_TOKEN set; outbound email is logged)` : (config.postmark.apiBaseUrl ?? 'api.postmarkapp.com')}`,
    `  Email in:    ${config.publicBaseUrl}/webhooks/postmark/inbound (Basic ${config.postmark.webhookUser}:…)`,
  ],
};
