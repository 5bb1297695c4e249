/**
 * Turns the content of a send request (free text, a template with variables, attachment ids) into
 * what the reply update records: rendered text, the template used, and attachment references.
 * Reads only (templates, attachments); the workflow records the message.
 */
import { attachmentRef, findAttachments } from '../db/attachment-store';
import type { Db } from '../db/client';
import { findTemplateByName } from '../db/templates';
import { type ChannelKind, kindSpec } from '../domain/channels';
import { DomainError } from '../domain/errors';
import type { Attachment, TemplateUse } from '../domain/message';
import { assertTemplateSendable, renderTemplate, whatsAppContentVariables } from '../domain/templates';
import { HttpError } from './errors';

/** A template reference in a request: its name and merge-tag values. */
export interface TemplateRequest {
  name: string;
  variables: Record<string, string>;
}

/** What the reply update gets: the text to store and send, the template used, the files. */
export interface OutboundContent {
  text: string;
  template: TemplateUse | null;
  attachments: Attachment[];
}

/**
 * Renders `template` (by name, in the org) for a conversation on `channelKind`.
 * @throws DomainError 404 `template_not_found`; 422 `template_variables_missing` (with
 *   `details.missing`), `template_channel_mismatch`, `template_not_approved` (provider-approved templates: WhatsApp)
 */
export async function renderTemplateRequest(
  db: Db,
  orgId: string,
  channelKind: ChannelKind,
  request: TemplateRequest,
): Promise<{ text: string; template: TemplateUse }> {
  const row = await findTemplateByName(db, orgId, request.name);
  if (!row) throw new DomainError('template_not_found', `No template named "${request.name}"`, 404, { name: request.name });
  assertTemplateSendable(
    { channel: row.channel, approvalStatus: row.approval_status, whatsappContentSid: row.whatsapp_content_sid },
    channelKind,
  );
  const rendered = renderTemplate({ subject: row.subject, body: row.body, variables: row.variables }, request.variables);
  // a provider-approved template (WhatsApp) is sent by its id with numbered variables; the text is what it reads
  const approved = kindSpec(row.channel).capabilities.templates === 'approved';
  return {
    text: rendered.body,
    template: {
      templateId: row.id,
      name: row.name,
      contentSid: approved ? row.whatsapp_content_sid : null,
      contentVariables: approved ? whatsAppContentVariables(row, request.variables) : null,
      subject: rendered.subject,
    },
  };
}

/**
 * The org's stored attachments for these ids, as message attachment references.
 * @throws HttpError 422 `attachment_not_found` naming the ids that are not the org's
 */
export async function attachmentRefs(db: Db, orgId: string, ids: readonly string[]): Promise<Attachment[]> {
  if (ids.length === 0) return [];
  const rows = await findAttachments(db, orgId, ids);
  const missing = ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length > 0) throw new HttpError(422, 'attachment_not_found', 'Some attachments do not exist', { missing });
  return ids.map((id) => attachmentRef(rows.find((r) => r.id === id)!));
}

/**
 * Resolves a send request's content (exactly one of `text` / `template`, plus attachments).
 * @throws HttpError 422 `attachment_not_found`; 422 `attachments_not_allowed` for attachments with a
 *   provider-approved template (`capabilities.templates === 'approved'`: WhatsApp), which carries its own media;
 *   for messages (not internal notes) the errors of {@link assertSendable}; the errors of {@link renderTemplateRequest}
 */
export async function outboundContent(
  db: Db,
  orgId: string,
  channelKind: ChannelKind,
  body: { text?: string; template?: TemplateRequest; attachments?: string[]; isInternalNote?: boolean },
): Promise<OutboundContent> {
  const attachments = await attachmentRefs(db, orgId, body.attachments ?? []);
  const spec = kindSpec(channelKind);
  if (body.template && spec.capabilities.templates === 'approved' && attachments.length > 0) {
    throw new HttpError(
      422,
      'attachments_not_allowed',
      `A ${spec.label} template carries its own media; send attachments in a separate message`,
    );
  }
  const content: OutboundContent = body.template
    ? { ...(await renderTemplateRequest(db, orgId, channelKind, body.template)), attachments }
    : { text: body.text ?? '', template: null, attachments };
  if (!body.isInternalNote) assertSendable(channelKind, content);
  return content;
}

/**
 * Refuses content the channel cannot carry, before anything is recorded (the provider would only
 * fail it later): files on a kind without `media` → 422 `attachments_not_supported`; text longer
 * than the kind's `maxTextLength` (with files: `maxCaptionLength` when set) → 422 `text_too_long`
 * with `details: { maxLength, length }`. A provider-approved template is sent by its id, not its
 * text, so its length is not checked. Lengths in UTF-16 code units (JavaScript string length).
 * @throws HttpError 422 as above
 */
export function assertSendable(channelKind: ChannelKind, content: OutboundContent): void {
  const { label, capabilities } = kindSpec(channelKind);
  const withFiles = content.attachments.length > 0;
  if (withFiles && !capabilities.media) {
    throw new HttpError(422, 'attachments_not_supported', `${label} messages cannot carry attachments`);
  }
  if (content.template?.contentSid) return;
  const maxLength = (withFiles ? capabilities.maxCaptionLength : null) ?? capabilities.maxTextLength;
  if (maxLength !== null && content.text.length > maxLength) {
    const what = withFiles && capabilities.maxCaptionLength !== null ? 'with attachments' : '';
    throw new HttpError(422, 'text_too_long', `A ${label} message ${what ? `${what} ` : ''}carries at most ${maxLength} characters`, {
      maxLength,
      length: content.text.length,
    });
  }
}
