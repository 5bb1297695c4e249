/** The Twilio stand-in lives in channels/twilio/standin.ts (npm start uses it in development); tests import it from here. */
export * from '../../channels/twilio/standin';
