// Builders for domain tests: monitors, scripted rounds of region results, and a runner over the verdict machine.
import { resolveMonitor, type MonitorSpec, type ResolvedMonitor } from '../../functions/shared/domain';
import type { CanaryResult, RoundResult } from '../../functions/shared/domain/record';
import { graceMs } from '../../functions/shared/domain/rounds';
import { next, type MonitorState, type RoundEvidence } from '../../functions/shared/domain/verdict';
import type { AlertMessage, SilenceNote } from '../../functions/shared/domain/alert';

export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
/** A Monday 00:00 UTC, so weekly windows are easy to place. */
export const T0 = Date.parse('2024-06-03T00:00:00Z');

export function monitor(spec: Partial<MonitorSpec> = {}): ResolvedMonitor {
  return resolveMonitor({ id: 'orders-db', host: '10.0.1.5', port: 5432, ...spec }, REGIONS);
}

/**
 * u = up, d = down (refused), s = silent, v = down while the canary failed, t = up but slow (connect 900 ms), x = up
 * with a certificate 5 days from expiry, o = connected to a port that must stay closed (it answered an SSH banner),
 * O = the same while the region's canary failed.
 */
type Code = 'u' | 'd' | 's' | 'v' | 't' | 'x' | 'o' | 'O';

export const UP: RoundResult = { status: 'up', connectMs: 12, totalMs: 14 };
const DOWN: RoundResult = { status: 'down', errorClass: 'refused', phase: 'connect', connectMs: 1, totalMs: 1, code: 'ECONNREFUSED', message: 'connection refused' };
/** What the probe reports for a private monitor's port that accepted a connection (see probe/engine/attempt.ts). */
const OPEN: RoundResult = {
  status: 'down', errorClass: 'protocol', phase: 'connect', connectMs: 2, totalMs: 502, code: 'EXPECTED_CLOSED',
  message: "10.0.1.5:5432 accepted a connection and answered 'SSH-2.0-OpenSSH_9.2p1', but the monitor expects the port closed (close the port or firewall it)",
};
const CANARY_UP: CanaryResult = { status: 'up', connectMs: 3, totalMs: 3 };
const CANARY_DOWN: CanaryResult = { status: 'down', errorClass: 'timeout', phase: 'connect', totalMs: 3000, code: 'ETIMEDOUT', message: 'canary timed out' };

export function round(m: ResolvedMonitor, index: number, codes: string): RoundEvidence {
  const reports: RoundEvidence['reports'] = {};
  [...codes].forEach((code, k) => {
    const region = m.regions[k]!;
    switch (code as Code) {
      case 's': return;
      case 'u': reports[region] = { result: UP, canary: CANARY_UP }; return;
      case 'd': reports[region] = { result: DOWN, canary: CANARY_UP }; return;
      case 'v': reports[region] = { result: DOWN, canary: CANARY_DOWN }; return;
      case 't': reports[region] = { result: { status: 'up', connectMs: 900, totalMs: 950 }, canary: CANARY_UP }; return;
      case 'o': reports[region] = { result: OPEN, canary: CANARY_UP }; return;
      case 'O': reports[region] = { result: OPEN, canary: CANARY_DOWN }; return;
      case 'x': reports[region] = { result: { status: 'up', connectMs: 12, totalMs: 30, certDays: 5 }, canary: CANARY_UP }; return;
    }
  });
  return { instant: T0 + index * m.interval * 1000, reports };
}

export interface Run {
  state: MonitorState | undefined;
  alerts: AlertMessage[];
  verdicts: string[];
  /** Every round fed so far (the evidence window is taken from it). */
  history: RoundEvidence[];
  /** Pages a silence held (recorded, never sent). */
  held: AlertMessage[];
}

/** Feeds rounds one by one, each evaluated once closed (after its grace), with twice the monitor's window as evidence. */
export function runRounds(m: ResolvedMonitor, script: string[], options: { start?: Run; from?: number; nowOffsetMs?: number; silence?: SilenceNote } = {}): Run {
  const start = options.start;
  const run: Run = start
    ? { state: start.state, alerts: [...start.alerts], verdicts: [...start.verdicts], history: [...start.history], held: [...start.held] }
    : { state: undefined, alerts: [], verdicts: [], history: [], held: [] };
  const from = options.from ?? run.history.length;
  script.forEach((codes, i) => {
    const r = round(m, from + i, codes);
    run.history.push(r);
    const window = run.history.slice(-2 * Math.max(m.failureThreshold, m.recoveryThreshold));
    const now = r.instant + graceMs(m.interval) + (options.nowOffsetMs ?? 0);
    const step = next(run.state, { monitor: m, rounds: window, ...(options.silence ? { silence: options.silence } : {}) }, now);
    run.state = step.state;
    run.alerts.push(...step.alerts);
    run.held.push(...step.held);
    run.verdicts.push(step.state.verdict);
  });
  return run;
}
