/**
 * Small typed helpers shared by the REST API test files (not a test file itself).
 */
import express, { type Express } from 'express';
import request from 'supertest';
import { requireAuth } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import { contactsRouter } from '../../api/routes/contacts';
import { createLogger } from '../../config/logger';
import type { ConversationClient } from '../../workflows/conversation/client';
import { type Harness, JWT_SECRET } from '../support/harness';

/** The parts of the `Conversation` schema the tests read. */
export interface ConversationBody {
  id: string;
  channel: string;
  inbox: { id: string; name: string; kind: string; address: string };
  contact: { id: string; name: string | null; phone: string | null; email: string | null; whatsapp: string | null; vip: boolean };
  subject: string | null;
  status: string;
  snoozedUntil: string | null;
  priority: string;
  assigneeId: string | null;
  tags: string[];
  unreadCount: number;
  lastMessagePreview: string | null;
  lastActivityAt: string;
  overdue: boolean;
  closedReason: string | null;
}

/** The parts of the `Message` schema the tests read. */
export interface MessageBody {
  id: string;
  conversationId: string;
  direction: string;
  authorType: string;
  authorId: string | null;
  text: string;
  isInternalNote: boolean;
  deliveryStatus: string | null;
  createdAt: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface ErrorBody {
  error: { code: string; message: string; details: { fields?: { path: string; message: string; code: string }[] } | null };
}

/** Authorised requests as a given token (default: the harness admin). */
export function api(h: Harness, token: string = h.tokens.admin) {
  const auth = `Bearer ${token}`;
  return {
    get: (path: string) => request(h.app).get(path).set('Authorization', auth),
    post: (path: string, body: object) => request(h.app).post(path).set('Authorization', auth).send(body),
    patch: (path: string, body: object) => request(h.app).patch(path).set('Authorization', auth).send(body),
    delete: (path: string) => request(h.app).delete(path).set('Authorization', auth),
  };
}

/**
 * The contacts router alone (auth, JSON, error handler, as `api/app.ts` mounts it) over the harness's
 * database and blob store, with the harness's Temporal client except that `startOnce` fails as when
 * Temporal is unreachable: the merge / erase commits, its broadcast cannot be started.
 */
export function contactsAppWithoutStart(h: Harness): Express {
  const conversations: ConversationClient = Object.assign(Object.create(h.conversations) as ConversationClient, {
    startOnce: () => Promise.reject(new Error('14 UNAVAILABLE: connection refused')),
  });
  const app = express();
  app.use(requireAuth(JWT_SECRET));
  app.use(express.json());
  app.use('/v1/contacts', contactsRouter({ db: h.db, conversations, blobs: h.blobs, logger: createLogger('silent') }));
  app.use(errorHandler(createLogger('silent')));
  return app;
}

/** Asserts the uniform error shape and returns it. */
export function expectError(res: request.Response, status: number, code: string): ErrorBody {
  expect({ status: res.status, code: (res.body as Partial<ErrorBody>).error?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/application\/json/);
  const body = res.body as ErrorBody;
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error).toHaveProperty('details');
  return body;
}

/** Asserts a 400 `validation_failed` whose `details.fields` names `path`. */
export function expectValidationError(res: request.Response, path: string): ErrorBody {
  const body = expectError(res, 400, 'validation_failed');
  const paths = (body.error.details?.fields ?? []).map((f) => f.path);
  expect(paths).toContain(path);
  return body;
}

/**
 * Sends an inbound SMS (or WhatsApp) from `from` and waits until its conversation is readable with
 * `unreadCount >= minUnread` (default 1). Returns the conversation.
 */
export async function inboundAndWait(
  h: Harness,
  from: string,
  opts: { body?: string; whatsapp?: boolean; minUnread?: number } = {},
): Promise<ConversationBody> {
  const res = await h.inbound({ from, body: opts.body ?? `Hello from ${from}`, whatsapp: opts.whatsapp });
  expect(res.status).toBe(200);
  const id = h.conversationIdOf(from, opts.whatsapp ? 'whatsapp' : 'sms');
  const minUnread = opts.minUnread ?? 1;
  return h.waitFor(async () => {
    const r = await api(h).get(`/v1/conversations/${id}`);
    const c = r.body as ConversationBody;
    return r.status === 200 && c.unreadCount >= minUnread ? c : undefined;
  }, `conversation of ${from}`);
}

/** Every conversation of the org (walks all pages at limit 100) in list order. */
export async function listAll(h: Harness, query = '', token?: string): Promise<ConversationBody[]> {
  const out: ConversationBody[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const sep = query ? '&' : '';
    const res = await api(h, token).get(
      `/v1/conversations?limit=100${sep}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status).toBe(200);
    const page = res.body as Page<ConversationBody>;
    out.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

/** Ids of a list query's first page (`query` without the leading `?`). */
export async function idsOf(h: Harness, query: string, token?: string): Promise<string[]> {
  const res = await api(h, token).get(`/v1/conversations?${query}`);
  expect(res.status).toBe(200);
  return (res.body as Page<ConversationBody>).data.map((c) => c.id);
}
