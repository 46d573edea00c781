// The region workers: one child process per region (inside its namespace with --netns) running the real probe
// handler, steered over IPC, started again when one dies (as Lambda would on the next event), up to a bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ENV } from '../../functions/shared/deployment';
import type { FleetEvent, Say } from './events';
import type { Part } from './supervisor';
import type { TargetState } from './targets';
import type { WorkerInit, WorkerReport, WorkerRequest } from './worker';
import type { AlertMessage } from '../../functions/shared/domain/alert';

/** The region worker: its TypeScript source through tsx in a checkout, the built worker.js beside the CLI in the package. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = fileURLToPath(new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url));
const WORKER_LOADER = FROM_SOURCE ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
/** A region that keeps dying stops being restarted: it goes silent, and the fleet alert says so. */
const MAX_RESTARTS = 5;
const RESTART_AFTER_MS = 5000;
const READY_WITHIN_MS = 60_000;
const ACK_WITHIN_MS = 10_000;

export interface WorkerPoolOptions {
  regions: readonly string[];
  /** What a region's worker is told when it starts (again after a restart). */
  init(region: string): WorkerInit;
  /** The region's network namespace, if regions run in namespaces. */
  namespaceOf(region: string): string | undefined;
  /** Where the region's worker output goes. */
  logFile(region: string): string;
  emit(event: FleetEvent): void;
  say: Say;
  /** True once the fleet is stopping: a worker that exits then is not started again. */
  stopping(): boolean;
  /** Each worker process as it starts (again), so the state file can record it. */
  spawned?(region: string, pid: number | undefined): void;
  /** A watchdog alert a region raised (HOME_DOWN, HOME_RECOVERED): the fleet delivers it as the fallback topic would. */
  onAlert?(alert: AlertMessage): void;
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

export class WorkerPool implements Part {
  readonly name = 'the region workers';
  private readonly running = new Map<string, Running>();
  private readonly restarts = new Map<string, number>();
  private readonly acks = new Map<number, (error?: string) => void>();
  private nextAck = 1;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Starts every region's worker; resolves once all are ready. */
  async start(): Promise<void> {
    await Promise.all(this.options.regions.map((region) => this.startWorker(region)));
  }

  /** Switches a target every worker serves, in all regions at once (or only these); resolves when each confirmed. */
  setTarget(name: string, state: TargetState, regions: readonly string[] = this.options.regions): Promise<void> {
    return Promise.all(regions.map((region) => this.request(region, (id) => ({ type: 'target', id, name, state }), `target '${name}' ${state}`)))
      .then(() => undefined);
  }

  /** Asks every worker to stop; those still running at the deadline are killed. */
  async stop(deadline: number): Promise<void> {
    const workers = [...this.running.values()];
    for (const w of workers) if (w.child.connected) w.child.send({ type: 'stop' } satisfies WorkerRequest);
    const timer = setTimeout(() => this.abandon(), Math.max(0, deadline - Date.now()));
    await Promise.all(workers.map((w) => w.exited));
    clearTimeout(timer);
  }

  abandon(): void {
    for (const w of this.running.values()) w.child.kill('SIGKILL');
  }

  private startWorker(region: string): Promise<void> {
    const logFile = this.options.logFile(region);
    const child = this.launch(region, logFile);
    this.options.spawned?.(region, child.pid);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.running.set(region, { child, exited });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`region ${region}: the worker did not start within ${READY_WITHIN_MS / 1000} s (see ${logFile})`)), READY_WITHIN_MS);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      child.on('message', (message: WorkerReport) => {
        if (message.type === 'ready') settle();
        else if (message.type === 'fatal') settle(new Error(`region ${region}: the worker failed: ${message.error} (see ${logFile})`));
        else this.onReport(region, message);
      });
      child.once('exit', (code, signal) => {
        settle(new Error(`region ${region}: the worker exited (${signal ?? `code ${code}`}) before it was ready (see ${logFile})`));
        this.onExit(region, signal ?? `code ${code}`, logFile);
      });
    });
    child.send(this.options.init(region));
    return ready;
  }

  /** Spawns the worker process (inside the region's namespace when there is one); its output goes to the log file. */
  private launch(region: string, logFile: string): ChildProcess {
    const args = [...WORKER_LOADER, WORKER];
    // The SDK's notice that Node 20 support ends would otherwise print once per worker into the screen.
    const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env, [ENV.localWorker]: region };
    const ns = this.options.namespaceOf(region);
    const stdio: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
    // Its own session (detached): a Ctrl-C at the terminal reaches only the fleet, which stops the workers first. It
    // dies with the fleet all the same: it exits when the IPC channel closes (see worker.ts), however the fleet died.
    const child = ns
      ? spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { stdio, env, detached: true })
      : spawn(process.execPath, args, { stdio, env, detached: true });
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    child.once('exit', () => log.end());
    // The handler's own log lines (JSON) reach the screen over IPC; anything else on stderr is a crash or a bug.
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '' && !line.startsWith('{')) this.options.say('warn', region, line.slice(0, 300));
      }
    });
    return child;
  }

  private onReport(region: string, message: Exclude<WorkerReport, { type: 'ready' | 'fatal' }>): void {
    if (message.type === 'ack') {
      this.acks.get(message.id)?.(message.error);
      this.acks.delete(message.id);
    } else if (message.type === 'alert') {
      this.options.onAlert?.(message.alert);
    } else if (message.type === 'invocation') {
      this.options.emit({ kind: 'invocation', region: message.region, time: message.time, durationMs: message.durationMs, ...(message.error ? { error: message.error } : {}) });
      if (message.error) this.options.say('error', region, `probe invocation for ${message.time} failed: ${message.error}`);
    } else {
      this.options.say(message.level, region, message.message, message.detail);
    }
  }

  /** A worker that died is started again after a pause, unless the fleet is stopping or the region keeps dying. */
  private onExit(region: string, how: string, logFile: string): void {
    if (this.options.stopping()) return;
    const restarts = (this.restarts.get(region) ?? 0) + 1;
    this.restarts.set(region, restarts);
    if (restarts > MAX_RESTARTS) {
      this.options.say('error', region, `the worker died ${restarts} times; region ${region} is no longer probing (see ${logFile}); it will go silent and the fleet alert says so`);
      return;
    }
    this.options.say('error', region, `the worker exited (${how}); starting it again in ${RESTART_AFTER_MS / 1000} s (see ${logFile})`);
    setTimeout(() => {
      if (!this.options.stopping()) this.startWorker(region).catch((error: Error) => this.options.say('error', region, error.message));
    }, RESTART_AFTER_MS).unref();
  }

  /** Sends a request that the worker acknowledges, and waits (bounded) for the acknowledgement. */
  private request(region: string, message: (id: number) => WorkerRequest, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const worker = this.running.get(region);
      if (!worker?.child.connected) return reject(new Error(`region ${region}: the worker is not running`));
      const id = this.nextAck++;
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`region ${region} did not confirm ${what} within ${ACK_WITHIN_MS / 1000} s`));
      }, ACK_WITHIN_MS);
      this.acks.set(id, (error) => {
        clearTimeout(timer);
        if (error) reject(new Error(`region ${region}: ${error}`));
        else resolve();
      });
      worker.child.send(message(id));
    });
  }
}
