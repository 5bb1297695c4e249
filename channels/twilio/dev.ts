/**
 * `npm start` without Twilio credentials: outbound messages go to the local Twilio stand-in (the real
 * SDK still builds every request) and are logged, so replies can be seen working.
 */
import type { DevStandIn } from '../types';
import { startTwilioStub } from './standin';

/** The Twilio stand-in of `npm start` (development only). */
export const TWILIO_DEV_STAND_IN: DevStandIn = {
  async start(config, logger) {
    if (config.env === 'production' || config.twilio.apiBaseUrl || config.twilio.credentialsConfigured) return null;
    return startTwilioStub({
      port: config.twilio.standInPort,
      onRequest: (r) =>
        r.method === 'POST'
          ? logger.info(
              { to: r.form.To, from: r.form.From, body: r.form.Body, status: r.responseStatus },
              'Twilio stand-in received an outbound message',
            )
          : logger.debug({ method: r.method, path: r.path, query: r.query }, 'Twilio stand-in answered a lookup'),
    });
  },
  pointAt: (config, url) => ({ ...config, twilio: { ...config.twilio, apiBaseUrl: url } }),
  summary: (config, standIn) => [
    `  Webhook:     ${config.publicBaseUrl}/webhooks/twilio/messaging`,
    `  Twilio:      ${standIn ? `local stand-in at ${standIn.url} (no TWILIO_ACCOUNT_SID set; outbound messages are logged)` : (config.twilio.apiBaseUrl ?? 'api.twilio.com')}`,
  ],
};
