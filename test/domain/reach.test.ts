// Reachability matrix: a monitor's expectation per probe group, each group judged on its own (an `open` group by its
// quorum, a `closed` group broken by any one region connecting); REACH_BROKEN names the vantage point, REACH_RESTORED
// follows when it holds again.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resolveFleet, type MonitorSpec, type ResolvedMonitor } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { CanaryResult, RoundResult } from '../../functions/shared/domain/record';
import { groupQuorum, reachCandidate, type Vantage } from '../../functions/shared/domain/reach';
import { graceMs } from '../../functions/shared/domain/rounds';
import { next, type MonitorState, type RoundEvidence } from '../../functions/shared/domain/verdict';
import { REGIONS, T0 } from './helpers';

const MINUTE = 60_000;
const VPC = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const OFFICE = ['eu-west-1'];

const UP: RoundResult = { status: 'up', connectMs: 12, totalMs: 14 };
const REFUSED: RoundResult = { status: 'down', errorClass: 'refused', phase: 'connect', connectMs: 1, totalMs: 1, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.1.5:5432' };
const TIMEOUT: RoundResult = { status: 'down', errorClass: 'timeout', phase: 'connect', totalMs: 3000, code: 'ETIMEDOUT', message: 'connect timed out' };
/** What a `closed` vantage's probe reports for a port that accepted a connection (see probe/engine/attempt.ts). */
const OPEN: RoundResult = {
  status: 'down', errorClass: 'protocol', phase: 'connect', connectMs: 2, totalMs: 502, code: 'EXPECTED_CLOSED',
  message: "10.0.1.5:5432 accepted a connection and answered 'SSH-2.0-OpenSSH_9.2p1', but the monitor expects the port closed (close the port or firewall it)",
};
/** A closed vantage's probe finding nothing (refused or silent: the expectClosed check passes). */
const SHUT: RoundResult = { status: 'up', totalMs: 3 };
const CANARY_UP: CanaryResult = { status: 'up', connectMs: 3, totalMs: 3 };
const NONE: CanaryResult = { status: 'none' };

function reachMonitor(spec: Partial<MonitorSpec> = {}): ResolvedMonitor {
  return resolveFleet({
    regions: REGIONS,
    groups: { vpc: { regions: VPC }, office: { regions: OFFICE } },
    monitors: [{ id: 'orders-db', host: '10.0.1.5', port: 5432, reach: { vpc: 'open', public: 'closed' }, ...spec }],
  }).monitors[0]!;
}

/**
 * One round: `pub` the public regions (u up/closed-ok, d refused, o connected though it must stay closed, s silent),
 * `groups` each group's regions (u up, d refused, t timeout, o connected to a port that must stay closed, c closed as
 * expected, s silent).
 */
function round(m: ResolvedMonitor, index: number, pub: string, groups: Record<string, string> = {}): RoundEvidence {
  const code = (c: string): RoundResult | undefined => ({ u: UP, d: REFUSED, t: TIMEOUT, o: OPEN, c: SHUT } as Record<string, RoundResult>)[c];
  const reports: RoundEvidence['reports'] = {};
  [...pub].forEach((c, k) => {
    const result = m.exposure === 'private' && c === 'u' ? SHUT : code(c);
    if (result) reports[m.regions[k]!] = { result, canary: CANARY_UP };
  });
  const vantages: NonNullable<RoundEvidence['vantages']> = {};
  for (const v of m.vantages ?? []) {
    vantages[v.group] = {};
    [...(groups[v.group] ?? '')].forEach((c, k) => {
      const result = code(c);
      if (result) vantages[v.group]![v.regions[k]!] = { result, canary: NONE };
    });
  }
  return { instant: T0 + index * m.interval * 1000, reports, vantages };
}

interface Run {
  state: MonitorState | undefined;
  alerts: AlertMessage[];
  history: RoundEvidence[];
}

/** Feeds rounds one by one, each evaluated once closed, with twice the monitor's window as evidence. */
function run(m: ResolvedMonitor, script: [string, Record<string, string>][], start?: Run, options: { maintenance?: boolean } = {}): Run {
  const r: Run = start ? { state: start.state, alerts: [...start.alerts], history: [...start.history] } : { state: undefined, alerts: [], history: [] };
  for (const [pub, groups] of script) {
    const evidence = round(m, r.history.length, pub, groups);
    r.history.push(evidence);
    const window = r.history.slice(-2 * Math.max(m.failureThreshold, m.recoveryThreshold));
    const step = next(r.state, { monitor: options.maintenance ? { ...m, maintenance: [{ start: new Date(T0).toISOString(), end: new Date(T0 + 600 * MINUTE).toISOString() }] } : m, rounds: window }, evidence.instant + graceMs(m.interval));
    r.state = step.state;
    r.alerts.push(...step.alerts);
  }
  return r;
}

const kinds = (r: { alerts: { kind: string }[] }) => r.alerts.map((a) => a.kind);
/** `n` rounds of the same thing. */
const times = (n: number, pub: string, groups: Record<string, string>): [string, Record<string, string>][] => Array.from({ length: n }, () => [pub, groups]);

describe('reach: resolving', () => {
  it('resolves each named group with its regions and quorum; public closed is exposure private', () => {
    const m = reachMonitor();
    expect(m.exposure).toBe('private');
    expect(m.expectClosed).toBe(true);
    expect(m.vantages).toEqual([{ group: 'vpc', expect: 'open', regions: VPC, quorum: 2 }]);
  });

  it("a group's quorum is the monitor's declared quorum capped by the group's regions, else the group's majority", () => {
    expect(groupQuorum(3, undefined)).toBe(2);
    expect(groupQuorum(1, undefined)).toBe(1);
    expect(groupQuorum(1, 3)).toBe(1);
    expect(groupQuorum(3, 3)).toBe(3);
    expect(reachMonitor({ quorum: 3, reach: { office: 'open', vpc: 'open' } }).vantages!.map((v) => [v.group, v.quorum])).toEqual([['office', 1], ['vpc', 3]]);
  });

  it('leaves a monitor without reach as it was', () => {
    const m = reachMonitor({ reach: undefined });
    expect(m.vantages).toBeUndefined();
    expect(m.exposure).toBe('public');
  });
});

describe('reach: scripted rounds (public regions closed as expected; the vpc group must connect)', () => {
  it('pages REACH_BROKEN naming the vantage point once the vpc quorum is refused for failureThreshold rounds', () => {
    const m = reachMonitor();
    const r = run(m, [...times(2, 'uuu', { vpc: 'uuu' }), ...times(3, 'uuu', { vpc: 'ddu' })]);
    expect(kinds(r)).toEqual(['REACH_BROKEN']);
    const [broken] = r.alerts;
    expect(broken!.subject).toBe('REACH_BROKEN orders-db 10.0.1.5:5432 — closed from vpc (refused in 2/3 regions; expected open)');
    expect(broken!.alertId).toBe(`orders-db:REACH_BROKEN:vpc:${(T0 + 3 * MINUTE) / 1000}`);
    expect(broken!.reach).toMatchObject({ group: 'vpc', expect: 'open', found: 'closed', quorum: 2, since: new Date(T0 + 3 * MINUTE).toISOString() });
    expect(broken!.reach!.regions.map((x) => [x.region, x.status, x.class])).toEqual([['us-east-1', 'down', 'refused'], ['eu-west-1', 'down', 'refused'], ['ap-south-1', 'up', undefined]]);
    expect(r.state!.reach).toEqual({ vpc: { since: T0 + 3 * MINUTE } });
  });

  it('pages REACH_RESTORED once after recoveryThreshold rounds in which the vpc quorum connects', () => {
    const r = run(reachMonitor(), [...times(2, 'uuu', { vpc: 'ddd' }), ...times(2, 'uuu', { vpc: 'udu' }), ...times(3, 'uuu', { vpc: 'uuu' })]);
    expect(kinds(r)).toEqual(['REACH_BROKEN', 'REACH_RESTORED']);
    const restored = r.alerts[1]!;
    expect(restored.subject).toBe('REACH_RESTORED orders-db 10.0.1.5:5432 — open from vpc again, as expected');
    expect(restored.reach).toMatchObject({ found: 'closed', since: new Date(T0 + MINUTE).toISOString(), restored: new Date(T0 + 3 * MINUTE).toISOString() });
    expect(restored.alertId).toBe(`orders-db:REACH_RESTORED:vpc:${(T0 + 3 * MINUTE) / 1000}`);
  });

  it("a lone region of an 'open' group is not its quorum: one refusal among three breaks nothing", () => {
    expect(kinds(run(reachMonitor(), times(6, 'uuu', { vpc: 'duu' })))).toEqual([]);
  });

  it('a group with too few results (silent regions) breaks nothing and restores nothing', () => {
    const m = reachMonitor();
    expect(kinds(run(m, times(5, 'uuu', { vpc: 'dss' })))).toEqual([]);
    const broken = run(m, times(2, 'uuu', { vpc: 'ddd' }));
    expect(kinds(run(m, times(4, 'uuu', { vpc: 'uss' }), broken))).toEqual(['REACH_BROKEN']);
  });

  it('keeps the public exposure audit as it was: one public region connecting pages EXPOSED, with the vpc group fine', () => {
    const r = run(reachMonitor(), [...times(2, 'uuu', { vpc: 'uuu' }), ...times(2, 'uou', { vpc: 'uuu' }), ...times(2, 'uuu', { vpc: 'uuu' })]);
    expect(kinds(r)).toEqual(['EXPOSED', 'EXPOSURE_CLOSED']);
  });

  it('pages both when both vantage points break: open from the internet (EXPOSED) and closed from the vpc', () => {
    const r = run(reachMonitor(), times(3, 'ouu', { vpc: 'ttt' }));
    expect(kinds(r).sort()).toEqual(['EXPOSED', 'REACH_BROKEN']);
    expect(r.alerts.find((a) => a.kind === 'REACH_BROKEN')!.subject).toContain('closed from vpc (timeout in 3/3 regions; expected open)');
  });

  it("a 'closed' group is broken by any one region connecting, in the round it happens, with what answered", () => {
    const m = reachMonitor({ reach: { vpc: 'open', office: 'closed' } });
    const r = run(m, [['uuu', { vpc: 'uuu', office: 'c' }], ['uuu', { vpc: 'uuu', office: 'o' }], ['uuu', { vpc: 'uuu', office: 'c' }], ['uuu', { vpc: 'uuu', office: 'c' }]]);
    expect(kinds(r)).toEqual(['REACH_BROKEN', 'REACH_RESTORED']);
    const broken = r.alerts[0]!;
    expect(broken.subject).toBe('REACH_BROKEN orders-db 10.0.1.5:5432 — open from office (eu-west-1 connected; expected closed)');
    expect(broken.reach).toMatchObject({ group: 'office', expect: 'closed', found: 'open', quorum: 1 });
    expect(broken.reach!.regions[0]!.message).toContain("answered 'SSH-2.0-OpenSSH_9.2p1'");
  });

  it('never pages DOWN or UP for the vpc group: its breaks are REACH alerts', () => {
    const m = reachMonitor({ reach: { vpc: 'open' } });
    const r = run(m, [...times(2, 'uuu', { vpc: 'uuu' }), ...times(3, 'uuu', { vpc: 'ddd' }), ...times(2, 'uuu', { vpc: 'uuu' })]);
    expect(kinds(r)).toEqual(['REACH_BROKEN', 'REACH_RESTORED']);
    expect(r.state!.verdict).toBe('UP');
  });

  it("holds an 'open' group's pages in a maintenance window and sends them when it ends; a 'closed' one pages inside it", () => {
    const m = reachMonitor({ reach: { vpc: 'open', office: 'closed' } });
    const inside = run(m, times(3, 'uuu', { vpc: 'ddd', office: 'o' }), undefined, { maintenance: true });
    expect(kinds(inside)).toEqual(['REACH_BROKEN']);
    expect(inside.alerts[0]!.reach!.group).toBe('office');
    const after = run(m, times(1, 'uuu', { vpc: 'ddd', office: 'o' }), inside);
    expect(after.alerts.slice(1).map((a) => `${a.kind} ${a.reach!.group}`)).toEqual(['REACH_BROKEN vpc']);
  });

  it('restores a broken group with its one alert when reach no longer names it', () => {
    const broken = run(reachMonitor(), times(2, 'uuu', { vpc: 'ddd' }));
    const dropped = run(reachMonitor({ reach: { public: 'closed' } }), times(1, 'uuu', {}), broken);
    expect(kinds(dropped)).toEqual(['REACH_BROKEN', 'REACH_RESTORED']);
  });

  it('waits for a group still to report before judging the round (as for a region)', () => {
    const m = reachMonitor({ failureThreshold: 1 });
    const first = round(m, 0, 'uuu', { vpc: 'd' });
    const step = next(undefined, { monitor: m, rounds: [first] }, first.instant + 5_000);
    expect(step.changed).toBe(false);
    expect(reachCandidate(m.vantages![0]!, first.vantages!.vpc, false)).toBe('PENDING');
    expect(reachCandidate(m.vantages![0]!, first.vantages!.vpc, true)).toBe('UNKNOWN');
    // A quorum of refusals decides the round at once, whoever is still to report.
    expect(reachCandidate(m.vantages![0]!, round(m, 0, 'uuu', { vpc: 'dd' }).vantages!.vpc, false)).toBe('BROKEN');
    expect(next(undefined, { monitor: m, rounds: [round(m, 0, 'uuu', { vpc: 'dd' })] }, first.instant + 5_000).changed).toBe(true);
  });
});

describe('reach: properties', () => {
  const codes = fc.constantFrom('u', 'd', 't', 's', 'o', 'c');
  const groupRound = (n: number) => fc.array(codes, { minLength: n, maxLength: n }).map((c) => c.join(''));
  const script = fc.array(fc.tuple(fc.constantFrom('uuu', 'ouu', 'sss'), groupRound(3), groupRound(1)).map(([pub, vpc, office]) => [pub, { vpc, office }] as [string, Record<string, string>]), { minLength: 1, maxLength: 16 });
  const monitors = fc.record({
    failureThreshold: fc.integer({ min: 1, max: 3 }),
    recoveryThreshold: fc.integer({ min: 1, max: 3 }),
    vpc: fc.constantFrom('open', 'closed'),
    office: fc.constantFrom('open', 'closed'),
  }).map((o) => reachMonitor({ failureThreshold: o.failureThreshold, recoveryThreshold: o.recoveryThreshold, reach: { vpc: o.vpc, office: o.office, public: 'closed' } }));

  it("a lone region of a three-region 'open' group never breaks its expectation", () => {
    fc.assert(fc.property(monitors, script, fc.nat(2), (m, rounds, lone) => {
      const vpc = m.vantages!.find((v) => v.group === 'vpc')!;
      fc.pre(vpc.expect === 'open');
      // Only one region ever fails to connect; the others connect or stay silent.
      const tamed = rounds.map(([pub, g]): [string, Record<string, string>] => [pub, { ...g, vpc: [...g.vpc!].map((c, k) => (k === lone ? c : c === 's' ? 's' : 'u')).join('') }]);
      return !run(m, tamed).alerts.some((a) => a.kind === 'REACH_BROKEN' && a.reach!.group === 'vpc');
    }));
  });

  it("any one region connecting to a 'closed' group always pages REACH_BROKEN for it, whatever the others say", () => {
    fc.assert(fc.property(monitors, script, (m, rounds) => {
      fc.pre(m.vantages!.find((v) => v.group === 'office')!.expect === 'closed');
      const opened = [...rounds, ['uuu', { vpc: 'uuu', office: 'o' }] as [string, Record<string, string>]];
      const r = run(m, opened);
      const paged = r.alerts.filter((a) => a.reach?.group === 'office').map((a) => a.kind);
      return paged[paged.length - 1] === 'REACH_BROKEN';
    }));
  });

  it('REACH_BROKEN and REACH_RESTORED alternate per group, starting with REACH_BROKEN, each alert id once', () => {
    fc.assert(fc.property(monitors, script, (m, rounds) => {
      const r = run(m, rounds);
      const ids = r.alerts.map((a) => a.alertId);
      if (new Set(ids).size !== ids.length) return false;
      for (const group of ['vpc', 'office']) {
        const seq = r.alerts.filter((a) => a.reach?.group === group).map((a) => a.kind);
        if (seq.some((k, i) => k !== (i % 2 === 0 ? 'REACH_BROKEN' : 'REACH_RESTORED'))) return false;
      }
      return true;
    }));
  });

  it('replaying the last round adds no alert and changes nothing', () => {
    fc.assert(fc.property(monitors, script, (m, rounds) => {
      const r = run(m, rounds);
      const window = r.history.slice(-2 * Math.max(m.failureThreshold, m.recoveryThreshold));
      const last = r.history[r.history.length - 1]!;
      const again = next(r.state, { monitor: m, rounds: window }, last.instant + graceMs(m.interval));
      return !again.changed && again.alerts.length === 0;
    }));
  });
});

describe('reach: the candidate of one group round', () => {
  const open: Vantage = { group: 'vpc', expect: 'open', regions: VPC, quorum: 2 };
  const report = (result: RoundResult) => ({ result, canary: NONE });
  it('counts a down from a region whose canary fails as neither open nor closed', () => {
    const reports = { 'us-east-1': { result: REFUSED, canary: { status: 'down', errorClass: 'timeout', phase: 'connect', totalMs: 1 } as CanaryResult }, 'eu-west-1': report(REFUSED), 'ap-south-1': report(UP) };
    expect(reachCandidate(open, reports, true)).toBe('UNKNOWN');
  });
  it('is HELD once the quorum connected even while a region is pending', () => {
    expect(reachCandidate(open, { 'us-east-1': report(UP), 'eu-west-1': report(UP) }, false)).toBe('HELD');
  });
});
