/**
 * Simulates an inbound carrier webhook (Twilio SMS / WhatsApp, Postmark email, Telegram) against a
 * running Switchboard API.
 *
 *   npm run simulate -- --from +15551234567 --body "Hi"
 *   npm run simulate -- --from +447700900123 --body "Hola" --whatsapp
 *   npm run simulate -- --from +15551234567 --body "see photo" --media https://example.test/a.jpg --media https://example.test/b.png
 *
 *   npm run simulate -- --email amara@example.net --subject "Order 4821" --body "Wrong size"
 *
 *   npm run simulate -- --telegram 123456789 --body "Hi from Telegram" --name "Ada Lovelace"
 *   npm run simulate -- --telegram 123456789 --message-id 7 --body "edited text" --edit
 *
 * Options:
 *   --from E164        sender (required for SMS / WhatsApp)
 *   --email ADDRESS    send an inbound EMAIL from this address instead (Postmark inbound webhook, Basic auth
 *                      with POSTMARK_INBOUND_USER / POSTMARK_INBOUND_PASSWORD; To = --to or support@demo.example)
 *   --telegram CHAT_ID send a Telegram Update (a private chat's message) to the demo Telegram channel's
 *                      webhook (`X-Telegram-Bot-Api-Secret-Token` = the demo secret; --channel another one)
 *   --message-id N     Telegram message_id (default: fresh per run); with --edit an edited_message of it
 *   --edit             Telegram: the customer edited message --message-id
 *   --channel ID       Telegram: the channel id in the webhook URL (default the demo Telegram channel)
 *   --secret TOKEN     Telegram: the webhook secret (default the demo channel's)
 *   --subject TEXT     email subject (default "Hello")
 *   --reply-token TOK  email: the `+token` of a conversation's Reply-To address (MailboxHash), to answer in it
 *   --body TEXT        message text (required unless --media is given)
 *   --whatsapp         WhatsApp instead of SMS (`whatsapp:`-prefixed From/To, WaId, ProfileName)
 *   --media URL        attach media (repeatable) → NumMedia, MediaUrlN, MediaContentTypeN
 *   --to NUMBER        our number (default +15005550006, or whatsapp:+14155238886 with --whatsapp)
 *   --sid SID          MessageSid to use (default: fresh SM…/MM… per run; reuse one to test idempotency)
 *   --name NAME        WhatsApp ProfileName (default: the sample's)
 *   --url BASE         API base URL (default: $PUBLIC_BASE_URL or http://127.0.0.1:$PORT, PORT default 3000)
 *
 * The Twilio body carries the fields Twilio sends (see scripts/twilio-form.ts) and is signed with
 * `X-Twilio-Signature` using $TWILIO_AUTH_TOKEN (default `dev-twilio-auth-token`) for the URL
 * `<base>/webhooks/twilio/messaging` — the same URL the API must reconstruct to validate it.
 * `AccountSid` is $TWILIO_ACCOUNT_SID when set. Prints status and response body; exit code 1 on non-2xx.
 */
import { parseArgs } from 'node:util';
import { DEV_DEFAULTS, loadConfig } from '../config';
import { DEMO } from '../db/seed';
import { buildInboundMessageForm, postTwilioWebhook } from './twilio-form';

const USAGE =
  'usage: npm run simulate -- --from +15551234567 --body "Hi" [--whatsapp] [--media URL]... ' +
  '[--to +15005550006] [--sid SM...] [--name NAME] [--url http://127.0.0.1:3000]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      body: { type: 'string' },
      whatsapp: { type: 'boolean', default: false },
      media: { type: 'string', multiple: true },
      to: { type: 'string' },
      sid: { type: 'string' },
      name: { type: 'string' },
      url: { type: 'string' },
      email: { type: 'string' },
      subject: { type: 'string' },
      'reply-token': { type: 'string' },
      telegram: { type: 'string' },
      'message-id': { type: 'string' },
      edit: { type: 'boolean', default: false },
      channel: { type: 'string' },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.email !== undefined) return simulateEmail(values.email, values);
  if (values.telegram !== undefined) return simulateTelegram(values.telegram, values);
  const media = values.media ?? [];
  if (!values.from || (values.body === undefined && media.length === 0)) {
    console.error(USAGE);
    return 2;
  }
  if (values.sid !== undefined && !/^(SM|MM)[0-9a-f]{32}$/.test(values.sid)) {
    console.error(`--sid must look like SM/MM + 32 lowercase hex chars, got ${values.sid}`);
    return 2;
  }

  // Same configuration as the server: the signature is computed for PUBLIC_BASE_URL + path (the URL
  // the server validates against) with TWILIO_AUTH_TOKEN; --url only changes where the POST goes.
  const config = loadConfig();
  const path = '/webhooks/twilio/messaging';
  const url = `${(values.url ?? config.publicBaseUrl).replace(/\/+$/, '')}${path}`;
  const signatureUrl = `${config.publicBaseUrl}${path}`;
  const authToken = config.twilio.authToken;

  const formBody = buildInboundMessageForm({
    from: values.from,
    body: values.body ?? '',
    whatsapp: values.whatsapp,
    to: values.to,
    sid: values.sid,
    media,
    accountSid: process.env.TWILIO_ACCOUNT_SID || undefined,
    profileName: values.name,
  });
  const params = new URLSearchParams(formBody);
  console.log(`POST ${url}`);
  console.log(
    `  MessageSid=${params.get('MessageSid')} From=${params.get('From')} To=${params.get('To')} NumMedia=${params.get('NumMedia')}`,
  );

  let res: Response;
  try {
    res = await postTwilioWebhook({ url, formBody, authToken, signatureUrl });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    console.error(`request failed: ${err instanceof Error ? err.message : String(err)}${cause}`);
    return 1;
  }
  const text = await res.text();
  console.log(`${res.status} ${res.statusText}`);
  if (text) console.log(text);
  return res.ok ? 0 : 1;
}

/**
 * Posts a Telegram Update (what Telegram delivers to a bot's webhook) for a message in the private
 * chat `chatId`, or an edit of one (`--edit --message-id N`).
 */
async function simulateTelegram(
  chatId: string,
  values: { body?: string; name?: string; url?: string; 'message-id'?: string; edit?: boolean; channel?: string; secret?: string },
): Promise<number> {
  const config = loadConfig();
  if (!/^-?\d{1,16}$/.test(chatId) || (values.body ?? '') === '') {
    console.error('usage: npm run simulate -- --telegram <chat id> --body "text" [--name "First Last"] [--message-id N [--edit]]');
    return 2;
  }
  const [firstName, ...rest] = (values.name ?? 'Telegram Customer').split(' ');
  const messageId = values['message-id'] !== undefined ? Number(values['message-id']) : Math.floor(Date.now() / 1000) % 1_000_000_000;
  const date = Math.floor(Date.now() / 1000);
  const message = {
    message_id: messageId,
    from: { id: Number(chatId), is_bot: false, first_name: firstName, ...(rest.length > 0 ? { last_name: rest.join(' ') } : {}) },
    chat: { id: Number(chatId), type: 'private', first_name: firstName },
    date,
    ...(values.edit ? { edit_date: date } : {}),
    text: values.body,
  };
  const update = { update_id: Date.now() % 2_000_000_000, [values.edit ? 'edited_message' : 'message']: message };
  const url = `${(values.url ?? config.publicBaseUrl).replace(/\/+$/, '')}/webhooks/telegram/${values.channel ?? DEMO.telegramChannelId}`;
  console.log(`POST ${url}\n  chat=${chatId} message_id=${messageId}${values.edit ? ' (edit)' : ''}`);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': values.secret ?? DEV_DEFAULTS.telegramWebhookSecret },
      body: JSON.stringify(update),
    });
  } catch (err) {
    console.error(`request failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const text = await res.text();
  console.log(`${res.status} ${res.statusText}`);
  if (text) console.log(text);
  return res.ok ? 0 : 1;
}

/** Posts a Postmark inbound webhook (the JSON Postmark sends for an email to our inbound address). */
async function simulateEmail(
  from: string,
  values: { body?: string; subject?: string; to?: string; name?: string; url?: string; 'reply-token'?: string },
): Promise<number> {
  const config = loadConfig();
  const token = values['reply-token'] ?? '';
  const to = values.to ?? 'support@demo.example';
  const [local, domain] = to.split('@');
  const toAddress = token ? `${local}+${token}@${config.postmark.inboundDomain ?? domain}` : to;
  const messageId = `sim-${Date.now()}-${Math.random().toString(36).slice(2)}@simulator.invalid`;
  const body = {
    FromName: values.name ?? '',
    From: from,
    FromFull: { Email: from, Name: values.name ?? '', MailboxHash: '' },
    To: toAddress,
    ToFull: [{ Email: toAddress, Name: '', MailboxHash: token }],
    Cc: '',
    CcFull: [],
    OriginalRecipient: toAddress,
    Subject: values.subject ?? 'Hello',
    MessageID: crypto.randomUUID(),
    MailboxHash: token,
    Date: new Date().toUTCString(),
    TextBody: values.body ?? '',
    HtmlBody: '',
    StrippedTextReply: '',
    Headers: [{ Name: 'Message-ID', Value: `<${messageId}>` }],
    Attachments: [],
  };
  const url = `${(values.url ?? config.publicBaseUrl).replace(/\/+$/, '')}/webhooks/postmark/inbound`;
  console.log(`POST ${url}\n  From=${from} To=${toAddress} Message-ID=<${messageId}>`);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from(`${config.postmark.webhookUser}:${config.postmark.webhookPassword}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  });
  console.log(`${res.status} ${res.statusText}`);
  const text = await res.text();
  if (text) console.log(text);
  return res.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 2;
  },
);
