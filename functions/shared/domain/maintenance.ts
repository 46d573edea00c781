// Maintenance windows: one-off (ISO instants) or weekly recurring (UTC); verdicts go on inside them, pages stop.
import { WEEKDAYS } from './constants';
import type { MaintenanceWindow } from './monitor';

const DAY_MS = 86_400_000;

/** The window that covers `now` (epoch ms), if any. */
export function activeWindow(windows: readonly MaintenanceWindow[], now: number): MaintenanceWindow | undefined {
  return windows.find((w) => covers(w, now));
}

function covers(window: MaintenanceWindow, now: number): boolean {
  if ('start' in window) {
    return Date.parse(window.start) <= now && now < Date.parse(window.end);
  }
  const [hh, mm] = window.startUtc.split(':').map(Number) as [number, number];
  const offsetMs = (hh * 60 + mm) * 60_000;
  const durationMs = window.durationMinutes * 60_000;
  // A recurring window may have started on an earlier day and still be running (e.g. sat 23:00 for 120 min).
  const daysBack = Math.ceil((offsetMs + durationMs) / DAY_MS);
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  for (let back = 0; back <= daysBack; back += 1) {
    const day = today - back * DAY_MS;
    // 1970-01-01 was a Thursday; WEEKDAYS starts on Monday.
    const weekday = WEEKDAYS[(Math.floor(day / DAY_MS) + 3) % 7]!;
    if (!window.days.includes(weekday)) continue;
    const start = day + offsetMs;
    if (start <= now && now < start + durationMs) return true;
  }
  return false;
}

/** The times the windows cover inside [from, to), as spans (a recurring window once per day it falls on). */
export function maintenanceSpans(windows: readonly MaintenanceWindow[], from: number, to: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const window of windows) {
    if ('start' in window) {
      const start = Math.max(Date.parse(window.start), from);
      const end = Math.min(Date.parse(window.end), to);
      if (end > start) out.push({ from: start, to: end });
      continue;
    }
    const [hh, mm] = window.startUtc.split(':').map(Number) as [number, number];
    const offsetMs = (hh * 60 + mm) * 60_000;
    const durationMs = window.durationMinutes * 60_000;
    // From the earliest day whose window could still run at `from`.
    const firstDay = Math.floor(from / DAY_MS) * DAY_MS - Math.ceil((offsetMs + durationMs) / DAY_MS) * DAY_MS;
    for (let day = firstDay; day < to; day += DAY_MS) {
      const weekday = WEEKDAYS[(Math.floor(day / DAY_MS) + 3) % 7]!;
      if (!window.days.includes(weekday)) continue;
      const start = Math.max(day + offsetMs, from);
      const end = Math.min(day + offsetMs + durationMs, to);
      if (end > start) out.push({ from: start, to: end });
    }
  }
  return out;
}
