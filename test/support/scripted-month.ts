// November 2026 for one monitor, as its verdict changes would be recorded: the uptime report's unit test and its
// end-to-end test over DynamoDB Local give the same exact figures for it.
import type { VerdictChange } from '../../functions/shared/domain/uptime';

const at = (iso: string) => Date.parse(iso);
export const NOV = { from: at('2026-11-01T00:00:00Z'), to: at('2026-12-01T00:00:00Z') };

/** November 2026, minute by minute, as its verdict changes would be recorded. */
export const SCRIPTED_MONTH: VerdictChange[] = [
  { at: at('2026-10-20T00:00:00Z'), verdict: 'UP', previous: 'UNKNOWN' },
  // A 45-minute outage.
  { at: at('2026-11-03T10:00:00Z'), verdict: 'DOWN', previous: 'UP' },
  { at: at('2026-11-03T10:45:00Z'), verdict: 'UP', previous: 'DOWN' },
  // DOWN inside Sunday's maintenance window (02:00–03:00): excluded, no outage.
  { at: at('2026-11-08T02:10:00Z'), verdict: 'DOWN', previous: 'UP' },
  { at: at('2026-11-08T02:20:00Z'), verdict: 'UP', previous: 'DOWN' },
  // Two hours DEGRADED: counts as up.
  { at: at('2026-11-10T00:00:00Z'), verdict: 'DEGRADED', previous: 'UP' },
  { at: at('2026-11-10T02:00:00Z'), verdict: 'UP', previous: 'DEGRADED' },
  // An hour UNKNOWN: its own column.
  { at: at('2026-11-15T12:00:00Z'), verdict: 'UNKNOWN', previous: 'UP' },
  { at: at('2026-11-15T13:00:00Z'), verdict: 'UP', previous: 'UNKNOWN' },
  // DOWN inside a silence (08:00–10:00): excluded.
  { at: at('2026-11-20T09:00:00Z'), verdict: 'DOWN', previous: 'UP' },
  { at: at('2026-11-20T09:30:00Z'), verdict: 'UP', previous: 'DOWN' },
  // A 30-minute outage across midnight.
  { at: at('2026-11-25T23:50:00Z'), verdict: 'DOWN', previous: 'UP' },
  { at: at('2026-11-26T00:20:00Z'), verdict: 'UP', previous: 'DOWN' },
];
export const SCRIPTED_MAINTENANCE = [{ days: ['sun' as const], startUtc: '02:00', durationMinutes: 60 }];
export const SCRIPTED_SILENCE = { from: at('2026-11-20T08:00:00Z'), to: at('2026-11-20T10:00:00Z') };

