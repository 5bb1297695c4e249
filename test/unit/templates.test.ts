import { DomainError } from '../../domain/errors';
import {
  TEMPLATE_APPROVAL_STATUSES,
  type TemplateState,
  VARIABLE_NAME,
  WHATSAPP_CONTENT_SID,
  assertTemplateSendable,
  mergeTagsOf,
  renderTemplate,
  templateMergeTags,
  templateProblems,
  whatsAppContentVariables,
} from '../../domain/templates';

const SID = `HX${'0123456789abcdef'.repeat(2)}`;

/** Runs `fn` and returns the DomainError it throws (fails the test if it does not throw one). */
function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error('expected a DomainError');
}

describe('mergeTagsOf', () => {
  it('returns the names in order of first appearance, each once', () => {
    expect(mergeTagsOf('{{b}} {{a}} {{b}} {{c}} {{a}}')).toEqual(['b', 'a', 'c']);
  });

  it('allows whitespace (spaces, tabs, newlines) inside the braces', () => {
    expect(mergeTagsOf('{{ name }} {{\tname\t}} {{name}} {{\n  other\n}}')).toEqual(['name', 'other']);
  });

  it('accepts names with underscores, digits and dots', () => {
    expect(mergeTagsOf('{{_x}} {{first_name}} {{order.id}} {{a1.b2_c3}} {{A}}')).toEqual(['_x', 'first_name', 'order.id', 'a1.b2_c3', 'A']);
  });

  it.each(['{{1}}', '{{ 2nd }}', '{{first-name}}', '{{first name}}', '{{}}', '{{ }}', '{name}', '{ {name} }', '{{.a}}', '{{na$me}}'])(
    'ignores %j (not a merge tag)',
    (text) => {
      expect(mergeTagsOf(text)).toEqual([]);
    },
  );

  it('is case-sensitive', () => {
    expect(mergeTagsOf('{{Name}} {{name}}')).toEqual(['Name', 'name']);
  });

  it('finds tags glued to text and inside extra braces', () => {
    expect(mergeTagsOf('x{{a}}y{{b}}z')).toEqual(['a', 'b']);
    expect(mergeTagsOf('{{{a}}}')).toEqual(['a']);
  });

  it('returns [] for text without tags and for the empty string', () => {
    expect(mergeTagsOf('Hello there')).toEqual([]);
    expect(mergeTagsOf('')).toEqual([]);
  });

  it('is stable across calls (no regex state leaks between calls)', () => {
    expect(mergeTagsOf('{{a}}')).toEqual(['a']);
    expect(mergeTagsOf('{{a}}')).toEqual(['a']);
  });
});

describe('templateMergeTags', () => {
  it('lists subject tags first, then body tags, each once', () => {
    expect(templateMergeTags('Order {{order}} for {{name}}', 'Hi {{name}}, {{eta}}')).toEqual(['order', 'name', 'eta']);
  });

  it('handles a null subject', () => {
    expect(templateMergeTags(null, '{{a}} {{b}}')).toEqual(['a', 'b']);
  });

  it('does not join subject and body into one tag', () => {
    expect(templateMergeTags('Hi {{', 'name}}')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  const template = {
    subject: 'Order {{order_id}}',
    body: 'Hi {{ first_name }}, order {{order_id}} ships {{eta}}.',
    variables: ['first_name', 'order_id', 'eta'],
  };

  it('fills every tag, repeated ones included, in subject and body', () => {
    expect(renderTemplate(template, { first_name: 'Ada', order_id: 'A-7', eta: 'today' })).toEqual({
      subject: 'Order A-7',
      body: 'Hi Ada, order A-7 ships today.',
    });
  });

  it('keeps a null subject null', () => {
    expect(renderTemplate({ subject: null, body: 'Hi {{n}}', variables: ['n'] }, { n: 'Bo' })).toEqual({ subject: null, body: 'Hi Bo' });
  });

  it('ignores values the template does not use', () => {
    expect(renderTemplate({ subject: null, body: '{{a}}', variables: ['a'] }, { a: '1', b: '2', c: '3' }).body).toBe('1');
  });

  it('inserts values verbatim: no HTML escaping, no trimming, $-patterns not expanded', () => {
    const values = { a: '<b>&"\'</b>', b: '  spaced  ', c: "$& $1 $$ $` $'" };
    expect(renderTemplate({ subject: null, body: '[{{a}}][{{b}}][{{c}}]', variables: ['a', 'b', 'c'] }, values).body).toBe(
      `[<b>&"'</b>][  spaced  ][$& $1 $$ $\` $']`,
    );
  });

  it('does not re-scan inserted values (a value containing {{x}} stays literal)', () => {
    expect(renderTemplate({ subject: null, body: '{{a}} {{b}}', variables: ['a', 'b'] }, { a: '{{b}}', b: 'B' }).body).toBe('{{b}} B');
  });

  it('treats an empty string as a value (renders as nothing)', () => {
    expect(
      renderTemplate(
        { subject: null, body: 'Hi {{first}}{{middle}} {{last}}', variables: ['first', 'middle', 'last'] },
        { first: 'Ada', middle: '', last: 'L' },
      ).body,
    ).toBe('Hi Ada L');
  });

  it('leaves text that is not a merge tag alone', () => {
    expect(renderTemplate({ subject: null, body: '{{1}} {{a-b}} {x} {{a}}', variables: ['a'] }, { a: 'A' }).body).toBe(
      '{{1}} {{a-b}} {x} A',
    );
  });

  it('renders a template without tags unchanged', () => {
    expect(renderTemplate({ subject: 'S', body: 'B', variables: [] }, {})).toEqual({ subject: 'S', body: 'B' });
  });

  it('lists every missing variable (declared order, then undeclared tags by appearance) in details.missing', () => {
    const error = domainErrorOf(() =>
      renderTemplate({ subject: 'Re {{ticket}}', body: '{{b}} {{a}} {{extra}} {{a}}', variables: ['a', 'b', 'unused'] }, { b: 'B' }),
    );
    expect(error.code).toBe('template_variables_missing');
    expect(error.httpStatus).toBe(422);
    expect(error.details).toEqual({ missing: ['a', 'unused', 'ticket', 'extra'] });
    expect(error.message).toContain('a, unused, ticket, extra');
  });

  it('requires declared variables even when the text does not use them', () => {
    expect(domainErrorOf(() => renderTemplate({ subject: null, body: 'static', variables: ['x'] }, {})).details).toEqual({
      missing: ['x'],
    });
  });

  it('counts a repeated tag once in missing', () => {
    expect(domainErrorOf(() => renderTemplate({ subject: '{{a}}', body: '{{a}} {{ a }}', variables: [] }, {})).details).toEqual({
      missing: ['a'],
    });
  });

  it('counts only own string values: inherited keys like "constructor" or undefined are missing', () => {
    const values = { defined: undefined } as unknown as Record<string, string>;
    const error = domainErrorOf(() =>
      renderTemplate({ subject: null, body: '{{constructor}} {{toString}} {{defined}}', variables: [] }, values),
    );
    expect(error.details).toEqual({ missing: ['constructor', 'toString', 'defined'] });
  });
});

describe('whatsAppContentVariables', () => {
  it('maps the declared variables in order to "1", "2", …', () => {
    const json = whatsAppContentVariables({ variables: ['name', 'order', 'eta'] }, { eta: 'today', order: 'A-7', name: 'Ada' });
    expect(json).toBe('{"1":"Ada","2":"A-7","3":"today"}');
    expect(Object.entries(JSON.parse(json) as Record<string, string>)).toEqual([
      ['1', 'Ada'],
      ['2', 'A-7'],
      ['3', 'today'],
    ]);
  });

  it('follows declaration order, not the order of the values', () => {
    expect(whatsAppContentVariables({ variables: ['b', 'a'] }, { a: 'A', b: 'B' })).toBe('{"1":"B","2":"A"}');
  });

  it('counts a repeated declared name once, at its first position', () => {
    expect(whatsAppContentVariables({ variables: ['a', 'b', 'a'] }, { a: 'A', b: 'B' })).toBe('{"1":"A","2":"B"}');
  });

  it('gives "{}" with no variables and ignores extra values', () => {
    expect(whatsAppContentVariables({ variables: [] }, { a: 'A' })).toBe('{}');
  });

  it('passes values verbatim, JSON-escaped (quotes, newlines, unicode)', () => {
    const json = whatsAppContentVariables({ variables: ['a'] }, { a: 'say "hi"\nto 🌍' });
    expect(JSON.parse(json)).toEqual({ '1': 'say "hi"\nto 🌍' });
  });

  it('keeps an empty string as a value', () => {
    expect(whatsAppContentVariables({ variables: ['a'] }, { a: '' })).toBe('{"1":""}');
  });

  it('throws template_variables_missing listing every missing variable in order', () => {
    const error = domainErrorOf(() => whatsAppContentVariables({ variables: ['a', 'b', 'c'] }, { b: 'B' }));
    expect({ code: error.code, status: error.httpStatus, details: error.details }).toEqual({
      code: 'template_variables_missing',
      status: 422,
      details: { missing: ['a', 'c'] },
    });
  });
});

describe('assertTemplateSendable', () => {
  const approvedWhatsApp = { channel: 'whatsapp' as const, approvalStatus: 'approved' as const, whatsappContentSid: SID };

  it('accepts an approved WhatsApp template with a Content SID on WhatsApp', () => {
    expect(() => assertTemplateSendable(approvedWhatsApp, 'whatsapp')).not.toThrow();
  });

  it.each(['sms', 'email', 'chat'] as const)('accepts a %s template on its own channel whatever its approval status', (channel) => {
    for (const approvalStatus of TEMPLATE_APPROVAL_STATUSES) {
      expect(() => assertTemplateSendable({ channel, approvalStatus, whatsappContentSid: null }, channel)).not.toThrow();
    }
  });

  it.each<[string, string]>([
    ['whatsapp', 'sms'],
    ['sms', 'whatsapp'],
    ['email', 'sms'],
    ['sms', 'email'],
    ['chat', 'whatsapp'],
  ])('rejects a %s template in a %s conversation with template_channel_mismatch', (templateChannel, conversationChannel) => {
    const error = domainErrorOf(() =>
      assertTemplateSendable(
        { channel: templateChannel as TemplateState['channel'], approvalStatus: 'approved', whatsappContentSid: SID },
        conversationChannel as TemplateState['channel'],
      ),
    );
    expect({ code: error.code, status: error.httpStatus, details: error.details }).toEqual({
      code: 'template_channel_mismatch',
      status: 422,
      details: { templateChannel, conversationChannel },
    });
  });

  it('checks the channel before the approval', () => {
    const error = domainErrorOf(() =>
      assertTemplateSendable({ channel: 'whatsapp', approvalStatus: 'pending', whatsappContentSid: null }, 'sms'),
    );
    expect(error.code).toBe('template_channel_mismatch');
  });

  it.each(['pending', 'rejected'] as const)('rejects a %s WhatsApp template with template_not_approved', (approvalStatus) => {
    const error = domainErrorOf(() => assertTemplateSendable({ ...approvedWhatsApp, approvalStatus }, 'whatsapp'));
    expect({ code: error.code, status: error.httpStatus, details: error.details }).toEqual({
      code: 'template_not_approved',
      status: 422,
      details: { approvalStatus },
    });
    expect(error.message).toContain(approvalStatus);
  });

  it('rejects an approved WhatsApp template without a Content SID with template_not_approved naming the SID', () => {
    const error = domainErrorOf(() => assertTemplateSendable({ ...approvedWhatsApp, whatsappContentSid: null }, 'whatsapp'));
    expect({ code: error.code, status: error.httpStatus }).toEqual({ code: 'template_not_approved', status: 422 });
    expect(error.message).toMatch(/no Content SID/);
  });
});

describe('templateProblems', () => {
  const valid: Record<'sms' | 'email' | 'whatsapp', TemplateState> = {
    sms: { channel: 'sms', subject: null, body: 'Hi {{n}}', variables: ['n'], whatsappContentSid: null, approvalStatus: 'pending' },
    email: {
      channel: 'email',
      subject: 'Re {{t}}',
      body: 'Hi {{n}}',
      variables: ['t', 'n'],
      whatsappContentSid: null,
      approvalStatus: 'pending',
    },
    whatsapp: {
      channel: 'whatsapp',
      subject: null,
      body: 'Hi {{n}}',
      variables: ['n'],
      whatsappContentSid: SID,
      approvalStatus: 'approved',
    },
  };

  it.each(Object.keys(valid) as (keyof typeof valid)[])('accepts a valid %s template', (channel) => {
    expect(templateProblems(valid[channel])).toEqual([]);
  });

  it('accepts a pending or rejected WhatsApp template without a Content SID', () => {
    expect(templateProblems({ ...valid.whatsapp, whatsappContentSid: null, approvalStatus: 'pending' })).toEqual([]);
    expect(templateProblems({ ...valid.whatsapp, whatsappContentSid: null, approvalStatus: 'rejected' })).toEqual([]);
  });

  it('accepts declared variables the text does not use', () => {
    expect(templateProblems({ ...valid.sms, variables: ['n', 'spare'] })).toEqual([]);
  });

  it('needs a subject on email', () => {
    expect(templateProblems({ ...valid.email, subject: null, variables: ['n'] })).toEqual([
      { path: 'subject', message: 'an email template needs a subject' },
    ]);
  });

  it.each(['sms', 'whatsapp'] as const)('refuses a subject on %s', (channel) => {
    expect(templateProblems({ ...valid[channel], subject: 'Hello' }).map((p) => p.path)).toEqual(['subject']);
  });

  it('refuses a Content SID outside WhatsApp', () => {
    expect(templateProblems({ ...valid.sms, whatsappContentSid: SID }).map((p) => p.path)).toEqual(['whatsappContentSid']);
  });

  it('needs a Content SID on an approved WhatsApp template', () => {
    expect(templateProblems({ ...valid.whatsapp, whatsappContentSid: null })).toEqual([
      { path: 'whatsappContentSid', message: 'an approved WhatsApp template needs a Content SID' },
    ]);
  });

  it('needs every merge tag of subject and body declared, naming the undeclared ones', () => {
    expect(templateProblems({ ...valid.email, variables: ['n'] })).toEqual([
      { path: 'variables', message: 'must declare every merge tag used; missing: t' },
    ]);
    expect(templateProblems({ ...valid.email, variables: [] })[0]!.message).toContain('missing: t, n');
  });

  it('reports every broken rule at once', () => {
    const problems = templateProblems({
      channel: 'sms',
      subject: '{{s}}',
      body: '{{b}}',
      variables: [],
      whatsappContentSid: SID,
      approvalStatus: 'approved',
    });
    expect(problems.map((p) => p.path)).toEqual(['subject', 'whatsappContentSid', 'variables']);
  });
});

describe('patterns', () => {
  it('WHATSAPP_CONTENT_SID accepts HX + 32 lower-case hex only', () => {
    expect(WHATSAPP_CONTENT_SID.test(SID)).toBe(true);
    for (const bad of [
      SID.toUpperCase(),
      `hx${SID.slice(2)}`,
      SID.slice(0, -1),
      `${SID}0`,
      `MG${SID.slice(2)}`,
      `HX${'g'.repeat(32)}`,
      ` ${SID}`,
    ]) {
      expect(WHATSAPP_CONTENT_SID.test(bad)).toBe(false);
    }
  });

  it('VARIABLE_NAME matches what mergeTagsOf recognises', () => {
    for (const name of ['a', '_', 'A_b.c9', 'order.id']) expect(VARIABLE_NAME.test(name)).toBe(true);
    for (const name of ['', '1a', '.a', 'a-b', 'a b', 'é']) expect(VARIABLE_NAME.test(name)).toBe(false);
  });
});
