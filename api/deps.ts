import type { Config } from '../config';
import type { Logger } from '../config/logger';
import type { Db } from '../db/client';
import type { ConversationClient } from './conversation-client';

/** What the Express app needs from the process (injected, so tests wire real instances). */
export interface ApiDeps {
  db: Db;
  conversations: ConversationClient;
  config: Pick<Config, 'jwtSecret' | 'publicBaseUrl' | 'twilio'>;
  logger: Logger;
}
