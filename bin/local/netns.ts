// Network namespaces for the local fleet: one per region, so one region can be cut off with iptables.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** What can be done to one region's network: drop everything, drop a share of packets, or nothing. */
export type RegionFault = { kind: 'blackhole' } | { kind: 'loss'; percent: number } | { kind: 'clear' };

/** Namespaces this tool creates are named `pq-<region>-<pid of the fleet>`, so stale ones can be found and removed. */
const NAME_PATTERN = /^pq-(.+)-(\d+)$/;

/** Whether namespaces can be used here: Linux, root, and iproute2 + iptables installed. The reason says why not. */
export function netnsSupport(): { supported: true } | { supported: false; reason: string } {
  if (process.platform !== 'linux') return { supported: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { supported: false, reason: 'network namespaces need root (run with sudo, or pass --no-netns)' };
  const ip = findTool('ip');
  if (!ip) return { supported: false, reason: "the 'ip' command (iproute2) is not installed" };
  if (!findTool('iptables')) return { supported: false, reason: "the 'iptables' command is not installed" };
  return { supported: true };
}

function findTool(name: string): string | undefined {
  return ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((dir) => `${dir}/${name}`).find((path) => existsSync(path));
}

export function namespaceName(region: string, pid = process.pid): string {
  return `pq-${region}-${pid}`;
}

async function run(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(command, args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: error });
  }
}

async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  // Lines look like `pq-eu-west-1-123 (id: 4)` or just the name.
  return out.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '').filter((name) => name !== '');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces left by fleets that died without cleaning up (their pid no longer runs). Returns the names removed. */
export async function removeStaleNamespaces(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNamespaces()) {
    const match = NAME_PATTERN.exec(name);
    if (!match || alive(Number(match[2]))) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

/** Creates a namespace with its loopback up. */
export async function createNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  try {
    await run('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await deleteNamespace(name).catch(() => undefined);
    throw error;
  }
}

/** Deletes a namespace (its iptables rules go with it); a namespace already gone is fine. */
export async function deleteNamespace(name: string): Promise<void> {
  try {
    await run('ip', ['netns', 'del', name]);
  } catch (error) {
    if (!(await listNamespaces()).includes(name)) return;
    throw error;
  }
}

/**
 * Applies a fault to a namespace's loopback. Rules go on INPUT of `lo` only: probes to targets and the canary
 * (all on the namespace's loopback) are dropped, while the region's path to DynamoDB (a UNIX socket, which
 * iptables never sees) keeps working, so the region keeps reporting and its vetoed rounds count as silent.
 */
export async function applyFault(name: string, fault: RegionFault): Promise<void> {
  await run('ip', ['netns', 'exec', name, 'iptables', '-w', '5', '-F', 'INPUT']);
  if (fault.kind === 'blackhole') {
    await run('ip', ['netns', 'exec', name, 'iptables', '-w', '5', '-A', 'INPUT', '-i', 'lo', '-j', 'DROP']);
  } else if (fault.kind === 'loss') {
    const probability = (fault.percent / 100).toFixed(4);
    await run('ip', ['netns', 'exec', name, 'iptables', '-w', '5', '-A', 'INPUT', '-i', 'lo', '-m', 'statistic', '--mode', 'random', '--probability', probability, '-j', 'DROP']);
  }
}

/**
 * Drops (on) or stops dropping (off) TCP packets to one loopback address and port inside a namespace: a blackholed
 * target, while the rest of the region's network works. The rule sits in the raw table's PREROUTING (before
 * connection tracking), so region faults, which flush the filter table's INPUT, never remove it, nor it them.
 * Adding a rule that is there, or removing one that is not, changes nothing.
 */
export async function dropTargetPackets(name: string, target: { host: string; port: number }, on: boolean): Promise<void> {
  const tool = isIP(target.host) === 6 ? 'ip6tables' : 'iptables';
  const rule = ['PREROUTING', '-i', 'lo', '-p', 'tcp', '-d', target.host, '--dport', String(target.port), '-j', 'DROP'];
  const iptables = (op: string) => run('ip', ['netns', 'exec', name, tool, '-w', '5', '-t', 'raw', op, ...rule]);
  const present = await iptables('-C').then(() => true, () => false);
  if (on && !present) await iptables('-A');
  if (!on && present) await iptables('-D');
}

/** Parses the words after `fault REGION`: `blackhole`, `loss PCT`, `clear`. */
export function parseFault(words: string[]): RegionFault | { error: string } {
  const [kind, value, ...rest] = words;
  if (kind === 'blackhole' && value === undefined) return { kind: 'blackhole' };
  if (kind === 'clear' && value === undefined) return { kind: 'clear' };
  if (kind === 'loss' && rest.length === 0) {
    const percent = Number(String(value ?? '').replace(/%$/, ''));
    if (value === undefined || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
      return { error: `loss needs a percentage from 1 to 100 (e.g. 'loss 30'), got '${value ?? ''}'` };
    }
    return { kind: 'loss', percent };
  }
  return { error: `unknown fault '${words.join(' ')}' (use blackhole, loss PCT or clear)` };
}

export function describeFault(fault: RegionFault): string {
  return fault.kind === 'loss' ? `${fault.percent}% packet loss` : fault.kind === 'blackhole' ? 'blackholed' : 'clear';
}
