// Network namespaces for fault tests (root only): create one, add iptables rules on its lo, run node inside, remove it.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
const TSX = join(REPO, 'node_modules/.bin/tsx');

/** Whether this process can make namespaces, and if not, why (shown in the skipped test's name). */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces and iptables need root (run the tests as root)' };
  for (const [tool, flag] of [['ip', '-V'], ['iptables', '--version']] as const) {
    try {
      execFileSync(tool, [flag], { stdio: 'ignore' });
    } catch {
      return { ok: false, reason: `${tool} is not installed (apt-get install ${tool === 'ip' ? 'iproute2' : 'iptables'})` };
    }
  }
  return { ok: true };
}

/** Whether a child can run in a network namespace of its own with no interface up (`unshare --net`): offline for sure. */
export function canUnshareNetwork(): boolean {
  if (process.platform !== 'linux') return false;
  return spawnSync('unshare', ['--net', 'true'], { stdio: 'ignore' }).status === 0;
}

export interface Netns {
  name: string;
  /** Runs a command inside the namespace; rejects with its stderr when it fails. */
  exec(command: string, args: string[], timeoutMs?: number): Promise<string>;
  /** Adds a rule to the namespace's filter table, e.g. ['-A', 'OUTPUT', '-p', 'tcp', '--dport', '9', '-j', 'DROP']. */
  iptables(rule: string[]): Promise<void>;
  /** Runs a TypeScript module (given as source) inside the namespace with tsx; resolves with its stdout. */
  runScript(source: string, timeoutMs?: number): Promise<string>;
  destroy(): Promise<void>;
}

let counter = 0;
const live = new Set<string>();
let exitHookInstalled = false;

function run(command: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', cwd: REPO }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolvePromise(stdout);
    });
  });
}

/** Creates a namespace with only `lo` (up); it is removed by destroy() or, failing that, at process exit. */
export async function createNetns(prefix = 'pq'): Promise<Netns> {
  const name = `${prefix}-${process.pid}-${++counter}`;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const ns of live) {
        try {
          execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {
          // Already gone.
        }
      }
    });
  }
  await run('ip', ['netns', 'add', name]);
  live.add(name);
  const scripts = mkdtempSync(join(tmpdir(), 'portquorum-netns-'));
  try {
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    live.delete(name);
    throw error;
  }
  const exec = (command: string, args: string[], timeoutMs?: number) => run('ip', ['netns', 'exec', name, command, ...args], timeoutMs);
  let scriptCount = 0;
  return {
    name,
    exec,
    async iptables(rule) {
      await exec('iptables', rule);
    },
    async runScript(source, timeoutMs = 60_000) {
      // Inside the repository tree so that bare imports resolve from its node_modules.
      const file = join(scripts, `script-${++scriptCount}.mts`);
      writeFileSync(file, source);
      return exec(TSX, [file], timeoutMs);
    },
    async destroy() {
      rmSync(scripts, { recursive: true, force: true });
      if (!live.has(name)) return;
      live.delete(name);
      await run('ip', ['netns', 'del', name]);
    },
  };
}

/** Absolute path of a repository file, for imports in scripts run inside a namespace. */
export function repoPath(relative: string): string {
  return join(REPO, relative);
}
