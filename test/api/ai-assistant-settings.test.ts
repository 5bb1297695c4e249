/**
 * `/v1/ai-assistant` settings through the router on its own Express app (auth, JSON, error handler)
 * over the test database: defaults for a new org, admin-only changes (403), partial PUT merged over
 * the current settings, validation (400 naming the field, 422 for a stored config that breaks a rule),
 * organisation scoping and the `available` flag (which changes nothing else).
 */
import express, { type Express } from 'express';
import request from 'supertest';
import { requireAuth, signStaffToken } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import type { ConversationClient } from '../../workflows/conversation/client';
import { aiAssistantRouter } from '../../api/routes/ai-assistant';
import { aiSettingsBroadcastWorkflowId } from '../../workflows/ai-settings-broadcast';
import { createLogger } from '../../config/logger';
import { DEFAULT_AI_ASSISTANT_CONFIG } from '../../domain/ai-assistant';
import { createHarness, createTestOrg, type Harness, JWT_SECRET } from '../support/harness';
import { expectError, expectValidationError } from './rest-helpers';

interface SettingsBody {
  enabled: boolean;
  mode: string;
  instructions: string;
  channels: string[];
  autoSendConfidence: number;
  maxAutoSendComplexity: string;
  autoSendDelay: number;
  model: string;
  available: boolean;
}

const { autoSendDelaySeconds, ...defaultRest } = DEFAULT_AI_ASSISTANT_CONFIG;
const DEFAULT_VIEW = { ...defaultRest, autoSendDelay: autoSendDelaySeconds };

let h: Harness;
let app: Express;
let unavailableApp: Express;

function buildApp(openAiAvailable: boolean, conversations: Pick<ConversationClient, 'startOnce'> = h.conversations): Express {
  const a = express();
  a.use(requireAuth(JWT_SECRET));
  a.use(express.json());
  a.use('/v1/ai-assistant', aiAssistantRouter({ db: h.db, openAiAvailable, conversations }));
  a.use(errorHandler(createLogger('silent')));
  return a;
}

beforeAll(async () => {
  h = await createHarness();
  app = buildApp(true);
  unavailableApp = buildApp(false);
});
afterAll(async () => {
  await h?.close();
});

/** A new org of its own (no settings stored) with admin and agent tokens. */
async function freshOrg() {
  const org = await createTestOrg(h.db);
  return {
    orgId: org.orgId,
    adminId: org.adminId,
    admin: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }),
    agent: signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'agent' }),
  };
}

const get = (token: string, on: Express = app) => request(on).get('/v1/ai-assistant').set('Authorization', `Bearer ${token}`);
const put = (token: string, body: object, on: Express = app) =>
  request(on).put('/v1/ai-assistant').set('Authorization', `Bearer ${token}`).send(body);

const storedRow = (orgId: string) => h.db.selectFrom('ai_assistant_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();

describe('GET /v1/ai-assistant', () => {
  test('a new org gets the documented defaults (delay as autoSendDelay) and nothing is stored; agents can read', async () => {
    const org = await freshOrg();
    for (const token of [org.admin, org.agent]) {
      const res = await get(token);
      expect(res.status).toBe(200);
      expect(res.body as SettingsBody).toEqual({ ...DEFAULT_VIEW, available: true });
    }
    expect(DEFAULT_VIEW).toMatchObject({ enabled: false, mode: 'suggest', autoSendDelay: 60, model: 'gpt-4o-mini' });
    expect(await storedRow(org.orgId)).toBeUndefined();
  });

  test('without a token: 401', async () => {
    const res = await request(app).get('/v1/ai-assistant');
    expect(res.status).toBe(401);
  });
});

describe('PUT /v1/ai-assistant', () => {
  test('an agent gets 403 forbidden and nothing changes', async () => {
    const org = await freshOrg();
    expectError(await put(org.agent, { enabled: true }), 403, 'forbidden');
    expect(await storedRow(org.orgId)).toBeUndefined();
    expect(((await get(org.agent)).body as SettingsBody).enabled).toBe(false);
  });

  test('admin PUT merges the given fields over the current settings, stores them, GET returns them', async () => {
    const org = await freshOrg();
    const first = await put(org.admin, { enabled: true, mode: 'auto', autoSendDelay: 0, instructions: '  Be brief.  ' });
    expect(first.status).toBe(200);
    const expected = { ...DEFAULT_VIEW, enabled: true, mode: 'auto', autoSendDelay: 0, instructions: 'Be brief.', available: true };
    expect(first.body as SettingsBody).toEqual(expected);
    expect((await get(org.agent)).body as SettingsBody).toEqual(expected);

    const row = await storedRow(org.orgId);
    expect(row?.config).toEqual({
      ...DEFAULT_AI_ASSISTANT_CONFIG,
      enabled: true,
      mode: 'auto',
      autoSendDelaySeconds: 0,
      instructions: 'Be brief.',
    });
    expect(row?.updated_by).toBe(org.adminId);

    // a second PUT keeps what it does not mention
    const second = await put(org.admin, {
      channels: ['whatsapp', 'email'],
      autoSendConfidence: 1,
      maxAutoSendComplexity: 'medium',
      autoSendDelay: 86_400,
      model: 'gpt-4.1-mini',
    });
    expect(second.status).toBe(200);
    const expected2 = {
      ...expected,
      channels: ['whatsapp', 'email'],
      autoSendConfidence: 1,
      maxAutoSendComplexity: 'medium',
      autoSendDelay: 86_400,
      model: 'gpt-4.1-mini',
    };
    expect(second.body as SettingsBody).toEqual(expected2);
    expect((await get(org.admin)).body as SettingsBody).toEqual(expected2);

    // empty instructions and an empty allow-list are allowed; an empty body changes nothing
    expect((await put(org.admin, { instructions: '', channels: [] })).body as SettingsBody).toMatchObject({
      instructions: '',
      channels: [],
    });
    expect((await put(org.admin, {})).body as SettingsBody).toEqual({ ...expected2, instructions: '', channels: [] });
  });

  test.each([
    ['autoSendConfidence', { autoSendConfidence: 1.5 }],
    ['autoSendConfidence', { autoSendConfidence: -0.1 }],
    ['channels.0', { channels: ['fax'] }],
    ['channels', { channels: ['sms', 'sms'] }],
    ['autoSendDelay', { autoSendDelay: -1 }],
    ['autoSendDelay', { autoSendDelay: 1.5 }],
    ['autoSendDelay', { autoSendDelay: 86_401 }],
    ['autoSendDelaySeconds', { autoSendDelaySeconds: 5 }],
    ['mode', { mode: 'yolo' }],
    ['maxAutoSendComplexity', { maxAutoSendComplexity: 'extreme' }],
    ['model', { model: '   ' }],
    ['model', { model: 'm'.repeat(201) }],
    ['instructions', { instructions: 'x'.repeat(20_001) }],
    ['enabled', { enabled: 'yes' }],
    ['agentTools.scope', { agentTools: { scope: 'org' } }],
  ])('a bad %s → 400 naming it (%#), nothing stored', async (path, body) => {
    const org = await freshOrg();
    expectValidationError(await put(org.admin, body), path);
    expect(await storedRow(org.orgId)).toBeUndefined();
  });

  test('agentTools.scope defaults to conversation; inbox is opt-in and kept by later PUTs', async () => {
    const org = await freshOrg();
    expect((await get(org.admin)).body).toMatchObject({ agentTools: { scope: 'conversation' } });
    const res = await put(org.admin, { agentTools: { enabled: true, scope: 'inbox' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ agentTools: { enabled: true, scope: 'inbox', maxSteps: 6 } });
    expect((await put(org.admin, { agentTools: { maxSteps: 3 } })).body).toMatchObject({ agentTools: { scope: 'inbox', maxSteps: 3 } });
    // a config stored before `scope` existed reads as the safe default
    await h.db
      .updateTable('ai_assistant_settings')
      .set({ config: JSON.stringify({ enabled: true, agentTools: { enabled: true, tools: ['close_inbox_item'], maxSteps: 2 } }) })
      .where('org_id', '=', org.orgId)
      .execute();
    expect((await get(org.admin)).body).toMatchObject({ agentTools: { enabled: true, scope: 'conversation', maxSteps: 2 } });
  });

  test('each PUT bumps the version and starts one broadcast workflow for it, which completes', async () => {
    const org = await freshOrg();
    expect((await put(org.admin, { enabled: true })).status).toBe(200);
    expect((await put(org.admin, { mode: 'auto' })).status).toBe(200);
    expect((await storedRow(org.orgId))?.version).toBe(2);
    for (const version of [1, 2]) {
      const result = await h.client.workflow.getHandle(aiSettingsBroadcastWorkflowId(org.orgId, version)).result();
      // no conversation of this org is running: nothing to signal; it reads the newest version stored
      // when it runs (version 1's broadcast may run before the second PUT is saved: then it reads 1)
      expect(result).toEqual({ version: expect.any(Number), signalled: 0, notRunning: 0 });
      expect(result.version).toBeGreaterThanOrEqual(version);
      expect(result.version).toBeLessThanOrEqual(2);
    }
  });

  test('Temporal refusing the broadcast → 503 temporarily_unavailable, the settings are saved (repeating is harmless)', async () => {
    const org = await freshOrg();
    const down = buildApp(true, { startOnce: () => Promise.reject(new Error('14 UNAVAILABLE: connection refused')) });
    expectError(await put(org.admin, { enabled: true }, down), 503, 'temporarily_unavailable');
    expect((await storedRow(org.orgId))?.config).toMatchObject({ enabled: true });
    expect((await put(org.admin, { enabled: true })).status).toBe(200);
    expect((await storedRow(org.orgId))?.version).toBe(2);
  });

  test('several bad fields are all named', async () => {
    const org = await freshOrg();
    const body = expectValidationError(
      await put(org.admin, { autoSendConfidence: 1.5, channels: ['sms', 'fax'], autoSendDelay: -1 }),
      'autoSendConfidence',
    );
    expect((body.error.details?.fields ?? []).map((f) => f.path)).toEqual(expect.arrayContaining(['channels.1', 'autoSendDelay']));
  });

  test('a stored config that breaks a rule makes the merged result invalid: 422 invalid_ai_config listing the problems', async () => {
    const org = await freshOrg();
    await h.db
      .insertInto('ai_assistant_settings')
      .values({ org_id: org.orgId, config: JSON.stringify({ autoSendDelaySeconds: 999_999 }) })
      .execute();
    const res = await put(org.admin, { enabled: true });
    const err = expectError(res, 422, 'invalid_ai_config');
    expect(err.error.details).toEqual({ problems: [expect.stringContaining('autoSendDelaySeconds')] });
    // fixing the field in the same PUT is accepted
    expect((await put(org.admin, { enabled: true, autoSendDelay: 30 })).status).toBe(200);
  });
});

describe('organisation scoping and availability', () => {
  test("one org's settings never show in another org", async () => {
    const a = await freshOrg();
    const b = await freshOrg();
    expect((await put(a.admin, { enabled: true, model: 'org-a-model' })).status).toBe(200);
    expect((await get(b.admin)).body as SettingsBody).toEqual({ ...DEFAULT_VIEW, available: true });
    expect(((await get(a.agent)).body as SettingsBody).model).toBe('org-a-model');
  });

  test('available reflects openAiAvailable; without OpenAI the settings are still read and stored', async () => {
    const org = await freshOrg();
    expect(((await get(org.admin, unavailableApp)).body as SettingsBody).available).toBe(false);
    const res = await put(org.admin, { enabled: true }, unavailableApp);
    expect(res.status).toBe(200);
    expect(res.body as SettingsBody).toEqual({ ...DEFAULT_VIEW, enabled: true, available: false });
    expect((await storedRow(org.orgId))?.config).toMatchObject({ enabled: true });
    expect((await get(org.agent, app)).body as SettingsBody).toEqual({ ...DEFAULT_VIEW, enabled: true, available: true });
  });
});
