// `portquorum local` as a service that survives its own crashes: kill -9 leaves no process behind (DynamoDB Local and
// the workers die with it), the next run on the same --state removes the dead run's directory and keeps a target the
// user took down, down; Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops part by part, one
// line each, with no stream of errors; a missing --data directory is created, said in one line.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import { stillRuns, type RecordedProcess } from '../../bin/local/proc';
import type { StateRecord } from '../../bin/local/state-file';
import { freePorts } from '../../bin/local/targets';
import { cli, interrupt, startLocal, type RunningCli } from './support';

const READY = /running: table /;

/** What a connect to a loopback port finds: `open`, or the error code (ECONNREFUSED when nothing listens). */
function knock(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Resolves once none of these processes runs (a killed process's children have no parent to tell us: look, bounded). */
async function allGone(processes: RecordedProcess[], withinMs: number): Promise<RecordedProcess[]> {
  const deadline = Date.now() + withinMs;
  while (processes.some(stillRuns) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return processes.filter(stillRuns);
}

/** The plain screen's lines without alert blocks: an `ALERT …` line and its indented evidence lines after it. */
function withoutAlerts(lines: string[]): string[] {
  const kept: string[] = [];
  let inAlert = false;
  for (const line of lines) {
    const text = line.replace(/^\d\d:\d\d:\d\d /, '');
    if (text.startsWith('ALERT ')) inAlert = true;
    else if (!(inAlert && text.startsWith('      '))) {
      inAlert = false;
      kept.push(line);
    }
  }
  return kept;
}

describe('portquorum local survives its own crash and restart (--no-netns, same --state and --data)', () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-restart-${process.pid}-`));
  const statePath = join(dir, 'local.json');
  const dataDir = join(dir, 'not', 'yet', 'there');
  const config = join(dir, 'fleet.json');
  let webPort = 0;
  let apiPort = 0;
  let first: RunningCli;
  let second: RunningCli | undefined;
  let killed: StateRecord;

  const readRecord = () => JSON.parse(readFileSync(statePath, 'utf8')) as StateRecord;

  beforeAll(async () => {
    [webPort, apiPort] = (await freePorts(2)) as [number, number];
    const spec: FleetSpec & { localTargets: unknown } = {
      regions: ['eu-west-1', 'us-east-1'],
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 1500 },
      monitors: [{ id: 'web', host: '127.0.0.1', port: webPort }, { id: 'api', host: '127.0.0.1', port: apiPort }],
      localTargets: [{ name: 'web', kind: 'tcp', port: webPort }, { name: 'api', kind: 'tcp', port: apiPort }],
    };
    writeFileSync(config, JSON.stringify(spec, null, 2));
  });

  afterAll(() => {
    for (const run of [first, second]) if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
  });

  it('creates a missing --data directory, saying so in one line', async () => {
    first = startLocal(['--config', config, '--no-netns', '--state', statePath, '--data', dataDir, '--duration', '600']);
    await first.waitForOutput(READY, 120_000);
    expect(first.output().split('\n').filter((l) => l.includes('--data'))).toEqual([expect.stringMatching(`created the --data directory ${dataDir} \\(it did not exist\\)$`)]);
    expect(existsSync(dataDir)).toBe(true);
  }, 150_000);

  it('records the processes it started and its run directory in the state file', async () => {
    const r = await cli(['local', 'target', 'web', 'down', '--state', statePath]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/target 'web' is down/);
    expect(await knock(webPort)).toBe('ECONNREFUSED');
    killed = readRecord();
    expect(killed.pid).toBe(first.pid);
    expect(killed.processes?.map((p) => p.role).sort()).toEqual(['DynamoDB Local', 'fleet', 'worker eu-west-1', 'worker us-east-1']);
    expect(killed.steering).toEqual({ targets: { web: 'down' }, faults: {} });
    expect(existsSync(killed.runDir!)).toBe(true);
  }, 60_000);

  it('kill -9: DynamoDB Local and the region workers die with it, by themselves', async () => {
    first.child.kill('SIGKILL');
    await first.exited;
    const children = killed.processes!.filter((p) => p.role !== 'fleet');
    expect(await allGone(children, 15_000)).toEqual([]);
    // Nobody was left to remove the run directory; the next run does.
    expect(existsSync(killed.runDir!)).toBe(true);
  }, 30_000);

  it('the next run on the same --state removes the dead run\'s directory and keeps the target that was down, down', async () => {
    second = startLocal(['--config', config, '--no-netns', '--state', statePath, '--data', dataDir, '--duration', '600']);
    await second.waitForOutput(READY, 120_000);
    const out = second.output();
    expect(out).toContain(`removed the killed earlier run's directory ${killed.runDir}`);
    expect(out).toContain("target 'web' kept down, as the last run left it ('portquorum local target web up' brings it back)");
    expect(out).not.toContain('created the --data directory');
    expect(existsSync(killed.runDir!)).toBe(false);
    expect(await knock(webPort)).toBe('ECONNREFUSED');
    expect(await knock(apiPort)).toBe('open');
    expect(readRecord()).toMatchObject({ pid: second.pid, steering: { targets: { web: 'down' }, faults: {} } });
  }, 150_000);

  it('Ctrl-C stops part by part in dependency order, one line each, no errors, nothing left; the switch outlives the stop', async () => {
    const record = readRecord();
    interrupt(second!);
    expect(await second!.exited).toBe(0);
    const lines = second!.output().split('\n');
    const from = lines.findIndex((l) => l.includes('stopping (SIGINT)'));
    expect(from).toBeGreaterThan(-1);
    const stopLines = lines.slice(from + 1).filter((l) => / stopped |stopping .* failed/.test(l));
    expect(stopLines.map((l) => /(?:stopped|stopping) (.*?) (?:\(\d+ ms\)|failed)/.exec(l)?.[1])).toEqual([
      'the control socket', 'the region workers', 'the stream poller', 'the sweeper schedule', 'the status page server', 'the local targets',
      'DynamoDB Local', 'the run directory', 'the state file',
    ]);
    // An alert the stream poller still delivers while it drains is part of stopping, not an error: its evidence lines
    // (the web target is down, so ECONNREFUSED) are left out; anything else naming an error is not.
    expect(withoutAlerts(lines.slice(from)).filter((l) => /ECONNREFUSED|error|warn/i.test(l))).toEqual([]);
    expect(await allGone(record.processes!, 5000)).toEqual([]);
    expect(existsSync(record.runDir!)).toBe(false);
    expect(readRecord()).toEqual({ schemaVersion: 1, stoppedAt: expect.any(String), steering: { targets: { web: 'down' }, faults: {} } });
  }, 60_000);

  it('--duration counts from the command\'s start: a duration shorter than the start-up gives the start up, exit 0', async () => {
    const other = join(dir, 'short.json');
    const r = await cli(['local', '--config', config, '--no-netns', '--state', other, '--duration', '1', '--plain']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('portquorum local: stopped while starting (--duration 1 s reached); nothing left running');
    expect(r.stdout).not.toMatch(READY);
    const left = JSON.parse(readFileSync(other, 'utf8')) as StateRecord;
    expect(left.pid).toBeUndefined();
  }, 90_000);

  it('--data that is a file: one clear line, exit 2, nothing started', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await cli(['local', '--config', config, '--no-netns', '--state', join(dir, 'other.json'), '--data', file, '--plain']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`portquorum local: could not start the fleet: --data ${file} is not a directory (give a directory for DynamoDB Local's data)`]);
  }, 60_000);
});
