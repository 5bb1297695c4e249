/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import * as s from './schemas';
import * as t from './template-schemas';
import * as ai from './ai-assistant-schemas';
import * as sg from './ai-suggestion-schemas';
import * as tp from './ai-training-pair-schemas';
import * as st from './stats-schemas';
import * as td from './todo-schemas';
import { AttachmentSchema } from './attachment-views';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface RouteSpec {
  method: Method;
  path: string;
  /** Unique across the document (clients generated from it name their methods after it). */
  operationId: string;
  summary: string;
  /** `true` = `{ id }`; or the path parameters' schema. */
  params?: boolean | z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** `schema` absent = no body (e.g. 204); `contentType` default `application/json`. */
  ok: { status: number; schema?: z.ZodType; description: string; contentType?: string };
  errors: number[];
  /** Accepts an `Idempotency-Key` header (adds the header and its 409 / 422 answers). */
  idempotent?: boolean;
}

const IdPath = z.object({ id: z.uuid() });

/** The optional `Idempotency-Key` request header of the commands that act (see `api/idempotency.ts`). */
const IdempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7E]{1,255}$/)
    .optional()
    .openapi({
      description:
        'Makes the command safe to retry: kept per org for 24 h; the same key replays the first answer (header `Idempotent-Replayed: true`), ' +
        'the same key with a different request → 422 `idempotency_key_reused`, while the first request is still running → 409 ' +
        '`idempotency_key_in_progress`. 1–255 visible ASCII characters (else 400 `invalid_idempotency_key`).',
    }),
});

const UNAVAILABLE_DESCRIPTION = 'Temporal or the database is unavailable or busy: retry after `Retry-After` seconds';
/** The `Retry-After` header of 503 answers. */
const retryAfterHeader = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const } } };

const routes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/conversations',
    operationId: 'listConversations',
    summary: 'List conversations, newest activity first (cursor pagination)',
    query: s.ListConversationsQuery,
    ok: { status: 200, schema: s.ConversationPage, description: 'A page' },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/conversations/stats',
    operationId: 'getConversationStats',
    summary:
      'Statistics of the conversations created in [from, to): totals by status and channel, AI decisions (ai.decisions) and ' +
      'outcomes (ai.outcomes) counted separately (ai.suggestions is deprecated), AI resolution, ' +
      'average first-response time by channel and intent (range at most 366 days)',
    query: st.ConversationStatsParams,
    ok: { status: 200, schema: st.ConversationStats, description: 'The statistics' },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}',
    operationId: 'getConversation',
    summary: 'Get a conversation',
    params: true,
    ok: { status: 200, schema: s.Conversation, description: 'The conversation' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}/messages',
    operationId: 'listMessages',
    summary: 'List messages in chronological order (message-id cursors), optionally only one delivery status',
    params: true,
    query: s.ListMessagesQuery,
    ok: { status: 200, schema: s.MessagePage, description: 'A page' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/messages',
    operationId: 'sendMessage',
    summary:
      "Reply (queued for sending) or add an internal note; email: `cc` / `bcc`, reply-all keeps the thread's Cc; " +
      '422 `email_address_bounced` for a hard-bounced address unless `force: true`',
    idempotent: true,
    params: true,
    body: s.SendMessageBody,
    ok: { status: 201, schema: s.Message, description: 'The stored message' },
    errors: [400, 401, 403, 404, 422],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/messages/{messageId}/retry',
    operationId: 'retryMessage',
    summary:
      'Send again a message whose send was not confirmed (`deliveryStatus: unknown`, `errorCode: send_unconfirmed`) or failed; ' +
      '409 `message_not_retryable` in any other state',
    idempotent: true,
    params: s.MessageParams,
    ok: { status: 200, schema: s.Message, description: 'The message, queued for sending' },
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/status',
    operationId: 'setConversationStatus',
    summary: 'Change status (snoozed may carry `until`)',
    idempotent: true,
    params: true,
    body: s.SetStatusBody,
    ok: { status: 200, schema: s.Conversation, description: 'The updated conversation' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/assign',
    operationId: 'assignConversation',
    summary: 'Assign to an org member, or unassign with null',
    idempotent: true,
    params: true,
    body: s.AssignBody,
    ok: { status: 200, schema: s.Conversation, description: 'The updated conversation' },
    errors: [400, 401, 403, 404, 422],
  },
  {
    method: 'patch',
    path: '/v1/conversations/{id}',
    operationId: 'updateConversation',
    summary: "Change tags, priority, subject, or the conversation's AI-assist switch",
    params: true,
    body: s.PatchConversationBody,
    ok: { status: 200, schema: s.Conversation, description: 'The updated conversation' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}/suggestions',
    operationId: 'listSuggestions',
    summary:
      "The AI assistant's drafts for this conversation and what became of them (newest first, at most 50), including failed " +
      'turns (status `failed`, reason refusal / invalid_output / unavailable)',
    params: true,
    ok: { status: 200, schema: sg.AiSuggestionList, description: 'The suggestions' },
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/suggestions/{suggestionId}/send',
    operationId: 'sendSuggestion',
    summary: 'Send the pending suggestion as your reply, as drafted or with edited text (stores a training pair)',
    idempotent: true,
    params: sg.SuggestionParams,
    body: sg.SendSuggestionBody,
    ok: { status: 201, schema: s.Message, description: 'The stored message (queued for sending)' },
    errors: [400, 401, 404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/suggestions/{suggestionId}/dismiss',
    operationId: 'dismissSuggestion',
    summary: 'Dismiss the pending suggestion (cancels a held auto-send)',
    params: sg.SuggestionParams,
    ok: { status: 200, schema: sg.AiSuggestion, description: 'The dismissed suggestion' },
    errors: [400, 401, 404, 409],
  },
  {
    method: 'post',
    path: '/v1/contacts',
    operationId: 'createContact',
    summary: 'Create a contact',
    body: s.CreateContactBody,
    ok: { status: 201, schema: s.Contact, description: 'The contact' },
    errors: [400, 401, 403, 409],
  },
  {
    method: 'get',
    path: '/v1/contacts/{id}',
    operationId: 'getContact',
    summary: 'Get a contact',
    params: true,
    ok: { status: 200, schema: s.Contact, description: 'The contact' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/contacts/{id}/conversations',
    operationId: 'startConversation',
    summary: 'Start (or return) a staff-initiated conversation on a channel',
    params: true,
    body: s.StartConversationBody,
    ok: { status: 201, schema: s.Conversation, description: 'The conversation (200 if it already existed)' },
    errors: [400, 401, 403, 404, 422],
  },
  {
    method: 'get',
    path: '/v1/templates',
    operationId: 'listTemplates',
    summary: 'List message templates by name (optionally of one channel)',
    query: t.ListTemplatesQuery,
    ok: { status: 200, schema: t.TemplateList, description: 'The templates' },
    errors: [400, 401, 403],
  },
  {
    method: 'post',
    path: '/v1/templates',
    operationId: 'createTemplate',
    summary: 'Create a message template (admins only)',
    body: t.CreateTemplateBody,
    ok: { status: 201, schema: t.Template, description: 'The template' },
    errors: [400, 401, 403, 409],
  },
  {
    method: 'get',
    path: '/v1/templates/{id}',
    operationId: 'getTemplate',
    summary: 'Get a message template',
    params: true,
    ok: { status: 200, schema: t.Template, description: 'The template' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'patch',
    path: '/v1/templates/{id}',
    operationId: 'updateTemplate',
    summary: 'Change a message template (admins only; 422 when the result breaks a template rule)',
    params: true,
    body: t.PatchTemplateBody,
    ok: { status: 200, schema: t.Template, description: 'The updated template' },
    errors: [400, 401, 403, 404, 409, 422],
  },
  {
    method: 'delete',
    path: '/v1/templates/{id}',
    operationId: 'deleteTemplate',
    summary: 'Delete a message template (admins only)',
    params: true,
    ok: { status: 204, description: 'Deleted' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/ai-assistant',
    operationId: 'getAiAssistantSettings',
    summary: 'The AI assistant settings (defaults until changed) and whether OpenAI is configured',
    ok: { status: 200, schema: ai.AiAssistantSettings, description: 'The settings' },
    errors: [401, 403],
  },
  {
    method: 'put',
    path: '/v1/ai-assistant',
    operationId: 'updateAiAssistantSettings',
    summary:
      'Change the AI assistant settings (admins only; given fields replace the current ones, the rest are kept). Running ' +
      'conversations get the new settings through a durable broadcast; 503 if it could not be started (the settings are ' +
      'saved: repeat the request)',
    body: ai.PutAiAssistantBody,
    ok: { status: 200, schema: ai.AiAssistantSettings, description: 'The stored settings' },
    errors: [400, 401, 403, 422],
  },
  {
    method: 'get',
    path: '/v1/ai-assistant/training-pairs',
    operationId: 'exportAiTrainingPairs',
    summary:
      'Export the AI training pairs (draft vs what a human sent) as NDJSON, one AiTrainingPair per line, by creation time (admins only)',
    query: tp.TrainingPairsParams,
    ok: {
      status: 200,
      schema: tp.AiTrainingPair,
      contentType: 'application/x-ndjson',
      description: 'Newline-delimited JSON: one AiTrainingPair object per line (empty when there is none)',
    },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/todos',
    operationId: 'listTodos',
    summary: 'List todos by due date, undated last (cursor pagination; filter by status or source conversation)',
    query: td.ListTodosQuery,
    ok: { status: 200, schema: td.TodoPage, description: 'A page' },
    errors: [400, 401, 403],
  },
  {
    method: 'post',
    path: '/v1/todos',
    operationId: 'createTodo',
    summary: 'Create a todo about a conversation (422 when the conversation is not in the org)',
    body: td.CreateTodoBody,
    ok: { status: 201, schema: td.Todo, description: 'The todo' },
    errors: [400, 401, 403, 422],
  },
  {
    method: 'patch',
    path: '/v1/todos/{id}',
    operationId: 'updateTodo',
    summary: 'Change title, due date or status of a todo (done stamps completedAt, open clears it)',
    params: true,
    body: td.PatchTodoBody,
    ok: { status: 200, schema: td.Todo, description: 'The updated todo' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'The signed-in staff user',
    ok: { status: 200, schema: s.Me, description: 'The user' },
    errors: [401, 403],
  },
];

/**
 * Builds the OpenAPI 3.1 document (JSON object) served at `GET /openapi.json`: the bearer-JWT `/v1`
 * routes with their error statuses, attachments and signed media, `/healthz`, and the Twilio and Postmark webhooks.
 */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const postmarkBasic = registry.registerComponent('securitySchemes', 'postmarkWebhookBasic', {
    type: 'http',
    scheme: 'basic',
    description:
      'POSTMARK_INBOUND_USER / POSTMARK_INBOUND_PASSWORD, put in the webhook URLs configured at Postmark ' +
      '(`https://user:password@host/webhooks/postmark/…`), which Postmark sends as `Authorization: Basic`. ' +
      'Missing or wrong → 401 `unauthorized` with `WWW-Authenticate`, nothing stored.',
  });
  const twilioSignature = registry.registerComponent('securitySchemes', 'twilioSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Twilio-Signature',
    description:
      "Twilio's request signature (https://www.twilio.com/docs/usage/security): the base64 HMAC-SHA1, keyed with " +
      'TWILIO_AUTH_TOKEN, of PUBLIC_BASE_URL + the request path and query string, followed by every form parameter ' +
      'name and value, sorted by name. Checked on every request; missing or wrong → 403 `invalid_signature`.',
  });
  const mediaSignature = registry.registerComponent('securitySchemes', 'mediaUrlSignature', {
    type: 'apiKey',
    in: 'query',
    name: 'signature',
    description:
      'Signed, time-limited URL (no token): `signature` is the unpadded base64url HMAC-SHA256 of `"<id>.<expires>"` under a ' +
      'key derived from JWT_SECRET; the server hands out such URLs (1 h lifetime) as the MediaUrl of outbound MMS. ' +
      'Invalid, or `expires` in the past → 403 `forbidden`.',
  });
  const errorContent = { 'application/json': { schema: s.ErrorResponse } };
  const errorsOf = (codes: number[]) =>
    Object.fromEntries(
      codes.map((code) => [
        code,
        code === 503
          ? { description: UNAVAILABLE_DESCRIPTION, headers: retryAfterHeader, content: errorContent }
          : { description: `Error ${code}`, content: errorContent },
      ]),
    );
  for (const r of routes) {
    registry.registerPath({
      method: r.method,
      path: r.path,
      operationId: r.operationId,
      summary: r.summary,
      security: [{ [bearer.name]: [] }],
      request: {
        ...(r.params ? { params: r.params === true ? IdPath : r.params } : {}),
        ...(r.query ? { query: r.query } : {}),
        ...(r.idempotent ? { headers: IdempotencyHeaders } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } } } } : {}),
      },
      responses: {
        [r.ok.status]: {
          description: r.ok.description,
          ...(r.ok.schema ? { content: { [r.ok.contentType ?? 'application/json']: { schema: r.ok.schema } } } : {}),
        },
        ...errorsOf([...new Set([...r.errors, ...(r.idempotent ? [409, 422] : []), ...(r.body ? [415] : []), 503])].sort((a, b) => a - b)),
      },
    });
  }
  // the file's own Content-Type
  const fileBytes = { '*/*': { schema: z.string().openapi({ format: 'binary' }) } };
  registry.registerPath({
    method: 'post',
    path: '/v1/attachments',
    operationId: 'uploadAttachment',
    summary: 'Upload a file for an outbound message (multipart field `file`; 413 above MAX_ATTACHMENT_BYTES, default 10 MiB)',
    security: [{ [bearer.name]: [] }],
    request: { body: { content: { 'multipart/form-data': { schema: z.object({ file: z.string().openapi({ format: 'binary' }) }) } } } },
    responses: {
      201: { description: 'The stored attachment', content: { 'application/json': { schema: AttachmentSchema } } },
      ...errorsOf([400, 401, 403, 413, 503]),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/attachments/{id}',
    operationId: 'downloadAttachment',
    summary: 'Download an attachment: its Content-Type, Content-Disposition attachment, ETag = "sha256"',
    security: [{ [bearer.name]: [] }],
    request: { params: IdPath },
    responses: {
      200: { description: 'The bytes', content: fileBytes },
      304: { description: 'Not modified (If-None-Match matched the ETag)' },
      ...errorsOf([400, 401, 403, 404, 503]),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/media/{id}',
    operationId: 'downloadSignedMedia',
    summary: 'Signed, time-limited download without a staff token (the MediaUrl Twilio fetches for MMS)',
    security: [{ [mediaSignature.name]: [] }],
    request: {
      params: IdPath,
      query: z.object({
        expires: z.string().openapi({ description: 'Unix seconds after which the URL stops working' }),
        signature: z.string().openapi({ description: 'The URL signature (see the `mediaUrlSignature` security scheme)' }),
      }),
    },
    responses: {
      200: { description: 'The bytes', content: fileBytes },
      403: { description: 'Invalid or expired signature', content: errorContent },
      404: { description: 'No such attachment', content: errorContent },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/send-template',
    operationId: 'sendTemplate',
    summary: "Send a template to a contact on a channel, opening or reusing the contact's conversation",
    security: [{ [bearer.name]: [] }],
    request: { headers: IdempotencyHeaders, body: { content: { 'application/json': { schema: s.SendTemplateBody } } } },
    responses: {
      201: {
        description: 'The conversation and the stored message',
        content: { 'application/json': { schema: z.object({ conversation: s.Conversation, message: s.Message }) } },
      },
      ...errorsOf([400, 401, 403, 404, 409, 422, 503]),
    },
  });
  for (const path of ['/webhooks/postmark/inbound', '/webhooks/postmark/events']) {
    registry.registerPath({
      method: 'post',
      path,
      operationId: path.endsWith('inbound') ? 'postmarkInboundWebhook' : 'postmarkEventsWebhook',
      summary: path.endsWith('inbound')
        ? 'Postmark inbound email (HTTP Basic credentials in the webhook URL)'
        : 'Postmark Delivery, Bounce, SpamComplaint, Open and Click webhooks (HTTP Basic credentials in the webhook URL); ' +
          'written to the message directly, a hard bounce or spam complaint is final',
      security: [{ [postmarkBasic.name]: [] }],
      request: { body: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
      responses: {
        200: {
          description: 'Accepted',
          content: {
            'application/json': {
              schema: z.object({
                ok: z.boolean(),
                conversationId: z.uuid().optional().openapi({ description: 'Inbound: the conversation the email was filed in' }),
                ignored: z.string().optional().openapi({ description: 'Events: why the event changed nothing (e.g. `soft bounce`)' }),
              }),
            },
          },
        },
        ...errorsOf([400, 401, 404, 413, 503]),
      },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Database and Temporal reachability (no auth)',
    security: [],
    responses: {
      200: { description: 'Healthy', content: { 'application/json': { schema: s.Health } } },
      503: { description: 'Degraded', content: { 'application/json': { schema: s.Health } } },
    },
  });
  for (const path of ['/webhooks/twilio/messaging', '/webhooks/twilio/status']) {
    registry.registerPath({
      method: 'post',
      path,
      operationId: path.endsWith('messaging') ? 'twilioMessagingWebhook' : 'twilioStatusWebhook',
      summary: `Twilio webhook (form-encoded, X-Twilio-Signature)`,
      security: [{ [twilioSignature.name]: [] }],
      request: { body: { content: { 'application/x-www-form-urlencoded': { schema: z.record(z.string(), z.string()) } } } },
      responses: {
        200: { description: 'Accepted (empty TwiML)', content: { 'text/xml': { schema: z.string() } } },
        400: { description: 'Malformed', content: errorContent },
        403: { description: 'Bad signature', content: errorContent },
        404: { description: 'Unknown To / message', content: errorContent },
        503: { description: 'Not accepted: retry', content: errorContent },
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: '0.1.0',
      description:
        'Omnichannel inbox backend. `/v1` takes a staff JWT; the webhooks are authenticated the way each provider signs them; ' +
        '`/healthz` and this document (`GET /openapi.json`) need no auth.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'The server this document is served from (PUBLIC_BASE_URL in production)' }],
  });
}
