import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { indexByMonitor } from '../../functions/shared/evaluation/round-cache';
import type { RoundRecord } from '../../functions/shared/domain/record';

const record = (region: string, ids: string[], group?: string): RoundRecord => ({
  schemaVersion: 3, instant: 60_000, region, ...(group ? { group } : {}), shard: 0, shards: 1, probedAt: 61_000, canary: { status: 'none' },
  results: Object.fromEntries(ids.map((id) => [id, { status: 'up' as const, totalMs: 1 }])),
});

describe('indexByMonitor', () => {
  it('lists, for every monitor, exactly the items holding its result, in the order of the round (what a scan of every item finds)', () => {
    const ids = fc.constantFrom('db', 'web', 'api', 'cache', 'constructor', 'a.b-c');
    const records = fc.array(fc.tuple(fc.constantFrom('us-east-1', 'eu-west-1'), fc.uniqueArray(ids), fc.option(fc.constant('vpc'), { nil: undefined })), { maxLength: 8 })
      .map((rs) => rs.map(([region, list, group]) => record(region, list, group)));
    fc.assert(fc.property(records, (round) => {
      const index = indexByMonitor(round);
      const named = new Set(round.flatMap((r) => Object.keys(r.results)));
      expect([...index.keys()].sort()).toEqual([...named].sort());
      for (const id of named) expect(index.get(id)).toEqual(round.filter((r) => Object.hasOwn(r.results, id)));
      for (const holding of index.values()) for (const r of holding) expect(round.indexOf(r)).toBeGreaterThanOrEqual(0);
    }));
  });

  it('names no monitor an item does not hold, not even one called like an Object property', () => {
    const index = indexByMonitor([record('us-east-1', ['db'])]);
    expect(index.get('constructor')).toBeUndefined();
    expect(index.get('toString')).toBeUndefined();
    expect(index.get('db')).toHaveLength(1);
  });
});
