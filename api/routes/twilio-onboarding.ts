/**
 * `/v1/communications/twilio`: Twilio onboarding (seed 000, issue 10), admins only (403 `forbidden`
 * for agents). Every call to Twilio goes through the real `twilio` SDK (pointed at a stand-in by
 * `TWILIO_API_BASE_URL`, as `channels/twilio/client.ts` does):
 * - `POST /setup` `{ accountSid, authToken }`: connects an existing (sub-)account to the org, after
 *   fetching it with those credentials (`client.api.v2010.accounts(sid).fetch()`); stored sealed in
 *   `twilio_accounts` (one per org; a new setup replaces it). 200 with the account (never the token).
 * - `POST /verify`: re-fetches the account with the stored credentials → `{ ok, status, friendlyName }`
 *   (`ok` = Twilio says the account is `active`).
 * - `GET /available-numbers?areaCode=&country=US&limit=20`: purchasable local numbers
 *   (`client.availablePhoneNumbers(country).local.list({ areaCode, limit })`).
 * - `POST /numbers` `{ phoneNumber, name? }` (accepts `Idempotency-Key`): buys the number
 *   (`client.incomingPhoneNumbers.create` with `SmsUrl` = our messaging webhook, `SmsMethod` POST and
 *   `StatusCallback` = our status webhook) and creates its SMS channel with the account's credentials
 *   (`createChannel`, db/channel-admin.ts: audited, sealed). 201 `{ channel, phoneNumberSid }`.
 * - `GET /system-phone`: the org's primary outbound number, its oldest live SMS channel (404 `no_system_phone`).
 *
 * Errors: no connected account → 404 `twilio_not_connected`; Twilio refuses the credentials (401 /
 * code 20003) → 422 `twilio_auth_failed`; another Twilio 4xx (e.g. 21422 number not available) → 422
 * `twilio_request_failed` with `details.twilioCode`; Twilio unreachable or 5xx → 502 `twilio_unavailable`;
 * stored credentials that no longer open → 409 `twilio_credentials_unusable` (run setup again);
 * the number is already a live channel → 409 `channel_address_taken` (checked before buying).
 */
import type { Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { createTwilioClient } from '../../channels/twilio/client';
import { auditActorOf } from '../../db/audit-log';
import { addressTaken, channelView, createChannel, normalizeChannelAddress } from '../../db/channel-admin';
import { findChannelByAddress, findFirstChannelOfKind } from '../../db/channels';
import type { TwilioAccountRow } from '../../db/schema';
import {
  connectTwilioAccount,
  findTwilioAccount,
  openTwilioAccountCredentials,
  type TwilioAccountFacts,
  updateTwilioAccountFacts,
} from '../../db/twilio-accounts';
import { idempotent } from '../idempotency';
import { principalOf } from '../auth';
import { Channel } from '../channel-schemas';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { IsoDateTime } from '../schemas';

type OnboardingDeps = Pick<ApiDeps, 'db' | 'keyring' | 'config' | 'logger'>;

const ACCOUNT_SID = z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC + 32 hex digits');
const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number (+ and 7–15 digits)');

/** Body of `POST /v1/communications/twilio/setup`. */
export const TwilioSetupBody = z
  .strictObject({
    accountSid: ACCOUNT_SID.openapi({ description: 'The (sub-)account SID', example: 'AC0123456789abcdef0123456789abcdef' }),
    authToken: z.string().min(1).max(200).openapi({ description: "The account's auth token (stored encrypted, never returned)" }),
  })
  .openapi('TwilioSetupBody');

/** The org's connected Twilio account (never its auth token). */
export const TwilioAccount = z
  .object({
    accountSid: z.string().openapi({ example: 'AC0123456789abcdef0123456789abcdef' }),
    friendlyName: z.string().nullable(),
    status: z.string().openapi({ description: "Twilio's account status at the last check: `active`, `suspended` or `closed`" }),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('TwilioAccount');

/** 200 body of `POST /v1/communications/twilio/verify`. */
export const TwilioVerifyResult = z
  .object({
    ok: z.boolean().openapi({ description: 'The stored credentials work and Twilio says the account is `active`' }),
    status: z.string(),
    friendlyName: z.string().nullable(),
  })
  .openapi('TwilioVerifyResult');

/** Query of `GET /v1/communications/twilio/available-numbers`. */
export const AvailableNumbersQuery = z.strictObject({
  areaCode: z
    .string()
    .regex(/^\d{3}$/, 'must be 3 digits')
    .optional()
    .openapi({ description: 'Area code (3 digits, US / CA)', example: '415' }),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .default('US')
    .openapi({ description: 'ISO country code (default US)' }),
  limit: z.coerce.number().int().min(1).max(50).default(20).openapi({ description: 'Most numbers returned (1–50, default 20)' }),
});

/** One purchasable number. */
export const AvailableNumber = z
  .object({
    phoneNumber: z.string().openapi({ example: '+14155551000' }),
    friendlyName: z.string().nullable(),
    locality: z.string().nullable(),
    region: z.string().nullable(),
    isoCountry: z.string().nullable(),
    capabilities: z.object({ sms: z.boolean(), mms: z.boolean(), voice: z.boolean() }),
  })
  .openapi('AvailableNumber');

/** 200 body of `GET /v1/communications/twilio/available-numbers`. */
export const AvailableNumberList = z.object({ data: z.array(AvailableNumber) }).openapi('AvailableNumberList');

/** Body of `POST /v1/communications/twilio/numbers`. */
export const BuyNumberBody = z
  .strictObject({
    phoneNumber: E164.openapi({ description: 'A number from available-numbers', example: '+14155551000' }),
    name: z.string().trim().min(1).max(100).optional().openapi({ description: "The new SMS channel's name (default: the number)" }),
  })
  .openapi('BuyNumberBody');

/** 201 body of `POST /v1/communications/twilio/numbers`. */
export const BoughtNumber = z
  .object({
    channel: Channel,
    phoneNumberSid: z.string().openapi({ description: "Twilio's IncomingPhoneNumber SID (PN…)" }),
  })
  .openapi('BoughtNumber');

/** 200 body of `GET /v1/communications/twilio/system-phone`. */
export const SystemPhone = z
  .object({
    phoneNumber: z.string().openapi({ description: 'E.164', example: '+14155551000' }),
    channelId: z.uuid(),
    name: z.string(),
  })
  .openapi('SystemPhone');

/**
 * The HTTP error of a failed Twilio call: 422 `twilio_auth_failed` (401 / 20003), 502
 * `twilio_unavailable` (network, 5xx), 422 `twilio_request_failed` (another 4xx, with Twilio's code).
 */
function twilioFailure(err: unknown): HttpError {
  if (err instanceof twilio.RestException) {
    if (err.status === 401 || err.code === 20003) {
      return new HttpError(422, 'twilio_auth_failed', 'Twilio refused these credentials (the account SID or auth token is wrong)', {
        twilioCode: err.code ?? null,
      });
    }
    if (err.status >= 500) {
      return new HttpError(502, 'twilio_unavailable', 'Twilio did not answer the request; retry later', { twilioStatus: err.status });
    }
    return new HttpError(422, 'twilio_request_failed', err.message, { twilioCode: err.code ?? null, twilioStatus: err.status });
  }
  return new HttpError(502, 'twilio_unavailable', 'Twilio could not be reached; retry later');
}

/** Runs a Twilio call, turning its failure into {@link twilioFailure}. */
async function callTwilio<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw twilioFailure(err);
  }
}

function accountView(row: TwilioAccountRow): z.infer<typeof TwilioAccount> {
  return {
    accountSid: row.account_sid,
    friendlyName: row.friendly_name,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A Twilio client for these credentials (the deployment's `TWILIO_API_BASE_URL`, if any). */
function clientFor(deps: OnboardingDeps, credentials: { accountSid: string; authToken: string }): twilio.Twilio {
  return createTwilioClient({ ...credentials, apiBaseUrl: deps.config.twilio.apiBaseUrl });
}

/**
 * What Twilio says of the account these credentials open (FetchAccount).
 * @throws HttpError from {@link twilioFailure}: 422 when Twilio refuses the credentials, 502 when it cannot be reached
 */
async function fetchAccountFacts(
  deps: OnboardingDeps,
  credentials: { accountSid: string; authToken: string },
): Promise<TwilioAccountFacts> {
  const account = await callTwilio(() => clientFor(deps, credentials).api.v2010.accounts(credentials.accountSid).fetch());
  return { friendlyName: account.friendlyName ?? null, status: account.status };
}

/**
 * The org's connected account and its opened credentials.
 * @throws HttpError 404 `twilio_not_connected`; 409 `twilio_credentials_unusable` when the stored
 *   credentials do not open (their key is no longer in CREDENTIALS_ENCRYPTION_KEYS, or the row was altered)
 */
async function connectedAccount(deps: OnboardingDeps, orgId: string) {
  const row = await findTwilioAccount(deps.db, orgId);
  if (!row) throw new HttpError(404, 'twilio_not_connected', 'This org has no Twilio account: POST /v1/communications/twilio/setup first');
  try {
    return { row, credentials: openTwilioAccountCredentials(deps.keyring, row) };
  } catch (err) {
    deps.logger.warn(
      { orgId, twilioAccountId: row.id, keyId: row.credentials_key_id, error: err instanceof Error ? err.name : 'Error' },
      'stored Twilio credentials cannot be opened',
    );
    throw new HttpError(409, 'twilio_credentials_unusable', 'The stored Twilio credentials cannot be opened: connect the account again (setup)');
  }
}

const TAGS: ['communications'] = ['communications'];

/** The routes under `/v1/communications/twilio` (behind auth and `express.json()`). */
export const twilioOnboardingRoutes: RouteDefinition<OnboardingDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/v1/communications/twilio/setup',
      auth: 'staff',
      role: 'admin',
      operationId: 'setupTwilio',
      tags: TAGS,
      summary: "Connect the org's Twilio (sub-)account, checked with Twilio first (admins only; replaces a connected one)",
      request: { body: TwilioSetupBody },
      response: { status: 200, schema: TwilioAccount, description: 'The connected account' },
      errors: [409, 422, 502],
    },
    (deps) => async (req, res) => {
      const me = principalOf(res);
      const body = TwilioSetupBody.parse(req.body);
      const facts = await fetchAccountFacts(deps, body);
      const row = await connectTwilioAccount(deps.db, deps.keyring, { orgId: me.orgId, credentials: body, facts }, auditActorOf(me));
      res.json(accountView(row));
    },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/communications/twilio/verify',
      auth: 'staff',
      role: 'admin',
      operationId: 'verifyTwilio',
      tags: TAGS,
      summary: "Check the connected Twilio account's stored credentials with Twilio (admins only)",
      response: { status: 200, schema: TwilioVerifyResult, description: "What Twilio says of the account" },
      errors: [404, 409, 422, 502],
    },
    (deps) => async (_req, res) => {
      const me = principalOf(res);
      const { row, credentials } = await connectedAccount(deps, me.orgId);
      const updated = await updateTwilioAccountFacts(deps.db, row.id, await fetchAccountFacts(deps, credentials));
      res.json({ ok: updated.status === 'active', status: updated.status, friendlyName: updated.friendly_name });
    },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/communications/twilio/available-numbers',
      auth: 'staff',
      role: 'admin',
      operationId: 'listAvailableTwilioNumbers',
      tags: TAGS,
      summary: 'Search purchasable local numbers on the connected Twilio account (admins only)',
      request: { query: AvailableNumbersQuery },
      response: { status: 200, schema: AvailableNumberList, description: 'Purchasable numbers' },
      errors: [404, 409, 422, 502],
    },
    (deps) => async (req, res) => {
      const me = principalOf(res);
      const query = AvailableNumbersQuery.parse(req.query);
      const { credentials } = await connectedAccount(deps, me.orgId);
      const numbers = await callTwilio(() =>
        clientFor(deps, credentials)
          .availablePhoneNumbers(query.country)
          .local.list({ ...(query.areaCode ? { areaCode: Number(query.areaCode) } : {}), limit: query.limit }),
      );
      res.json({
        data: numbers.map((n) => {
          const caps = (n.capabilities ?? {}) as { sms?: boolean; SMS?: boolean; mms?: boolean; MMS?: boolean; voice?: boolean };
          return {
            phoneNumber: n.phoneNumber,
            friendlyName: n.friendlyName ?? null,
            locality: n.locality ?? null,
            region: n.region ?? null,
            isoCountry: n.isoCountry ?? null,
            capabilities: { sms: Boolean(caps.sms ?? caps.SMS), mms: Boolean(caps.mms ?? caps.MMS), voice: Boolean(caps.voice) },
          };
        }),
      });
    },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/communications/twilio/numbers',
      auth: 'staff',
      role: 'admin',
      operationId: 'buyTwilioNumber',
      tags: TAGS,
      summary:
        'Buy a number on the connected Twilio account (SmsUrl and StatusCallback set to our webhooks) and create its SMS channel ' +
        'with the account’s credentials (admins only)',
      request: { body: BuyNumberBody },
      idempotent: true,
      response: { status: 201, schema: BoughtNumber, description: 'The number was bought; its SMS channel' },
      errors: [404, 409, 422, 502],
    },
    (deps) => async (req, res) => {
      const me = principalOf(res);
      const body = BuyNumberBody.parse(req.body);
      const phoneNumber = normalizeChannelAddress('sms', body.phoneNumber);
      const { credentials } = await connectedAccount(deps, me.orgId);
      // before paying for it: the number must not be a live channel already
      if (await findChannelByAddress(deps.db, 'sms', phoneNumber)) {
        throw addressTaken('sms', phoneNumber);
      }
      const base = deps.config.publicBaseUrl.replace(/\/+$/, '');
      const bought = await callTwilio(() =>
        clientFor(deps, credentials).incomingPhoneNumbers.create({
          phoneNumber,
          smsUrl: `${base}/webhooks/twilio/messaging`,
          smsMethod: 'POST',
          statusCallback: `${base}/webhooks/twilio/status`,
        }),
      );
      try {
        const row = await createChannel(
          deps.db,
          deps.keyring,
          {
            orgId: me.orgId,
            kind: 'sms',
            name: body.name ?? bought.friendlyName ?? phoneNumber,
            address: bought.phoneNumber ?? phoneNumber,
            settings: { twilioPhoneNumberSid: bought.sid },
            credentials: { accountSid: credentials.accountSid, authToken: credentials.authToken },
          },
          auditActorOf(me),
        );
        res.status(201).json({ channel: channelView(row, deps.config.publicBaseUrl), phoneNumberSid: bought.sid });
      } catch (err) {
        // bought but not recorded: say which number, so it can be connected by hand (POST /v1/channels)
        deps.logger.error(
          { err: err instanceof Error ? err.message : String(err), orgId: me.orgId, phoneNumber, phoneNumberSid: bought.sid },
          'Twilio number bought but its channel could not be created',
        );
        throw err;
      }
    },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/communications/twilio/system-phone',
      auth: 'staff',
      operationId: 'getTwilioSystemPhone',
      tags: TAGS,
      summary: "The org's primary outbound number: its oldest live SMS channel",
      response: { status: 200, schema: SystemPhone, description: 'The primary outbound number' },
      errors: [404],
    },
    ({ db }) =>
      async (_req, res) => {
        const me = principalOf(res);
        const channel = await findFirstChannelOfKind(db, me.orgId, 'sms');
        if (!channel) throw new HttpError(404, 'no_system_phone', 'This org has no SMS channel');
        res.json({ phoneNumber: channel.address, channelId: channel.id, name: channel.name });
      },
  ),
];

/** Builds the router mounted at `/v1/communications/twilio` (after `requireAuth` and `express.json()`). */
export function twilioOnboardingRouter(deps: OnboardingDeps): Router {
  return routerFor(twilioOnboardingRoutes, deps, {
    prefix: '/v1/communications/twilio',
    auth: 'staff',
    idempotency: idempotent(deps.db, deps.logger),
  });
}
