/** The lookup that routes a Twilio status callback to our message. */
import type { Db } from '../../db/client';

/**
 * The Twilio message a status callback is about, with its conversation's channel (whose account must
 * have signed the callback): by our own message id when the callback URL carried one (`messageId`, a
 * UUID), else by Twilio's `MessageSid`. `undefined` if no Twilio message matches.
 */
export async function findTwilioMessageForStatus(
  db: Db,
  messageId: string | undefined,
  messageSid: string,
): Promise<{ message_id: string; channel_id: string } | undefined> {
  return db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['m.id as message_id', 'c.channel_id'])
    .where('m.provider', '=', 'twilio')
    .where((eb) =>
      messageId && /^[0-9a-f-]{36}$/i.test(messageId) ? eb('m.id', '=', messageId) : eb('m.provider_message_id', '=', messageSid),
    )
    .executeTakeFirst();
}
