// observeFleet: which probes are silent or vetoed (each only when it lasts two whole minutes, and back only after two
// healthy ones), and which monitors that leaves short of a quorum.
import { describe, expect, it } from 'vitest';
import { resolveFleet, type FleetSpec } from '../../functions/shared/domain';
import fc from 'fast-check';
import { expectedProbes, minuteHealth, observeFleet, probeName } from '../../functions/shared/domain/observation';
import type { CanaryResult, RoundRecord } from '../../functions/shared/domain/record';
import { REGIONS, T0, UP } from './helpers';

const CANARY_UP: CanaryResult = { status: 'up', connectMs: 3, totalMs: 3 };
const CANARY_DOWN: CanaryResult = { status: 'down', errorClass: 'timeout', phase: 'connect', totalMs: 3000, code: 'ETIMEDOUT', message: 'canary timed out' };
const MINUTE = 60_000;

const spec: FleetSpec = {
  regions: REGIONS,
  groups: { private: { regions: ['us-east-1', 'eu-west-1'] } },
  monitors: [
    { id: 'orders-db', host: '10.0.1.5', port: 5432 },
    { id: 'strict', host: '10.0.1.6', port: 5432, quorum: 3 },
    { id: 'ledger-db', host: '10.0.2.7', port: 5432, group: 'private' },
  ],
};
const fleet = resolveFleet(spec);

/** A round item of one probe: `canary` says how its canary fared; `shard` for a probe that writes several. */
function record(region: string, instant: number, canary: CanaryResult = CANARY_UP, extra: { group?: string; shard?: number } = {}): RoundRecord {
  return {
    schemaVersion: 1, instant, region, ...(extra.group ? { group: extra.group } : {}), shard: extra.shard ?? 0, shards: 2,
    probedAt: instant + 2000, canary, results: { 'orders-db': UP },
  };
}

/** Every probe of the fleet writing at `instant`. */
function everyProbe(instant: number): RoundRecord[] {
  return [...REGIONS.map((r) => record(r, instant)), record('us-east-1', instant, CANARY_UP, { group: 'private' }), record('eu-west-1', instant, CANARY_UP, { group: 'private' })];
}

describe('observeFleet', () => {
  it('names every probe the fleet deploys: regions first, then each group in its regions', () => {
    expect(expectedProbes(fleet)).toEqual(['us-east-1', 'eu-west-1', 'ap-south-1', 'us-east-1/private', 'eu-west-1/private']);
    expect(probeName('eu-west-1', undefined)).toBe('eu-west-1');
  });

  it('sees nothing wrong when every probe wrote with its canary up', () => {
    expect(observeFleet(fleet, { instant: T0, records: everyProbe(T0), starting: false }))
      .toEqual({ instant: T0, silent: [], vetoed: [], unknownMonitors: [] });
  });

  it('a probe with no round item in the minutes looked at is silent; its monitors lose its region', () => {
    const records = everyProbe(T0).filter((r) => !(r.region === 'eu-west-1' && r.group === 'private'));
    // ledger-db runs in 2 regions (quorum 2), so one silent group probe leaves it unknown; the public monitors keep 3.
    expect(observeFleet(fleet, { instant: T0, records, starting: false }))
      .toEqual({ instant: T0, silent: ['eu-west-1/private'], vetoed: [], unknownMonitors: ['ledger-db'] });
    const publicGone = everyProbe(T0).filter((r) => r.region !== 'ap-south-1');
    expect(observeFleet(fleet, { instant: T0, records: publicGone, starting: false }).unknownMonitors).toEqual(['strict']);
  });

  it('one round item in any of the minutes is enough, and nothing is silent while the fleet is starting', () => {
    const older = everyProbe(T0 - MINUTE).filter((r) => r.region === 'ap-south-1' && r.group === undefined);
    const records = [...everyProbe(T0).filter((r) => r.region !== 'ap-south-1'), ...older];
    expect(observeFleet(fleet, { instant: T0, records, starting: false }).silent).toEqual([]);
    expect(observeFleet(fleet, { instant: T0, records: [], starting: true })).toEqual({ instant: T0, silent: [], vetoed: [], unknownMonitors: [] });
    expect(observeFleet(fleet, { instant: T0, records: [], starting: false }).unknownMonitors).toEqual(['orders-db', 'strict', 'ledger-db']);
  });

  it('vetoes a probe whose canary failed (in any shard) in most of its rounds of each of two minutes, and only then', () => {
    const failing = [
      record('us-east-1', T0 - MINUTE, CANARY_DOWN), ...everyProbe(T0 - MINUTE).filter((r) => r.region !== 'us-east-1' || r.group),
      record('us-east-1', T0, CANARY_UP), record('us-east-1', T0, CANARY_DOWN, { shard: 1 }), ...everyProbe(T0).filter((r) => r.region !== 'us-east-1' || r.group),
    ];
    expect(observeFleet(fleet, { instant: T0, records: failing, starting: false }))
      .toEqual({ instant: T0, silent: [], vetoed: ['us-east-1'], unknownMonitors: ['strict'] });
    // Failing a minute earlier and fine since: not vetoed (one bad minute is not enough to go out).
    const recovered = [record('us-east-1', T0 - MINUTE, CANARY_DOWN), ...everyProbe(T0)];
    expect(observeFleet(fleet, { instant: T0, records: recovered, starting: false }).vetoed).toEqual([]);
    // Order of the records does not matter, and vetoed probes come sorted.
    const both = [...[T0 - MINUTE, T0].flatMap((t) => [record('eu-west-1', t, CANARY_DOWN), record('ap-south-1', t, CANARY_DOWN)]), ...everyProbe(T0 - MINUTE)].reverse();
    expect(observeFleet(fleet, { instant: T0, records: both, starting: false }))
      .toEqual({ instant: T0, silent: [], vetoed: ['ap-south-1', 'eu-west-1'], unknownMonitors: ['orders-db', 'strict'] });
  });

  it('a probe out stays out until healthy in every minute looked at, and the minutes looked at are the only ones', () => {
    const bad = [T0 - MINUTE, T0].map((t) => record('ap-south-1', t, CANARY_DOWN));
    const rest = [T0 - MINUTE, T0].flatMap((t) => everyProbe(t).filter((r) => r.region !== 'ap-south-1' || r.group));
    // One healthy minute after being out: still out (vetoed), and once both minutes are healthy, back.
    const halfway = [record('ap-south-1', T0 - MINUTE, CANARY_DOWN), record('ap-south-1', T0), ...rest];
    expect(observeFleet(fleet, { instant: T0, records: halfway, starting: false, out: { 'ap-south-1': 'vetoed' } }).vetoed).toEqual(['ap-south-1']);
    expect(observeFleet(fleet, { instant: T0, records: halfway, starting: false }).vetoed).toEqual([]);
    const healthy = [T0 - MINUTE, T0].flatMap(everyProbe);
    expect(observeFleet(fleet, { instant: T0, records: healthy, starting: false, out: { 'ap-south-1': 'vetoed' } }).vetoed).toEqual([]);
    // Items of a minute not looked at count for nothing.
    expect(observeFleet(fleet, { instant: T0, records: [...bad, ...rest].map((r) => ({ ...r, instant: r.instant - 2 * MINUTE })), starting: false }).silent)
      .toEqual(expectedProbes(fleet));
    // A silent minute and a vetoed one: out, as vetoed (it wrote something, and its canary failed).
    const quietThenFailing = [record('ap-south-1', T0, CANARY_DOWN), ...rest];
    expect(observeFleet(fleet, { instant: T0, records: quietThenFailing, starting: false })).toMatchObject({ silent: [], vetoed: ['ap-south-1'] });
    // With minutes: 1, one whole minute decides.
    expect(observeFleet(fleet, { instant: T0, records: halfway, starting: false, minutes: 1, out: { 'ap-south-1': 'vetoed' } }).vetoed).toEqual([]);
  });

  it('a minute is vetoed when the canary failed in more than half of the rounds written in it', () => {
    const rounds = (failed: number, of: number) => Array.from({ length: of }, (_, k) => ({ instant: T0 + k * 10_000, canary: k < failed ? CANARY_DOWN : CANARY_UP }));
    expect(minuteHealth([])).toBe('silent');
    expect(minuteHealth(rounds(3, 6))).toBe('healthy');
    expect(minuteHealth(rounds(4, 6))).toBe('vetoed');
    expect(minuteHealth(rounds(1, 1))).toBe('vetoed');
    expect(minuteHealth([...rounds(0, 6), { instant: T0, canary: { status: 'none' } }])).toBe('healthy');
  });

  it('counts a round\'s canary failed when it failed in most of the probe shards, each shard\'s items one result', () => {
    // One minute round, 5 probe shards each probing the canary; shard 0 writes two items (a large round).
    const round = (down: number[]) => [0, 0, 1, 2, 3, 4].map((probeShard) => ({ instant: T0, ...(probeShard ? { probeShard } : {}), canary: down.includes(probeShard) ? CANARY_DOWN : CANARY_UP }));
    expect(minuteHealth(round([3]))).toBe('healthy');
    expect(minuteHealth(round([0, 3]))).toBe('healthy');
    expect(minuteHealth(round([0, 1, 3]))).toBe('vetoed');
    expect(minuteHealth(round([0, 1, 2, 3, 4]))).toBe('vetoed');
  });

  // A scripted fleet of 10 s rounds: probe `ap-south-1`'s canary fails at the rounds `fails` picks; everyone else is fine.
  const minutesOf = (fails: boolean[]): RoundRecord[][] => {
    const out: RoundRecord[][] = [];
    for (let m = 0; m * 6 < fails.length; m += 1) {
      const t = T0 + m * MINUTE;
      const records = Array.from({ length: 6 }, (_, k) => k).filter((k) => m * 6 + k < fails.length).flatMap((k) => [
        record('ap-south-1', t + k * 10_000, fails[m * 6 + k] ? CANARY_DOWN : CANARY_UP),
        ...everyProbe(t + k * 10_000).filter((r) => r.region !== 'ap-south-1' || r.group),
      ]);
      out.push(records);
    }
    return out;
  };
  /** The sweeper's loop: each closed minute observed with the two minutes ending there, the out probes carried over. */
  const sweepAll = (minutes: RoundRecord[][]) => {
    let out: Record<string, 'silent' | 'vetoed'> = {};
    const seen: string[][] = [];
    for (let m = 1; m < minutes.length; m += 1) {
      const o = observeFleet(fleet, { instant: T0 + m * MINUTE, records: [...minutes[m - 1]!, ...minutes[m]!], starting: false, out });
      out = Object.fromEntries([...o.silent.map((p) => [p, 'silent'] as const), ...o.vetoed.map((p) => [p, 'vetoed'] as const)]);
      seen.push(Object.keys(out));
    }
    return seen;
  };

  it('property: a probe whose canary fails in a minority of each minute\'s rounds never goes out', () => {
    fc.assert(fc.property(
      fc.array(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }).filter((m) => m.filter(Boolean).length <= 3), { minLength: 2, maxLength: 12 }),
      (perMinute) => {
        expect(sweepAll(minutesOf(perMinute.flat())).flat()).toEqual([]);
      },
    ), { numRuns: 200 });
  });

  it('property: random loss of any rate changes the fleet only on two bad (or two healthy) minutes in a row', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { minLength: 12, maxLength: 72 }), (fails) => {
      const minutes = minutesOf(fails);
      const seen = sweepAll(minutes);
      const bad = minutes.map((records) => minuteHealth(records.filter((r) => r.region === 'ap-south-1')) !== 'healthy');
      for (let k = 0; k < seen.length; k += 1) {
        const was = k === 0 ? false : seen[k - 1]!.includes('ap-south-1');
        const is = seen[k]!.includes('ap-south-1');
        if (!was && is) expect(bad[k] && bad[k + 1]).toBe(true);
        if (was && !is) expect(!bad[k] && !bad[k + 1]).toBe(true);
      }
    }), { numRuns: 200 });
  });

  it('property: a probe whose canary fails every round from any instant is out by the second whole minute after it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 18 }), (healthyRounds, extra) => {
      const fails = [...Array(healthyRounds).fill(false), ...Array(12 + (6 - (healthyRounds % 6)) % 6 + extra).fill(true)];
      const seen = sweepAll(minutesOf(fails));
      // The first whole minute failing from its start is minute ceil(h/6); with the next, it is out when that one
      // closes (seen[k] is the sweep over minutes k and k+1) — a minute before if the partly failing one failed mostly.
      const firstWhole = Math.ceil(healthyRounds / 6);
      expect(seen[firstWhole]).toEqual(['ap-south-1']);
      expect(seen.slice(0, Math.max(0, firstWhole - 1)).flat()).toEqual([]);
      // And it stays out while it keeps failing.
      expect(seen.slice(firstWhole).every((out) => out.includes('ap-south-1'))).toBe(true);
    }), { numRuns: 100 });
  });

  it('a probe both vetoed and silent cannot be: silent means no round item at all', () => {
    const records = everyProbe(T0).map((r) => (r.group === 'private' ? { ...r, canary: CANARY_DOWN } : r)).filter((r) => !(r.region === 'eu-west-1' && r.group === 'private'));
    expect(observeFleet(fleet, { instant: T0, records, starting: false }))
      .toEqual({ instant: T0, silent: ['eu-west-1/private'], vetoed: ['us-east-1/private'], unknownMonitors: ['ledger-db'] });
  });
});
