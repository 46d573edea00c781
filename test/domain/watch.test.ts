// Watch mode in the verdict machine: watch events (a held connection closed, the re-probe failed) as evidence between
// rounds, scripted and as fast-check properties; and the watch item codec.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { graceMs } from '../../functions/shared/domain/rounds';
import { next, type MonitorState, type RoundEvidence } from '../../functions/shared/domain/verdict';
import { decodeWatchItem, encodeWatchItem, WATCH_WINDOW_MS, watchKeyPattern, type WatchEvent } from '../../functions/shared/domain/watch';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { ResolvedMonitor } from '../../functions/shared/domain';
import { monitor, REGIONS, round, T0 } from './helpers';

const RESET: WatchEvent['result'] = { status: 'down', errorClass: 'refused', phase: 'connect', connectMs: 1, totalMs: 1, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.1.5:6379' };

function event(m: ResolvedMonitor, regionIndex: number, at: number): WatchEvent {
  return { monitor: m.id, region: m.regions[regionIndex]!, at, result: RESET };
}

interface Machine {
  m: ResolvedMonitor;
  state: MonitorState | undefined;
  history: RoundEvidence[];
  alerts: AlertMessage[];
  verdicts: string[];
}

function machine(m: ResolvedMonitor): Machine {
  return { m, state: undefined, history: [], alerts: [], verdicts: [] };
}

/** Feeds the next round, evaluated once closed. */
function feedRound(run: Machine, codes: string): void {
  const r = round(run.m, run.history.length, codes);
  run.history.push(r);
  step(run, r.instant + graceMs(run.m.interval), []);
}

/** One evaluation with the round window as evidence and these watch events. */
function step(run: Machine, now: number, watch: WatchEvent[]): ReturnType<typeof next> {
  const window = run.history.slice(-2 * Math.max(run.m.failureThreshold, run.m.recoveryThreshold));
  const s = next(run.state, { monitor: run.m, rounds: window, ...(watch.length ? { watch } : {}) }, now);
  run.state = s.state;
  run.alerts.push(...s.alerts);
  run.verdicts.push(s.state.verdict);
  return s;
}

const watched = (spec: Parameters<typeof monitor>[0] = {}) => monitor({ watch: true, interval: 60, ...spec });

describe('watch evidence: scripted', () => {
  it('pages DOWN at once when a quorum of regions reports a failed re-probe within the window, once', () => {
    const run = machine(watched());
    feedRound(run, 'uuu');
    feedRound(run, 'uuu');
    expect(run.state!.verdict).toBe('UP');
    const t = run.history[1]!.instant + 85_000;
    const events = [event(run.m, 0, t), event(run.m, 2, t + 700)];
    const s = step(run, t + 900, events);
    expect(s.state.verdict).toBe('DOWN');
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]).toMatchObject({ kind: 'DOWN', cause: 'watch', verdict: 'DOWN', previousVerdict: 'UP', since: new Date(Math.floor((t + 700) / 1000) * 1000).toISOString() });
    expect(s.alerts[0]!.regions.map((r) => [r.region, r.status])).toEqual([[REGIONS[0], 'down'], [REGIONS[1], 'up'], [REGIONS[2], 'down']]);
    expect(s.alerts[0]!.regions[0]!.message).toContain('re-probe failed');
    // The same events again (a replayed batch, the other regions' items arriving): nothing more.
    expect(step(run, t + 2000, events).alerts).toEqual([]);
    expect(step(run, t + 3000, [...events, event(run.m, 1, t + 2500)]).alerts).toEqual([]);
  });

  it('lets the rounds after it confirm the DOWN without a second page, and clear it only with rounds that started after it', () => {
    const m = watched({ recoveryThreshold: 2 });
    const run = machine(m);
    feedRound(run, 'uuu');
    feedRound(run, 'uuu');
    const t = run.history[1]!.instant + 85_000;
    step(run, t + 500, [event(m, 0, t), event(m, 1, t + 300)]);
    expect(run.alerts.map((a) => a.kind)).toEqual(['DOWN']);
    // The round in progress when the events came (its probes ran before the failure) is not applied.
    feedRound(run, 'uuu');
    expect(run.state!.verdict).toBe('DOWN');
    feedRound(run, 'ddd');
    expect(run.state!.verdict).toBe('DOWN');
    feedRound(run, 'uuu');
    expect(run.state!.verdict).toBe('DOWN');
    feedRound(run, 'uuu');
    expect(run.state!.verdict).toBe('UP');
    expect(run.alerts.map((a) => `${a.kind} ${a.cause}`)).toEqual(['DOWN watch', 'UP transition']);
  });

  it('clears a watch DOWN after recoveryThreshold up rounds that started after it (a quick restart)', () => {
    const m = watched({ recoveryThreshold: 1 });
    const run = machine(m);
    feedRound(run, 'uuu');
    const t = run.history[0]!.instant + 85_000;
    step(run, t + 500, [event(m, 0, t), event(m, 1, t + 300)]);
    feedRound(run, 'uuu'); // started before the events
    expect(run.state!.verdict).toBe('DOWN');
    feedRound(run, 'uuu');
    expect(run.alerts.map((a) => `${a.kind} ${a.cause}`)).toEqual(['DOWN watch', 'UP transition']);
  });

  it('never pages on a lone region, on events further apart than the window, on an unwatched monitor or on stale events', () => {
    const cases: [ResolvedMonitor, (m: ResolvedMonitor, t: number) => WatchEvent[], number][] = [
      [watched(), (m, t) => [event(m, 0, t), event(m, 0, t + 1000), event(m, 0, t + 2000)], 3000],
      [watched(), (m, t) => [event(m, 0, t), event(m, 1, t + WATCH_WINDOW_MS + 1)], WATCH_WINDOW_MS + 100],
      [monitor({ interval: 60 }), (m, t) => [event(m, 0, t), event(m, 1, t + 100)], 500],
      [watched(), (m, t) => [event(m, 0, t), event(m, 1, t + 100)], 120_000],
      [watched({ quorum: 3 }), (m, t) => [event(m, 0, t), event(m, 1, t + 100)], 500],
      // Another monitor's events, and events of a region that does not probe this monitor.
      [watched(), (m, t) => [{ ...event(m, 0, t), monitor: 'other' }, { ...event(m, 1, t), region: 'sa-east-1' }, event(m, 2, t)], 500],
    ];
    for (const [m, events, after] of cases) {
      const run = machine(m);
      feedRound(run, 'uuu');
      feedRound(run, 'uuu');
      const t = run.history[1]!.instant + 85_000;
      const s = step(run, t + after, events(m, t));
      expect(s.state.verdict).toBe('UP');
      expect(run.alerts).toEqual([]);
    }
  });

  it('ignores events from before the last round applied (its probes saw the target up after them)', () => {
    const run = machine(watched());
    feedRound(run, 'uuu');
    feedRound(run, 'uuu');
    const before = run.history[1]!.instant - 5000;
    const s = step(run, run.history[1]!.instant + graceMs(60) + 100, [event(run.m, 0, before), event(run.m, 1, before + 100)]);
    expect(s.state.verdict).toBe('UP');
  });

  it('does not move a monitor that is not up (unknown, already down)', () => {
    const fresh = machine(watched());
    expect(step(fresh, T0 + 1000, [event(fresh.m, 0, T0 + 500), event(fresh.m, 1, T0 + 600)]).state.verdict).toBe('UNKNOWN');
    const down = machine(watched({ failureThreshold: 1 }));
    feedRound(down, 'uuu');
    feedRound(down, 'ddd');
    const t = down.history[1]!.instant + 85_000;
    expect(step(down, t + 500, [event(down.m, 0, t), event(down.m, 1, t + 100)]).alerts).toEqual([]);
    expect(down.alerts.map((a) => a.kind)).toEqual(['DOWN']);
  });
});

describe('watch items', () => {
  it('round-trip, in the probe region’s own watch partition', () => {
    const e: WatchEvent = { monitor: 'cache', region: 'eu-west-1', at: 1_733_212_345_678, result: RESET };
    const item = encodeWatchItem(e);
    expect(item.pk).toBe('watch#eu-west-1#-#cache');
    expect(item.pk.startsWith(watchKeyPattern({ region: 'eu-west-1' }).slice(0, -1))).toBe(true);
    expect(decodeWatchItem({ ...item })).toEqual(e);
    const grouped = encodeWatchItem({ ...e, group: 'private' });
    expect(grouped.pk).toBe('watch#eu-west-1#private#cache');
    expect(decodeWatchItem({ ...grouped })).toEqual({ ...e, group: 'private' });
  });

  it('are rejected when the key does not say what the item says', () => {
    const item = encodeWatchItem({ monitor: 'cache', region: 'eu-west-1', at: 1_733_212_345_678, result: RESET });
    expect(() => decodeWatchItem({ ...item, region: 'us-east-1' })).toThrow(/pk is not watch#us-east-1#-#cache/);
    expect(() => decodeWatchItem({ ...item, at: 5 })).toThrow(/sk is not/);
    expect(() => decodeWatchItem({ ...item, r: 'u\t1\t1\t' })).toThrow(/a watch event is a failed re-probe/);
  });
});

// ---- Properties ----

const code = fc.constantFrom('u', 'd', 's', 'v', 't');
/** Each round's codes, and the watch events after it: offsets (ms after the round closed) by region index. */
const script = fc.array(fc.record({
  codes: fc.array(code, { minLength: 3, maxLength: 3 }).map((c) => c.join('')),
  watch: fc.array(fc.tuple(fc.nat(2), fc.nat(15_000)), { maxLength: 4 }),
}), { minLength: 1, maxLength: 12 });
const monitorArb = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  recoveryThreshold: fc.integer({ min: 1, max: 3 }),
  quorum: fc.integer({ min: 2, max: 3 }),
}).map((spec) => watched(spec));

/** Runs the script: each round closed, then one evaluation with its watch events (kept as `only` allows). */
function play(m: ResolvedMonitor, s: { codes: string; watch: [number, number][] }[], only: (regionIndex: number) => boolean = () => true, replay = false) {
  const run = machine(m);
  const afterRound: string[] = [];
  for (const { codes, watch } of s) {
    feedRound(run, codes);
    afterRound.push(run.state!.verdict);
    const closed = run.history[run.history.length - 1]!.instant + graceMs(m.interval);
    const events = watch.filter(([k]) => only(k)).map(([k, offset]) => event(m, k, closed + 1 + offset));
    step(run, closed + 16_000, events);
    if (replay) {
      const again = step(run, closed + 17_000, events);
      expect(again.alerts).toEqual([]);
    }
  }
  return { run, afterRound };
}

describe('watch evidence: properties', () => {
  it('a lone region’s events never change a verdict or a page', () => {
    fc.assert(fc.property(monitorArb, script, fc.nat(2), (m, s, lone) => {
      const without = play(m, s, () => false);
      const alone = play(m, s, (k) => k === lone);
      expect(alone.run.alerts).toEqual(without.run.alerts);
      expect(alone.run.verdicts).toEqual(without.run.verdicts);
    }));
  });

  it('a watch DOWN is always a quorum of regions whose failed re-probes came within the window, from UP or DEGRADED', () => {
    fc.assert(fc.property(monitorArb, script, (m, s) => {
      const { run } = play(m, s);
      for (const alert of run.alerts.filter((a) => a.cause === 'watch')) {
        expect(alert.kind).toBe('DOWN');
        expect(['UP', 'DEGRADED']).toContain(alert.previousVerdict);
        const regions = alert.regions.filter((r) => r.message?.startsWith('watch:'));
        expect(regions.length).toBeGreaterThanOrEqual(m.quorum);
      }
    }));
  });

  it('never double-alerts: DOWN and UP pages alternate, and replaying an evaluation adds nothing', () => {
    fc.assert(fc.property(monitorArb, script, (m, s) => {
      const { run } = play(m, s, () => true, true);
      const pages = run.alerts.filter((a) => a.kind === 'DOWN' || a.kind === 'UP' || a.kind === 'DEGRADED').map((a) => a.kind);
      for (let i = 1; i < pages.length; i += 1) expect(pages[i]).not.toBe(pages[i - 1]);
    }));
  });

  it('only brings a DOWN forward: whenever the rounds alone say DOWN, so does the machine with watch events', () => {
    fc.assert(fc.property(monitorArb, script, (m, s) => {
      const without = play(m, s, () => false);
      const withWatch = play(m, s);
      without.afterRound.forEach((verdict, i) => {
        if (verdict === 'DOWN') expect(withWatch.afterRound[i]).toBe('DOWN');
      });
    }));
  });
});
