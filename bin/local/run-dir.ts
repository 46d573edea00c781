// The fleet's run directory: the resolved declarations the workers load, the control and relay sockets, each region's
// log, and owner.json saying which process made it, so a later fleet can remove directories whose owner is gone.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetConfig } from '../../functions/shared/domain';
import { recordProcess, stillRuns, type RecordedProcess } from './proc';
import type { Part } from './supervisor';

/** Run directories are `<tmpdir>/portquorum-local-XXXXXX`. */
export const RUN_DIR_PREFIX = 'portquorum-local-';
const OWNER_FILE = 'owner.json';

export interface RunDir extends Part {
  readonly path: string;
  /** The resolved declarations (FleetConfig JSON), as the probe function gets them in its bundle. */
  readonly fleetFile: string;
  /** Where a region's worker writes its output (the handler's JSON log lines, and anything it prints). */
  logFile(region: string): string;
  /** A UNIX socket's path in the run directory. */
  socket(name: 'control' | 'dynamodb'): string;
}

/** Makes a fresh run directory with fleet.json and owner.json in it; stopping it removes the directory. */
export async function createRunDir(fleet: FleetConfig, parent = tmpdir()): Promise<RunDir> {
  const path = await mkdtemp(join(parent, RUN_DIR_PREFIX));
  const fleetFile = join(path, 'fleet.json');
  try {
    await writeFile(fleetFile, `${JSON.stringify(fleet, null, 2)}\n`);
    const owner = recordProcess('fleet', process.pid);
    if (owner) await writeFile(join(path, OWNER_FILE), `${JSON.stringify(owner)}\n`);
  } catch (error) {
    await rm(path, { recursive: true, force: true });
    throw error;
  }
  const remove = () => rm(path, { recursive: true, force: true });
  return {
    name: 'the run directory',
    path,
    fleetFile,
    logFile: (region) => join(path, `${region}.log`),
    socket: (name) => join(path, `${name}.sock`),
    stop: remove,
  };
}

/**
 * Removes run directories whose owner (recorded in owner.json: pid and start time) no longer runs — left by a fleet
 * that was killed. A directory without owner.json is left alone: it may belong to a running fleet of an older version.
 * Returns the paths removed.
 */
export async function removeStaleRunDirs(parent = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(RUN_DIR_PREFIX)) continue;
    const path = join(parent, name);
    let owner: RecordedProcess;
    try {
      owner = JSON.parse(await readFile(join(path, OWNER_FILE), 'utf8')) as RecordedProcess;
    } catch {
      continue;
    }
    if (typeof owner.pid !== 'number' || typeof owner.startTime !== 'number' || stillRuns(owner)) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
