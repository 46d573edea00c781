// Flap detection: the weighted percent of state change, FLAPPING and FLAPPING_SETTLED pages, held DOWN/UP pages,
// and the bound on how long a DOWN that stays down can be held.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FLAP_WINDOW_ROUNDS, percentStateChange, settleRounds, type Flip } from '../../functions/shared/domain/flapping';
import { isFlapping } from '../../functions/shared/domain/verdict';
import { monitor, runRounds, T0 } from './helpers';

const MINUTE = 60_000;
const kinds = (run: { alerts: { kind: string }[] }) => run.alerts.map((a) => a.kind);
/** Flips at the given ages (rounds back from the round at T0 + 30 min), alternating sides. */
const flipsAt = (ages: number[]): Flip[] => ages.map((age, k) => ({ round: T0 + (30 - age) * MINUTE, to: k % 2 ? 'up' : 'down' }));
const at30 = T0 + 30 * MINUTE;

describe('percent state change (Nagios weights, 21 rounds)', () => {
  it('is 0 without changes and 100 when every one of the 20 changes happened', () => {
    expect(percentStateChange([], at30, MINUTE)).toBe(0);
    expect(percentStateChange(flipsAt([...Array(20).keys()]), at30, MINUTE)).toBe(100);
  });

  it('weighs the newest change 1.25 and the oldest 0.75, of 20', () => {
    expect(percentStateChange(flipsAt([0]), at30, MINUTE)).toBe(6.3); // 1.25 / 20
    expect(percentStateChange(flipsAt([19]), at30, MINUTE)).toBe(3.8); // 0.75 / 20
    expect(percentStateChange(flipsAt([20]), at30, MINUTE)).toBe(0); // out of the window
  });

  it('settles within the stated number of rounds after the last change, whatever came before', () => {
    expect(settleRounds(20)).toBe(16);
    expect(settleRounds(5)).toBe(19);
    expect(settleRounds(100)).toBe(1);
    for (const leave of [5, 10, 20, 25, 50]) {
      const steady = settleRounds(leave);
      const worst = flipsAt([...Array(20).keys()].filter((age) => age >= steady));
      expect(percentStateChange(worst, at30, MINUTE)).toBeLessThan(leave);
      const before = flipsAt([...Array(20).keys()].filter((age) => age >= steady - 1));
      if (steady > 0) expect(percentStateChange(before, at30, MINUTE)).toBeGreaterThanOrEqual(leave);
    }
  });
});

describe('flapping: scripted rounds (3 regions, quorum 2)', () => {
  const bouncy = monitor({ failureThreshold: 1, recoveryThreshold: 1 });
  const bounce = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? 'uuu' : 'ddd'));

  it('pages FLAPPING once with the changes it saw, holds DOWN/UP pages, and settles with one alert on the verdict', () => {
    const run = runRounds(bouncy, ['uuu', 'uuu', ...bounce(12), ...Array(20).fill('ddd')]);
    const flapAt = run.alerts.findIndex((a) => a.kind === 'FLAPPING');
    // Every change pages until the percent reaches 40: (1.25 + 1.22 + … + 1.09) / 20 = 41 % at the 7th change.
    expect(kinds(run).slice(0, flapAt)).toEqual(['DOWN', 'UP', 'DOWN', 'UP', 'DOWN', 'UP']);
    expect(kinds(run).slice(flapAt)).toEqual(['FLAPPING', 'FLAPPING_SETTLED']);
    const [flapping, settled] = run.alerts.slice(flapAt);
    expect(flapping!.subject).toBe('FLAPPING orders-db 10.0.1.5:5432 — 7 changes in 21 rounds (41 %), pages held');
    expect(flapping!.flapping).toMatchObject({ enterPercent: 40, leavePercent: 20, percent: 41 });
    expect(flapping).toMatchObject({ verdict: 'DOWN', previousVerdict: 'UP', alertId: `orders-db:FLAPPING:${(T0 + 8 * MINUTE) / 1000}` });
    expect(flapping!.flapping!.transitions.map((t) => t.to)).toEqual(['down', 'up', 'down', 'up', 'down', 'up', 'down']);
    expect(settled).toMatchObject({ kind: 'FLAPPING_SETTLED', verdict: 'DOWN', previousVerdict: 'UP' });
    expect(settled!.subject).toMatch(/^FLAPPING_SETTLED orders-db 10\.0\.1\.5:5432 — settled DOWN \(\d+(\.\d)? % change\)$/);
    // Settled settleRounds(20) = 16 rounds after the last change (into the first of the 20 DOWN rounds): the worst case.
    const lastChange = 2 + 12;
    expect(settled!.flapping!.settled).toBe(new Date(T0 + (lastChange + settleRounds(20)) * MINUTE).toISOString());
    expect(settled!.flapping!.percent).toBeLessThan(20);
    expect(run.state!.notified).toBe('DOWN');
    expect(isFlapping(run.state!)).toBe(false);
  });

  it('never flaps on up to three outages in 21 rounds, however short, with the default thresholds', () => {
    const three = runRounds(bouncy, ['uuu', ...bounce(6), ...Array(20).fill('uuu')]);
    expect(kinds(three)).toEqual(['DOWN', 'UP', 'DOWN', 'UP', 'DOWN', 'UP']);
    expect(Math.max(...three.history.map((_, i) => percentStateChange(three.state!.flips!, T0 + i * MINUTE, MINUTE)))).toBe(35.5);
    const one = runRounds(monitor(), ['uuu', 'uuu', 'ddd', 'ddd', 'ddd', 'uuu', 'uuu', 'uuu']);
    expect(kinds(one)).toEqual(['DOWN', 'UP']);
    const two = runRounds(monitor(), ['uuu', 'uuu', 'ddd', 'ddd', 'uuu', 'uuu', 'ddd', 'ddd', 'uuu', 'uuu']);
    expect(kinds(two)).toEqual(['DOWN', 'UP', 'DOWN', 'UP']);
  });

  it('counts a single bad round between good ones as two changes, though it pages nothing', () => {
    const run = runRounds(monitor(), ['uuu', 'uuu', 'ddu', 'uuu', 'uuu']);
    expect(run.alerts).toEqual([]);
    expect(run.state!.flips!.map((f) => f.to)).toEqual(['down', 'up']);
  });

  it('is off with flapping: false: every change pages', () => {
    const run = runRounds(monitor({ failureThreshold: 1, recoveryThreshold: 1, flapping: false }), ['uuu', ...bounce(12)]);
    expect(kinds(run)).toEqual(bounce(12).map((c) => (c === 'ddd' ? 'DOWN' : 'UP')));
    expect(run.state!.flips).toBeUndefined();
    expect(run.state!.side).toBeUndefined();
  });

  it('settles at once, with its one alert, when flap detection is turned off mid-spell; pages flow again', () => {
    const run = runRounds(bouncy, ['uuu', ...bounce(8)]);
    expect(isFlapping(run.state!)).toBe(true);
    const off = monitor({ failureThreshold: 1, recoveryThreshold: 1, flapping: false });
    const after = runRounds(off, ['uuu', 'ddd'], { start: run });
    expect(kinds(after).slice(kinds(run).length)).toEqual(['FLAPPING_SETTLED', 'DOWN']);
    expect(isFlapping(after.state!)).toBe(false);
  });

  it('settles on UP with one alert and no UP page', () => {
    const run = runRounds(bouncy, ['uuu', ...bounce(12), ...Array(20).fill('uuu')]);
    const tail = kinds(run).slice(kinds(run).indexOf('FLAPPING'));
    expect(tail).toEqual(['FLAPPING', 'FLAPPING_SETTLED']);
    expect(run.alerts[run.alerts.length - 1]).toMatchObject({ verdict: 'UP' });
  });

  it('holds reminders while flapping', () => {
    const m = monitor({ failureThreshold: 1, recoveryThreshold: 1, renotifyMinutes: 1 });
    const run = runRounds(m, ['uuu', ...bounce(13), 'ddd', 'ddd', 'ddd']);
    const from = kinds(run).indexOf('FLAPPING');
    expect(kinds(run).slice(from)).toEqual(['FLAPPING']);
  });

  it('sends the FLAPPING page a maintenance window held once the window ends', () => {
    const window = { start: new Date(T0 + 2 * MINUTE).toISOString(), end: new Date(T0 + 16 * MINUTE).toISOString() };
    const run = runRounds(monitor({ failureThreshold: 1, recoveryThreshold: 1, maintenance: [window] }), ['uuu', 'uuu', ...bounce(14), 'ddd', 'uuu']);
    expect(kinds(run)).toEqual(['FLAPPING']);
  });
});

// ---- Properties ----

const code = fc.constantFrom('u', 'd', 's', 'v', 't');
const roundCodes = fc.array(code, { minLength: 3, maxLength: 3 }).map((c) => c.join(''));
const flapMonitor = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  recoveryThreshold: fc.integer({ min: 1, max: 3 }),
  enterPercent: fc.integer({ min: 10, max: 60 }),
  leaveBelow: fc.integer({ min: 0, max: 50 }),
}).map(({ failureThreshold, recoveryThreshold, enterPercent, leaveBelow }) => monitor({
  failureThreshold, recoveryThreshold, degradedMs: 500, flapping: { enterPercent, leavePercent: Math.max(1, enterPercent - leaveBelow) },
}));

describe('flapping: properties', () => {
  it('never delays a DOWN that stays down by more than settleRounds(leavePercent) rounds after its first DOWN round', () => {
    fc.assert(fc.property(flapMonitor, fc.array(roundCodes, { maxLength: 30 }), (m, prefix) => {
      const leave = (m.flapping as { leavePercent: number }).leavePercent;
      const bound = Math.max(m.failureThreshold - 1, settleRounds(leave));
      const script = [...prefix, ...Array<string>(bound + 1).fill('ddd')];
      // The first round of the trailing run of DOWN rounds.
      let start = script.length;
      while (start > 0 && script[start - 1] === 'ddd') start -= 1;
      const run = runRounds(m, script.slice(0, start + bound + 1));
      // By then the DOWN has been paged: by a DOWN page, or by the FLAPPING_SETTLED alert that settled on it.
      expect(run.state!.verdict).toBe('DOWN');
      expect(run.state!.notified).toBe('DOWN');
      expect(isFlapping(run.state!)).toBe(false);
    }), { numRuns: 500 });
  });

  it('while a monitor flaps it sends no DOWN, UP, DEGRADED or REMINDER page; FLAPPING and FLAPPING_SETTLED alternate', () => {
    fc.assert(fc.property(flapMonitor, fc.array(fc.constantFrom('ddd', 'uuu', 'ddu', 'duu', 'sss', 'ttt'), { minLength: 1, maxLength: 60 }), (m, script) => {
      const run = runRounds(m, script);
      let flapping = false;
      for (const alert of run.alerts) {
        if (alert.kind === 'FLAPPING') {
          expect(flapping).toBe(false);
          flapping = true;
        } else if (alert.kind === 'FLAPPING_SETTLED') {
          expect(flapping).toBe(true);
          flapping = false;
        } else {
          expect(flapping, `${alert.kind} while flapping`).toBe(false);
        }
      }
    }), { numRuns: 400 });
  });

  it('keeps at most the changes of one window in the state', () => {
    fc.assert(fc.property(flapMonitor, fc.array(fc.constantFrom('ddd', 'uuu', 'sss'), { minLength: 1, maxLength: 80 }), (m, script) => {
      const run = runRounds(m, script);
      expect(run.state!.flips?.length ?? 0).toBeLessThanOrEqual(FLAP_WINDOW_ROUNDS - 1 + 1);
    }), { numRuns: 200 });
  });
});
