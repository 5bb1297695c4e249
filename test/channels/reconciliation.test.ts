/**
 * The pure parts of send reconciliation: which carrier message an earlier attempt produced, and
 * where `unknown` sits in the delivery order.
 */
import { CLOCK_SKEW_MS, type CarrierCandidate, pickCandidate } from '../../channels/reconciliation';
import { isDeliveryProgress } from '../../domain/delivery';

const since = new Date('2026-11-30T02:00:00Z');
const at = (offsetMs: number) => new Date(since.getTime() + offsetMs);
const candidate = (sid: string, body: string | null, createdAt: Date | null): CarrierCandidate => ({
  sid,
  body,
  createdAt,
  status: 'queued',
});
const none = new Set<string>();

describe('pickCandidate', () => {
  test('one message with our body since the attempt began → that one', () => {
    const picked = pickCandidate([candidate('SM2', 'Hi there', at(1_000)), candidate('SM1', 'Other', at(500))], {
      body: 'Hi there',
      since,
      claimed: none,
      complete: true,
    });
    expect(picked.match?.sid).toBe('SM2');
  });

  test('bodies compare trimmed, CRLF = LF', () => {
    const picked = pickCandidate([candidate('SM1', 'a\r\nb ', at(0))], { body: ' a\nb', since, claimed: none, complete: true });
    expect(picked.match?.sid).toBe('SM1');
  });

  test('nothing in the window of a complete list → not sent (safe to send)', () => {
    expect(pickCandidate([], { body: 'Hi', since, claimed: none, complete: true })).toEqual({ match: null, ambiguous: false });
    // another row's message in the window is accounted for
    const claimed = pickCandidate([candidate('SM1', 'Other', at(0))], { body: 'Hi', since, claimed: new Set(['SM1']), complete: true });
    expect(claimed).toEqual({ match: null, ambiguous: false });
  });

  test('an unclaimed message in the window with another body → ambiguous (the carrier may have changed ours)', () => {
    const picked = pickCandidate([candidate('SM1', 'Other', at(0))], { body: 'Hi', since, claimed: none, complete: true });
    expect(picked).toMatchObject({ match: null, ambiguous: true });
  });

  test('older than the window (beyond the clock-skew tolerance) does not count', () => {
    const old = candidate('SM1', 'Hi', at(-CLOCK_SKEW_MS - 1_000));
    expect(pickCandidate([old], { body: 'Hi', since, claimed: none, complete: true })).toEqual({ match: null, ambiguous: false });
    const skewed = candidate('SM2', 'Hi', at(-CLOCK_SKEW_MS + 1_000));
    expect(pickCandidate([skewed], { body: 'Hi', since, claimed: none, complete: true }).match?.sid).toBe('SM2');
  });

  test('a sid another message row holds is skipped', () => {
    const picked = pickCandidate([candidate('SM2', 'ok', at(2_000)), candidate('SM1', 'ok', at(1_000))], {
      body: 'ok',
      since,
      claimed: new Set(['SM1']),
      complete: true,
    });
    expect(picked.match?.sid).toBe('SM2');
  });

  test('two free matches → ambiguous (undecided)', () => {
    const picked = pickCandidate([candidate('SM2', 'ok', at(2_000)), candidate('SM1', 'ok', at(1_000))], {
      body: 'ok',
      since,
      claimed: none,
      complete: true,
    });
    expect(picked).toMatchObject({ match: null, ambiguous: true });
  });

  test('no match in an incomplete list (a full page inside the window) → ambiguous, never "not sent"', () => {
    const picked = pickCandidate([candidate('SM1', 'Other', at(0))], { body: 'Hi', since, claimed: none, complete: false });
    expect(picked).toMatchObject({ match: null, ambiguous: true });
  });

  test('a Content template (body null) matches any body in the window', () => {
    const picked = pickCandidate([candidate('SM1', 'Rendered by Twilio', at(0))], { body: null, since, claimed: none, complete: true });
    expect(picked.match?.sid).toBe('SM1');
  });
});

describe('unknown in the delivery order', () => {
  test('sending → unknown is progress; any carrier status after unknown is progress; unknown never undoes a carrier status', () => {
    expect(isDeliveryProgress('sending', 'unknown')).toBe(true);
    expect(isDeliveryProgress('queued', 'unknown')).toBe(true);
    for (const next of ['sent', 'delivered', 'read', 'failed', 'undelivered'] as const)
      expect(isDeliveryProgress('unknown', next)).toBe(true);
    for (const current of ['sent', 'delivered', 'read', 'failed', 'undelivered'] as const)
      expect(isDeliveryProgress(current, 'unknown')).toBe(false);
    expect(isDeliveryProgress('unknown', 'sending')).toBe(false);
  });
});
