/**
 * Request and response schemas (zod, with OpenAPI metadata) of `GET /v1/contacts` and
 * `PATCH /v1/contacts/{id}`, and the list's opaque cursor.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { type ContactCursor, IDENTITY_KINDS } from '../db/contacts';
import { decodeCreatedAtCursor, encodeCreatedAtCursor } from './cursors';
import { Contact, Conversation, text } from './schemas';

extendZodWithOpenApi(z);

/**
 * Query of `GET /v1/contacts`: `q` (at most 200 characters; blank = no search) searches names and
 * addresses; `limit` 1–100 (default 25); the opaque `cursor`. Unknown keys or bad values → 400
 * `validation_failed`; a cursor not made by the API → 400 `invalid_cursor`.
 */
export const ContactListQuery = z.strictObject({
  q: z
    .string()
    .trim()
    .max(200)
    .refine((v) => !v.includes('\u0000'), { message: 'must not contain NUL characters' })
    .optional()
    .openapi({
      description:
        'Case-insensitive substring of the name or of an address (3+ characters use the trigram indexes), or an address in any ' +
        'spelling its kind accepts (`+1 (202) 555-0143` finds `+12025550143`; an email in any case; a Telegram chat id; ' +
        '`@username` is in a Telegram contact’s name)',
      example: 'ada',
    }),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).optional().openapi({ description: 'Opaque `nextCursor` of the previous page' }),
});

/** 200 body of `GET /v1/contacts`: newest first; `nextCursor` is `null` on the last page. */
export const ContactPage = z
  .object({
    data: z.array(Contact),
    nextCursor: z.string().nullable().openapi({ description: 'Opaque cursor of the next page (`cursor=`), `null` on the last one' }),
  })
  .openapi('ContactPage');
/** JSON shape of {@link ContactPage}. */
export type ContactPage = z.infer<typeof ContactPage>;

/** One identity of a `PATCH /v1/contacts/{id}` body: an address as typed, normalised by its kind. */
export const ContactIdentityInput = z
  .strictObject({
    kind: z.enum(IDENTITY_KINDS).openapi({ description: 'A channel kind whose contacts have addresses (not `chat`)' }),
    address: text(320).openapi({
      description: 'Phone numbers in any spelling (stored E.164), email any case (stored lower-cased), Telegram chat id',
      example: '+1 (202) 555-0143',
    }),
  })
  .openapi('ContactIdentityInput');

/**
 * Body of `PATCH /v1/contacts/{id}`: at least one of `name` (`null` clears it), `vip`, `identities`
 * (the complete new list, at most 50: replace semantics, `[]` removes every address). Each address is
 * normalised by its kind (422 `invalid_address` naming the fields otherwise); one another contact of the
 * org holds → 409 `identity_taken` with that contact's id.
 */
export const PatchContactBody = z
  .strictObject({
    name: text(200).nullable().optional(),
    vip: z.boolean().optional(),
    identities: z
      .array(ContactIdentityInput)
      .max(50)
      .optional()
      .openapi({
        description:
          'The complete new list of addresses (replace semantics); kept ones keep their age, new ones are added in list order, ' +
          'so the first new address of a kind becomes `phone` / `whatsapp` / `email` when none of that kind was kept',
      }),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of name, vip, identities' })
  .openapi('PatchContact');
/** Parsed {@link PatchContactBody}. */
export type PatchContactBody = z.infer<typeof PatchContactBody>;

/** Encodes a contact list position as an opaque cursor (`[createdAt, id]`; api/cursors.ts). */
export const encodeContactCursor: (cursor: ContactCursor) => string = encodeCreatedAtCursor;
/**
 * Decodes a cursor made by {@link encodeContactCursor}.
 * @throws HttpError 400 `invalid_cursor` when it was not made by the API
 */
export const decodeContactCursor: (value: string) => ContactCursor = decodeCreatedAtCursor;

/** Body of `POST /v1/contacts/{id}/merge`: the contact merged into `{id}` (and then removed). */
export const MergeContactBody = z
  .strictObject({
    otherContactId: z.uuid().openapi({ description: 'The contact whose identities and conversations move to `{id}`; it is removed' }),
  })
  .openapi('MergeContactBody');
/** Body of `POST /v1/contacts/{id}/merge`. */
export type MergeContactBody = z.infer<typeof MergeContactBody>;

const UUID_PATTERN = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/**
 * Path of `GET /v1/conversations/between/{parties}` (seed 000): `parties` is `<contactId>+<staffId>`
 * (two UUIDs joined by `+`, contact first; `%2B` for the `+` works too). Anything else → 400
 * `validation_failed` on `parties`. Parsed into `{ contactId, staffId }`.
 */
export const BetweenParams = z.object({
  parties: z
    .string()
    .regex(new RegExp(`^${UUID_PATTERN}\\+${UUID_PATTERN}$`), { message: 'must be <contactId>+<staffId> (two UUIDs joined by +)' })
    .openapi({
      description: 'A contact id and a staff user id joined by `+`, contact first',
      example: '3f0c8a52-1d3e-4b6f-9a7c-2e5d8f1b4c60+9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
    }),
});
/** The two parties of a {@link BetweenParams} path: lower-cased UUIDs. */
export function partiesOf(params: z.infer<typeof BetweenParams>): { contactId: string; staffId: string } {
  const [contactId, staffId] = params.parties.toLowerCase().split('+') as [string, string];
  return { contactId, staffId };
}

/** 200 body of `GET /v1/conversations/between/{parties}`: most recently active first, at most 100. */
export const ConversationsBetween = z
  .object({ data: z.array(Conversation) })
  .openapi('ConversationsBetween', { description: 'The conversations between a contact and a staff user' });
/** 200 body of `GET /v1/conversations/between/{parties}`. */
export type ConversationsBetween = z.infer<typeof ConversationsBetween>;
