// Shared helpers for the probe engine tests: monitors built through the real validator.
import { resolveMonitor, type MonitorSpec, type ProbeDown, type ProbeOutcome, type ProbeUp, type ResolvedMonitor } from '../../../functions/shared/domain';

export function monitor(spec: Partial<MonitorSpec> & { port: number }): ResolvedMonitor {
  return resolveMonitor({ id: 'probe-test', host: '127.0.0.1', ...spec } as MonitorSpec, ['local']);
}

export function expectUp(outcome: ProbeOutcome): ProbeUp {
  if (!outcome.ok) throw new Error(`expected up, got down: ${JSON.stringify(outcome)}`);
  return outcome;
}

export function expectDown(outcome: ProbeOutcome): ProbeDown {
  if (outcome.ok) throw new Error(`expected down, got up: ${JSON.stringify(outcome)}`);
  return outcome;
}
