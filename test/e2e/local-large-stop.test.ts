// Ctrl-C under a large fleet: thousands of monitors whose one target has just gone down, so the aggregator is in the
// middle of publishing thousands of DOWN alerts when SIGINT reaches the process group. The fleet stops part by part
// (workers, the stream poller with the aggregator, the sweeper, then DynamoDB Local), each within its deadline, one
// line each, and prints no stream of errors (it printed ~380,000 ECONNREFUSED warnings when DynamoDB Local went first).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import { stillRuns, type RecordedProcess } from '../../bin/local/proc';
import type { StateRecord } from '../../bin/local/state-file';
import { freePorts } from '../../bin/local/targets';
import { cli, interrupt, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

/** The generated fleet's size: the README states it with the measured stop time. */
const LARGE_FLEET_MONITORS = 3000;
const TARGETS = 6;

/** Resolves once the output satisfies `done`, woken by the output itself; rejects at the deadline or if the CLI exits. */
function waitUntil(run: RunningCli, done: (output: string) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (done(run.output())) finish();
      else if (run.child.exitCode !== null) finish(new Error(`portquorum local exited before ${what}:\n${run.output().slice(-3000)}`));
    };
    const timer = setTimeout(() => finish(new Error(`not ${what} within ${timeoutMs} ms:\n${run.output().slice(-3000)}`)), timeoutMs);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      run.child.stdout!.off('data', check);
      run.child.off('exit', check);
      if (error) reject(error);
      else resolve();
    };
    run.child.stdout!.on('data', check);
    run.child.on('exit', check);
    check();
  });
}

describe(`portquorum local: Ctrl-C under a fleet of ${LARGE_FLEET_MONITORS} monitors while their target goes down`, () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-large-${process.pid}-`));
  const statePath = join(dir, 'local.json');
  const alertsFile = join(dir, 'alerts.jsonl');
  let fleet: RunningCli;

  beforeAll(async () => {
    // Spread over a few listeners, so a loaded machine's accept queues do not turn probes into timeouts.
    const ports = await freePorts(TARGETS);
    const spec: FleetSpec & { localTargets: unknown } = {
      regions: ['eu-west-1', 'us-east-1'],
      monitorDefaults: { interval: 15, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 5000 },
      monitors: Array.from({ length: LARGE_FLEET_MONITORS }, (_, i) => ({ id: `m${i}`, host: '127.0.0.1', port: ports[i % TARGETS]! })),
      localTargets: ports.map((port, i) => ({ name: `web${i}`, kind: 'tcp', port })),
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec));
    fleet = startLocal(['--config', config, '--no-netns', '--state', statePath, '--alerts-file', alertsFile, '--duration', '1200']);
    // Every monitor has its first verdict (UP, unpaged), so the outage below is a transition for each.
    await waitUntil(fleet, (output) => (output.match(/: UNKNOWN → /g) ?? []).length >= LARGE_FLEET_MONITORS, 300_000, `a first verdict for all ${LARGE_FLEET_MONITORS} monitors`);
  }, 330_000);

  afterAll(() => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGKILL');
  });

  it('stops within its deadlines, in dependency order, one line per part, with no stream of errors', async () => {
    for (let i = 0; i < TARGETS; i++) {
      const target = await cli(['local', 'target', `web${i}`, 'down', '--state', statePath]);
      expect(target.stderr).toBe('');
    }
    // Monitors behind one address going DOWN together page one INCIDENT rather than a DOWN each.
    await waitForAlert(alertsFile, (a) => a.kind === 'DOWN' || a.kind === 'INCIDENT', 120_000, 'the first DOWN or INCIDENT', fleet);
    const record = JSON.parse(readFileSync(statePath, 'utf8')) as StateRecord;
    const before = fleet.output().length;

    const interrupted = Date.now();
    interrupt(fleet);
    expect(await fleet.exited).toBe(0);
    const stopMs = Date.now() - interrupted;
    const alerted = readAlerts(alertsFile).filter((a) => a.kind === 'DOWN' || a.kind.startsWith('INCIDENT')).length;
    // The measurement the README states (the stop's bound is the code's 20 s; the test asserts behaviour, not time).
    console.log(`large fleet: ${LARGE_FLEET_MONITORS} monitors, ${alerted} DOWN and incident alerts written, Ctrl-C to exit in ${stopMs} ms`);

    const after = fleet.output().slice(before).split('\n');
    console.log(after.filter((l) => /stopp/.test(l)).join('\n'));
    const parts = after.map((l) => /(?:stopped|stopping) (the .*?|DynamoDB Local) (?:\(\d+ ms\)|failed)/.exec(l)?.[1]).filter((p) => p !== undefined);
    expect(parts).toEqual([
      'the control socket', 'the region workers', 'the stream poller', 'the sweeper schedule', 'the status page server', 'the local targets',
      'DynamoDB Local', 'the run directory', 'the state file',
    ]);
    expect(after.filter((l) => /did not stop by its deadline/.test(l))).toEqual([]);
    // Alerts published before the poller stopped still print, with their evidence (the target refused: ECONNREFUSED
    // to its port), and a region's own warning (a round late on a loaded machine) may arrive before the workers stop.
    // What must not come is an error from a part talking to DynamoDB Local (the SDK's `connect ECONNREFUSED
    // 127.0.0.1:PORT`) or a warning from the parts that use it.
    const fromParts = /ERROR |WARN \[(?:store|aggregator|sweeper|stream|alerts)\]|stream poller:|connect ECONNREFUSED 127\.0\.0\.1:\d+/;
    expect(after.filter((l) => fromParts.test(l))).toEqual([]);
    expect((record.processes ?? []).filter((p: RecordedProcess) => stillRuns(p))).toEqual([]);
  }, 180_000);
});
