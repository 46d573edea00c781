// The state file through which other commands (`local fault`, `local target`, `status`) find a running local fleet.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ENV } from '../../functions/shared/deployment';
import type { Part } from './supervisor';

/** Where `portquorum local` records itself unless --state says otherwise. */
export function defaultStatePath(): string {
  return process.env[ENV.localState] ?? join(homedir(), '.portquorum', 'local.json');
}

/** What a running local fleet records so `local fault`, `local target` and `status` can find it. */
export interface LocalFleetState {
  schemaVersion: 1;
  pid: number;
  startedAt: string;
  /** DynamoDB Local's endpoint on this host's loopback. */
  endpoint: string;
  table: string;
  tableRegion: string;
  regions: string[];
  /** Region → network namespace, when regions run in namespaces. */
  namespaces: Record<string, string>;
  /** Served targets by name (demo targets or --config fixtures). */
  targets: string[];
  controlSocket: string;
  /** The resolved declarations the fleet runs (FleetConfig JSON). */
  fleetFile: string;
  alertsFile?: string;
}

/** Writes the state atomically (a reader never sees half a file). */
export async function writeState(path: string, state: LocalFleetState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, path);
}

/** Removes the state file, but only if it is still ours (another fleet may have started since). */
export async function removeState(path: string, pid = process.pid): Promise<void> {
  const current = await readState(path).catch(() => undefined);
  if (current?.pid === pid) await rm(path, { force: true });
}

/** The recorded state; undefined when there is no file or it is of another schema version. */
export async function readState(path: string): Promise<LocalFleetState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as LocalFleetState;
  return state.schemaVersion === 1 ? state : undefined;
}

/** The running fleet's state, or a message saying why there is none (never a stale one). */
export async function findRunningFleet(path: string): Promise<{ state: LocalFleetState } | { error: string }> {
  const state = await readState(path).catch((error: Error) => ({ error: `cannot read ${path}: ${error.message}` }));
  if (state && 'error' in state) return state;
  if (!state) return { error: `no local fleet is running (no state file at ${path}; start one with 'portquorum local')` };
  try {
    process.kill(state.pid, 0);
  } catch {
    return { error: `the local fleet recorded in ${path} (pid ${state.pid}) is no longer running; start one with 'portquorum local'` };
  }
  return { state };
}

/** Records this fleet in the state file; stopping the part removes the file (if it is still this fleet's). */
export async function recordState(path: string, state: LocalFleetState): Promise<Part> {
  await writeState(path, state);
  return { name: 'the state file', stop: () => removeState(path, state.pid) };
}
