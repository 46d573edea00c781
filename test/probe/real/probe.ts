// Probing helpers for the real-server tests: a monitor from a few fields, and assertions that print the outcome.
import { expect } from 'vitest';
import { probeMonitor, type ExtraCa } from '../../../functions/probe/engine';
import { resolveMonitor, type MonitorSpec, type ProbeDown, type ProbeOutcome, type ProbeUp } from '../../../functions/shared/domain';

/**
 * Generous timeouts: a loaded 2-core CI box runs other suites at the same time, and no test here is
 * about a timeout. No retries, so a wrong answer is reported from the first (only) attempt.
 */
const TIMEOUTS = { dns: 2000, connect: 10_000, tls: 10_000, expect: 10_000, total: 20_000 };

let seq = 0;

export async function probe(spec: Omit<MonitorSpec, 'id' | 'host'> & { host?: string }, ca?: ExtraCa): Promise<ProbeOutcome> {
  const monitor = resolveMonitor(
    { id: `real-${++seq}`, host: '127.0.0.1', family: 'ipv4', retries: 0, timeoutMs: TIMEOUTS, ...spec },
    ['local'],
  );
  return probeMonitor(monitor, ca === undefined ? {} : { ca });
}

export function expectUp(outcome: ProbeOutcome): ProbeUp {
  expect(outcome.ok, `expected up, got ${JSON.stringify(outcome, null, 2)}`).toBe(true);
  return outcome as ProbeUp;
}

export function expectDown(outcome: ProbeOutcome, errorClass: ProbeDown['errorClass']): ProbeDown {
  expect(outcome.ok, `expected down (${errorClass}), got ${JSON.stringify(outcome, null, 2)}`).toBe(false);
  const down = outcome as ProbeDown;
  expect(down.errorClass, `expected class ${errorClass}, got ${JSON.stringify(outcome, null, 2)}`).toBe(errorClass);
  return down;
}
