// The state file other commands find a running local fleet by: written atomically, read back whole, and never pointing
// at a fleet that is gone, stopped or still starting.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRunningFleet, readState, writeState, type LocalFleetState } from '../../bin/local/state-file';

function state(overrides: Partial<LocalFleetState> = {}): LocalFleetState {
  return {
    schemaVersion: 1, pid: process.pid, startedAt: '2025-01-01T00:00:00.000Z', endpoint: 'http://127.0.0.1:8000', table: 'portquorum',
    tableRegion: 'eu-west-1', regions: ['eu-west-1', 'us-east-1'], namespaces: { 'eu-west-1': 'pq-eu-west-1-1' }, targets: ['web'],
    controlSocket: '/tmp/x/control.sock', fleetFile: '/tmp/x/fleet.json', alertsFile: '/tmp/alerts.jsonl', ...overrides,
  };
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-state-'));

  it('round-trips every field, creating the directory, leaving no temp file behind', async () => {
    const path = join(dir, 'nested', 'local.json');
    await writeState(path, state());
    expect(await readState(path)).toEqual(state());
    expect(readdirSync(join(dir, 'nested'))).toEqual(['local.json']);
  });

  it('reads a missing file as no fleet, and a file of another schema version as none either', async () => {
    expect(await readState(join(dir, 'absent.json'))).toBeUndefined();
    const other = join(dir, 'v2.json');
    writeFileSync(other, JSON.stringify({ ...state(), schemaVersion: 2 }));
    expect(await readState(other)).toBeUndefined();
  });

  it('findRunningFleet: the state of a live fleet, or a message for no file, a dead pid and an unreadable file', async () => {
    const live = join(dir, 'live.json');
    await writeState(live, state());
    expect(await findRunningFleet(live)).toEqual({ state: state() });

    expect(await findRunningFleet(join(dir, 'none.json'))).toEqual({ error: expect.stringMatching(/^no local fleet is running \(no state file at .*none\.json/) });

    const gone = join(dir, 'gone.json');
    const pid = await deadPid();
    await writeState(gone, state({ pid }));
    expect(await findRunningFleet(gone)).toEqual({ error: expect.stringContaining(`(pid ${pid}) is no longer running`) });

    const stopped = join(dir, 'stopped.json');
    await writeState(stopped, { schemaVersion: 1, stoppedAt: '2025-01-01T00:00:00.000Z', steering: { targets: { web: 'down' }, faults: {} } });
    expect(await findRunningFleet(stopped)).toEqual({ error: expect.stringMatching(/^no local fleet is running \(the last one recorded in .*stopped\.json stopped at 2025-01-01T00:00:00\.000Z/) });

    const starting = join(dir, 'starting.json');
    await writeState(starting, { schemaVersion: 1, pid: process.pid, startedAt: '2025-01-01T00:00:00.000Z' });
    expect(await findRunningFleet(starting)).toEqual({ error: expect.stringContaining(`(pid ${process.pid}) is still starting`) });

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "schemaVersion": 1, ');
    expect(await findRunningFleet(broken)).toEqual({ error: expect.stringMatching(/^cannot read .*broken\.json: /) });
  });
});
