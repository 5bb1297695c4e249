import type { Config } from '../config';
import type { Logger } from '../config/logger';
import type { Db } from '../db/client';
import type { ConversationClient } from './conversation-client';

/** What the Express app needs from the process (injected, so tests wire real instances). */
export interface ApiDeps {
  db: Db;
  conversations: ConversationClient;
  /** `twilio.authToken` verifies webhook signatures; the rest of `twilio` is not used by the API. */
  config: Pick<Config, 'jwtSecret' | 'publicBaseUrl'> & { twilio: Pick<Config['twilio'], 'authToken'> & Partial<Config['twilio']> };
  logger: Logger;
}
