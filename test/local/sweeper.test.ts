// The sweeper's local schedule: at period boundaries of the wall clock, never two runs at once, none after stop().
import { describe, expect, it } from 'vitest';
import { onWallClock } from '../../bin/local/sweeper';

describe('onWallClock', () => {
  it('holds the next run while one is in hand, and stop() waits for the run in hand', async () => {
    let active = 0;
    let most = 0;
    const starts: number[] = [];
    let release!: () => void;
    let started!: () => void;
    let firstStarted = new Promise<void>((resolve) => (started = resolve));
    const run = async () => {
      active += 1;
      most = Math.max(most, active);
      starts.push(Date.now());
      started();
      await new Promise<void>((resolve) => (release = resolve));
      active -= 1;
    };
    const schedule = onWallClock(100, run);
    await firstStarted;
    // Several boundaries pass while the first run is held; their runs queue behind it instead of overlapping.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(starts).toHaveLength(1);
    firstStarted = new Promise<void>((resolve) => (started = resolve));
    release();
    await firstStarted;
    expect(starts).toHaveLength(2);

    let stopDone = false;
    const stopping = schedule.stop().then(() => (stopDone = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopDone).toBe(false);
    // Release whatever queued before stop() until the chain is empty (bounded: a few boundaries passed at most).
    for (let i = 0; i < 20 && !stopDone; i += 1) {
      release();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await stopping;
    const after = starts.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(starts).toHaveLength(after);
    expect(most).toBe(1);
  });

  it('stop(deadline) gives up on a run still in hand at the deadline, and says so', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const schedule = onWallClock(50, async () => {
      started();
      await new Promise(() => undefined); // a sweep stuck on a backend that is going away
    });
    await running;
    expect(await schedule.stop(Date.now() + 50)).toBe('abandoned');
  });

  it('stop(deadline) with nothing in hand finishes at once', async () => {
    const schedule = onWallClock(60_000, async () => undefined);
    expect(await schedule.stop(Date.now() + 60_000)).toBe('finished');
  });
});
