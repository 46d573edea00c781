// Rounds aligned to the wall clock: round t of interval I starts at epoch t·I, so every region probes the same instants.
import type { ResolvedMonitor } from './monitor';

/** A probe invocation is started once a minute and runs the rounds that fall inside its minute. */
export const MINUTE_MS = 60_000;

/**
 * How long after a round's instant a region's result may still arrive before the region counts as silent.
 * A round's probes finish by the next instant (at most a minute later) and then write, so the grace is the
 * interval (capped at a minute, the longest a probe invocation runs a round) plus room for the write and the stream.
 */
export function graceMs(intervalSeconds: number): number {
  return Math.min(intervalSeconds, 60) * 1000 + 20_000;
}

/** The instant (epoch ms) a round starts: the one identifier every region agrees on without talking. */
export function roundInstant(epochMs: number, intervalSeconds: number): number {
  const step = intervalSeconds * 1000;
  return Math.floor(epochMs / step) * step;
}

/** Whether a monitor has a round at this instant (epoch ms). */
export function isDue(monitor: Pick<ResolvedMonitor, 'interval'>, instantMs: number): boolean {
  return instantMs % (monitor.interval * 1000) === 0;
}

/** The start of the minute (epoch ms) containing this instant. */
export function minuteOf(epochMs: number): number {
  return roundInstant(epochMs, 60);
}

/**
 * Every instant inside the minute starting at minuteStartMs at which some monitor is due, ascending.
 * The minute's own start is always included: every region writes at least one item a minute (with its canary),
 * which is how the sweeper tells a quiet region from a region with only slow monitors.
 */
export function instantsInMinute(minuteStartMs: number, monitors: readonly Pick<ResolvedMonitor, 'interval'>[]): number[] {
  const instants = new Set<number>([minuteStartMs]);
  for (const interval of new Set(monitors.map((m) => m.interval))) {
    if (interval >= 60) continue; // a multiple of 60 is due at most at the minute's start, already included
    for (let at = minuteStartMs; at < minuteStartMs + MINUTE_MS; at += interval * 1000) instants.add(at);
  }
  return [...instants].sort((a, b) => a - b);
}

/** The monitor's rounds ending at (and including) instantMs, oldest first: `count` instants spaced by its interval. */
export function windowInstants(monitor: Pick<ResolvedMonitor, 'interval'>, instantMs: number, count: number): number[] {
  const step = monitor.interval * 1000;
  const out: number[] = [];
  for (let k = count - 1; k >= 0; k -= 1) out.push(instantMs - k * step);
  return out;
}

/** How many of a monitor's recent rounds the verdict needs to see (its longest threshold). */
export function windowLength(monitor: Pick<ResolvedMonitor, 'failureThreshold' | 'recoveryThreshold'>): number {
  return Math.max(monitor.failureThreshold, monitor.recoveryThreshold, 1);
}
