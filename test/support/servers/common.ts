// Shared machinery for real-server harnesses: free loopback ports, process groups, bounded readiness, cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants as fsConstants, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real server the test started: where it listens and how to stop it. */
export interface RunningServer {
  /** What was started, for messages (e.g. `postgres (ssl)`). */
  name: string;
  host: string;
  port: number;
  /** The process the harness spawned (the group leader), e.g. to read its CPU time from /proc. */
  pid: number;
  /** Temp dirs holding its config, data and logs; stop() removes them. */
  tempDirs: readonly string[];
  /** Kills the server's process group and removes its temp dir; safe to call twice. */
  stop(): Promise<void>;
}

/** How a harness knows the server is ready: a TCP connect succeeds, or a line appears on stdout/stderr. */
type Readiness =
  | { kind: 'tcp' }
  | { kind: 'log'; pattern: RegExp };

export interface ServerProcessSpec {
  name: string;
  /** Absolute path of the binary; checked before spawning so a missing package is named. */
  command: string;
  args: string[];
  /** The Debian package that provides `command` (named when it is missing). */
  debianPackage: string;
  port: number;
  readiness: Readiness;
  /** Run as this uid/gid (e.g. postgres refuses to run as root). */
  uid?: number;
  gid?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Temp dirs removed when the server stops. */
  tempDirs?: string[];
  /** Bound on the wait for readiness. @default 30000 (generous: a loaded 2-core machine) */
  readyTimeoutMs?: number;
}

const LOOPBACK = '127.0.0.1';

/** Everything started and not yet stopped in this process; drained by stopAllServers and the exit hooks. */
const live = new Set<() => void>();
let hooksInstalled = false;

/** Kill what is still running synchronously: the last resort when the process exits without afterAll. */
function killAllSync(): void {
  for (const kill of [...live]) kill();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killAllSync);
  // On a signal, clean up and then let the signal do what it would have done without us.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Fails with the Debian package to install when a server binary is missing (never a silent skip). */
export function requireBinary(path: string, debianPackage: string): void {
  try {
    accessSync(path, fsConstants.X_OK);
  } catch {
    throw new Error(
      `${path} is missing or not executable: install the Debian package '${debianPackage}' ` +
        `(apt-get install ${debianPackage}; .ci/run installs every package listed in .ci/apt-packages.txt)`,
    );
  }
}

/** A loopback port that was free a moment ago (the kernel picks it; a race with another binder is retried by startServer). */
export async function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port the kernel chose'));
      });
    });
  });
}

/** A private temp dir (0700 unless owner given, then chowned so a non-root server can write it). */
export function makeTempDir(prefix: string, owner?: { uid: number; gid: number }, mode = 0o700): string {
  const dir = mkdtempSync(join(tmpdir(), `portquorum-${prefix}-`));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, mode);
  return dir;
}

/** Resolves when a TCP connect to host:port succeeds once. */
function tryConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

/** Keeps the last few KB of a stream, so a failure can show what the server said. */
class OutputTail {
  private text = '';
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    return this.text.trim();
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function removeDirs(dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * Spawns a server in its own process group, waits (bounded) until it is ready and returns it.
 * On failure the error names the server, the port and the tail of its output.
 */
export async function startProcess(spec: ServerProcessSpec): Promise<RunningServer> {
  const tempDirs = spec.tempDirs ?? [];
  try {
    requireBinary(spec.command, spec.debianPackage);
  } catch (error) {
    removeDirs(tempDirs);
    throw error;
  }
  installExitHooks();
  const output = new OutputTail();
  const child = spawn(spec.command, spec.args, {
    detached: true, // own process group, so stop() reaches workers (nginx, postgres backends, dovecot children)
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: spec.uid,
    gid: spec.gid,
    cwd: spec.cwd,
    env: spec.env ?? process.env,
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      output.push(`spawn error: ${error.message}\n`);
      exited ??= { code: null, signal: null };
      resolve();
    });
  });

  let logMatched = false;
  const onOutput = (chunk: Buffer): void => {
    output.push(chunk);
    if (spec.readiness.kind === 'log' && spec.readiness.pattern.test(output.toString())) logMatched = true;
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);

  let stopped = false;
  const killSync = (): void => {
    if (stopped) return;
    stopped = true;
    live.delete(killSync);
    killGroup(child, 'SIGKILL');
    removeDirs(tempDirs);
  };
  live.add(killSync);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    live.delete(killSync);
    if (!exited) {
      killGroup(child, 'SIGTERM');
      // Bounded graceful stop, then SIGKILL: a server that ignores SIGTERM never outlives the test.
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(timer);
    }
    // Workers of the group may outlive the leader for a moment; make sure they are gone.
    killGroup(child, 'SIGKILL');
    child.stdout?.destroy();
    child.stderr?.destroy();
    removeDirs(tempDirs);
  };

  const timeoutMs = spec.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const describe = (why: string): Error =>
    new Error(
      `${spec.name} on ${LOOPBACK}:${spec.port} ${why}.\n` +
        `command: ${spec.command} ${spec.args.join(' ')}\n` +
        `output:\n${output.toString() || '(nothing)'}`,
    );
  try {
    // Poll: readiness is an observable event, but neither a log line nor a listening socket can be
    // awaited directly across processes; polling at 50 ms is bounded by the deadline.
    for (;;) {
      if (exited) throw describe(`exited before it was ready (code ${exited.code}, signal ${exited.signal})`);
      const ready =
        spec.readiness.kind === 'log'
          ? logMatched
          : await tryConnect(LOOPBACK, spec.port, Math.max(100, Math.min(1000, deadline - Date.now())));
      if (ready && !exited) break;
      if (Date.now() > deadline) throw describe(`was not ready within ${timeoutMs} ms`);
      await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 50))]);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout?.removeListener('data', onOutput);
  child.stderr?.removeListener('data', onOutput);
  // Keep draining the pipes so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return { name: spec.name, host: LOOPBACK, port: spec.port, pid: child.pid!, tempDirs, stop };
}

/**
 * Starts a server on a fresh free port, retrying (up to 3 times) when the port was taken between
 * choosing it and binding it; `build` receives the port and returns the process spec.
 */
export async function startServer(build: (port: number) => Promise<ServerProcessSpec> | ServerProcessSpec): Promise<RunningServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const spec = await build(port);
    try {
      return await startProcess(spec);
    } catch (error) {
      lastError = error;
      if (!/in use|EADDRINUSE|Address already/i.test(String(error))) throw error;
    }
  }
  throw lastError;
}
