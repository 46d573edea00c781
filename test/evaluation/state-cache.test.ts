// StateCache: each state shard re-read exactly when its counter in the generation moved, it aged out, or it was
// invalidated; the other shards come from the cache.
import { describe, expect, it } from 'vitest';
import { StateCache } from '../../functions/shared/evaluation/state-cache';
import { STATE_SHARDS } from '../../functions/shared/domain/state-shards';

function fakeStore() {
  const store = {
    generation: Array.from({ length: STATE_SHARDS }, () => 0),
    /** The shards each read asked for (undefined: all). */
    reads: [] as (readonly number[] | undefined)[],
    readStateGeneration: async () => [...store.generation],
    readMonitorStates: async (shards?: readonly number[]) => {
      store.reads.push(shards);
      return new Map();
    },
  };
  return store;
}

describe('StateCache', () => {
  it('reads all shards once while the generation stays, and then only the shard whose counter moved', async () => {
    const store = fakeStore();
    const cache = new StateCache(store, 60_000);
    expect(await cache.get(0)).toMatchObject({ cached: false, read: Array.from({ length: STATE_SHARDS }, (_, k) => k) });
    expect(store.reads).toEqual([undefined]);
    expect((await cache.get(1000)).cached).toBe(true);
    expect((await cache.get(2000)).cached).toBe(true);
    expect(store.reads).toHaveLength(1);
    store.generation[17]! += 1;
    expect(await cache.get(3000)).toMatchObject({ cached: false, read: [17] });
    expect(store.reads).toEqual([undefined, [17]]);
    // Asked for other shards only, a moved counter elsewhere costs nothing.
    store.generation[3]! += 1;
    expect(await cache.get(4000, [5, 6])).toMatchObject({ cached: true, read: [] });
    expect(await cache.get(5000, [3, 5])).toMatchObject({ cached: false, read: [3] });
  });

  it('reads a shard afresh after maxAgeMs even when its counter did not move, and after invalidate()', async () => {
    const store = fakeStore();
    const cache = new StateCache(store, 60_000);
    await cache.get(0);
    expect((await cache.get(59_999)).cached).toBe(true);
    expect((await cache.get(60_000)).cached).toBe(false);
    cache.invalidate([4]);
    expect((await cache.get(60_001)).read).toEqual([4]);
    cache.invalidate();
    expect((await cache.get(60_002)).read).toHaveLength(STATE_SHARDS);
    expect(store.reads).toEqual([undefined, undefined, [4], undefined]);
  });

  it('hands out states by shard: a monitor is found in its own shard only', async () => {
    const { stateShardOf } = await import('../../functions/shared/domain/state-shards');
    const ids = ['orders-db', 'ledger-db', 'search', 'cache'];
    const store = {
      readStateGeneration: async () => Array.from({ length: STATE_SHARDS }, () => 0),
      readMonitorStates: async (shards?: readonly number[]) => new Map(ids
        .filter((id) => shards === undefined || shards.includes(stateShardOf(id)))
        .map((id) => [id, { state: { monitorId: id } as never, pending: {} }])),
    };
    const cache = new StateCache(store, 60_000);
    await cache.get(0);
    const { states } = await cache.get(1, [stateShardOf('search')]);
    expect(states.has('search')).toBe(true);
    for (const id of ids.filter((i) => stateShardOf(i) !== stateShardOf('search'))) expect(states.has(id)).toBe(false);
  });
});
