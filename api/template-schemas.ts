/**
 * Request and response schemas (zod, with OpenAPI metadata) of `/v1/templates`. The rules a template
 * must satisfy as a whole live in `domain/templates.ts` ({@link templateProblems}); here they make a
 * create 400 `validation_failed` naming the field (an update checks them against the stored
 * template in `api/routes/templates.ts`, 422).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CHANNEL_KINDS } from '../channels/kinds';
import {
  TEMPLATE_APPROVAL_STATUSES,
  TEMPLATE_LIMITS,
  VARIABLE_NAME,
  WHATSAPP_CONTENT_SID,
  templateMergeTags,
  templateProblems,
} from '../domain/templates';

import { IsoDateTime, text } from './schemas';

extendZodWithOpenApi(z);

const TemplateName = text(TEMPLATE_LIMITS.maxNameLength).openapi({
  description: 'Unique within the organisation',
  example: 'Order shipped',
});
const TemplateSubject = text(TEMPLATE_LIMITS.maxSubjectLength).openapi({
  description: 'Email subject (may contain merge tags); only and always for `email` templates',
  example: 'Your order {{order_id}} has shipped',
});
const TemplateBody = text(TEMPLATE_LIMITS.maxBodyLength).openapi({
  description: 'Text with `{{variable}}` merge tags (names: a letter or `_`, then letters, digits, `_`, `.`)',
  example: 'Hi {{first_name}}, your order {{order_id}} is on its way.',
});
const VariableList = z
  .array(
    z
      .string()
      .max(TEMPLATE_LIMITS.maxVariableNameLength)
      .regex(VARIABLE_NAME, { message: 'must be a variable name: a letter or _, then letters, digits, _ or .' }),
  )
  .max(TEMPLATE_LIMITS.maxVariables)
  .refine((names) => new Set(names).size === names.length, { message: 'must not repeat a variable name' })
  .openapi({
    description:
      'Declared variables, in order; must include every merge tag of the subject and body. On WhatsApp the n-th ' +
      'variable fills the Content template placeholder `{{n}}`. Default: the merge tags in order of appearance.',
    example: ['first_name', 'order_id'],
  });
const ContentSid = z
  .string()
  .regex(WHATSAPP_CONTENT_SID, { message: 'must be a Twilio Content SID: HX followed by 32 lower-case hex digits' })
  .openapi({ description: 'Twilio Content SID of the WhatsApp template', example: `HX${'0123456789abcdef'.repeat(2)}` });
const ApprovalStatus = z
  .enum(TEMPLATE_APPROVAL_STATUSES)
  .openapi({ description: 'Meta approval of a WhatsApp template; only `approved` WhatsApp templates (with a Content SID) can be sent' });

/**
 * A message template: 201 body of `POST /v1/templates`, 200 of `GET`/`PATCH /v1/templates/{id}`.
 * `subject` is set for email templates only; timestamps ISO-8601 UTC.
 */
export const Template = z
  .object({
    id: z.uuid(),
    name: z.string(),
    channel: z.enum(CHANNEL_KINDS),
    subject: z.string().nullable(),
    body: z.string(),
    variables: z.array(z.string()),
    whatsappContentSid: z.string().nullable(),
    approvalStatus: z.enum(TEMPLATE_APPROVAL_STATUSES),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('Template');
/** JSON shape of {@link Template}. */
export type TemplateView = z.infer<typeof Template>;

/** 200 body of `GET /v1/templates`: every template of the organisation (optionally of one channel), by name. */
export const TemplateList = z.object({ data: z.array(Template) }).openapi('TemplateList');

/** Query of `GET /v1/templates`: optional `channel`; unknown keys or values → 400 `validation_failed`. */
export const ListTemplatesQuery = z.object({ channel: z.enum(CHANNEL_KINDS).optional() }).strict();

/**
 * Body of `POST /v1/templates`: `name` (1–100 chars, unique per org: 409 `template_exists`), `channel`,
 * `subject` (email only, required there), `body` (1–10 000 chars), `variables` (optional, default: the
 * merge tags of subject and body; if given it must declare each of them), `whatsappContentSid`
 * (WhatsApp only; required to be `approved`), `approvalStatus` (default `pending`).
 * Any broken rule → 400 `validation_failed` naming the field.
 */
export const CreateTemplateBody = z
  .object({
    name: TemplateName,
    channel: z.enum(CHANNEL_KINDS),
    subject: TemplateSubject.nullable().optional(),
    body: TemplateBody,
    variables: VariableList.optional(),
    whatsappContentSid: ContentSid.nullable().optional(),
    approvalStatus: ApprovalStatus.default('pending'),
  })
  .strict()
  .superRefine((b, ctx) => {
    const subject = b.subject ?? null;
    const problems = templateProblems({
      channel: b.channel,
      subject,
      body: b.body,
      variables: b.variables ?? templateMergeTags(subject, b.body),
      whatsappContentSid: b.whatsappContentSid ?? null,
      approvalStatus: b.approvalStatus,
    });
    for (const p of problems) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
  })
  .openapi('CreateTemplate');
/** Parsed {@link CreateTemplateBody} (`approvalStatus` with its default). */
export type CreateTemplateBody = z.infer<typeof CreateTemplateBody>;

/**
 * Body of `PATCH /v1/templates/{id}`: at least one field of {@link CreateTemplateBody}; `null` clears
 * `subject` or `whatsappContentSid`. When `subject` or `body` changes and `variables` is not given,
 * `variables` becomes their merge tags again. The resulting template must satisfy the same rules as a
 * created one, else 422 `template_invalid` (details.fields names the fields).
 */
export const PatchTemplateBody = z
  .object({
    name: TemplateName.optional(),
    channel: z.enum(CHANNEL_KINDS).optional(),
    subject: TemplateSubject.nullable().optional(),
    body: TemplateBody.optional(),
    variables: VariableList.optional(),
    whatsappContentSid: ContentSid.nullable().optional(),
    approvalStatus: ApprovalStatus.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, {
    message: 'give at least one of name, channel, subject, body, variables, whatsappContentSid, approvalStatus',
  })
  .openapi('PatchTemplate');
/** Parsed {@link PatchTemplateBody}: `undefined` = unchanged. */
export type PatchTemplateBody = z.infer<typeof PatchTemplateBody>;
