// A region worker runs every probe shard of its region in one process (each shard its own scheduled invocation, all
// started together as their rules are). Deployed, each shard is a Lambda container of its own; here, all of them probing
// at once would hold every shard's round in memory together (about 4 KB a monitor while it runs) and open
// shards × 256 sockets. The gate lets a few shards' rounds probe at once and queues the rest, each still ending by its
// own deadline.
import type { ProbeRoundFn } from '../../functions/probe/handler';

/**
 * Shard rounds a worker probes at once: the round memory of 4 × 2,000 monitors (the default monitorsPerProbe), and
 * 4 × 256 sockets, whatever the fleet's size. A fleet of one shard a region (up to 2,000 monitors) never waits.
 */
export const LOCAL_ROUNDS_AT_ONCE = 4;

/**
 * `probeRound` with at most `atOnce` calls probing at once; the others wait in order of arrival. A round that waited
 * gets what is left of its deadline (its round's slot ends when it would have), so a queued round never runs past it.
 * A call for one monitor (a watch-mode re-probe) never waits: it is small, and waiting would delay its page.
 */
export function gatedProbeRound(probeRound: ProbeRoundFn, atOnce: number, now: () => number = () => performance.now()): ProbeRoundFn {
  if (!Number.isInteger(atOnce) || atOnce < 1) throw new Error(`gatedProbeRound: atOnce must be a whole number ≥ 1, not ${atOnce}`);
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (monitors, options = {}) => {
    if (monitors.length <= 1) return probeRound(monitors, options);
    const queuedAt = now();
    if (running < atOnce) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over by the round that ends
    try {
      const waited = now() - queuedAt;
      const deadlineMs = options.deadlineMs === undefined ? undefined : Math.max(0, options.deadlineMs - waited);
      return await probeRound(monitors, { ...options, ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
