/**
 * Request and response schemas (zod, with OpenAPI metadata) of `/v1/channels`. The create body is
 * documented as a union discriminated by `kind`, each kind with its provider's credentials schema
 * (`channels/credentials.ts`); the handler first checks the body's shape (400 `validation_failed`),
 * then the credentials against the provider's schema (422 `invalid_credentials` with the zod issues).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PostmarkCredentials, TelegramCredentials, TwilioCredentials } from '../channels/credentials';
import { CHANNEL_KINDS, CHANNEL_PROVIDERS } from '../channels/kinds';
import { IsoDateTime, text } from './schemas';

extendZodWithOpenApi(z);

const ChannelName = text(100).openapi({ description: 'Shown to staff (the inbox name)', example: 'Support line' });
const Settings = z.record(z.string(), z.unknown()).openapi({
  description:
    'Provider settings, non-secret (Twilio: `messagingServiceSid`). Keys that name a secret (token, secret, password, …) ' +
    'are never shown back.',
  example: {},
});

/**
 * A channel (inbox): 201 body of `POST /v1/channels`, 200 of `GET` / `PATCH /v1/channels/{id}`. Never
 * carries credentials: `hasCredentials` says whether it has its own (else the environment's apply).
 */
export const Channel = z
  .object({
    id: z.uuid(),
    kind: z.enum(CHANNEL_KINDS),
    provider: z.enum(CHANNEL_PROVIDERS),
    name: z.string(),
    address: z.string().openapi({
      description: 'E.164 (sms, whatsapp), an email address (email), the bot username without `@` (telegram), an id (chat)',
      example: '+15551234567',
    }),
    settings: z.record(z.string(), z.unknown()),
    hasCredentials: z.boolean().openapi({ description: 'The channel has its own carrier credentials (stored encrypted, never returned)' }),
    archivedAt: IsoDateTime.nullable().openapi({ description: 'Set when deleted while it had conversations: it takes no new messages' }),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    webhookUrl: z
      .url()
      .nullable()
      .openapi({
        description:
          "Where the provider must send this channel's inbound webhooks (Twilio: the number's incoming-message URL; Postmark: " +
          "the server's inbound webhook; Telegram: registered by Switchboard with `setWebhook`); `null` for web chat",
      }),
  })
  .openapi('Channel');
/** JSON shape of {@link Channel}. */
export type ChannelViewBody = z.infer<typeof Channel>;

/** 200 body of `GET /v1/channels`. */
export const ChannelList = z.object({ data: z.array(Channel) }).openapi('ChannelList');

/** Query of `GET /v1/channels`: `includeArchived=true` lists archived channels too. */
export const ListChannelsQuery = z.strictObject({
  includeArchived: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});

/** Telegram credentials on create / update: the webhook secret is generated when omitted. */
export const TelegramCredentialsInput = TelegramCredentials.extend({
  webhookSecret: TelegramCredentials.shape.webhookSecret.optional().openapi({
    description: 'The secret Telegram sends back with every update; generated when omitted',
  }),
}).openapi('TelegramCredentialsInput');

const twilioCreds = TwilioCredentials.openapi('TwilioCredentials');
const postmarkCreds = PostmarkCredentials.openapi('PostmarkCredentials');

const createOf = <K extends (typeof CHANNEL_KINDS)[number], C extends z.ZodType | null>(kind: K, credentials: C, addressOptional = false) =>
  z.strictObject({
    kind: z.literal(kind),
    name: ChannelName,
    address: addressOptional
      ? z.string().optional().openapi({ description: "The bot's username; default: the bot's (`getMe`)" })
      : z.string(),
    settings: Settings.optional(),
    ...(credentials === null ? {} : { credentials: (credentials as z.ZodType).optional() }),
  });

/**
 * Body of `POST /v1/channels`, by `kind`: `name`, `address` (normalised: E.164, lower-cased email; a
 * Telegram bot's username, default the bot's own), `settings`, and the provider's `credentials`
 * (optional: without them the environment's apply; web chat has none). A Telegram channel with
 * credentials registers its webhook (`setWebhook`) before it is stored.
 */
export const CreateChannelBody = z
  .discriminatedUnion('kind', [
    createOf('sms', twilioCreds),
    createOf('whatsapp', twilioCreds),
    createOf('email', postmarkCreds),
    createOf('chat', null),
    createOf('telegram', TelegramCredentialsInput, true),
  ])
  .openapi('CreateChannelBody');

/** What the handler parses first: the shape, credentials as any object (checked by provider next: 422). */
export const CreateChannelEnvelope = z.strictObject({
  kind: z.enum(CHANNEL_KINDS),
  name: ChannelName,
  address: z.string().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  credentials: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Body of `PATCH /v1/channels/{id}`: `name`, `settings` (replaced as a whole), `credentials` (the
 * provider's schema, sealed with the current key; `null` removes them). Kind and address cannot change.
 */
export const PatchChannelBody = z
  .strictObject({
    name: ChannelName.optional(),
    settings: Settings.optional(),
    credentials: z
      .union([twilioCreds, postmarkCreds, TelegramCredentialsInput])
      .nullable()
      .optional()
      .openapi({ description: "The channel provider's credentials (as on create); `null` removes them" }),
  })
  .openapi('PatchChannelBody');

/** What the PATCH handler parses first (credentials checked by the channel's provider next: 422). */
export const PatchChannelEnvelope = z.strictObject({
  name: ChannelName.optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  credentials: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** 200 body of `DELETE /v1/channels/{id}` when the channel had conversations and was archived instead. */
export const ArchivedChannel = z.object({ archived: z.literal(true), channel: Channel }).openapi('ArchivedChannel');
