// How people are shown latencies and instants, the same in every CLI output, the live view and the alert lines.

/** A latency: one decimal under 10 ms (`2.3ms`), whole milliseconds above (`148ms`). */
export function formatMs(ms: number): string {
  return ms < 10 ? `${(Math.round(ms * 10) / 10).toFixed(1)}ms` : `${Math.round(ms)}ms`;
}

/** A latency in JSON: milliseconds to 0.1 ms. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

const DAY_MS = 86_400_000;

/**
 * An instant such as a verdict's "since": the UTC time of day when it is within a day of `now` (`14:03:20 UTC`),
 * else the date too (`2026-11-30 14:03 UTC`).
 */
export function formatInstant(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const text = new Date(at).toISOString();
  return Math.abs(now - at) < DAY_MS ? `${text.slice(11, 19)} UTC` : `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
}
