/**
 * Message templates: `{{variable}}` merge tags, rendering, Twilio WhatsApp `ContentVariables`, and
 * the rules a template must satisfy to be stored and to be sent. Pure (no I/O).
 *
 * A template is `{ channel, subject, body, variables, whatsappContentSid, approvalStatus }`:
 * - `subject` (email only, may contain merge tags) and `body` contain merge tags `{{ name }}`:
 *   two braces, optional whitespace, a name matching {@link VARIABLE_NAME} (`[A-Za-z_][A-Za-z0-9_.]*`,
 *   e.g. `first_name`, `order.id`), optional whitespace, two braces. Anything else (`{{1}}`,
 *   `{{ first-name }}`, `{name}`) is plain text and is left as it is.
 * - `variables` declares the template's variables, in order; it includes every merge tag of the
 *   subject and body (and may declare more). On WhatsApp the order is what Twilio's numbered
 *   placeholders follow (see {@link whatsAppContentVariables}).
 * - WhatsApp templates are sent through an approved Twilio Content template (`whatsappContentSid`,
 *   `HX` + 32 lower-case hex) whose Meta `approvalStatus` is `approved`.
 * Which rule applies to which channel comes from its kind spec (`channels/types.ts`):
 * `capabilities.templates` (`'approved'`: WhatsApp, `'rendered'`: the others) and
 * `capabilities.templateSubject` (email).
 */
import { CHANNEL_KIND_SPECS, type ChannelKind, kindSpec } from './channels';
import { DomainError } from './errors';

/** Meta (WhatsApp) approval states of a template; only `approved` WhatsApp templates can be sent. */
export const TEMPLATE_APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
/** One of {@link TEMPLATE_APPROVAL_STATUSES}. */
export type TemplateApprovalStatus = (typeof TEMPLATE_APPROVAL_STATUSES)[number];

/** A variable (merge tag) name: a letter or `_`, then letters, digits, `_` or `.`. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** A Twilio Content SID: `HX` followed by 32 lower-case hex digits (the `templates` table checks the same). */
export const WHATSAPP_CONTENT_SID = /^HX[0-9a-f]{32}$/;

/** Limits on template fields (the API's schemas enforce the same). */
export const TEMPLATE_LIMITS = {
  maxNameLength: 100,
  maxSubjectLength: 500,
  maxBodyLength: 10_000,
  maxVariables: 50,
  maxVariableNameLength: 100,
} as const;

/** `{{ name }}`: group 1 is the name. Global: only use with `matchAll` / `replace` (which reset `lastIndex`). */
const MERGE_TAG = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g;

/** The stored parts of a template that the rules below look at. */
export interface TemplateState {
  channel: ChannelKind;
  /** Email subject; `null` for the other channels. */
  subject: string | null;
  body: string;
  /** Declared variable names, in order. */
  variables: string[];
  whatsappContentSid: string | null;
  approvalStatus: TemplateApprovalStatus;
}

/**
 * The merge-tag names used in `text`, unique, in order of first appearance.
 * Whitespace inside the braces is allowed (`{{first_name}}` and `{{  first_name }}` are the same tag);
 * text that is not a merge tag (`{{1}}`, `{{ a-b }}`, `{ x }`) is ignored.
 * @example mergeTagsOf('Hi {{ name }}, order {{order.id}} for {{name}}') // ['name', 'order.id']
 */
export function mergeTagsOf(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(MERGE_TAG)) {
    const name = match[1]!;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The merge tags of a template's subject (if any) then body, unique, in order of first appearance:
 * the default `variables` of a template. Subject and body are scanned separately (a tag never spans them).
 */
export function templateMergeTags(subject: string | null, body: string): string[] {
  return unique([...(subject === null ? [] : mergeTagsOf(subject)), ...mergeTagsOf(body)]);
}

/**
 * Whether `values` gives `name` a value: an own property holding a string. An absent key is missing;
 * an empty string is a value (it renders as nothing), so callers can fill optional parts with `''`.
 */
function hasValue(values: Record<string, string>, name: string): boolean {
  return Object.hasOwn(values, name) && typeof values[name] === 'string';
}

/** `names` without repeats, first occurrence kept. */
function unique(names: string[]): string[] {
  return [...new Set(names)];
}

function assertNoneMissing(names: string[], values: Record<string, string>): void {
  const missing = names.filter((name) => !hasValue(values, name));
  if (missing.length > 0) {
    throw new DomainError('template_variables_missing', `Missing template variables: ${missing.join(', ')}`, 422, { missing });
  }
}

/**
 * Fills a template's merge tags with `values`.
 *
 * Rules:
 * - every declared variable and every merge tag used in the subject or body needs a value; a value
 *   is missing when its key is absent (not an own string property of `values`); an empty string is a
 *   value and renders as nothing;
 * - values are inserted verbatim: no HTML escaping (SMS and WhatsApp are plain text, and email is
 *   sent as plain text), no trimming, and an inserted value is not scanned again (a value containing
 *   `{{x}}` stays literal);
 * - keys of `values` that the template does not use are ignored;
 * - a `null` subject stays `null`.
 * @throws DomainError `template_variables_missing` (422) with `details.missing`: every variable with no
 *   value, declared ones in declaration order, then undeclared merge tags in order of appearance
 */
export function renderTemplate(
  template: { subject: string | null; body: string; variables: string[] },
  values: Record<string, string>,
): { subject: string | null; body: string } {
  assertNoneMissing(unique([...template.variables, ...templateMergeTags(template.subject, template.body)]), values);
  const fill = (text: string): string => text.replace(MERGE_TAG, (_tag, name: string) => values[name]!);
  return { subject: template.subject === null ? null : fill(template.subject), body: fill(template.body) };
}

/**
 * Twilio's `ContentVariables` parameter (a JSON string) for sending a WhatsApp Content template.
 *
 * Mapping rule: Content templates use numbered placeholders `{{1}}`, `{{2}}`, …; the template's declared
 * `variables`, in their declared order (a repeated name counts once, at its first position), map to
 * `"1"`, `"2"`, …. So `variables: ['name', 'order']` with `{ name: 'Ada', order: 'A-7' }` gives
 * `{"1":"Ada","2":"A-7"}`. Only the declared variables are sent (Twilio renders the approved content);
 * values are passed verbatim and extra keys are ignored. No variables → `"{}"`.
 * @throws DomainError `template_variables_missing` (422) with `details.missing`, as {@link renderTemplate}
 */
export function whatsAppContentVariables(template: { variables: string[] }, values: Record<string, string>): string {
  const names = unique(template.variables);
  assertNoneMissing(names, values);
  const numbered: Record<string, string> = {};
  names.forEach((name, index) => {
    numbered[String(index + 1)] = values[name]!;
  });
  return JSON.stringify(numbered);
}

/**
 * Checks that a template may be sent in a conversation on `channelKind`.
 *
 * Rules, in this order:
 * - the template's channel must be the conversation's channel kind;
 * - on a kind with provider-approved templates (`capabilities.templates === 'approved'`: WhatsApp) the
 *   template must be `approved` (by Meta) and have a Content SID. Other channels have no approval
 *   step: their `approvalStatus` is not looked at.
 * @throws DomainError `template_channel_mismatch` (422, `details: { templateChannel, conversationChannel }`);
 *   `template_not_approved` (422, `details: { approvalStatus }`) when not approved or without a Content SID
 */
export function assertTemplateSendable(
  template: Pick<TemplateState, 'channel' | 'approvalStatus' | 'whatsappContentSid'>,
  channelKind: ChannelKind,
): void {
  if (template.channel !== channelKind) {
    throw new DomainError(
      'template_channel_mismatch',
      `This is a ${template.channel} template; the conversation is on ${channelKind}`,
      422,
      { templateChannel: template.channel, conversationChannel: channelKind },
    );
  }
  const spec = kindSpec(template.channel);
  if (spec.capabilities.templates !== 'approved') return;
  if (template.approvalStatus !== 'approved') {
    throw new DomainError(
      'template_not_approved',
      `The ${spec.label} template is ${template.approvalStatus}, not approved: only approved templates can be sent`,
      422,
      { approvalStatus: template.approvalStatus },
    );
  }
  if (template.whatsappContentSid === null) {
    throw new DomainError('template_not_approved', `The ${spec.label} template has no Content SID: it cannot be sent`, 422, {
      approvalStatus: template.approvalStatus,
    });
  }
}

/** The kinds whose templates have a subject (`capabilities.templateSubject`), for messages: `email`. */
const SUBJECT_TEMPLATE_KINDS = CHANNEL_KIND_SPECS.filter((s) => s.capabilities.templateSubject)
  .map((s) => s.kind)
  .join(' / ');

/** The labels of the kinds with provider-approved templates (`capabilities.templates === 'approved'`), for messages: `WhatsApp`. */
const APPROVED_TEMPLATE_LABELS = CHANNEL_KIND_SPECS.filter((s) => s.capabilities.templates === 'approved')
  .map((s) => s.label)
  .join(' / ');

/** One broken rule of a template's combined state: the field to fix and why. */
export interface TemplateProblem {
  path: 'subject' | 'whatsappContentSid' | 'variables';
  message: string;
}

/**
 * The rules a stored template must satisfy as a whole (what a create or an update must leave behind):
 * - a template of a kind with `capabilities.templateSubject` (email) has a subject; other channels
 *   have none (`null`);
 * - only a template of a kind with provider-approved templates (`capabilities.templates === 'approved'`:
 *   WhatsApp) has a Content SID, and an `approved` one must have it (a `pending` or `rejected` one may
 *   not have it yet);
 * - `variables` declares every merge tag used in the subject and body.
 * Field formats (lengths, SID pattern, variable names) are the schemas' job, not checked here.
 * @returns the broken rules (empty when the template is valid)
 */
export function templateProblems(template: TemplateState): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const { capabilities, label } = kindSpec(template.channel);
  if (capabilities.templateSubject && template.subject === null) {
    problems.push({ path: 'subject', message: `an ${template.channel} template needs a subject` });
  }
  if (!capabilities.templateSubject && template.subject !== null) {
    problems.push({
      path: 'subject',
      message: `only ${SUBJECT_TEMPLATE_KINDS} templates have a subject (set it to null for ${template.channel})`,
    });
  }
  const approved = capabilities.templates === 'approved';
  if (!approved && template.whatsappContentSid !== null) {
    problems.push({ path: 'whatsappContentSid', message: `only ${APPROVED_TEMPLATE_LABELS} templates have a Content SID` });
  }
  if (approved && template.approvalStatus === 'approved' && template.whatsappContentSid === null) {
    problems.push({ path: 'whatsappContentSid', message: `an approved ${label} template needs a Content SID` });
  }
  const undeclared = templateMergeTags(template.subject, template.body).filter((tag) => !template.variables.includes(tag));
  if (undeclared.length > 0) {
    problems.push({ path: 'variables', message: `must declare every merge tag used; missing: ${undeclared.join(', ')}` });
  }
  return problems;
}
