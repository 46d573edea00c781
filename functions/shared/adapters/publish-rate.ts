// The pace of publishing: a token bucket (domain/rate.ts) kept by the function, on a monotonic clock, with a real wait.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { reserve, type Rate, type TokenBucket } from '../domain/rate';
import { MAX_BATCH_ENTRIES } from './publisher';

export class PublishLimiter {
  private bucket: TokenBucket | undefined;

  constructor(
    readonly rate: Rate,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<unknown> = (ms) => sleepFor(ms),
  ) {
    // A whole PublishBatch request takes its tokens at once.
    if (!(rate.burst >= MAX_BATCH_ENTRIES) || !(rate.perSecond > 0)) {
      throw new RangeError(`A publish rate needs a burst of at least ${MAX_BATCH_ENTRIES} (one PublishBatch) and perSecond > 0 (got burst ${rate.burst}, ${rate.perSecond}/s)`);
    }
  }

  /**
   * Waits until `count` messages may go and takes their tokens; false, taking nothing, when that would be more than
   * `maxWaitMs` from now (the pass's deadline comes first).
   */
  async acquire(count: number, maxWaitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const reservation = reserve(this.rate, this.bucket, count, this.clock());
    if (reservation.waitMs > maxWaitMs) return false;
    this.bucket = reservation.bucket;
    if (reservation.waitMs > 0) await this.sleep(reservation.waitMs);
    return true;
  }
}
