/** The Twilio stand-in lives in scripts/ (npm start uses it in development); tests import it from here. */
export * from '../../scripts/twilio-standin';
