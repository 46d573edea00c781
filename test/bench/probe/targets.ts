// Starts the loopback targets (open, refused, silent: targets.py in its own process).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const TARGET_KINDS = ['open', 'refused', 'silent'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** The verdict every prober should reach for each kind of target. */
export const EXPECTED: Record<TargetKind, 'up' | 'down'> = { open: 'up', refused: 'down', silent: 'down' };

export interface Targets {
  ports: Record<TargetKind, number[]>;
  /** Ends the targets process (its CPU is nobody's cost, so it is not measured). */
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./targets.py', import.meta.url));

export async function startTargets(counts: Record<TargetKind, number>): Promise<Targets> {
  const child: ChildProcess = spawn('/usr/bin/python3', ['-u', SCRIPT, String(counts.open), String(counts.refused), String(counts.silent)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.stdin?.end(); // the script exits when stdin closes
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  process.once('exit', () => child.kill('SIGKILL'));

  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then(() => undefined),
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref()),
  ]);
  if (typeof first !== 'string' || first === 'timeout') {
    await stop();
    throw new Error(`the benchmark's target process (${SCRIPT}) did not start: ${first === 'timeout' ? 'no answer in 30 s' : 'it exited'}\n${stderr}`);
  }
  const ports = JSON.parse(first) as Record<TargetKind, number[]>;
  return { ports, stop };
}
