/**
 * `GET /v1/conversations?overdue=` through the real path: the SLA timer of the workflow fires on
 * the time-skipping test server, the workflow stores `overdue`, the list filters on it.
 */
import { createHarness, type Harness, randomPhone } from '../support/harness';
import { api, type ConversationBody, inboundAndWait, listAll } from './rest-helpers';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ timeSkipping: true, sla: { firstResponseMinutes: 30, nextResponseMinutes: 120 } });
});
afterAll(async () => {
  await h?.close();
});

const idsFor = async (query: string) => (await listAll(h, query)).map((c) => c.id).sort();

test('only the unanswered open conversation becomes overdue after its first-response SLA', async () => {
  const waiting = await inboundAndWait(h, randomPhone(), { body: 'hello? anyone?' });
  const answered = await inboundAndWait(h, randomPhone(), { body: 'quick question' });
  const closed = await inboundAndWait(h, randomPhone(), { body: 'never mind' });
  expect((await api(h).post(`/v1/conversations/${answered.id}/messages`, { text: 'Here to help' })).status).toBe(201);
  expect((await api(h).post(`/v1/conversations/${closed.id}/status`, { status: 'closed' })).status).toBe(200);

  expect(await idsFor('overdue=true')).toEqual([]);
  expect(await idsFor('overdue=false')).toEqual([waiting.id, answered.id, closed.id].sort());

  await h.env!.sleep(31 * 60_000);

  await h.waitFor(async () => {
    const r = await api(h).get(`/v1/conversations/${waiting.id}`);
    return (r.body as ConversationBody).overdue === true;
  }, 'overdue');
  expect(await idsFor('overdue=true')).toEqual([waiting.id]);
  expect(await idsFor('overdue=false')).toEqual([answered.id, closed.id].sort());
  expect(await idsFor('overdue=true&status=open')).toEqual([waiting.id]);
  expect(await idsFor('overdue=true&status=pending')).toEqual([]);

  // a reply clears it
  expect((await api(h).post(`/v1/conversations/${waiting.id}/messages`, { text: 'Sorry for the wait' })).status).toBe(201);
  expect(await idsFor('overdue=true')).toEqual([]);
});
