// State shards: a fixed 64 partition keys, every monitor in one of them, the same one wherever it is computed (a
// changed hash would strand every stored state), and near-even.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATE_SHARDS, stateShardOf, stateShardsOf } from '../../functions/shared/domain/state-shards';

describe('state shards', () => {
  it('puts every monitor in one shard of 0 … 63, the same one on every call', () => {
    expect(STATE_SHARDS).toBe(64);
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 64 }), (id) => {
      const shard = stateShardOf(id);
      expect(Number.isInteger(shard) && shard >= 0 && shard < STATE_SHARDS).toBe(true);
      expect(stateShardOf(id)).toBe(shard);
    }));
    // Fixed values: stored states are found under these keys.
    expect(['orders-db', 'ledger-db', 'web', 'svc-00042'].map(stateShardOf)).toEqual([22, 0, 55, 6]);
  });

  it('spreads 100,000 monitors within 10 % of 1,563 a shard', () => {
    const sizes = new Array<number>(STATE_SHARDS).fill(0);
    for (let i = 0; i < 100_000; i += 1) sizes[stateShardOf(`svc-${i}`)]! += 1;
    expect(Math.min(...sizes)).toBeGreaterThan(1_563 * 0.9);
    expect(Math.max(...sizes)).toBeLessThan(1_563 * 1.1);
  });

  it('names the shards of a set of monitors once each, ascending', () => {
    fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 50 }), (ids) => {
      const shards = stateShardsOf(ids);
      expect(shards).toEqual([...new Set(ids.map(stateShardOf))].sort((a, b) => a - b));
    }));
  });
});
