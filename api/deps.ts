import type { Config } from '../config';
import type { Keyring } from '../config/keyring';
import type { Logger } from '../config/logger';
import type { BlobStore } from '../db/blob-store';
import type { ChannelChanges } from '../db/channel-changes';
import type { Db } from '../db/client';
import type { ConversationClient } from '../workflows/conversation/client';

/** The configuration the API uses (a subset of {@link Config}). */
export interface ApiConfig {
  jwtSecret: string;
  publicBaseUrl: string;
  /**
   * Whether `POST /v1/channels` may create carrier channels without credentials of their own (they then
   * use the environment's accounts; `Config.sharedCarrierAccount`). Absent = allowed (tests, dev).
   */
  sharedCarrierAccount?: boolean;
  /**
   * `authToken` verifies the Twilio webhook signatures of channels without credentials of their own;
   * `apiBaseUrl` (absent / `undefined` = api.twilio.com) is where the Twilio onboarding routes send the SDK's requests.
   */
  twilio: Pick<Config['twilio'], 'authToken'> & Partial<Pick<Config['twilio'], 'apiBaseUrl'>>;
  /** Basic-auth credentials of the Postmark webhooks and the inbound domain of reply addresses. */
  postmark: Pick<Config['postmark'], 'webhookUser' | 'webhookPassword' | 'inboundDomain'>;
  /** Largest attachment accepted, in bytes (413 above). */
  attachments: Pick<Config['attachments'], 'maxBytes'>;
  /** Bot API root Telegram channels are connected through (`setWebhook`, `getMe`); absent / `undefined` = api.telegram.org. */
  telegram?: Pick<Config['telegram'], 'apiRoot'>;
  /** Memory budget of the saved views' counts (`Config.viewCounts`); absent = the default (256 MiB). */
  viewCounts?: Config['viewCounts'];
  /** `apiKey` set = the AI assistant is available (`GET /v1/ai-assistant` → `available`). */
  openai?: Pick<Config['openai'], 'apiKey'>;
}

/** What the Express app needs from the process (injected, so tests wire real instances). */
export interface ApiDeps {
  db: Db;
  conversations: ConversationClient;
  /** Attachment bytes (uploads, inbound email attachments). */
  blobs: BlobStore;
  config: ApiConfig;
  logger: Logger;
  /**
   * Channel change announcements (`db/channel-changes.ts`): the webhook routers' channel directories
   * reload on each. Absent = they rely on their periodic refresh (60 s) and rechecks (tests, scripts).
   */
  channelChanges?: ChannelChanges;
  /** Seals and opens channel credentials at rest (`CREDENTIALS_ENCRYPTION_KEYS`, config/keyring.ts). */
  keyring: Keyring;
}
