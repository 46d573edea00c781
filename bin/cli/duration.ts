// Durations and instants as people type them on the command line: `90s`, `30m`, `2h`, `7d`, `1h30m`, or an ISO date.
import { UsageError } from './usage';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `2h`, `90m`, `1h30m`, `7d`, `45s`; undefined when it is not one. */
function parseDuration(text: string): number | undefined {
  if (!/^(\d+[smhd])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms > 0 ? ms : undefined;
}

/** A duration flag (`--for 2h`), within bounds; a UsageError naming the flag otherwise. */
export function durationFlag(command: string, flag: string, text: string, maxMs: number, maxText: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${command}: --${flag} '${text}' is not a duration (e.g. 30m, 2h, 1h30m, 3d)`);
  if (ms > maxMs) throw new UsageError(`${command}: --${flag} '${text}' is more than ${maxText}`);
  return ms;
}

/** `--since`: a duration back from `now` (`7d`), or an ISO date or instant (`2026-11-01`, `2026-11-01T08:00Z`). */
export function sinceFlag(command: string, text: string, now: number): number {
  const back = parseDuration(text);
  if (back !== undefined) return now - back;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new UsageError(`${command}: --since '${text}' is neither a duration back from now (7d, 12h) nor a date (2026-11-01, 2026-11-01T08:00Z)`);
  if (at > now) throw new UsageError(`${command}: --since '${text}' is in the future`);
  return at;
}
