// observeFleet: which probes are silent or vetoed, and which monitors that leaves short of a quorum.
import { describe, expect, it } from 'vitest';
import { resolveFleet, type FleetSpec } from '../../functions/shared/domain';
import { expectedProbes, observeFleet, probeName } from '../../functions/shared/domain/observation';
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

  it("vetoes a probe whose latest round's canary failed, in any shard, and only then", () => {
    const failing = [...everyProbe(T0 - MINUTE), record('us-east-1', T0, CANARY_UP), record('us-east-1', T0, CANARY_DOWN, { shard: 1 })];
    expect(observeFleet(fleet, { instant: T0, records: failing, starting: false }))
      .toEqual({ instant: T0, silent: [], vetoed: ['us-east-1'], unknownMonitors: ['strict'] });
    // The same probe failing a minute earlier and fine since: not vetoed.
    const recovered = [record('us-east-1', T0 - MINUTE, CANARY_DOWN), ...everyProbe(T0)];
    expect(observeFleet(fleet, { instant: T0, records: recovered, starting: false }).vetoed).toEqual([]);
    // Order of the records does not matter, and vetoed probes come sorted.
    const both = [record('eu-west-1', T0, CANARY_DOWN), record('ap-south-1', T0, CANARY_DOWN), ...everyProbe(T0 - MINUTE)].reverse();
    expect(observeFleet(fleet, { instant: T0, records: both, starting: false }))
      .toEqual({ instant: T0, silent: [], vetoed: ['ap-south-1', 'eu-west-1'], unknownMonitors: ['orders-db', 'strict'] });
  });

  it('a probe both vetoed and silent cannot be: silent means no round item at all', () => {
    const records = everyProbe(T0).map((r) => (r.group === 'private' ? { ...r, canary: CANARY_DOWN } : r)).filter((r) => !(r.region === 'eu-west-1' && r.group === 'private'));
    expect(observeFleet(fleet, { instant: T0, records, starting: false }))
      .toEqual({ instant: T0, silent: ['eu-west-1/private'], vetoed: ['us-east-1/private'], unknownMonitors: ['ledger-db'] });
  });
});
