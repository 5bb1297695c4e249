/** The Postmark stand-in lives in channels/postmark/standin.ts (npm start uses it in development); tests import it from here. */
export * from '../../channels/postmark/standin';
