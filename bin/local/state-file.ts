// The state file: through it other commands (`local fault`, `local target`, `status`) find a running local fleet; it
// records what the fleet started (so a later run can reap what a killed one left) and what the user switched (so a
// restart keeps a target down, or a region cut off, until the user says otherwise).
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ENV } from '../../functions/shared/deployment';
import type { RegionFault } from './netns';
import { killRecorded, recordProcess, stillRuns, type RecordedProcess } from './proc';
import type { Part } from './supervisor';
import type { TargetState } from './targets';

/** Where `portquorum local` records itself unless --state says otherwise. */
export function defaultStatePath(): string {
  return process.env[ENV.localState] ?? join(homedir(), '.portquorum', 'local.json');
}

/** What the user switched: targets not `up`, regions with a fault. Kept across runs with the same state file. */
export interface Steering {
  targets: Record<string, Exclude<TargetState, 'up'>>;
  faults: Record<string, Exclude<RegionFault, { kind: 'clear' }>>;
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
  /** The status page on loopback. */
  statusPageUrl?: string;
  /** The fleet's own start time (see RecordedProcess), so a reused pid is not taken for it. */
  startTime?: number;
  /** Every process the fleet started that could outlive it (DynamoDB Local, the region workers), and the fleet. */
  processes?: RecordedProcess[];
  /** The fleet's run directory. */
  runDir?: string;
  steering?: Steering;
}

/**
 * The file as found: a running (or starting, or killed) fleet's state, or what a fleet that stopped cleanly left:
 * only its steering and when it stopped.
 */
export type StateRecord = Partial<LocalFleetState> & { schemaVersion: 1; stoppedAt?: string };

/** Writes the state atomically (a reader never sees half a file). */
export async function writeState(path: string, state: StateRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, path);
}

/** The recorded state; undefined when there is no file or it is of another schema version. */
export async function readState(path: string): Promise<StateRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as StateRecord;
  return state.schemaVersion === 1 ? state : undefined;
}

/** Whether the fleet a record names still runs (by pid and, where recorded, start time). */
function fleetRuns(state: StateRecord): boolean {
  if (state.pid === undefined) return false;
  if (state.startTime !== undefined && process.platform === 'linux') return stillRuns({ pid: state.pid, startTime: state.startTime });
  try {
    process.kill(state.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running fleet's state, or a message saying why there is none (never a stale one). */
export async function findRunningFleet(path: string): Promise<{ state: LocalFleetState } | { error: string }> {
  const state = await readState(path).catch((error: Error) => ({ error: `cannot read ${path}: ${error.message}` }));
  if (state && 'error' in state) return state;
  if (!state) return { error: `no local fleet is running (no state file at ${path}; start one with 'portquorum local')` };
  if (state.pid === undefined) {
    return { error: `no local fleet is running (the last one recorded in ${path} stopped${state.stoppedAt ? ` at ${state.stoppedAt}` : ''}; start one with 'portquorum local')` };
  }
  if (!fleetRuns(state)) return { error: `the local fleet recorded in ${path} (pid ${state.pid}) is no longer running; start one with 'portquorum local'` };
  if (state.controlSocket === undefined) return { error: `the local fleet recorded in ${path} (pid ${state.pid}) is still starting; try again in a moment` };
  return { state: state as LocalFleetState };
}

/** What the state file found when a fleet opened it: what it reaped of an earlier run, and the steering to restore. */
export interface Inherited {
  /** Processes of a killed earlier run that were still running, now stopped. */
  reaped: RecordedProcess[];
  /** The killed earlier run's directory, now removed. */
  runDir?: string;
  steering: Steering;
}

/** No target switched, no region faulted. */
export function noSteering(): Steering {
  return { targets: {}, faults: {} };
}

/**
 * This fleet's state file, from its start to its stop. Opening it takes over from the previous fleet recorded there
 * (refusing if that one still runs, reaping what it left if it was killed); every change is written at once, so a
 * fleet killed at any moment leaves a record of what it started. Stopping leaves only the steering behind.
 */
export class FleetStateFile implements Part {
  readonly name = 'the state file';
  private record: StateRecord;
  private writes: Promise<void> = Promise.resolve();

  private constructor(readonly path: string, steering: Steering) {
    const self = recordProcess('fleet', process.pid);
    this.record = {
      schemaVersion: 1, pid: process.pid, startedAt: new Date().toISOString(), ...(self ? { startTime: self.startTime } : {}),
      processes: self ? [self] : [], steering,
    };
  }

  static async open(path: string): Promise<{ file: FleetStateFile; inherited: Inherited }> {
    const previous = await readState(path).catch((error: Error) => {
      throw new Error(`cannot read the state file ${path}: ${error.message} (remove it, or give another --state)`);
    });
    const inherited: Inherited = { reaped: [], steering: validSteering(previous?.steering) };
    if (previous?.pid !== undefined && previous.pid !== process.pid) {
      if (fleetRuns(previous)) {
        throw new Error(`a local fleet (pid ${previous.pid}, started ${previous.startedAt ?? 'earlier'}) is already running with the state file ${path}; stop it first, or give this one another --state`);
      }
      // Killed: whatever it started and recorded that still runs (same pid, same start time) is its orphan.
      inherited.reaped = await killRecorded((previous.processes ?? []).filter((p) => p.pid !== previous.pid));
      if (previous.runDir) {
        await rm(previous.runDir, { recursive: true, force: true });
        inherited.runDir = previous.runDir;
      }
    }
    const file = new FleetStateFile(path, inherited.steering);
    await file.write();
    return { file, inherited };
  }

  get steering(): Steering {
    return this.record.steering!;
  }

  /** Records a process the fleet started (replacing a recorded one with the same role). */
  addProcess(role: string, pid: number | undefined): Promise<void> {
    const recorded = recordProcess(role, pid);
    if (!recorded) return this.writes;
    return this.update({ processes: [...(this.record.processes ?? []).filter((p) => p.role !== role), recorded] });
  }

  setRunDir(runDir: string): Promise<void> {
    return this.update({ runDir });
  }

  /** The fleet is ready: the fields `local fault`, `local target` and `status` need. */
  ready(fields: Omit<LocalFleetState, 'schemaVersion' | 'pid' | 'startedAt' | 'startTime' | 'processes' | 'runDir' | 'steering'>): Promise<void> {
    return this.update(fields);
  }

  /** Records a target's state (up clears the record). */
  setTarget(name: string, state: TargetState): Promise<void> {
    const targets = { ...this.steering.targets };
    if (state === 'up') delete targets[name];
    else targets[name] = state;
    return this.update({ steering: { ...this.steering, targets } });
  }

  /** Records a region's fault (clear removes it). */
  setFault(region: string, fault: RegionFault): Promise<void> {
    const faults = { ...this.steering.faults };
    if (fault.kind === 'clear') delete faults[region];
    else faults[region] = fault;
    return this.update({ steering: { ...this.steering, faults } });
  }

  /** Forgets every switch and fault (a run that starts clean). */
  clearSteering(): Promise<void> {
    return this.update({ steering: noSteering() });
  }

  /** Leaves only the steering (and when the fleet stopped), if the file is still this fleet's. */
  async stop(): Promise<void> {
    await this.writes;
    const current = await readState(this.path).catch(() => undefined);
    if (current?.pid !== undefined && current.pid !== process.pid) return;
    this.record = { schemaVersion: 1, stoppedAt: new Date().toISOString(), steering: this.steering };
    await writeState(this.path, this.record);
  }

  private update(patch: Partial<StateRecord>): Promise<void> {
    this.record = { ...this.record, ...patch };
    return this.write();
  }

  /** Writes the record as it is now, after the writes before it (so the file never goes back to an older record). */
  private write(): Promise<void> {
    const record = this.record;
    this.writes = this.writes.catch(() => undefined).then(() => writeState(this.path, record));
    return this.writes;
  }
}

/** The steering of a record, keeping only entries this version understands (a hand-edited file never breaks a start). */
function validSteering(steering: Steering | undefined): Steering {
  const out = noSteering();
  for (const [name, state] of Object.entries(steering?.targets ?? {})) if (state === 'down' || state === 'blackhole') out.targets[name] = state;
  for (const [region, fault] of Object.entries(steering?.faults ?? {})) {
    if (fault?.kind === 'blackhole') out.faults[region] = { kind: 'blackhole' };
    else if (fault?.kind === 'loss' && typeof fault.percent === 'number' && fault.percent > 0 && fault.percent <= 100) out.faults[region] = { kind: 'loss', percent: fault.percent };
  }
  return out;
}
