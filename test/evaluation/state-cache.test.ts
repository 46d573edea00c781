// StateCache: states re-read exactly when the generation moved, the cache aged out, or it was invalidated.
import { describe, expect, it } from 'vitest';
import { StateCache } from '../../functions/shared/evaluation/state-cache';

function fakeStore() {
  const store = {
    generation: 0,
    reads: 0,
    readStateGeneration: async () => store.generation,
    readMonitorStates: async () => {
      store.reads += 1;
      return new Map();
    },
  };
  return store;
}

describe('StateCache', () => {
  it('reads the states once while the generation stays, and again when it moves', async () => {
    const store = fakeStore();
    const cache = new StateCache(store, 60_000);
    expect((await cache.get(0)).cached).toBe(false);
    expect((await cache.get(1000)).cached).toBe(true);
    expect((await cache.get(2000)).cached).toBe(true);
    expect(store.reads).toBe(1);
    store.generation += 1;
    expect((await cache.get(3000)).cached).toBe(false);
    expect(store.reads).toBe(2);
  });

  it('reads afresh after maxAgeMs even when the generation did not move, and after invalidate()', async () => {
    const store = fakeStore();
    const cache = new StateCache(store, 60_000);
    await cache.get(0);
    expect((await cache.get(59_999)).cached).toBe(true);
    expect((await cache.get(60_000)).cached).toBe(false);
    cache.invalidate();
    expect((await cache.get(60_001)).cached).toBe(false);
    expect(store.reads).toBe(3);
  });
});
