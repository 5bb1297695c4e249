/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import * as s from './schemas';

type Method = 'get' | 'post' | 'patch';
interface RouteSpec {
  method: Method;
  path: string;
  summary: string;
  params?: boolean;
  query?: z.ZodObject;
  body?: z.ZodType;
  ok: { status: number; schema: z.ZodType; description: string };
  errors: number[];
}

const IdPath = z.object({ id: z.uuid() });

const routes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/conversations',
    summary: 'List conversations, newest activity first (cursor pagination)',
    query: s.ListConversationsQuery,
    ok: { status: 200, schema: s.ConversationPage, description: 'A page' },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}',
    summary: 'Get a conversation',
    params: true,
    ok: { status: 200, schema: s.Conversation, description: 'The conversation' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}/messages',
    summary: 'List messages in chronological order (message-id cursors)',
    params: true,
    ok: { status: 200, schema: s.MessagePage, description: 'A page' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/messages',
    summary: 'Reply (queued for sending) or add an internal note',
    params: true,
    body: s.SendMessageBody,
    ok: { status: 201, schema: s.Message, description: 'The stored message' },
    errors: [400, 401, 403, 404, 422],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/status',
    summary: 'Change status (snoozed may carry `until`)',
    params: true,
    body: s.SetStatusBody,
    ok: { status: 200, schema: s.Conversation, description: 'The updated conversation' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/assign',
    summary: 'Assign to an org member, or unassign with null',
    params: true,
    body: s.AssignBody,
    ok: { status: 200, schema: s.Conversation, description: 'The updated conversation' },
    errors: [400, 401, 403, 404, 422],
  },
  {
    method: 'patch',
    path: '/v1/conversations/{id}',
    summary: 'Change tags, priority, subject',
    params: true,
    body: s.PatchConversationBody,
    ok: { status: 200, schema: s.Conversation, description: 'The updated conversation' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/contacts',
    summary: 'Create a contact',
    body: s.CreateContactBody,
    ok: { status: 201, schema: s.Contact, description: 'The contact' },
    errors: [400, 401, 403, 409],
  },
  {
    method: 'get',
    path: '/v1/contacts/{id}',
    summary: 'Get a contact',
    params: true,
    ok: { status: 200, schema: s.Contact, description: 'The contact' },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/contacts/{id}/conversations',
    summary: 'Start (or return) a staff-initiated conversation on a channel',
    params: true,
    body: s.StartConversationBody,
    ok: { status: 201, schema: s.Conversation, description: 'The conversation (200 if it already existed)' },
    errors: [400, 401, 403, 404, 422],
  },
  {
    method: 'get',
    path: '/v1/me',
    summary: 'The signed-in staff user',
    ok: { status: 200, schema: s.Me, description: 'The user' },
    errors: [401, 403],
  },
];

/**
 * Builds the OpenAPI 3.1 document (JSON object) served at `GET /openapi.json`: the bearer-JWT `/v1`
 * routes with their error statuses, `/healthz` and the two Twilio webhooks.
 */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const errorContent = { 'application/json': { schema: s.ErrorResponse } };
  for (const r of routes) {
    registry.registerPath({
      method: r.method,
      path: r.path,
      summary: r.summary,
      security: [{ [bearer.name]: [] }],
      request: {
        ...(r.params ? { params: IdPath } : {}),
        ...(r.query ? { query: r.query } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } } } } : {}),
      },
      responses: {
        [r.ok.status]: { description: r.ok.description, content: { 'application/json': { schema: r.ok.schema } } },
        ...Object.fromEntries(
          [...r.errors, 503].map((code) => [
            code,
            { description: code === 503 ? 'Temporal or the database is unavailable: retry' : `Error ${code}`, content: errorContent },
          ]),
        ),
      },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Database and Temporal reachability (no auth)',
    responses: {
      200: { description: 'Healthy', content: { 'application/json': { schema: s.Health } } },
      503: { description: 'Degraded', content: { 'application/json': { schema: s.Health } } },
    },
  });
  for (const path of ['/webhooks/twilio/messaging', '/webhooks/twilio/status']) {
    registry.registerPath({
      method: 'post',
      path,
      summary: `Twilio webhook (form-encoded, X-Twilio-Signature)`,
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
    info: { title: 'Switchboard API', version: '0.1.0', description: 'Omnichannel inbox backend' },
  });
}
