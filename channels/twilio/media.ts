/**
 * Where an inbound Twilio media (MMS / WhatsApp `MediaUrl{N}`) is downloaded: its own URL, with the
 * account's credentials as HTTP Basic auth when the URL is on Twilio's hosts (the fetch follows
 * Twilio's redirect to its media store, which needs none). Source:
 * twilio.com/docs/messaging/guides/media-support — media URLs require auth when "HTTP Basic
 * Authentication for media access" is on; fetch them rather than keeping bare carrier URLs.
 */
import type { Attachment } from '../../domain/message';
import type { MediaDownload } from '../types';

/** What a media download needs: the account's credentials and the hosts that may receive them. */
export interface TwilioMediaAccess {
  /** Account SID (`AC` + 32 hex): the Basic-auth username. */
  accountSid: string;
  /** Auth token: the Basic-auth password. */
  authToken: string;
  /**
   * Host names besides `twilio.com` / `*.twilio.com` whose media URLs get the credentials (a local
   * stand-in's, e.g. `127.0.0.1`); compared case-insensitively, without port.
   */
  extraHosts: readonly string[];
}

/** Whether `host` (a URL's `hostname`) is Twilio's own: `twilio.com` or a sub-domain of it. */
function isTwilioHost(host: string): boolean {
  return host === 'twilio.com' || host.endsWith('.twilio.com');
}

/**
 * Builds the Twilio adapter's `mediaDownload`: an attachment with a `url` is downloaded from it, with
 * `Authorization: Basic base64(accountSid:authToken)` only when its host is Twilio's or one of
 * `access.extraHosts` (never to other hosts: a media URL from a webhook must not leak the token).
 * @returns `null` for an attachment without a `url` (nothing to download)
 * @throws TypeError when `url` is not a valid URL
 */
export function twilioMediaDownload(access: TwilioMediaAccess): (attachment: Attachment) => Promise<MediaDownload | null> {
  const extraHosts = new Set(access.extraHosts.map((h) => h.toLowerCase()));
  const authorization = `Basic ${Buffer.from(`${access.accountSid}:${access.authToken}`).toString('base64')}`;
  return async (attachment) => {
    if (!attachment.url) return null;
    const url = new URL(attachment.url);
    const host = url.hostname.toLowerCase();
    const credentialed = isTwilioHost(host) || extraHosts.has(host);
    const headers: Record<string, string> = credentialed ? { Authorization: authorization } : {};
    return { url: url.href, headers };
  };
}

/**
 * The hosts besides Twilio's that get the credentials: the configured `mediaHosts`, plus the host of
 * `apiBaseUrl` when the SDK is pointed at a stand-in (it serves the media of its messages too).
 */
export function twilioMediaHosts(config: { apiBaseUrl?: string | undefined; mediaHosts?: readonly string[] | undefined }): string[] {
  const hosts = [...(config.mediaHosts ?? [])];
  if (config.apiBaseUrl) hosts.push(new URL(config.apiBaseUrl).hostname);
  return hosts;
}
