// Finding the processes a process started (from /proc), so nothing the local fleet started outlives it.
import { readdirSync, readFileSync } from 'node:fs';

interface ProcInfo {
  pid: number;
  ppid: number;
  command: string;
}

function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command sits in parentheses and may contain spaces; the fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // a zombie is already dead, only not yet reaped
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(name), ppid: Number(fields[1]), command });
    } catch {
      // it exited while we looked
    }
  }
  return out;
}

/** Every live descendant of pid (children, their children …). Linux only; empty elsewhere. */
export function descendants(pid = process.pid): ProcInfo[] {
  if (process.platform !== 'linux') return [];
  const all = processes();
  const found: ProcInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Last resort at exit: SIGKILL every descendant (they are all ours). */
export function killDescendantsSync(pid = process.pid): void {
  for (const p of descendants(pid)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** A process as the state file records it: its pid and its start time (so a reused pid is never taken for it). */
export interface RecordedProcess {
  /** What it is, for messages: `fleet`, `DynamoDB Local`, `worker eu-west-1`. */
  role: string;
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks since boot at which it started. */
  startTime: number;
}

/** When pid started (clock ticks since boot), or undefined when it does not run (or is a zombie) or this is not Linux. */
export function processStartTime(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Records a running process (undefined when it is already gone, or this is not Linux). */
export function recordProcess(role: string, pid: number | undefined): RecordedProcess | undefined {
  if (pid === undefined) return undefined;
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { role, pid, startTime };
}

/** Whether the recorded process still runs: the same pid with the same start time (never judged by name). */
export function stillRuns(recorded: Pick<RecordedProcess, 'pid' | 'startTime'>): boolean {
  return processStartTime(recorded.pid) === recorded.startTime;
}

/**
 * Kills recorded processes that still run (SIGKILL: they are orphans with no one to stop them cleanly) and waits,
 * bounded, until they are gone. Returns those it killed.
 */
export async function killRecorded(processes: readonly RecordedProcess[], withinMs = 5000): Promise<RecordedProcess[]> {
  const killed: RecordedProcess[] = [];
  for (const p of processes) {
    if (!stillRuns(p)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      killed.push(p);
    } catch {
      // gone meanwhile
    }
  }
  // A killed process that is not our child is reaped by init; there is no event to await, so look again, bounded.
  const deadline = Date.now() + withinMs;
  while (killed.some(stillRuns) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const survivors = killed.filter(stillRuns);
  if (survivors.length > 0) throw new Error(`could not stop ${survivors.map((p) => `${p.role} (pid ${p.pid})`).join(', ')} left by an earlier run`);
  return killed;
}
