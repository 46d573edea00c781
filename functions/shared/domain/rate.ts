// A token bucket: how many messages may go now and how long a sender waits for more. Pure; the caller keeps the bucket.

export interface Rate {
  /** Tokens added per second. */
  perSecond: number;
  /** Most tokens the bucket holds (what may go at once after a quiet spell). */
  burst: number;
}

/** The bucket's state: its tokens (below zero when sends are already reserved ahead) as of `at` (ms). */
export interface TokenBucket {
  tokens: number;
  at: number;
}

export interface Reservation {
  /** The bucket once `count` tokens are taken (keep it only if the sender goes ahead). */
  bucket: TokenBucket;
  /** How long from `now` the sender waits before it sends (0: at once). */
  waitMs: number;
}

/**
 * Reserves `count` tokens at `now`: the bucket refills at `rate.perSecond` up to `rate.burst` (a new bucket starts
 * full); what it lacks is reserved ahead, and the sender waits until it has refilled. A sender that sends after its
 * wait never makes the sends in any window of `s` seconds exceed `burst + perSecond × s`.
 */
export function reserve(rate: Rate, bucket: TokenBucket | undefined, count: number, now: number): Reservation {
  if (!(rate.perSecond > 0) || !(rate.burst >= 1)) throw new RangeError(`A publish rate needs perSecond > 0 and burst ≥ 1 (got ${rate.perSecond}/s, burst ${rate.burst})`);
  if (count > rate.burst) throw new RangeError(`${count} tokens at once is more than the burst of ${rate.burst}`);
  const at = Math.max(now, bucket?.at ?? now);
  const refilled = bucket === undefined ? rate.burst : Math.min(rate.burst, bucket.tokens + ((at - bucket.at) * rate.perSecond) / 1000);
  const tokens = refilled - count;
  return { bucket: { tokens, at }, waitMs: tokens >= 0 ? at - now : at - now + Math.ceil((-tokens * 1000) / rate.perSecond) };
}
