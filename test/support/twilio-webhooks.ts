/**
 * Test-side entry point for Twilio webhook helpers (sample forms, signing, field overrides).
 * The implementation lives in `scripts/twilio-form.ts` so the `npm run simulate` script can share it;
 * see that file for the signature algorithm and why repeated keys become arrays.
 *
 * Typical use:
 *   const body = withFields(readSampleForm('twilio-inbound-sms.form'), { From: '+15551234567', Body: 'Hi' });
 *   const url = `${baseUrl}/webhooks/twilio/messaging`;
 *   await request(app).post('/webhooks/twilio/messaging')
 *     .set('Content-Type', 'application/x-www-form-urlencoded')
 *     .set('X-Twilio-Signature', signTwilioRequest(authToken, url, body))
 *     .send(body);
 */
export { SAMPLES_DIR, readSampleForm } from './contracts';
export {
  formToParams,
  signTwilioRequest,
  withFields,
  newTwilioSid,
  buildInboundMessageForm,
  postTwilioWebhook,
  DEFAULT_SMS_NUMBER,
  DEFAULT_WHATSAPP_NUMBER,
} from '../../scripts/twilio-form';
export type { TwilioParams, InboundMessageOptions, PostTwilioWebhookOptions } from '../../scripts/twilio-form';
