import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AGENT_TOOLS,
  AI_DRAFT_FIELDS,
  AI_DRAFT_JSON_SCHEMA,
  AI_SUGGEST_REASONS,
  type AiAssistantConfig,
  type AiDecision,
  type AiDecisionInput,
  type AiDraft,
  COMPLEXITIES,
  type Complexity,
  DEFAULT_AI_ASSISTANT_CONFIG,
  DEFAULT_HANDOFF_REASON,
  EMPTY_DRAFT_HANDOFF_REASON,
  MAX_AI_INSTRUCTIONS_LENGTH,
  MAX_AUTO_SEND_DELAY_SECONDS,
  complexityRank,
  decideAiAction,
  assistantActive,
  effectiveAiAssist,
  isValidAiConfig,
  parseAiDraft,
} from '../../domain/ai-assistant';
import { CHANNEL_KINDS, type ChannelKind } from '../../domain/channels';
import { SAMPLES_DIR } from '../support/contracts';

/** An auto-mode, enabled config that would auto-send {@link draft}() on SMS. */
function autoConfig(overrides: Partial<AiAssistantConfig> = {}): AiAssistantConfig {
  return { ...DEFAULT_AI_ASSISTANT_CONFIG, enabled: true, mode: 'auto', autoSendDelaySeconds: 30, ...overrides };
}

/** A confident, simple draft that needs no human. */
function draft(overrides: Partial<AiDraft> = {}): AiDraft {
  return {
    reply: 'Hi! Your order ships tomorrow.',
    confidence: 0.9,
    complexity: 'low',
    intent: 'order_status',
    handoff: false,
    handoffReason: null,
    ...overrides,
  };
}

/** Decision input that auto-sends, with overrides. */
function input(overrides: Partial<AiDecisionInput> = {}): AiDecisionInput {
  return {
    config: autoConfig(),
    conversationAiAssist: true,
    contactVip: false,
    channelKind: 'sms',
    whatsappWindowOpen: false,
    draft: draft(),
    ...overrides,
  };
}

const decide = (overrides: Partial<AiDecisionInput> = {}): AiDecision => decideAiAction(input(overrides));

describe('complexityRank', () => {
  it('orders low < medium < high', () => {
    expect(COMPLEXITIES.map(complexityRank)).toEqual([0, 1, 2]);
  });
});

describe('DEFAULT_AI_ASSISTANT_CONFIG', () => {
  it('is off, suggest-only, on every channel, with the documented thresholds', () => {
    expect(DEFAULT_AI_ASSISTANT_CONFIG).toEqual({
      enabled: false,
      mode: 'suggest',
      instructions: expect.stringMatching(/\S/) as unknown as string,
      channels: ['sms', 'whatsapp', 'email', 'chat', 'telegram'],
      autoSendConfidence: 0.85,
      maxAutoSendComplexity: 'low',
      autoSendDelaySeconds: 60,
      model: 'gpt-4o-mini',
      agentTools: { enabled: false, tools: [...AGENT_TOOLS], maxSteps: 6, scope: 'conversation' },
    });
  });

  it('is valid', () => {
    expect(isValidAiConfig(DEFAULT_AI_ASSISTANT_CONFIG)).toEqual([]);
  });
});

describe('isValidAiConfig', () => {
  const problemsOf = (overrides: Partial<AiAssistantConfig>): string[] => isValidAiConfig(autoConfig(overrides));

  it('accepts the boundaries: confidence 0 and 1, delay 0 and 24 h, no channels, empty instructions', () => {
    for (const overrides of [
      { autoSendConfidence: 0 },
      { autoSendConfidence: 1 },
      { autoSendDelaySeconds: 0 },
      { autoSendDelaySeconds: MAX_AUTO_SEND_DELAY_SECONDS },
      { channels: [] },
      { instructions: '' },
      { instructions: 'x'.repeat(MAX_AI_INSTRUCTIONS_LENGTH) },
    ]) {
      expect(problemsOf(overrides)).toEqual([]);
    }
  });

  it.each<[string, Partial<AiAssistantConfig>, RegExp]>([
    ['confidence below 0', { autoSendConfidence: -0.01 }, /autoSendConfidence/],
    ['confidence above 1', { autoSendConfidence: 1.01 }, /autoSendConfidence/],
    ['confidence NaN', { autoSendConfidence: Number.NaN }, /autoSendConfidence/],
    ['negative delay', { autoSendDelaySeconds: -1 }, /autoSendDelaySeconds/],
    ['fractional delay', { autoSendDelaySeconds: 1.5 }, /autoSendDelaySeconds/],
    ['delay over 24 h', { autoSendDelaySeconds: MAX_AUTO_SEND_DELAY_SECONDS + 1 }, /autoSendDelaySeconds/],
    ['unknown channel', { channels: ['sms', 'fax' as ChannelKind] }, /channels.*fax/],
    ['repeated channel', { channels: ['sms', 'sms'] }, /channels must not repeat/],
    ['blank model', { model: '  ' }, /model/],
    ['unknown mode', { mode: 'yolo' as AiAssistantConfig['mode'] }, /mode/],
    ['unknown complexity', { maxAutoSendComplexity: 'extreme' as Complexity }, /maxAutoSendComplexity/],
    ['too long instructions', { instructions: 'x'.repeat(MAX_AI_INSTRUCTIONS_LENGTH + 1) }, /instructions/],
  ])('rejects %s', (_name, overrides, problem) => {
    const problems = problemsOf(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ autoSendConfidence: 2, autoSendDelaySeconds: -5, model: '' })).toHaveLength(3);
  });
});

describe('decideAiAction', () => {
  describe('auto-send', () => {
    it('auto-sends when every rule holds, after the configured delay', () => {
      expect(decide()).toEqual({ action: 'auto_send', sendAtDelaySeconds: 30 });
    });

    it('passes a zero delay through (send immediately)', () => {
      expect(decide({ config: autoConfig({ autoSendDelaySeconds: 0 }) })).toEqual({ action: 'auto_send', sendAtDelaySeconds: 0 });
    });

    it('auto-sends on every allowed channel (WhatsApp with an open window)', () => {
      for (const channelKind of CHANNEL_KINDS) {
        expect(decide({ channelKind, whatsappWindowOpen: true }).action).toBe('auto_send');
      }
    });

    it('ignores the WhatsApp window on other channels', () => {
      for (const channelKind of CHANNEL_KINDS.filter((k) => k !== 'whatsapp')) {
        expect(decide({ channelKind, whatsappWindowOpen: false }).action).toBe('auto_send');
      }
    });
  });

  describe('confidence threshold', () => {
    it('auto-sends at exactly the threshold (inclusive)', () => {
      expect(decide({ config: autoConfig({ autoSendConfidence: 0.85 }), draft: draft({ confidence: 0.85 }) }).action).toBe('auto_send');
    });

    it('suggests just below the threshold', () => {
      expect(decide({ config: autoConfig({ autoSendConfidence: 0.85 }), draft: draft({ confidence: 0.8499 }) })).toEqual({
        action: 'suggest',
        reasons: ['low_confidence'],
      });
    });

    it('auto-sends anything with threshold 0 and only certainty with threshold 1', () => {
      expect(decide({ config: autoConfig({ autoSendConfidence: 0 }), draft: draft({ confidence: 0 }) }).action).toBe('auto_send');
      expect(decide({ config: autoConfig({ autoSendConfidence: 1 }), draft: draft({ confidence: 1 }) }).action).toBe('auto_send');
      expect(decide({ config: autoConfig({ autoSendConfidence: 1 }), draft: draft({ confidence: 0.999 }) }).action).toBe('suggest');
    });

    it('treats a NaN confidence as too low', () => {
      expect(decide({ draft: draft({ confidence: Number.NaN }) })).toEqual({ action: 'suggest', reasons: ['low_confidence'] });
    });
  });

  describe('complexity ceiling', () => {
    it.each<[Complexity, Complexity, 'auto_send' | 'suggest']>([
      ['low', 'low', 'auto_send'],
      ['low', 'medium', 'suggest'],
      ['low', 'high', 'suggest'],
      ['medium', 'low', 'auto_send'],
      ['medium', 'medium', 'auto_send'],
      ['medium', 'high', 'suggest'],
      ['high', 'low', 'auto_send'],
      ['high', 'medium', 'auto_send'],
      ['high', 'high', 'auto_send'],
    ])('max %s, draft %s → %s', (max, complexity, action) => {
      const decision = decide({ config: autoConfig({ maxAutoSendComplexity: max }), draft: draft({ complexity }) });
      expect(decision.action).toBe(action);
      if (decision.action === 'suggest') expect(decision.reasons).toEqual(['too_complex']);
    });
  });

  describe('forced suggestions', () => {
    it('suggests in suggest mode even for a perfect draft', () => {
      expect(decide({ config: autoConfig({ mode: 'suggest' }) })).toEqual({ action: 'suggest', reasons: ['mode_suggest'] });
    });

    it('suggests for a VIP contact', () => {
      expect(decide({ contactVip: true })).toEqual({ action: 'suggest', reasons: ['vip_contact'] });
    });

    it('suggests (not none) on a channel outside the allow-list when the conversation has aiAssist on', () => {
      expect(decide({ config: autoConfig({ channels: ['whatsapp', 'email'] }), channelKind: 'sms' })).toEqual({
        action: 'suggest',
        reasons: ['channel_not_allowed'],
      });
      expect(decide({ config: autoConfig({ channels: [] }), channelKind: 'chat' })).toEqual({
        action: 'suggest',
        reasons: ['channel_not_allowed'],
      });
    });

    it('suggests on WhatsApp when the 24 h window is closed', () => {
      expect(decide({ channelKind: 'whatsapp', whatsappWindowOpen: false })).toEqual({
        action: 'suggest',
        reasons: ['whatsapp_window_closed'],
      });
    });

    it('lists every failed rule, in a stable order', () => {
      const decision = decide({
        config: autoConfig({ mode: 'suggest', channels: ['sms'], autoSendConfidence: 0.9, maxAutoSendComplexity: 'low' }),
        contactVip: true,
        channelKind: 'whatsapp',
        whatsappWindowOpen: false,
        humanActive: true,
        humanOwner: true,
        draft: draft({ confidence: 0.2, complexity: 'high' }),
      });
      // every rule but the email-only one (a WhatsApp conversation has no email address to bounce)
      expect(decision).toEqual({ action: 'suggest', reasons: AI_SUGGEST_REASONS.filter((r) => r !== 'email_address_bounced') });
    });

    it('suggests on email when the contact’s address hard-bounced; the flag does not count on other channels', () => {
      expect(decide({ channelKind: 'email', contactEmailBounced: true })).toEqual({
        action: 'suggest',
        reasons: ['email_address_bounced'],
      });
      expect(decide({ channelKind: 'email', contactEmailBounced: false }).action).toBe('auto_send');
      expect(decide({ channelKind: 'sms', contactEmailBounced: true }).action).toBe('auto_send');
    });

    it('suggests when a human acted since the customer message, even if every other rule holds', () => {
      expect(decide({ humanActive: true })).toEqual({ action: 'suggest', reasons: ['human_active'] });
      expect(decide({ humanActive: false })).toEqual({ action: 'auto_send', sendAtDelaySeconds: 30 });
    });

    it('suggests with human_owner when a human owns the conversation (assigned, or a staff reply since it was opened)', () => {
      expect(decide({ humanOwner: true })).toEqual({ action: 'suggest', reasons: ['human_owner'] });
      expect(decide({ humanOwner: false })).toEqual({ action: 'auto_send', sendAtDelaySeconds: 30 });
      // a hand-off still hands off: the owner is told why
      expect(decide({ humanOwner: true, draft: draft({ handoff: true, handoffReason: 'angry' }) })).toEqual({
        action: 'hand_off',
        reason: 'angry',
      });
    });

    it('lists a subset in the same order', () => {
      expect(decide({ contactVip: true, draft: draft({ confidence: 0.1 }) })).toEqual({
        action: 'suggest',
        reasons: ['low_confidence', 'vip_contact'],
      });
    });
  });

  describe('hand-off', () => {
    it("hands off with the model's reason (trimmed)", () => {
      expect(decide({ draft: draft({ handoff: true, handoffReason: '  Customer asked for a manager. ' }) })).toEqual({
        action: 'hand_off',
        reason: 'Customer asked for a manager.',
      });
    });

    it('hands off with the default reason when the model gives none (null or blank)', () => {
      for (const handoffReason of [null, '', '   ']) {
        expect(decide({ draft: draft({ handoff: true, handoffReason }) })).toEqual({ action: 'hand_off', reason: DEFAULT_HANDOFF_REASON });
      }
    });

    it('wins over every suggest rule (suggest mode, VIP, channel, WhatsApp window, confidence, complexity, empty reply)', () => {
      const decision = decide({
        config: autoConfig({ mode: 'suggest', channels: [] }),
        contactVip: true,
        channelKind: 'whatsapp',
        whatsappWindowOpen: false,
        draft: draft({ handoff: true, handoffReason: 'wants a human', confidence: 0, complexity: 'high', reply: '' }),
      });
      expect(decision).toEqual({ action: 'hand_off', reason: 'wants a human' });
    });

    it('loses to a disabled assistant and to aiAssist off', () => {
      const handoff = draft({ handoff: true, handoffReason: 'wants a human' });
      expect(decide({ config: autoConfig({ enabled: false }), draft: handoff })).toEqual({ action: 'none', reason: 'assistant_disabled' });
      expect(decide({ conversationAiAssist: false, draft: handoff })).toEqual({ action: 'none', reason: 'ai_assist_off' });
    });

    it('ignores a handoffReason when handoff is false', () => {
      expect(decide({ draft: draft({ handoff: false, handoffReason: 'just in case' }) }).action).toBe('auto_send');
    });

    it('hands off an empty or blank reply (nothing to send) instead of auto-sending or suggesting it', () => {
      for (const reply of ['', ' \n\t ']) {
        expect(decide({ draft: draft({ reply }) })).toEqual({ action: 'hand_off', reason: EMPTY_DRAFT_HANDOFF_REASON });
        expect(decide({ config: autoConfig({ mode: 'suggest' }), draft: draft({ reply }) })).toEqual({
          action: 'hand_off',
          reason: EMPTY_DRAFT_HANDOFF_REASON,
        });
      }
    });
  });

  describe('none', () => {
    it('does nothing when the assistant is disabled, whatever else holds', () => {
      expect(decide({ config: autoConfig({ enabled: false }) })).toEqual({ action: 'none', reason: 'assistant_disabled' });
      expect(decide({ config: autoConfig({ enabled: false }), conversationAiAssist: false })).toEqual({
        action: 'none',
        reason: 'assistant_disabled',
      });
    });

    it("does nothing when the conversation's aiAssist is off", () => {
      expect(decide({ conversationAiAssist: false })).toEqual({ action: 'none', reason: 'ai_assist_off' });
    });

    it('does nothing with the default config (disabled)', () => {
      expect(decide({ config: DEFAULT_AI_ASSISTANT_CONFIG })).toEqual({ action: 'none', reason: 'assistant_disabled' });
    });
  });

  it('does not mutate its input', () => {
    const frozen = Object.freeze(input({ contactVip: true }));
    Object.freeze(frozen.config);
    Object.freeze(frozen.config.channels);
    Object.freeze(frozen.draft);
    expect(decideAiAction(frozen)).toEqual({ action: 'suggest', reasons: ['vip_contact'] });
  });
});

describe('AI_DRAFT_JSON_SCHEMA', () => {
  it('is strict-mode compatible: an object, every property required, no additional properties', () => {
    expect(AI_DRAFT_JSON_SCHEMA.type).toBe('object');
    expect(AI_DRAFT_JSON_SCHEMA.additionalProperties).toBe(false);
    expect(Object.keys(AI_DRAFT_JSON_SCHEMA.properties)).toEqual([...AI_DRAFT_FIELDS]);
    expect([...AI_DRAFT_JSON_SCHEMA.required]).toEqual([...AI_DRAFT_FIELDS]);
  });

  it('types each field like AiDraft (handoffReason nullable, complexity an enum)', () => {
    const p = AI_DRAFT_JSON_SCHEMA.properties;
    expect([p.reply.type, p.confidence.type, p.intent.type, p.handoff.type]).toEqual(['string', 'number', 'string', 'boolean']);
    expect(p.complexity).toMatchObject({ type: 'string', enum: ['low', 'medium', 'high'] });
    expect([...p.handoffReason.type]).toEqual(['string', 'null']);
  });

  it('survives a JSON round trip (it is sent as-is in response_format)', () => {
    expect(JSON.parse(JSON.stringify(AI_DRAFT_JSON_SCHEMA))).toEqual(AI_DRAFT_JSON_SCHEMA);
  });
});

describe('parseAiDraft', () => {
  const valid = (): Record<string, unknown> => ({ ...draft() });

  it('accepts a complete draft and returns a fresh copy', () => {
    const value = valid();
    const result = parseAiDraft(value);
    expect(result).toEqual({ ok: true, draft: draft() });
    if (result.ok) expect(result.draft).not.toBe(value);
  });

  it('accepts confidence 0 and 1, an empty reply, and a handoff with a reason', () => {
    for (const overrides of [{ confidence: 0 }, { confidence: 1 }, { reply: '' }, { handoff: true, handoffReason: 'asks for a human' }]) {
      expect(parseAiDraft({ ...valid(), ...overrides }).ok).toBe(true);
    }
  });

  it('accepts the JSON text a model would return', () => {
    const content = JSON.stringify({ ...draft(), complexity: 'medium', handoff: true, handoffReason: 'refund request' });
    expect(parseAiDraft(JSON.parse(content))).toEqual({
      ok: true,
      draft: draft({ complexity: 'medium', handoff: true, handoffReason: 'refund request' }),
    });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [draft()]],
    ['a string', JSON.stringify(draft())],
    ['a number', 1],
  ])('rejects %s', (_name, value) => {
    expect(parseAiDraft(value)).toEqual({ ok: false, problems: ['draft must be a JSON object'] });
  });

  it.each(AI_DRAFT_FIELDS.map((f) => [f]))('rejects a draft without %s', (field) => {
    const value = valid();
    delete value[field];
    expect(parseAiDraft(value)).toEqual({ ok: false, problems: [`missing field "${field}"`] });
  });

  it('rejects a field present but undefined (not JSON, but not a valid value either)', () => {
    expect(parseAiDraft({ ...valid(), handoffReason: undefined })).toEqual({
      ok: false,
      problems: ['handoffReason must be a string or null'],
    });
  });

  it('rejects extra fields', () => {
    expect(parseAiDraft({ ...valid(), language: 'en' })).toEqual({ ok: false, problems: ['unexpected field "language"'] });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['reply not a string', { reply: 42 }, 'reply must be a string'],
    ['reply null', { reply: null }, 'reply must be a string'],
    ['confidence a string', { confidence: '0.9' }, 'confidence must be a number from 0 to 1'],
    ['confidence below 0', { confidence: -0.01 }, 'confidence must be a number from 0 to 1'],
    ['confidence above 1', { confidence: 1.01 }, 'confidence must be a number from 0 to 1'],
    ['confidence as a percentage', { confidence: 86 }, 'confidence must be a number from 0 to 1'],
    ['confidence NaN', { confidence: Number.NaN }, 'confidence must be a number from 0 to 1'],
    ['confidence Infinity', { confidence: Number.POSITIVE_INFINITY }, 'confidence must be a number from 0 to 1'],
    ['unknown complexity', { complexity: 'extreme' }, 'complexity must be one of low, medium, high'],
    ['complexity in another case', { complexity: 'Low' }, 'complexity must be one of low, medium, high'],
    ['intent blank', { intent: ' ' }, 'intent must be a non-empty string'],
    ['intent not a string', { intent: ['order_status'] }, 'intent must be a non-empty string'],
    ['handoff a string', { handoff: 'false' }, 'handoff must be a boolean'],
    ['handoffReason a number', { handoffReason: 0 }, 'handoffReason must be a string or null'],
  ])('rejects %s', (_name, overrides, problem) => {
    expect(parseAiDraft({ ...valid(), ...overrides })).toEqual({ ok: false, problems: [problem] });
  });

  it('reports every problem at once', () => {
    const result = parseAiDraft({ reply: 1, confidence: 2, complexity: 'low', intent: 'x', handoff: false, extra: true });
    expect(result).toEqual({
      ok: false,
      problems: [
        'unexpected field "extra"',
        'missing field "handoffReason"',
        'reply must be a string',
        'confidence must be a number from 0 to 1',
      ],
    });
  });

  describe('the shared OpenAI chat-completions sample (openai-chat-json-schema.response.json)', () => {
    interface ChatCompletion {
      choices: { message: { content: string } }[];
    }
    const sample = JSON.parse(readFileSync(path.join(SAMPLES_DIR, 'openai-chat-json-schema.response.json'), 'utf8')) as ChatCompletion;
    const content = JSON.parse(sample.choices[0]!.message.content) as Record<string, unknown>;

    it('uses the older draft_reply shape (language, needs_human; no complexity or handoffReason), which is rejected', () => {
      // The sample's schema is `draft_reply` {reply, language, intent, needs_human, confidence};
      // Switchboard follows the field names, so that exact shape is not an AiDraft.
      expect(parseAiDraft(content)).toEqual({
        ok: false,
        problems: [
          'unexpected field "language"',
          'unexpected field "needs_human"',
          'missing field "complexity"',
          'missing field "handoff"',
          'missing field "handoffReason"',
        ],
      });
    });

    it('is accepted once mapped onto the issue field names, keeping its values', () => {
      const { language: _language, needs_human, ...rest } = content;
      const mapped = { ...rest, complexity: 'low', handoff: needs_human, handoffReason: null };
      const result = parseAiDraft(mapped);
      expect(result).toEqual({
        ok: true,
        draft: {
          reply: "Hi Amara! Yes - please send the new address and I'll update order 4821 before it ships.",
          confidence: 0.86,
          complexity: 'low',
          intent: 'change_request',
          handoff: false,
          handoffReason: null,
        },
      });
      // with the default 0.85 threshold this sample draft would auto-send on WhatsApp with an open window
      if (result.ok) {
        expect(
          decideAiAction({
            config: { ...DEFAULT_AI_ASSISTANT_CONFIG, enabled: true, mode: 'auto' },
            conversationAiAssist: true,
            contactVip: false,
            channelKind: 'whatsapp',
            whatsappWindowOpen: true,
            draft: result.draft,
          }),
        ).toEqual({ action: 'auto_send', sendAtDelaySeconds: 60 });
      }
    });
  });
});

describe('agentTools settings', () => {
  const withAgent = (agentTools: Partial<AiAssistantConfig['agentTools']>): AiAssistantConfig => ({
    ...DEFAULT_AI_ASSISTANT_CONFIG,
    agentTools: { ...DEFAULT_AI_ASSISTANT_CONFIG.agentTools, ...agentTools },
  });
  it('accepts a subset of the tools and 1–20 steps', () => {
    expect(isValidAiConfig(withAgent({ enabled: true, tools: ['reply_to_inbox'], maxSteps: 1 }))).toEqual([]);
    expect(isValidAiConfig(withAgent({ tools: [], maxSteps: 20 }))).toEqual([]);
  });
  it('rejects unknown or repeated tools and a step limit outside 1–20', () => {
    expect(isValidAiConfig(withAgent({ tools: ['rm_rf' as never] }))).toEqual([expect.stringMatching(/agentTools.tools/)]);
    expect(isValidAiConfig(withAgent({ tools: ['list_inbox', 'list_inbox'] }))).toEqual([expect.stringMatching(/repeat/)]);
    expect(isValidAiConfig(withAgent({ maxSteps: 0 }))).toEqual([expect.stringMatching(/maxSteps/)]);
    expect(isValidAiConfig(withAgent({ maxSteps: 21 }))).toEqual([expect.stringMatching(/maxSteps/)]);
    expect(isValidAiConfig(withAgent({ maxSteps: 2.5 }))).toEqual([expect.stringMatching(/maxSteps/)]);
  });
  it('scope: conversation or inbox, nothing else', () => {
    expect(isValidAiConfig(withAgent({ scope: 'inbox' }))).toEqual([]);
    expect(isValidAiConfig(withAgent({ scope: 'conversation' }))).toEqual([]);
    expect(isValidAiConfig(withAgent({ scope: 'org' as never }))).toEqual([expect.stringMatching(/agentTools.scope/)]);
  });
});

describe('assistantActive', () => {
  const on: AiAssistantConfig = { ...DEFAULT_AI_ASSISTANT_CONFIG, enabled: true, channels: ['sms'] };
  it('needs an OpenAI key, the org switch and the effective per-conversation switch', () => {
    expect(assistantActive(on, true, 'sms', null)).toBe(true);
    expect(assistantActive(on, false, 'sms', null)).toBe(false);
    expect(assistantActive({ ...on, enabled: false }, true, 'sms', true)).toBe(false);
    expect(assistantActive(on, true, 'whatsapp', null)).toBe(false);
    expect(assistantActive(on, true, 'whatsapp', true)).toBe(true);
    expect(assistantActive(on, true, 'sms', false)).toBe(false);
  });
});

describe('effectiveAiAssist', () => {
  const on: AiAssistantConfig = { ...DEFAULT_AI_ASSISTANT_CONFIG, enabled: true, channels: ['sms', 'email'] };
  it("follows the org's switch and channel list when the conversation has no setting of its own", () => {
    expect(effectiveAiAssist(on, 'sms', null)).toBe(true);
    expect(effectiveAiAssist(on, 'whatsapp', null)).toBe(false);
    expect(effectiveAiAssist({ ...on, enabled: false }, 'sms', null)).toBe(false);
  });
  it("prefers the conversation's own setting", () => {
    expect(effectiveAiAssist(on, 'whatsapp', true)).toBe(true);
    expect(effectiveAiAssist(on, 'sms', false)).toBe(false);
  });
});
