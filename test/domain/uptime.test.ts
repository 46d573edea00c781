// Time by quorum verdict: segments of a window, the accounting (UP and DEGRADED up, DOWN down, UNKNOWN and excluded
// apart), outages, MTTR, and maintenance windows as spans.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { account, segments, verdictAt, type VerdictChange } from '../../functions/shared/domain/uptime';
import { maintenanceSpans } from '../../functions/shared/domain/maintenance';
import { VERDICTS } from '../../functions/shared/domain/constants';
import { T0 } from './helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const window = { from: T0, to: T0 + DAY };

describe('segments and the verdict at an instant', () => {
  it('starts a window with the verdict in force before it, and cuts it at each change inside', () => {
    const changes: VerdictChange[] = [
      { at: T0 - HOUR, verdict: 'UP' },
      { at: T0 + 2 * HOUR, verdict: 'DOWN' },
      { at: T0 + 3 * HOUR, verdict: 'UP' },
      { at: T0 + 2 * DAY, verdict: 'DOWN' },
    ];
    expect(segments(changes, window)).toEqual([
      { span: { from: T0, to: T0 + 2 * HOUR }, verdict: 'UP' },
      { span: { from: T0 + 2 * HOUR, to: T0 + 3 * HOUR }, verdict: 'DOWN' },
      { span: { from: T0 + 3 * HOUR, to: T0 + DAY }, verdict: 'UP' },
    ]);
  });

  it('takes the first later change\'s previous verdict when nothing before the window was kept, else UNKNOWN', () => {
    expect(verdictAt([{ at: T0 + HOUR, verdict: 'UP', previous: 'DOWN' }], T0)).toBe('DOWN');
    expect(verdictAt([{ at: T0 + HOUR, verdict: 'UP' }], T0)).toBe('UNKNOWN');
    expect(verdictAt([], T0)).toBe('UNKNOWN');
  });
});

describe('accounting a window', () => {
  it('counts UP and DEGRADED as up, DOWN as down, UNKNOWN apart, and states the ratio of the counted time', () => {
    const a = account([
      { at: T0, verdict: 'UP' },
      { at: T0 + 6 * HOUR, verdict: 'DEGRADED' },
      { at: T0 + 8 * HOUR, verdict: 'DOWN' },
      { at: T0 + 9 * HOUR, verdict: 'UNKNOWN' },
      { at: T0 + 12 * HOUR, verdict: 'UP' },
    ], window);
    expect(a).toMatchObject({ upMs: 18 * HOUR, degradedMs: 2 * HOUR, downMs: HOUR, unknownMs: 3 * HOUR, excludedMs: 0, longestOutageMs: HOUR, mttrMs: HOUR });
    expect(a.uptime).toBeCloseTo(20 / 21, 12);
    expect(a.outages).toEqual([{ from: T0 + 8 * HOUR, to: T0 + 9 * HOUR, ongoing: false }]);
  });

  it('leaves maintenance and silences out whatever the verdict, and an outage wholly inside them is no outage', () => {
    const a = account([
      { at: T0, verdict: 'UP' },
      { at: T0 + HOUR, verdict: 'DOWN' },
      { at: T0 + 2 * HOUR, verdict: 'UP' },
      { at: T0 + 10 * HOUR, verdict: 'DOWN' },
      { at: T0 + 12 * HOUR, verdict: 'UP' },
    ], window, [{ from: T0 + 30 * MIN, to: T0 + 3 * HOUR }, { from: T0 + 11 * HOUR, to: T0 + 11 * HOUR + 30 * MIN }, { from: T0 - DAY, to: T0 + 10 * MIN }]);
    expect(a.excludedMs).toBe(10 * MIN + 150 * MIN + 30 * MIN);
    expect(a.downMs).toBe(90 * MIN);
    expect(a.outages).toEqual([{ from: T0 + 10 * HOUR, to: T0 + 12 * HOUR, ongoing: false }]);
    expect(a.longestOutageMs).toBe(2 * HOUR);
  });

  it('marks a DOWN running into the end of the window ongoing and leaves it out of the MTTR', () => {
    const a = account([
      { at: T0, verdict: 'UP' },
      { at: T0 + HOUR, verdict: 'DOWN' },
      { at: T0 + HOUR + 20 * MIN, verdict: 'UP' },
      { at: T0 + 20 * HOUR, verdict: 'DOWN' },
    ], window);
    expect(a.outages.map((o) => o.ongoing)).toEqual([false, true]);
    expect(a.mttrMs).toBe(20 * MIN);
    expect(a.longestOutageMs).toBe(4 * HOUR);
  });

  it('has no ratio when nothing in the window counted', () => {
    expect(account([], window)).toMatchObject({ uptime: null, unknownMs: DAY, mttrMs: null, longestOutageMs: 0 });
  });

  it('property: the columns add up to the window, and the ratio is within [0, 1]', () => {
    const change = fc.record({ at: fc.integer({ min: T0 - DAY, max: T0 + 2 * DAY }), verdict: fc.constantFrom(...VERDICTS) });
    const span = fc.tuple(fc.integer({ min: T0 - DAY, max: T0 + 2 * DAY }), fc.integer({ min: 0, max: DAY })).map(([from, len]) => ({ from, to: from + len }));
    fc.assert(fc.property(fc.array(change, { maxLength: 30 }), fc.array(span, { maxLength: 5 }), (changes, exclusions) => {
      const a = account(changes, window, exclusions);
      expect(a.upMs + a.degradedMs + a.downMs + a.unknownMs + a.excludedMs).toBe(DAY);
      if (a.uptime !== null) expect(a.uptime >= 0 && a.uptime <= 1).toBe(true);
      expect(a.outages.reduce((n, o) => n + o.to - o.from, 0)).toBeGreaterThanOrEqual(a.downMs);
    }));
  });
});

describe('maintenance windows as spans', () => {
  it('lays a weekly window on every day it falls on, including one that began the day before the range', () => {
    // T0 is a Monday: sun 23:00 for 120 min runs into Monday 01:00.
    const spans = maintenanceSpans([{ days: ['sun', 'wed'], startUtc: '23:00', durationMinutes: 120 }], T0, T0 + 7 * DAY);
    expect(spans).toEqual([
      { from: T0, to: T0 + HOUR },
      { from: T0 + 2 * DAY + 23 * HOUR, to: T0 + 3 * DAY + HOUR },
      { from: T0 + 6 * DAY + 23 * HOUR, to: T0 + 7 * DAY },
    ]);
  });

  it('clips a one-off window to the range', () => {
    expect(maintenanceSpans([{ start: new Date(T0 - HOUR).toISOString(), end: new Date(T0 + HOUR).toISOString() }], T0, T0 + DAY)).toEqual([{ from: T0, to: T0 + HOUR }]);
  });
});
