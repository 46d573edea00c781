// The publish pace: the pure token bucket (domain/rate.ts) and the limiter that waits on it, both on a fake clock.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reserve, type Rate, type TokenBucket } from '../../functions/shared/domain/rate';
import { PublishLimiter } from '../../functions/shared/adapters/publish-rate';
import { PUBLISH_RATE } from '../../functions/shared/deployment';

/** The most messages sent in any window of `windowMs` (each send: its time and how many it carried). */
function busiestWindow(sends: readonly { at: number; count: number }[], windowMs: number): number {
  const sorted = [...sends].sort((a, b) => a.at - b.at);
  let most = 0;
  let sum = 0;
  let from = 0;
  for (const send of sorted) {
    sum += send.count;
    while (sorted[from]!.at <= send.at - windowMs) sum -= sorted[from++]!.count;
    most = Math.max(most, sum);
  }
  return most;
}

describe('token bucket (pure)', () => {
  it('a new bucket lets a burst go at once, then one message per 1/perSecond', () => {
    const rate: Rate = { perSecond: 10, burst: 10 };
    const first = reserve(rate, undefined, 10, 0);
    expect(first.waitMs).toBe(0);
    expect(reserve(rate, first.bucket, 1, 0).waitMs).toBe(100);
    expect(reserve(rate, first.bucket, 10, 0).waitMs).toBe(1000);
    // A quiet spell refills it, never beyond the burst.
    expect(reserve(rate, first.bucket, 10, 60_000)).toEqual({ bucket: { tokens: 0, at: 60_000 }, waitMs: 0 });
    expect(() => reserve(rate, undefined, 11, 0)).toThrow('11 tokens at once is more than the burst of 10');
    expect(() => reserve({ perSecond: 0, burst: 10 }, undefined, 1, 0)).toThrow('perSecond > 0');
  });

  it('senders that wait as told never send more than burst + perSecond in any second, however they arrive', () => {
    fc.assert(fc.property(
      fc.record({ perSecond: fc.integer({ min: 1, max: 200 }), burst: fc.integer({ min: 10, max: 100 }) }),
      fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 700 }), count: fc.integer({ min: 1, max: 10 }) }), { minLength: 1, maxLength: 300 }),
      (rate, requests) => {
        let bucket: TokenBucket | undefined;
        let now = 1_000_000;
        const sends: { at: number; count: number }[] = [];
        for (const { gapMs, count } of requests) {
          now += gapMs;
          const reservation = reserve(rate, bucket, count, now);
          bucket = reservation.bucket;
          expect(reservation.waitMs).toBeGreaterThanOrEqual(0);
          sends.push({ at: now + reservation.waitMs, count });
        }
        expect(busiestWindow(sends, 1000)).toBeLessThanOrEqual(rate.burst + rate.perSecond);
      },
    ), { numRuns: 300 });
  });
});

describe('PublishLimiter (fake clock)', () => {
  function fakeTime() {
    const time = { now: 0 };
    return { time, clock: () => time.now, sleep: async (ms: number) => void (time.now += ms) };
  }

  it('paces 1,000 messages in batches of 10 at the deployed rate: never more than burst + perSecond in any second', async () => {
    const { time, clock, sleep } = fakeTime();
    const limiter = new PublishLimiter(PUBLISH_RATE, clock, sleep);
    const sends: { at: number; count: number }[] = [];
    for (let k = 0; k < 100; k += 1) {
      expect(await limiter.acquire(10)).toBe(true);
      sends.push({ at: time.now, count: 10 });
    }
    const bound = PUBLISH_RATE.burst + PUBLISH_RATE.perSecond;
    expect(bound).toBe(100);
    expect(busiestWindow(sends, 1000)).toBeLessThanOrEqual(bound);
    // The first burst at once, the rest at perSecond (each wait rounded up to the millisecond).
    const paced = ((1000 - PUBLISH_RATE.burst) / PUBLISH_RATE.perSecond) * 1000;
    expect(time.now).toBeGreaterThanOrEqual(paced);
    expect(time.now).toBeLessThanOrEqual(paced + 100);
  });

  it('refuses, taking nothing, a wait longer than the caller may wait (its deadline comes first)', async () => {
    const { time, clock, sleep } = fakeTime();
    const limiter = new PublishLimiter({ perSecond: 10, burst: 10 }, clock, sleep);
    expect(await limiter.acquire(10)).toBe(true);
    expect(await limiter.acquire(10, 999)).toBe(false);
    expect(time.now).toBe(0);
    // Nothing was taken by the refusal: the next wait is still one second.
    expect(await limiter.acquire(10, 1000)).toBe(true);
    expect(time.now).toBe(1000);
    // A whole batch takes its tokens at once, so a burst smaller than a batch could never send one.
    expect(() => new PublishLimiter({ perSecond: 10, burst: 5 })).toThrow('A publish rate needs a burst of at least 10 (one PublishBatch)');
  });
});
