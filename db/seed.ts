/**
 * Idempotent demo data for local runs (never in production): one org, one admin, the Twilio
 * test SMS number `+15005550006`, the Twilio WhatsApp sandbox sender `+14155238886`, the email
 * address `support@demo.example` and a Telegram bot (webhook secret {@link DEV_DEFAULTS}`.telegramWebhookSecret`).
 */
import { DEV_DEFAULTS } from '../config';
import type { Db } from './client';

/** Fixed ids (UUIDs) and E.164 numbers of the demo data (so tokens and links stay valid across restarts). */
export const DEMO = {
  orgId: '00000000-0000-4000-8000-000000000001',
  adminId: '00000000-0000-4000-8000-000000000002',
  agentId: '00000000-0000-4000-8000-000000000003',
  smsChannelId: '00000000-0000-4000-8000-000000000010',
  whatsappChannelId: '00000000-0000-4000-8000-000000000011',
  emailChannelId: '00000000-0000-4000-8000-000000000012',
  telegramChannelId: '00000000-0000-4000-8000-000000000013',
  /** The demo bot's username (the Telegram channel's address). */
  telegramBot: 'switchboard_demo_bot',
  emailAddress: 'support@demo.example',
  smsNumber: '+15005550006',
  whatsappNumber: '+14155238886',
} as const;

/** Inserts the demo org, admin and agent, and SMS and WhatsApp channels if missing (`ON CONFLICT DO NOTHING`); returns {@link DEMO}. */
export async function seedDemo(db: Db): Promise<typeof DEMO> {
  await db
    .insertInto('orgs')
    .values({ id: DEMO.orgId, name: 'Demo Org' })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db
    .insertInto('staff_users')
    .values([
      { id: DEMO.adminId, org_id: DEMO.orgId, email: 'admin@demo.example', name: 'Demo Admin', role: 'admin' },
      { id: DEMO.agentId, org_id: DEMO.orgId, email: 'agent@demo.example', name: 'Demo Agent', role: 'agent' },
    ])
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db
    .insertInto('channels')
    .values([
      {
        id: DEMO.smsChannelId,
        org_id: DEMO.orgId,
        kind: 'sms',
        address: DEMO.smsNumber,
        name: 'Demo SMS',
        provider: 'twilio',
        settings: JSON.stringify({}),
      },
      {
        id: DEMO.whatsappChannelId,
        org_id: DEMO.orgId,
        kind: 'whatsapp',
        address: DEMO.whatsappNumber,
        name: 'Demo WhatsApp',
        provider: 'twilio',
        settings: JSON.stringify({}),
      },
      {
        id: DEMO.emailChannelId,
        org_id: DEMO.orgId,
        kind: 'email',
        address: DEMO.emailAddress,
        name: 'Demo Support',
        provider: 'postmark',
        settings: JSON.stringify({}),
      },
      {
        id: DEMO.telegramChannelId,
        org_id: DEMO.orgId,
        kind: 'telegram',
        address: DEMO.telegramBot,
        name: 'Demo Telegram',
        provider: 'telegram',
        settings: JSON.stringify({ webhookSecret: DEV_DEFAULTS.telegramWebhookSecret }),
      },
    ])
    .onConflict((oc) => oc.doNothing())
    .execute();
  return DEMO;
}
