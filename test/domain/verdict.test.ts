import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { graceMs } from '../../functions/shared/domain/rounds';
import { candidateOf, next, nextFleet, verdictAfter, type MonitorState, type RoundEvidence } from '../../functions/shared/domain/verdict';
import type { ResolvedMonitor } from '../../functions/shared/domain';
import { monitor, round, runRounds, T0 } from './helpers';

const kinds = (run: { alerts: { kind: string }[] }) => run.alerts.map((a) => a.kind);

describe('verdict: scripted rounds (3 regions, quorum 2, thresholds 2/2)', () => {
  it('pages DOWN once when a quorum is down for failureThreshold rounds, and UP once after recoveryThreshold', () => {
    const m = monitor();
    const run = runRounds(m, ['uuu', 'uuu', 'ddu', 'ddu', 'ddd', 'uuu', 'uuu', 'uuu']);
    expect(run.verdicts).toEqual(['UNKNOWN', 'UP', 'UP', 'DOWN', 'DOWN', 'DOWN', 'UP', 'UP']);
    expect(kinds(run)).toEqual(['DOWN', 'UP']);
    const [down, up] = run.alerts;
    expect(down!.subject).toBe('DOWN orders-db 10.0.1.5:5432 — refused in 2/3 regions');
    expect(down!.alertId).toBe(`orders-db:DOWN:${(T0 + 3 * 60_000) / 1000}`);
    expect(down!.regions.map((r) => r.status)).toEqual(['down', 'down', 'up']);
    expect(down!.regions[0]).toMatchObject({ region: 'us-east-1', class: 'refused', phase: 'connect', code: 'ECONNREFUSED', message: 'connection refused' });
    expect(up!.subject).toBe('UP orders-db 10.0.1.5:5432 — up in 3/3 regions');
    expect(up!.previousVerdict).toBe('DOWN');
  });

  it('never pages when one region alone is down', () => {
    const run = runRounds(monitor(), ['uuu', 'uuu', ...Array(10).fill('duu')]);
    expect(run.alerts).toEqual([]);
    expect(run.state!.verdict).toBe('UP');
  });

  it('counts a silent region neither way, and all silent makes the monitor UNKNOWN without a page', () => {
    const m = monitor();
    expect(runRounds(m, ['uuu', 'uuu', 'suu', 'sdu', 'sdu']).alerts).toEqual([]);
    const run = runRounds(m, ['uuu', 'uuu', 'sss', 'sss', 'ddd', 'ddd']);
    expect(run.verdicts).toEqual(['UNKNOWN', 'UP', 'UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'DOWN']);
    expect(kinds(run)).toEqual(['DOWN']);
  });

  it('does not page UP when the monitor comes back from UNKNOWN to the verdict it was last paged with', () => {
    const run = runRounds(monitor(), ['uuu', 'uuu', 'ddd', 'ddd', 'sss', 'ddd', 'ddd', 'uuu', 'uuu']);
    expect(kinds(run)).toEqual(['DOWN', 'UP']);
  });

  it("vetoes a region's downs while its canary fails", () => {
    const m = monitor();
    expect(runRounds(m, ['uuu', 'uuu', 'vdu', 'vdu', 'vdu']).alerts).toEqual([]);
    expect(runRounds(m, ['uuu', 'uuu', 'ddu', 'ddu']).alerts).toHaveLength(1);
  });

  it('honours failureThreshold and recoveryThreshold, and an inconclusive round breaks a streak', () => {
    const m = monitor({ failureThreshold: 3, recoveryThreshold: 3 });
    expect(runRounds(m, ['uuu', 'uuu', 'uuu', 'ddd', 'ddd']).state!.verdict).toBe('UP');
    expect(runRounds(m, ['uuu', 'uuu', 'uuu', 'ddd', 'ddd', 'duu', 'ddd']).state!.verdict).toBe('UP');
    expect(runRounds(m, ['uuu', 'uuu', 'uuu', 'ddd', 'ddd', 'sdu', 'ddd']).state!.verdict).toBe('UP');
    const run = runRounds(m, ['uuu', 'uuu', 'uuu', 'ddd', 'ddd', 'ddd', 'uuu', 'uuu']);
    expect(run.state!.verdict).toBe('DOWN');
    expect(runRounds(m, ['uuu'], { start: run }).state!.verdict).toBe('UP');
  });

  it('pages DEGRADED when a quorum connects slower than degradedMs, and UP when it recovers', () => {
    const m = monitor({ degradedMs: 500 });
    const run = runRounds(m, ['uuu', 'uuu', 'ttu', 'ttt', 'tuu', 'uuu', 'uuu']);
    expect(run.verdicts).toEqual(['UNKNOWN', 'UP', 'UP', 'DEGRADED', 'DEGRADED', 'UP', 'UP']);
    expect(kinds(run)).toEqual(['DEGRADED', 'UP']);
    expect(run.alerts[0]!.subject).toBe('DEGRADED orders-db 10.0.1.5:5432 — connect over 500 ms in 3/3 regions');
  });

  it('pages CERT_EXPIRY once when a quorum sees fewer days than minDaysValid', () => {
    const m = monitor({ tls: { minDaysValid: 14 } });
    const run = runRounds(m, ['uuu', 'uuu', 'xuu', 'xxu', 'xxx', 'xxx']);
    expect(kinds(run)).toEqual(['CERT_EXPIRY']);
    expect(run.alerts[0]!.subject).toBe('CERT_EXPIRY orders-db 10.0.1.5:5432 — certificate expires in 5 days');
  });

  it('sends reminders every renotifyMinutes while DOWN, with the same alert id and a sequence number', () => {
    const m = monitor({ renotifyMinutes: 5 });
    const run = runRounds(m, ['uuu', 'uuu', ...Array(12).fill('ddd')]);
    expect(kinds(run)).toEqual(['DOWN', 'REMINDER', 'REMINDER']);
    expect(run.alerts.map((a) => a.alertId)).toEqual(Array(3).fill(run.alerts[0]!.alertId));
    expect(run.alerts.map((a) => a.sequence)).toEqual([0, 1, 2]);
    expect(run.alerts[1]!.subject).toMatch(/^REMINDER orders-db 10\.0\.1\.5:5432 — still DOWN since 2024-06-03 00:03 UTC \(reminder 1\)$/);
  });

  it('stops pages inside a maintenance window and pages once at its end when the verdict differs', () => {
    const window = { start: new Date(T0 + 2 * 60_000).toISOString(), end: new Date(T0 + 8 * 60_000).toISOString() };
    const m = monitor({ maintenance: [window] });
    const run = runRounds(m, ['uuu', 'uuu', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd']);
    expect(run.verdicts.slice(0, 5)).toEqual(['UNKNOWN', 'UP', 'UP', 'DOWN', 'DOWN']);
    expect(kinds(run)).toEqual(['DOWN']);
    expect(run.alerts[0]!.cause).toBe('maintenance-ended');
    // Back UP before the window ends: nothing to say.
    const quiet = runRounds(m, ['uuu', 'uuu', 'ddd', 'ddd', 'uuu', 'uuu', 'uuu', 'uuu', 'uuu', 'uuu']);
    expect(quiet.alerts).toEqual([]);
  });

  it('inside a silence: verdicts go on, pages and reminders stop, the held page is recorded; its end pages once (silence-ended)', () => {
    const m = monitor({ renotifyMinutes: 2 });
    const silence = { by: 'arn:aws:iam::123456789012:user/ana', reason: 'replacing the disk', until: new Date(T0 + 8 * 60_000).toISOString() };
    const before = runRounds(m, ['uuu', 'uuu']);
    const inside = runRounds(m, ['ddd', 'ddd', 'ddd', 'ddd', 'ddd'], { start: before, silence });
    expect(inside.verdicts.slice(2)).toEqual(['UP', 'DOWN', 'DOWN', 'DOWN', 'DOWN']);
    expect(inside.alerts).toEqual([]);
    expect(inside.held).toHaveLength(1);
    expect(inside.held[0]).toMatchObject({ kind: 'DOWN', alertId: `orders-db:DOWN:${(T0 + 3 * 60_000) / 1000}`, silenced: silence });
    expect(inside.state).toMatchObject({ notified: 'UP', heldBy: 'silence' });
    // The silence's item is still there (TTL deletes late), but its `until` has passed: it pages, once, then reminds.
    const after = runRounds(m, ['ddd', 'ddd', 'ddd', 'ddd'], { start: inside, silence });
    expect(after.alerts.map((a) => `${a.kind} ${a.cause}`)).toEqual(['DOWN silence-ended', 'REMINDER reminder']);
    expect(after.alerts[0]!.alertId).toBe(inside.held[0]!.alertId);
    expect(after.alerts[0]!.silenced).toBeUndefined();
    expect(after.state!.heldBy).toBeUndefined();
    // Back to the verdict last paged before it ends: nothing to say.
    const quiet = runRounds(m, ['ddd', 'ddd', 'uuu', 'uuu', 'uuu', 'uuu', 'uuu'], { start: before, silence });
    expect(quiet.alerts).toEqual([]);
  });

  it('a silenced private monitor still pages EXPOSED, carrying the silence', () => {
    const m = monitor({ exposure: 'private' });
    const silence = { by: 'ana', until: new Date(T0 + 60 * 60_000).toISOString() };
    const run = runRounds(m, ['uuu', 'uuu', 'ouu'], { silence });
    expect(run.alerts.map((a) => a.kind)).toEqual(['EXPOSED']);
    expect(run.alerts[0]!.silenced).toEqual(silence);
  });

  it('an ack stops the reminders of the DOWN it names only; the next DOWN reminds again', () => {
    const m = monitor({ renotifyMinutes: 2 });
    const down = runRounds(m, ['uuu', 'uuu', 'ddd', 'ddd']);
    expect(kinds(down)).toEqual(['DOWN']);
    const acked: MonitorState = { ...down.state!, acked: { alertId: down.state!.alertId!, by: 'ana', at: new Date(T0).toISOString() } };
    const quiet = runRounds(m, Array(6).fill('ddd'), { start: { ...down, state: acked } });
    expect(kinds(quiet)).toEqual(['DOWN']);
    const again = runRounds(m, ['uuu', 'uuu', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd'], { start: quiet });
    expect(kinds(again)).toEqual(['DOWN', 'UP', 'DOWN', 'REMINDER']);
    expect(again.state!.acked).toBeUndefined();
  });

  it('honours weekly recurring windows (UTC)', () => {
    // T0 is a Monday; a window on Mondays 00:02 for 6 minutes.
    const m = monitor({ maintenance: [{ days: ['mon'], startUtc: '00:02', durationMinutes: 6 }] });
    expect(kinds(runRounds(m, ['uuu', 'uuu', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd', 'ddd']))).toEqual(['DOWN']);
    const tuesday = monitor({ maintenance: [{ days: ['tue'], startUtc: '00:02', durationMinutes: 6 }] });
    const run = runRounds(tuesday, ['uuu', 'uuu', 'ddd', 'ddd']);
    expect(run.alerts[0]!.cause).toBe('transition');
  });

  it('decides DOWN as soon as a quorum is in, and UP only when no pending region could make it DOWN', () => {
    const m = monitor();
    const early = T0 + 5_000;
    expect(candidateOf(m, round(m, 0, 'dds'), early)).toBe('DOWN');
    expect(candidateOf(m, round(m, 0, 'uus'), early)).toBe('UP');
    expect(candidateOf(m, round(m, 0, 'dus'), early)).toBe('PENDING');
    expect(candidateOf(m, round(m, 0, 'dus'), T0 + graceMs(60))).toBe('INCONCLUSIVE');
    expect(candidateOf(m, round(m, 0, 'dss'), T0 + graceMs(60))).toBe('UNKNOWN');
    const sensitive = monitor({ quorum: 1 });
    expect(candidateOf(sensitive, round(sensitive, 0, 'uss'), early)).toBe('PENDING');
    expect(candidateOf(sensitive, round(sensitive, 0, 'uus'), early)).toBe('PENDING');
    expect(candidateOf(sensitive, round(sensitive, 0, 'uuu'), early)).toBe('UP');
  });

  it('never moves state backwards for a round older than its last change', () => {
    const m = monitor();
    const run = runRounds(m, ['uuu', 'uuu', 'ddd', 'ddd']);
    const old = [round(m, 0, 'uuu'), round(m, 1, 'uuu')];
    const step = next(run.state, { monitor: m, rounds: old }, T0 + 3_600_000);
    expect(step.changed).toBe(false);
    expect(step.alerts).toEqual([]);
  });
});

// ---- Properties ----

const code = fc.constantFrom('u', 'd', 's', 'v', 't');
const script = (regions: number, maxRounds = 14) => fc.array(fc.array(code, { minLength: regions, maxLength: regions }).map((c) => c.join('')), { minLength: 1, maxLength: maxRounds });
const monitorArb = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  recoveryThreshold: fc.integer({ min: 1, max: 3 }),
  degradedMs: fc.option(fc.constant(500), { nil: undefined }),
}).map((spec) => monitor(spec));

/** Evaluates each round closed, with the full history as evidence (the reference order). */
function reference(m: ResolvedMonitor, rounds: RoundEvidence[]): { state: MonitorState | undefined; alerts: number; trace: { state: MonitorState | undefined; now: number }[] } {
  let state: MonitorState | undefined;
  let alerts = 0;
  const trace = [];
  for (let i = 0; i < rounds.length; i += 1) {
    const now = rounds[i]!.instant + graceMs(m.interval);
    const step = next(state, { monitor: m, rounds: rounds.slice(0, i + 1) }, now);
    state = step.state;
    alerts += step.alerts.length;
    trace.push({ state, now });
  }
  return { state, alerts, trace };
}

describe('verdict: properties', () => {
  it('applying a round twice gives what applying it once did', () => {
    const candidate = fc.constantFrom('DOWN', 'UP', 'DEGRADED', 'INCONCLUSIVE', 'UNKNOWN', 'PENDING' as const);
    fc.assert(fc.property(monitorArb, fc.array(candidate, { minLength: 1, maxLength: 6 }), fc.constantFrom('UP', 'DOWN', 'DEGRADED', 'UNKNOWN' as const), (m, window, previous) => {
      const once = verdictAfter(m, window, previous);
      expect(verdictAfter(m, window, once)).toBe(once);
    }), { numRuns: 1000 });
  });

  it('replaying any prefix of the stream adds no alert and changes nothing', () => {
    fc.assert(fc.property(monitorArb, script(3), fc.nat(), (m, s, cut) => {
      const rounds = s.map((c, i) => round(m, i, c));
      const { state } = reference(m, rounds);
      const k = cut % rounds.length;
      const now = rounds[rounds.length - 1]!.instant + graceMs(m.interval);
      let replayed = state;
      for (let i = 0; i <= k; i += 1) {
        const step = next(replayed, { monitor: m, rounds: rounds.slice(0, i + 1) }, now);
        expect(step.alerts).toEqual([]);
        expect(step.changed).toBe(false);
        replayed = step.state;
      }
    }), { numRuns: 400 });
  });

  it('one silent or vetoed region never changes an established verdict while the others agree', () => {
    fc.assert(fc.property(monitorArb, fc.constantFrom('u', 'd'), fc.array(fc.constantFrom('s', 'v', 'u', 'd'), { minLength: 1, maxLength: 12 }), fc.nat(2), (m, settled, odd, which) => {
      const establish = Array(4).fill(settled.repeat(3));
      const base = runRounds(m, establish);
      const expected = base.state!.verdict;
      const rest = odd.map((o) => {
        const codes: string[] = [settled, settled, settled];
        codes[which] = o === 'v' && settled === 'u' ? 's' : o;
        return codes.join('');
      });
      const run = runRounds(m, rest, { start: base });
      expect(run.verdicts.slice(establish.length)).toEqual(rest.map(() => expected));
      expect(run.alerts.length).toBe(base.alerts.length);
    }), { numRuns: 300 });
  });

  it('making regions silent or vetoed never causes a transition the full results would not (majority quorum)', () => {
    fc.assert(fc.property(monitorArb, script(3), fc.array(fc.tuple(fc.nat(20), fc.nat(2), fc.constantFrom('s', 'v'))), (m, s, holes) => {
      const full = s.map((c) => c.replace(/[sv]/g, 'u'));
      const holed = full.map((c) => [...c]);
      for (const [r, region, hole] of holes) if (holed[r % holed.length]) holed[r % holed.length]![region] = hole;
      const a = reference(m, full.map((c, i) => round(m, i, c))).trace;
      const b = reference(m, holed.map((c, i) => round(m, i, c.join('')))).trace;
      for (let i = 0; i < b.length; i += 1) {
        const before = i === 0 ? 'UNKNOWN' : b[i - 1]!.state!.verdict;
        const after = b[i]!.state!.verdict;
        // UP and DEGRADED are one side here: a silent slow region may well turn DEGRADED into UP.
        const side = (v: string) => (v === 'DEGRADED' ? 'UP' : v);
        // A DOWN (or a recovery from DOWN/UNKNOWN) in the holed stream is one the full results also show.
        if (side(after) !== side(before) && (after === 'DOWN' || side(after) === 'UP')) expect(side(a[i]!.state!.verdict)).toBe(side(after));
      }
    }), { numRuns: 400 });
  });

  it('the verdict after a sequence does not depend on how results were batched', () => {
    fc.assert(fc.property(monitorArb, script(3, 10), fc.array(fc.nat(1000), { maxLength: 12 }), fc.array(fc.nat(1000)), (m, s, cuts, orders) => {
      const full = s.map((c, i) => round(m, i, c));
      const ref = reference(m, full);
      // Arrivals: round by round, each round's regions in some order, each a few seconds after the round's instant.
      const arrivals: { round: number; region: string; at: number }[] = [];
      full.forEach((r, i) => {
        const regions = Object.keys(r.reports);
        const shift = orders[i] ?? 0;
        regions.map((_, k) => regions[(k + shift) % regions.length]!).forEach((region, k) => arrivals.push({ round: i, region, at: r.instant + 1000 * (k + 1) }));
      });
      const seen: RoundEvidence[] = full.map((r) => ({ instant: r.instant, reports: {} }));
      const cutSet = new Set(cuts.map((c) => c % Math.max(1, arrivals.length)));
      let state: MonitorState | undefined;
      let batch: number[] = [];
      const flush = (now: number) => {
        for (const i of [...new Set(batch)].sort((x, y) => x - y)) state = next(state, { monitor: m, rounds: seen.slice(0, i + 1).map((r) => ({ ...r, reports: { ...r.reports } })) }, now).state;
        batch = [];
      };
      arrivals.forEach((a, k) => {
        seen[a.round]!.reports[a.region] = full[a.round]!.reports[a.region]!;
        batch.push(a.round);
        if (cutSet.has(k)) flush(a.at);
      });
      flush(arrivals.length ? arrivals[arrivals.length - 1]!.at : T0);
      // The sweeper closes the last round once its grace is over.
      const last = full[full.length - 1]!;
      state = next(state, { monitor: m, rounds: seen }, last.instant + graceMs(m.interval)).state;
      expect(state?.verdict ?? 'UNKNOWN').toBe(ref.state?.verdict ?? 'UNKNOWN');
    }), { numRuns: 400 });
  });
});

describe('fleet', () => {
  it('pages once when regions go silent and once when they return', () => {
    const obs = (silent: string[], vetoed: string[] = []) => ({ instant: T0, silent, vetoed, unknownMonitors: silent.length > 1 ? ['orders-db'] : [] });
    const a = nextFleet(undefined, obs(['eu-west-1', 'us-east-1']), T0);
    expect(a.alerts.map((x) => x.subject)).toEqual(['FLEET_DEGRADED — silent: eu-west-1, us-east-1']);
    expect(a.alerts[0]!.fleet!.unknownMonitors).toEqual(['orders-db']);
    expect(nextFleet(a.state, obs(['eu-west-1', 'us-east-1']), T0 + 60_000).alerts).toEqual([]);
    const b = nextFleet(a.state, obs([]), T0 + 120_000);
    expect(b.alerts.map((x) => x.subject)).toEqual(['FLEET_RECOVERED — back: eu-west-1, us-east-1']);
    expect(nextFleet(b.state, obs([], ['ap-south-1']), T0).alerts.map((x) => x.subject)).toEqual(['FLEET_DEGRADED — canary failing: ap-south-1']);
  });
});
