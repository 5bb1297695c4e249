/**
 * A local Telegram Bot API stand-in (node:http) for tests and `npm start`: the real `grammy` client
 * talks to it through its `apiRoot` option, exactly as it talks to `https://api.telegram.org`.
 *
 * Source: core.telegram.org/bots/api ("Making requests": `POST <root>/bot<token>/<method>` with a
 * JSON, form or multipart body; every answer is `{ ok: true, result }` or
 * `{ ok: false, error_code, description, parameters? }`; "getFile": files are downloaded from
 * `<root>/file/bot<token>/<file_path>`).
 *
 * Methods: `getMe`, `setWebhook`, `deleteWebhook`, `getWebhookInfo`, `sendMessage`, `sendPhoto`,
 * `sendDocument` (multipart uploads or a `file_id` / URL string), `sendMediaGroup` (`attach://` uploads;
 * each item is recorded as a `sendPhoto` / `sendDocument` in `sent`), `sendChatAction`, `getFile`; any
 * other method answers 404 `Not Found`, a wrong token 401 `Unauthorized`. More bots than the one it
 * starts with can be added (`addBot`): each token is answered as its own bot and its webhook is kept
 * apart (`webhooks`), so tests can connect several Telegram channels.
 * - A chat the bot never heard from (see {@link TelegramStandIn.knowChat}, {@link TelegramStandIn.update})
 *   answers 400 `Bad Request: chat not found`; a blocked one ({@link TelegramStandIn.block}) 403
 *   `Forbidden: bot was blocked by the user`.
 * - `failNext(method, error)` queues a canned error for that method's next call (FIFO), e.g.
 *   `{ error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } }`.
 * - `update(…)` builds an Update with a fresh `update_id` (what Telegram would POST to the bot's
 *   webhook); `addFile(bytes, …)` stores a file the bot can `getFile` and download.
 * Every request is recorded (`requests`), every accepted send is kept (`sent`); `holdSends(true)`
 * holds the answers of accepted sends (the moment a crashed sender leaves behind).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeldAnswers, listenOnLoopback, sendJson } from '../../scripts/loopback-server';

/** A Bot API error answer (`ok: false`). */
export interface BotApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** One request as the stand-in received it. */
export interface RecordedBotApiRequest {
  /** Bot API method (`sendMessage`, …) or `file` for downloads. */
  method: string;
  /** The token in the path. */
  token: string;
  /** Parameters: JSON body, form fields or multipart text fields. */
  params: Record<string, unknown>;
  /** Uploaded files of a multipart request, by field name. */
  files: Record<string, { name: string; type: string; bytes: Buffer }>;
  /** HTTP status answered. */
  status: number;
}

/** A message the bot sent, as stored by the stand-in. */
export interface SentTelegramMessage {
  method: 'sendMessage' | 'sendPhoto' | 'sendDocument';
  chatId: string;
  messageId: number;
  text: string | null;
  caption: string | null;
  /** The uploaded file (multipart) or the `file_id` / URL string the bot passed. */
  file: { name: string; type: string; bytes: Buffer } | string | null;
}

/** A file the stand-in serves through `getFile` and `/file/bot<token>/<path>`. */
interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  path: string;
  bytes: Buffer;
  mimeType: string;
}

/** Options of {@link startTelegramStandIn}. */
export interface TelegramStandInOptions {
  /** The bot token requests must carry (`<id>:<secret>`, e.g. `123456:TEST`). */
  token: string;
  /** The bot's username (`getMe`), default `switchboard_test_bot`. */
  username?: string;
  /** TCP port (default 0 = a free port). */
  port?: number;
  /** Every chat counts as known (no 400 `chat not found`): `npm start`, where updates come from the simulator. */
  acceptAnyChat?: boolean;
  /** Called with every recorded request (after it was answered), e.g. to log sends. */
  onRequest?: (request: RecordedBotApiRequest) => void;
}

/** A running stand-in; see the module docs. */
export interface TelegramStandIn {
  /** Base URL to pass as grammy's `apiRoot` (`http://127.0.0.1:<port>`). */
  url: string;
  /** The bot's numeric id (the token's part before `:`). */
  botId: number;
  requests: RecordedBotApiRequest[];
  sent: SentTelegramMessage[];
  /** The webhook set with `setWebhook` by the main bot (`null` until then or after `deleteWebhook`). */
  webhook: { url: string; secretToken: string | null } | null;
  /** The webhook each bot (main and added ones) set, by token; absent until its `setWebhook`. */
  webhooks: Map<string, { url: string; secretToken: string | null; allowedUpdates: string[] | null }>;
  /** Lets another bot use this stand-in: requests with `token` are answered as that bot (`getMe` → `username`). */
  addBot(token: string, username: string): void;
  /** Lets the bot write to `chatId` (a private chat whose user pressed Start). */
  knowChat(chatId: number | string): void;
  /** The user of `chatId` blocks the bot: sends answer 403. */
  block(chatId: number | string): void;
  /** Queues `error` as the answer to the next call of `method`. */
  failNext(method: string, error: BotApiError): void;
  /**
   * `true`: accepted sends are stored (in `sent`) at once but their answer is held until
   * {@link releaseHeld} or the client disconnects (a sender that dies mid-call).
   */
  holdSends(on: boolean): void;
  /** How many send answers are held right now. */
  readonly heldCount: number;
  /** Releases every held answer. */
  releaseHeld(): void;
  /** Stores a file; returns what a message's `photo` / `document` carries. */
  addFile(bytes: Buffer, mimeType: string): { file_id: string; file_unique_id: string; file_size: number };
  /**
   * Builds the Update Telegram would deliver for a user message in a private chat (and knows the
   * chat). `edit` = an `edited_message` of `messageId` with `edit_date`.
   */
  update(input: {
    chatId: number;
    firstName?: string;
    lastName?: string;
    username?: string;
    text?: string;
    caption?: string;
    messageId?: number;
    photo?: { file_id: string; file_unique_id: string; file_size: number };
    document?: { file_id: string; file_unique_id: string; file_size: number; file_name?: string; mime_type?: string };
    edit?: boolean;
    date?: number;
  }): Record<string, unknown> & { update_id: number };
  stop(): Promise<void>;
}

const ok = (res: ServerResponse, result: unknown) => sendJson(res, 200, { ok: true, result });
const fail = (res: ServerResponse, error: BotApiError) => sendJson(res, error.error_code, { ok: false, ...error });

/** Reads the request's parameters the way the Bot API accepts them (JSON, urlencoded, multipart). */
async function readParams(req: IncomingMessage): Promise<Pick<RecordedBotApiRequest, 'params' | 'files'>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  const params: Record<string, unknown> = {};
  const files: RecordedBotApiRequest['files'] = {};
  if (body.length === 0) return { params, files };
  if (type.startsWith('application/json')) return { params: JSON.parse(body.toString('utf8')) as Record<string, unknown>, files };
  if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
    return { params, files };
  }
  if (type.startsWith('multipart/form-data')) {
    // the web platform's multipart parser (undici), as a server would use it
    const form = await new Request('http://standin.invalid/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
    for (const [k, v] of form) {
      if (typeof v === 'string') params[k] = v;
      else files[k] = { name: v.name, type: v.type, bytes: Buffer.from(await v.arrayBuffer()) };
    }
  }
  return { params, files };
}

/** Starts the stand-in on 127.0.0.1. */
export async function startTelegramStandIn(options: TelegramStandInOptions): Promise<TelegramStandIn> {
  const botId = Number(options.token.split(':')[0]);
  const username = options.username ?? 'switchboard_test_bot';
  const knownChats = new Set<string>();
  const blockedChats = new Set<string>();
  const queued = new Map<string, BotApiError[]>();
  const files = new Map<string, StoredFile>();
  const nextMessageId = new Map<string, number>();
  let nextUpdateId = 100_000;
  const held = new HeldAnswers();
  const bots = new Map<string, { id: number; is_bot: true; first_name: string; username: string }>([
    [options.token, { id: botId, is_bot: true, first_name: 'Switchboard', username }],
  ]);

  const newMessageId = (chatId: string): number => {
    const id = (nextMessageId.get(chatId) ?? 0) + 1;
    nextMessageId.set(chatId, id);
    return id;
  };
  const chatOf = (chatId: string) => ({ id: Number(chatId), type: 'private', first_name: 'Customer' });

  const standIn: TelegramStandIn = {
    url: '',
    botId,
    requests: [],
    sent: [],
    webhook: null,
    webhooks: new Map(),
    addBot(token, botUsername) {
      bots.set(token, { id: Number(token.split(':')[0]), is_bot: true, first_name: botUsername, username: botUsername });
    },
    knowChat: (chatId) => void knownChats.add(String(chatId)),
    block: (chatId) => void blockedChats.add(String(chatId)),
    failNext(method, error) {
      queued.set(method, [...(queued.get(method) ?? []), error]);
    },
    holdSends(on) {
      held.holding = on;
    },
    get heldCount() {
      return held.count;
    },
    releaseHeld: () => held.releaseAll(),
    addFile(bytes, mimeType) {
      const fileUniqueId = randomBytes(8).toString('hex');
      const fileId = `F${randomBytes(12).toString('hex')}`;
      const extension = mimeType.split('/')[1]?.split(';')[0] ?? 'bin';
      files.set(fileId, { fileId, fileUniqueId, path: `files/${fileUniqueId}.${extension}`, bytes, mimeType });
      return { file_id: fileId, file_unique_id: fileUniqueId, file_size: bytes.length };
    },
    update(input) {
      const chatId = String(input.chatId);
      knownChats.add(chatId);
      const from = {
        id: input.chatId,
        is_bot: false,
        first_name: input.firstName ?? 'Ada',
        ...(input.lastName ? { last_name: input.lastName } : {}),
        ...(input.username ? { username: input.username } : {}),
      };
      const date = input.date ?? Math.floor(Date.now() / 1000);
      const message = {
        message_id: input.messageId ?? newMessageId(chatId),
        from,
        chat: { id: input.chatId, type: 'private', first_name: from.first_name },
        date,
        ...(input.edit ? { edit_date: date + 1 } : {}),
        ...(input.text !== undefined ? { text: input.text } : {}),
        ...(input.caption !== undefined ? { caption: input.caption } : {}),
        ...(input.photo
          ? {
              photo: [
                { ...input.photo, file_id: `${input.photo.file_id}-thumb`, width: 90, height: 90 },
                { ...input.photo, width: 1280, height: 960 },
              ],
            }
          : {}),
        ...(input.document ? { document: input.document } : {}),
      };
      return { update_id: nextUpdateId++, [input.edit ? 'edited_message' : 'message']: message };
    },
    stop: async () => undefined,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://standin.invalid').pathname;
    const fileRoute = /^\/file\/bot([^/]+)\/(.+)$/.exec(path);
    if (fileRoute) {
      const [, token, filePath] = fileRoute;
      const file = [...files.values()].find((f) => f.path === filePath);
      standIn.requests.push({ method: 'file', token: token!, params: { path: filePath }, files: {}, status: file ? 200 : 404 });
      if (!bots.has(token!) || !file) return fail(res, { error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.length });
      res.end(file.bytes);
      return;
    }
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(path);
    const { params, files: uploads } = await readParams(req);
    const record = (status: number) => {
      const request = { method: route?.[2] ?? path, token: route?.[1] ?? '', params, files: uploads, status };
      standIn.requests.push(request);
      options.onRequest?.(request);
    };
    const answerError = (error: BotApiError) => {
      record(error.error_code);
      fail(res, error);
    };
    if (!route) return answerError({ error_code: 404, description: 'Not Found' });
    const [, token, method] = route as unknown as [string, string, string];
    const bot = bots.get(token);
    if (bot === undefined) return answerError({ error_code: 401, description: 'Unauthorized' });
    const canned = queued.get(method)?.shift();
    if (canned) return answerError(canned);

    const chatId = params.chat_id === undefined ? undefined : String(params.chat_id);
    const needsChat = () => {
      if (chatId === undefined) return { error_code: 400, description: 'Bad Request: chat_id is empty' };
      if (blockedChats.has(chatId)) return { error_code: 403, description: 'Forbidden: bot was blocked by the user' };
      if (!knownChats.has(chatId) && !options.acceptAnyChat) return { error_code: 400, description: 'Bad Request: chat not found' };
      return null;
    };
    const answer = (result: unknown) => {
      record(200);
      ok(res, result);
    };
    /** The answer of an accepted send: held while `holdSends(true)` (the message is sent already). */
    const answerSend = async (result: unknown) => {
      if (held.holding) {
        record(200);
        await held.until(res);
        if (res.destroyed || res.writableEnded) return;
        ok(res, result);
        return;
      }
      answer(result);
    };

    switch (method) {
      case 'getMe':
        return answer(bot);
      case 'setWebhook': {
        const webhook = {
          url: String(params.url ?? ''),
          secretToken: typeof params.secret_token === 'string' ? params.secret_token : null,
        };
        if (token === options.token) standIn.webhook = webhook;
        const allowed =
          typeof params.allowed_updates === 'string' ? (JSON.parse(params.allowed_updates) as unknown) : params.allowed_updates;
        standIn.webhooks.set(token, { ...webhook, allowedUpdates: Array.isArray(allowed) ? allowed.map(String) : null });
        return answer(true);
      }
      case 'deleteWebhook':
        if (token === options.token) standIn.webhook = null;
        standIn.webhooks.delete(token);
        return answer(true);
      case 'getWebhookInfo':
        return answer({ url: standIn.webhooks.get(token)?.url ?? '', has_custom_certificate: false, pending_update_count: 0 });
      case 'sendChatAction': {
        const error = needsChat();
        return error ? answerError(error) : answer(true);
      }
      case 'getFile': {
        const file = files.get(String(params.file_id ?? ''));
        if (!file) return answerError({ error_code: 400, description: 'Bad Request: invalid file_id' });
        return answer({ file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.bytes.length, file_path: file.path });
      }
      case 'sendMessage':
      case 'sendPhoto':
      case 'sendDocument': {
        const error = needsChat();
        if (error) return answerError(error);
        const field = method === 'sendPhoto' ? 'photo' : method === 'sendDocument' ? 'document' : null;
        // a file is a multipart field of that name, or `attach://<field>` naming another one (grammy's way)
        const value = field ? params[field] : undefined;
        const upload = field
          ? (uploads[field] ??
            (typeof value === 'string'
              ? value.startsWith('attach://')
                ? (uploads[value.slice('attach://'.length)] ?? null)
                : value
              : null))
          : null;
        if (method === 'sendMessage' && (typeof params.text !== 'string' || params.text.trim() === ''))
          return answerError({ error_code: 400, description: 'Bad Request: message text is empty' });
        if (method === 'sendMessage' && (params.text as string).length > 4096)
          return answerError({ error_code: 400, description: 'Bad Request: message is too long' });
        if (field && upload === null)
          return answerError({ error_code: 400, description: `Bad Request: there is no ${field} in the request` });
        const messageId = newMessageId(chatId!);
        const sent: SentTelegramMessage = {
          method,
          chatId: chatId!,
          messageId,
          text: typeof params.text === 'string' ? params.text : null,
          caption: typeof params.caption === 'string' ? params.caption : null,
          file: upload,
        };
        standIn.sent.push(sent);
        const stored =
          upload && typeof upload !== 'string' ? standIn.addFile(upload.bytes, upload.type || 'application/octet-stream') : null;
        return answerSend({
          message_id: messageId,
          from: bot,
          chat: chatOf(chatId!),
          date: Math.floor(Date.now() / 1000),
          ...(sent.text !== null ? { text: sent.text } : {}),
          ...(sent.caption !== null ? { caption: sent.caption } : {}),
          ...(field === 'photo' && stored ? { photo: [{ ...stored, width: 1280, height: 960 }] } : {}),
          ...(field === 'document' && stored && typeof upload !== 'string' && upload
            ? { document: { ...stored, file_name: upload.name, mime_type: upload.type } }
            : {}),
        });
      }
      case 'sendMediaGroup': {
        const error = needsChat();
        if (error) return answerError(error);
        const items = (typeof params.media === 'string' ? JSON.parse(params.media) : params.media) as
          { type: string; media: string; caption?: string }[] | undefined;
        if (!Array.isArray(items) || items.length < 2 || items.length > 10)
          return answerError({ error_code: 400, description: 'Bad Request: wrong number of media in the group' });
        const results = [];
        for (const item of items) {
          const attached = item.media.startsWith('attach://') ? uploads[item.media.slice('attach://'.length)] : undefined;
          const file = attached ?? item.media;
          const messageId = newMessageId(chatId!);
          const kind = item.type === 'photo' ? 'sendPhoto' : 'sendDocument';
          standIn.sent.push({ method: kind, chatId: chatId!, messageId, text: null, caption: item.caption ?? null, file });
          results.push({
            message_id: messageId,
            from: bot,
            chat: chatOf(chatId!),
            date: Math.floor(Date.now() / 1000),
            media_group_id: 'G1',
          });
        }
        return answerSend(results);
      }
      default:
        return answerError({ error_code: 404, description: 'Not Found' });
    }
  };

  const server = await listenOnLoopback(handle, options.port ?? 0);
  standIn.url = server.url;
  standIn.stop = () => {
    held.releaseAll();
    return server.stop();
  };
  return standIn;
}
