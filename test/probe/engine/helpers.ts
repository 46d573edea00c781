// Shared helpers for the probe engine tests: monitors built through the real validator.
import { afterAll } from 'vitest';
import type { FixtureServer } from '../../support/tcp-servers';
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

/** Call at a test file's top level: returns `fixture(started)`, which awaits a server and closes it after the file. */
export function fixtureTracker(): <T extends FixtureServer>(started: Promise<T>) => Promise<T> {
  const fixtures: FixtureServer[] = [];
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.close()));
  });
  return async (started) => {
    const server = await started;
    fixtures.push(server);
    return server;
  };
}
