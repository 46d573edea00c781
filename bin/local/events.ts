// What the local fleet reports while it runs (rounds, alerts, invocations, faults, target switches, log lines), and
// the small helpers every part of the fleet uses to report through one callback.
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { RoundRecord } from '../../functions/shared/domain/record';
import type { Log } from '../../functions/shared/adapters/observability';
import type { RegionFault } from './netns';
import type { TargetState } from './targets';

const LOG_LEVELS = ['info', 'warn', 'error'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

export type FleetEvent =
  | { kind: 'round'; record: RoundRecord }
  | { kind: 'alert'; alert: AlertMessage }
  | { kind: 'invocation'; region: string; time: string; durationMs: number; error?: string }
  | { kind: 'fault'; region: string; fault: RegionFault }
  | { kind: 'target'; name: string; state: TargetState }
  | { kind: 'log'; level: LogLevel; source: string; message: string; detail?: Record<string, unknown> };

/** One log line of the fleet: `source` is a region, `local`, `alerts`, or a handler's name. */
export type Say = (level: LogLevel, source: string, message: string, detail?: Record<string, unknown>) => void;

/** Turns an event callback into the fleet's `say`. */
export function sayThrough(emit: (event: FleetEvent) => void): Say {
  return (level, source, message, detail) => emit({ kind: 'log', level, source, message, ...(detail ? { detail } : {}) });
}

/** The Log the real handlers are given: their lines become fleet log events (debug lines are dropped). */
export function handlerLog(say: Say, source: string): Log {
  return {
    debug: () => undefined,
    info: (message, extra) => say('info', source, message, extra),
    warn: (message, extra) => say('warn', source, message, extra),
    error: (message, extra) => say('error', source, message, extra),
  };
}
