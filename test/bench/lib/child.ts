// A measured child process: its output collected, killed at a deadline or when the bench exits, nothing left running.
import { spawn } from 'node:child_process';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 4,000 characters. */
  stderr: string;
  timedOut: boolean;
  /** Wall time from spawn to exit. */
  ms: number;
}

/**
 * `onSpawn` is called with the child's pid right after the spawn, while Node is still starting in it (the scale section
 * puts it into a CPU cgroup there, before it has run any of the measured work); a throw from it kills the child and is rethrown.
 */
export async function runChild(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; onSpawn?: (pid: number) => void }): Promise<ChildRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const kill = (): void => void child.kill('SIGKILL');
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  if (options.onSpawn && child.pid !== undefined) {
    try {
      options.onSpawn(child.pid);
    } catch (error) {
      kill();
      await exited;
      throw error;
    }
  }
  process.once('exit', kill);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);
  const [code, signal] = await exited;
  const ms = performance.now() - t0;
  clearTimeout(timer);
  process.off('exit', kill);
  return { code, signal, stdout, stderr, timedOut, ms };
}
