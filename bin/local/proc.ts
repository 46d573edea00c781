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
