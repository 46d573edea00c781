// What a killed fleet leaves is found by what it recorded (pid and start time, checked against /proc — never by name)
// and reaped by the next fleet that opens the same state file; stale run directories go the same way; a fleet that
// still runs is never taken over; and switches the user made outlive a stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFleet } from '../../functions/shared/domain';
import { processStartTime, stillRuns } from '../../bin/local/proc';
import { createRunDir, removeStaleRunDirs, RUN_DIR_PREFIX } from '../../bin/local/run-dir';
import { FleetStateFile, findRunningFleet, readState, writeState } from '../../bin/local/state-file';

const children: ChildProcess[] = [];

/** A long-running process (our child, so its end is an event to await). */
function sleeper(): { child: ChildProcess; pid: number; startTime: number; exited: Promise<string | null> } {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const startTime = processStartTime(child.pid!);
  if (startTime === undefined) throw new Error('no start time for a process that just started');
  return { child, pid: child.pid!, startTime, exited };
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('reaping what a killed fleet left', () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-orphans-${process.pid}-`));
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('start time tells a recorded process from another that got its pid', () => {
    const s = sleeper();
    expect(stillRuns({ pid: s.pid, startTime: s.startTime })).toBe(true);
    expect(stillRuns({ pid: s.pid, startTime: s.startTime + 1 })).toBe(false);
  });

  it('kills the recorded processes that still run, spares a pid whose start time differs, removes the run dir, keeps the steering', async () => {
    const orphan = sleeper();
    const reused = sleeper();
    const runDir = join(dir, 'old-run');
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'fleet.json'), '{}');
    const path = join(dir, 'killed.json');
    await writeState(path, {
      schemaVersion: 1, pid: await deadPid(), startTime: 1, startedAt: '2025-01-01T00:00:00.000Z', runDir,
      processes: [
        { role: 'DynamoDB Local', pid: orphan.pid, startTime: orphan.startTime },
        // The pid is alive, but it is another process than the one recorded (pid reuse): it must be left alone.
        { role: 'worker eu-west-1', pid: reused.pid, startTime: reused.startTime + 7 },
      ],
      steering: { targets: { web: 'down' }, faults: { 'eu-west-1': { kind: 'loss', percent: 30 } } },
    });

    const { file, inherited } = await FleetStateFile.open(path);
    expect(inherited.reaped.map((p) => p.role)).toEqual(['DynamoDB Local']);
    expect(await orphan.exited).toBe('SIGKILL');
    expect(stillRuns(reused)).toBe(true);
    expect(inherited.runDir).toBe(runDir);
    expect(existsSync(runDir)).toBe(false);
    expect(inherited.steering).toEqual({ targets: { web: 'down' }, faults: { 'eu-west-1': { kind: 'loss', percent: 30 } } });

    // The file is now this fleet's, recording itself, and carries the steering on.
    const now = await readState(path);
    expect(now).toMatchObject({ pid: process.pid, startTime: processStartTime(process.pid), steering: inherited.steering });
    expect(now?.processes).toEqual([{ role: 'fleet', pid: process.pid, startTime: processStartTime(process.pid) }]);
    await file.stop();
  });

  it('refuses to take over from a fleet that still runs (same pid and start time), and takes over when only the pid matches', async () => {
    const live = sleeper();
    const path = join(dir, 'live.json');
    await writeState(path, { schemaVersion: 1, pid: live.pid, startTime: live.startTime, startedAt: '2025-01-01T00:00:00.000Z', processes: [] });
    await expect(FleetStateFile.open(path)).rejects.toThrow(`a local fleet (pid ${live.pid}, started 2025-01-01T00:00:00.000Z) is already running with the state file ${path}; stop it first, or give this one another --state`);
    expect(stillRuns(live)).toBe(true);

    await writeState(path, { schemaVersion: 1, pid: live.pid, startTime: live.startTime + 3, startedAt: '2025-01-01T00:00:00.000Z', processes: [] });
    const { file } = await FleetStateFile.open(path);
    expect(stillRuns(live)).toBe(true);
    await file.stop();
  });

  it('records processes and switches as they happen; a stop leaves only the switches, and says the fleet stopped', async () => {
    const path = join(dir, 'steered.json');
    const { file, inherited } = await FleetStateFile.open(path);
    expect(inherited).toEqual({ reaped: [], steering: { targets: {}, faults: {} } });
    const worker = sleeper();
    await file.addProcess('worker eu-west-1', worker.pid);
    await file.setTarget('web', 'down');
    await file.setTarget('cache', 'blackhole');
    await file.setTarget('cache', 'up');
    await file.setFault('us-east-1', { kind: 'blackhole' });
    await file.setFault('eu-west-1', { kind: 'blackhole' });
    await file.setFault('eu-west-1', { kind: 'clear' });
    const running = await readState(path);
    expect(running?.processes?.map((p) => p.role)).toEqual(['fleet', 'worker eu-west-1']);
    expect(running?.steering).toEqual({ targets: { web: 'down' }, faults: { 'us-east-1': { kind: 'blackhole' } } });

    await file.stop();
    const left = await readState(path);
    expect(left).toEqual({ schemaVersion: 1, stoppedAt: expect.any(String), steering: { targets: { web: 'down' }, faults: { 'us-east-1': { kind: 'blackhole' } } } });
    expect(await findRunningFleet(path)).toEqual({ error: expect.stringMatching(/^no local fleet is running \(the last one recorded in .* stopped at /) });

    // The next fleet on the file inherits the switches; nothing to reap after a clean stop.
    const next = await FleetStateFile.open(path);
    expect(next.inherited).toEqual({ reaped: [], steering: { targets: { web: 'down' }, faults: { 'us-east-1': { kind: 'blackhole' } } } });
    await next.file.stop();
  });

  it('ignores steering entries it does not understand (a hand-edited file never breaks a start)', async () => {
    const path = join(dir, 'edited.json');
    writeFileSync(path, JSON.stringify({ schemaVersion: 1, steering: { targets: { web: 'sideways', db: 'blackhole' }, faults: { x: { kind: 'loss', percent: 400 }, y: null } } }));
    const { file, inherited } = await FleetStateFile.open(path);
    expect(inherited.steering).toEqual({ targets: { db: 'blackhole' }, faults: {} });
    await file.stop();
  });
});

describe('stale run directories', () => {
  it('removes a run directory whose recorded owner is gone; keeps a live owner\'s and one without owner.json', async () => {
    const parent = mkdtempSync(join(tmpdir(), `pq-rundirs-${process.pid}-`));
    const fleet = resolveFleet({ regions: ['eu-west-1'], monitors: [{ id: 'web', host: '127.0.0.1', port: 8080 }] });
    const mine = await createRunDir(fleet, parent);
    const stale = await createRunDir(fleet, parent);
    writeFileSync(join(stale.path, 'owner.json'), JSON.stringify({ role: 'fleet', pid: await deadPid(), startTime: 12345 }));
    const unknown = join(parent, `${RUN_DIR_PREFIX}older`);
    mkdirSync(unknown);

    expect(await removeStaleRunDirs(parent)).toEqual([stale.path]);
    expect(existsSync(stale.path)).toBe(false);
    expect(existsSync(mine.path)).toBe(true);
    expect(existsSync(unknown)).toBe(true);
    await mine.stop(Date.now() + 1000);
  });
});
