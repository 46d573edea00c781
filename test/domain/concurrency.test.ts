// forEachConcurrently: the cap that keeps a fleet's first round or a wide outage inside the function's timeout.
import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../functions/shared/domain/concurrency';

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once, and uses the whole limit', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrently(Array.from({ length: 100 }, (_, i) => i), 7, async (i) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      done.push(i);
      running -= 1;
    });
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(peak).toBe(7);
  });

  it('finishes the other items before rejecting with the first failure', async () => {
    const done: number[] = [];
    const run = forEachConcurrently([1, 2, 3, 4, 5], 2, async (i) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (i === 2) throw new Error('item 2 failed');
      if (i === 4) throw new Error('item 4 failed');
      done.push(i);
    });
    await expect(run).rejects.toThrow('item 2 failed');
    expect(done.sort()).toEqual([1, 3, 5]);
  });

  it('does nothing for no items', async () => {
    await expect(forEachConcurrently([], 4, async () => { throw new Error('never'); })).resolves.toBeUndefined();
  });
});
