/** The Postmark stand-in lives in scripts/ (npm start can use it in development); tests import it from here. */
export * from '../../scripts/postmark-standin';
