// The fleet's run directory: the resolved declarations the workers load, the control and relay sockets, each region's log.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetConfig } from '../../functions/shared/domain';
import type { Part } from './supervisor';

/** Run directories are `<tmpdir>/portquorum-local-XXXXXX`. */
export const RUN_DIR_PREFIX = 'portquorum-local-';

export interface RunDir extends Part {
  readonly path: string;
  /** The resolved declarations (FleetConfig JSON), as the probe function gets them in its bundle. */
  readonly fleetFile: string;
  /** Where a region's worker writes its output (the handler's JSON log lines, and anything it prints). */
  logFile(region: string): string;
  /** A UNIX socket's path in the run directory. */
  socket(name: 'control' | 'dynamodb'): string;
}

/** Makes a fresh run directory with fleet.json in it; stopping it removes the directory. */
export async function createRunDir(fleet: FleetConfig): Promise<RunDir> {
  const path = await mkdtemp(join(tmpdir(), RUN_DIR_PREFIX));
  const fleetFile = join(path, 'fleet.json');
  try {
    await writeFile(fleetFile, `${JSON.stringify(fleet, null, 2)}\n`);
  } catch (error) {
    await rm(path, { recursive: true, force: true });
    throw error;
  }
  return {
    name: 'the run directory',
    path,
    fleetFile,
    logFile: (region) => join(path, `${region}.log`),
    socket: (name) => join(path, `${name}.sock`),
    stop: () => rm(path, { recursive: true, force: true }),
  };
}
