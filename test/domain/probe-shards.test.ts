// Probe shards: every monitor in exactly one shard, the same one wherever it is computed, shards near-equal, and few
// monitors moving when the count changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fleetProbeShards, probeShardCount, probeShardOf } from '../../functions/shared/domain/probe-shards';

const ids = (n: number, prefix = 'svc-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('probe shards', () => {
  it('puts every monitor in one shard below the count, the same one on every call', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 200 }), (id, count) => {
      const shard = probeShardOf(id, count);
      expect(Number.isInteger(shard) && shard >= 0 && shard < count).toBe(true);
      expect(probeShardOf(id, count)).toBe(shard);
    }));
    expect(probeShardOf('anything', 1)).toBe(0);
    // Fixed values: a change of hash would move every monitor of a deployed fleet between shards at once.
    expect(['orders-db', 'web', 'svc-00042'].map((id) => probeShardOf(id, 50))).toEqual([22, 49, 6]);
  });

  it('fills 50 shards of 100,000 monitors within a few percent of 2,000 each', () => {
    const sizes = new Array<number>(50).fill(0);
    for (const id of ids(100_000)) sizes[probeShardOf(id, 50)]! += 1;
    expect(Math.min(...sizes)).toBeGreaterThan(2_000 * 0.9);
    expect(Math.max(...sizes)).toBeLessThan(2_000 * 1.1);
  });

  it('moves only the monitors the new shard takes when the count grows by one, and none when a monitor is added', () => {
    const all = ids(20_000);
    const moved = all.filter((id) => probeShardOf(id, 10) !== probeShardOf(id, 11));
    // Jump consistent hashing: exactly those now in the new shard move, about 1/11 of them.
    expect(moved.every((id) => probeShardOf(id, 11) === 10)).toBe(true);
    expect(moved.length / all.length).toBeGreaterThan(0.07);
    expect(moved.length / all.length).toBeLessThan(0.11);
    // A shard's monitors depend on nothing but their ids and the count.
    const before = new Map(all.map((id) => [id, probeShardOf(id, 10)]));
    expect([...all, 'new-monitor'].filter((id) => before.has(id) && before.get(id) !== probeShardOf(id, 10))).toEqual([]);
  });

  it('counts each probe function\'s shards from its own monitors', () => {
    expect(probeShardCount(0)).toBe(1);
    expect(probeShardCount(2_000)).toBe(1);
    expect(probeShardCount(2_001)).toBe(2);
    expect(probeShardCount(100_000, 5_000)).toBe(20);
    const monitors = [
      ...ids(4_500).map(() => ({ regions: ['a-1', 'b-1'] })),
      ...ids(300).map(() => ({ regions: ['b-1'], group: 'vpc' })),
    ];
    expect(fleetProbeShards({ regions: ['a-1', 'b-1'], groups: { vpc: { regions: ['b-1'] } }, monitors })).toEqual([
      { region: 'a-1', monitors: 4_500, shards: 3 },
      { region: 'b-1', monitors: 4_500, shards: 3 },
      { region: 'b-1', group: 'vpc', monitors: 300, shards: 1 },
    ]);
  });
});
