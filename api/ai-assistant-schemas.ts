/**
 * Request and response schemas (zod, with OpenAPI metadata) of `/v1/ai-assistant`. They mirror
 * {@link AiAssistantConfig} field by field (the limits come from `domain/ai-assistant.ts`), except
 * that the API names the delay `autoSendDelay` (seconds) where the domain says `autoSendDelaySeconds`.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  AGENT_TOOL_SCOPES,
  AGENT_TOOLS,
  AI_MODES,
  type AiAssistantConfig,
  COMPLEXITIES,
  DEFAULT_AI_ASSISTANT_CONFIG,
  MAX_AI_INSTRUCTIONS_LENGTH,
  MAX_AGENT_STEPS,
  MAX_AI_MODEL_LENGTH,
  MAX_AUTO_SEND_DELAY_SECONDS,
} from '../domain/ai-assistant';
import { CHANNEL_KINDS } from '../channels/kinds';
import { text } from './schemas';

extendZodWithOpenApi(z);

const d = DEFAULT_AI_ASSISTANT_CONFIG;

const Enabled = z.boolean().openapi({ description: `Master switch; off = the assistant never drafts or sends (default ${d.enabled})` });
const Mode = z.enum(AI_MODES).openapi({
  description: `\`suggest\`: every draft waits for staff; \`auto\`: drafts meeting every auto-send rule send themselves (default \`${d.mode}\`)`,
});
/** May be empty (unlike `text()`): the activity's own framing still applies. */
const Instructions = z
  .string()
  .trim()
  .max(MAX_AI_INSTRUCTIONS_LENGTH)
  .refine((v) => !v.includes('\u0000'), { message: 'must not contain NUL characters' })
  .openapi({ description: `System prompt given to the model (trimmed, at most ${MAX_AI_INSTRUCTIONS_LENGTH} characters, may be empty)` });
const Channels = z
  .array(z.enum(CHANNEL_KINDS))
  .refine((list) => new Set(list).size === list.length, { message: 'must not repeat a channel' })
  .openapi({
    description:
      'Channels on which the assistant may auto-send (elsewhere it only suggests); also the default of a new ' +
      `conversation's \`aiAssist\`. Distinct; may be empty (default ${JSON.stringify(d.channels)})`,
    example: ['sms', 'whatsapp'],
  });
const AutoSendConfidence = z
  .number()
  .min(0)
  .max(1)
  .openapi({ description: `Minimum draft confidence for an auto-send, 0–1 inclusive (default ${d.autoSendConfidence})`, example: 0.85 });
const MaxAutoSendComplexity = z
  .enum(COMPLEXITIES)
  .openapi({ description: `Highest draft complexity that may be auto-sent, inclusive (default \`${d.maxAutoSendComplexity}\`)` });
const AutoSendDelay = z
  .number()
  .int()
  .min(0)
  .max(MAX_AUTO_SEND_DELAY_SECONDS)
  .openapi({
    description:
      'Seconds an auto-send draft is held before it goes out (0 = immediately); a staff reply, assignment, dismissal ' +
      `or status change meanwhile cancels it. Whole seconds, 0–${MAX_AUTO_SEND_DELAY_SECONDS} (default ${d.autoSendDelaySeconds})`,
    example: 60,
  });
const Model = text(MAX_AI_MODEL_LENGTH).openapi({
  description: `OpenAI model name; must support structured outputs (default \`${d.model}\`)`,
  example: 'gpt-4o-mini',
});

const AgentTools = z
  .object({
    enabled: z.boolean().openapi({
      description: `When on, an inbound email on an AI-assisted conversation runs the agent loop (tool calling) instead of a single draft (default ${d.agentTools.enabled})`,
    }),
    tools: z
      .array(z.enum(AGENT_TOOLS))
      .refine((list) => new Set(list).size === list.length, { message: 'must not repeat a tool' })
      .openapi({ description: `Tools offered to the model (default: all of ${AGENT_TOOLS.join(', ')})` }),
    maxSteps: z
      .number()
      .int()
      .min(1)
      .max(MAX_AGENT_STEPS)
      .openapi({ description: `Step limit: model round trips per loop, 1–${MAX_AGENT_STEPS} (default ${d.agentTools.maxSteps})` }),
    scope: z.enum(AGENT_TOOL_SCOPES).openapi({
      description:
        'What the tools may touch. `conversation` (default): only the conversation whose customer email started the loop; ' +
        '`list_inbox`, and any call naming another inbox item, is refused with the tool error `out_of_scope` (customer email is ' +
        'untrusted input). `inbox`: every email conversation of the org (opt-in, for internal mailboxes).',
    }),
  })
  .strict()
  .openapi('AiAgentTools');

/**
 * 200 body of `GET` and `PUT /v1/ai-assistant`: the org's configuration (stored values merged over the
 * documented defaults) and `available`: whether the server has an OpenAI API key (without one the
 * assistant does nothing, whatever the configuration says).
 */
export const AiAssistantSettings = z
  .object({
    enabled: Enabled,
    mode: Mode,
    instructions: z.string().openapi({ description: 'System prompt given to the model' }),
    channels: z.array(z.enum(CHANNEL_KINDS)),
    autoSendConfidence: AutoSendConfidence,
    maxAutoSendComplexity: MaxAutoSendComplexity,
    autoSendDelay: AutoSendDelay,
    model: z.string(),
    agentTools: AgentTools,
    available: z.boolean().openapi({ description: 'Whether the server is configured with an OpenAI API key (OPENAI_API_KEY)' }),
  })
  .openapi('AiAssistantSettings');
/** JSON shape of {@link AiAssistantSettings}. */
export type AiAssistantSettingsView = z.infer<typeof AiAssistantSettings>;

/**
 * Body of `PUT /v1/ai-assistant` (admins only): any subset of the settings; the given fields replace the
 * current ones (stored, else the defaults) and the others are kept. Unknown keys or bad values → 400
 * `validation_failed` naming the field.
 */
export const PutAiAssistantBody = z
  .object({
    enabled: Enabled.optional(),
    mode: Mode.optional(),
    instructions: Instructions.optional(),
    channels: Channels.optional(),
    autoSendConfidence: AutoSendConfidence.optional(),
    maxAutoSendComplexity: MaxAutoSendComplexity.optional(),
    autoSendDelay: AutoSendDelay.optional(),
    model: Model.optional(),
    agentTools: AgentTools.partial().strict().optional().openapi({ description: 'Any subset of the agent-tool settings' }),
  })
  .strict()
  .openapi('PutAiAssistantSettings');
/** Parsed {@link PutAiAssistantBody}: `undefined` = keep the current value. */
export type PutAiAssistantBody = z.infer<typeof PutAiAssistantBody>;

/** The {@link AiAssistantSettings} view of a config. */
export function toAiAssistantView(config: AiAssistantConfig, available: boolean): AiAssistantSettingsView {
  return {
    enabled: config.enabled,
    mode: config.mode,
    instructions: config.instructions,
    channels: [...config.channels],
    autoSendConfidence: config.autoSendConfidence,
    maxAutoSendComplexity: config.maxAutoSendComplexity,
    autoSendDelay: config.autoSendDelaySeconds,
    model: config.model,
    agentTools: { ...config.agentTools, tools: [...config.agentTools.tools] },
    available,
  };
}

/** `current` with the fields given in `body` replaced (the API's `autoSendDelay` is the domain's `autoSendDelaySeconds`). */
export function applyAiAssistantPut(current: AiAssistantConfig, body: PutAiAssistantBody): AiAssistantConfig {
  return {
    enabled: body.enabled ?? current.enabled,
    mode: body.mode ?? current.mode,
    instructions: body.instructions ?? current.instructions,
    channels: body.channels ?? current.channels,
    autoSendConfidence: body.autoSendConfidence ?? current.autoSendConfidence,
    maxAutoSendComplexity: body.maxAutoSendComplexity ?? current.maxAutoSendComplexity,
    autoSendDelaySeconds: body.autoSendDelay ?? current.autoSendDelaySeconds,
    model: body.model ?? current.model,
    agentTools: {
      enabled: body.agentTools?.enabled ?? current.agentTools.enabled,
      tools: body.agentTools?.tools ?? current.agentTools.tools,
      maxSteps: body.agentTools?.maxSteps ?? current.agentTools.maxSteps,
      scope: body.agentTools?.scope ?? current.agentTools.scope,
    },
  };
}
