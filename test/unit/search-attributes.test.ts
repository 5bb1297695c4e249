/**
 * The search attributes are defined once (workflows/conversation/search-attributes.ts); the dev and
 * test servers register that list. docker-compose.yml cannot import it, so its `temporal operator
 * search-attribute create` loop is checked against it here.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONVERSATION_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTE_TYPES } from '../../workflows/conversation/search-attributes';

test('every search attribute has its CLI type', () => {
  expect(Object.keys(SEARCH_ATTRIBUTE_TYPES)).toEqual(CONVERSATION_SEARCH_ATTRIBUTES.map((k) => k.name));
  expect(SEARCH_ATTRIBUTE_TYPES).toMatchObject({ SwitchboardOverdue: 'Bool', SwitchboardNeedsHuman: 'Bool', SwitchboardStatus: 'Keyword' });
});

test('docker-compose.yml registers exactly the defined search attributes, with their types', () => {
  const compose = readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
  const loop = /for spec in ([\s\S]*?); do/.exec(compose)?.[1] ?? '';
  const specs = loop
    .replace(/\\\n/g, ' ')
    .split(/\s+/)
    .filter((s) => s.includes(':'))
    .map((s) => s.split(':') as [string, string]);
  expect(Object.fromEntries(specs)).toEqual(SEARCH_ATTRIBUTE_TYPES);
});
