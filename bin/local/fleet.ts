// The local fleet: DynamoDB Local, one worker process per region running the real probe handler (each in its own
// network namespace with --netns), the real aggregator fed by the table's real stream, the real sweeper each minute,
// and alerts to local sinks. `startLocalFleet` is the module API the CLI, the demo and the end-to-end tests use.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Server } from 'node:net';
import { DEFAULT_TABLE_NAME, type FleetConfig } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { RoundRecord } from '../../functions/shared/domain/record';
import type { Log } from '../../functions/shared/adapters/observability';
import { ENV } from '../../functions/shared/deployment';
import { FanOutPublisher, type AlertSink } from './sinks';
import { applyFault, createNamespace, deleteNamespace, describeFault, dropTargetPackets, namespaceName, removeStaleNamespaces, type RegionFault } from './netns';
import { startSocketProxy, type SocketProxy } from './socket-proxy';
import { TargetSet, type LocalTarget, type TargetState } from './targets';
import { removeState, serveControl, writeState, type ControlRequest, type LocalFleetState } from './control';
import type { DynamoRoute, WorkerInit, WorkerReport, WorkerRequest } from './worker';
import { startBackend, type Backend } from './backend';
import { killDescendantsSync } from './proc';

/** Regions share this machine's loopback, or each runs in its own network namespace (faults possible). */
export type NetnsMode = 'on' | 'off';

export interface LocalFleetOptions {
  /** The resolved declarations (resolveFleet). */
  fleet: FleetConfig;
  /** Targets the fleet serves itself on loopback, replicated in every region's namespace with netns. @default none */
  targets?: LocalTarget[];
  /** The canary listener to serve (its port must match fleet.canary). @default none */
  canary?: LocalTarget;
  netns: NetnsMode;
  /** DynamoDB Local's data directory (kept across runs). @default a temp dir removed on stop */
  dataDir?: string;
  /** @default DEFAULT_TABLE_NAME */
  table?: string;
  sinks: AlertSink[];
  /** Where to record this fleet for `local fault`, `local target` and `status`. @default not recorded */
  statePath?: string;
  /** Recorded in the state file so `status` can point at it. */
  alertsFile?: string;
  /** Everything that happens, for displays and tests. */
  onEvent?: (event: FleetEvent) => void;
  /** How often the sweeper runs. @default 60 (the deployed schedule); fleet alerts come sooner with less */
  sweepEverySeconds?: number;
}

export type FleetEvent =
  | { kind: 'round'; record: RoundRecord }
  | { kind: 'alert'; alert: AlertMessage }
  | { kind: 'invocation'; region: string; time: string; durationMs: number; error?: string }
  | { kind: 'fault'; region: string; fault: RegionFault }
  | { kind: 'target'; name: string; state: TargetState }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; source: string; message: string; detail?: Record<string, unknown> };

export interface LocalFleet {
  readonly config: FleetConfig;
  readonly netns: NetnsMode;
  /** DynamoDB Local's endpoint (http://127.0.0.1:PORT). */
  readonly endpoint: string;
  readonly table: string;
  /** Region → namespace name (empty without netns). */
  readonly namespaces: Readonly<Record<string, string>>;
  readonly faults: Readonly<Record<string, RegionFault>>;
  /** Temp dir with fleet.json, sockets and each region's log (`<region>.log`). */
  readonly runDir: string;
  setTarget(name: string, state: TargetState): Promise<void>;
  fault(region: string, fault: RegionFault): Promise<void>;
  /** Stops everything it started; safe to call twice. */
  stop(): Promise<void>;
  /** Resolves when the fleet has stopped (after stop(), or after a fatal error). */
  readonly stopped: Promise<void>;
}

/** The region worker: its TypeScript source through tsx in a checkout, the built worker.js beside the CLI in the package. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = fileURLToPath(new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url));
const WORKER_LOADER = FROM_SOURCE ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
/** A worker that dies is started again, as Lambda would on the next event; a region that keeps dying stops being restarted. */
const MAX_WORKER_RESTARTS = 5;

interface Worker {
  region: string;
  child: ChildProcess;
  exited: Promise<void>;
}

export async function startLocalFleet(options: LocalFleetOptions): Promise<LocalFleet> {
  const emit = (event: FleetEvent) => options.onEvent?.(event);
  const say = (level: 'info' | 'warn' | 'error', source: string, message: string, detail?: Record<string, unknown>) =>
    emit({ kind: 'log', level, source, message, ...(detail ? { detail } : {}) });
  const fleet = options.fleet;
  const table = options.table ?? DEFAULT_TABLE_NAME;
  const runDir = await mkdtemp(join(tmpdir(), 'portquorum-local-'));
  const cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  const namespaces: Record<string, string> = {};
  const faults: Record<string, RegionFault> = {};
  const workers = new Map<string, Worker>();
  let stopping = false;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));

  // Last resort when the process exits without stop() (a crash, process.exit): no namespace or child may outlive it.
  const onExit = () => {
    killDescendantsSync();
    for (const ns of Object.values(namespaces)) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', onExit);
  let backend: Backend | undefined;

  const stop = async () => {
    if (stopping) return stopped;
    stopping = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        say('error', 'local', `stopping ${cleanup.name} failed: ${(error as Error).message}`);
      }
    }
    process.off('exit', onExit);
    resolveStopped();
    return stopped;
  };
  cleanups.push({ name: 'the run directory', run: () => rm(runDir, { recursive: true, force: true }) });

  try {
    const fleetFile = join(runDir, 'fleet.json');
    await writeFile(fleetFile, `${JSON.stringify(fleet, null, 2)}\n`);

    const log = (source: string): Log => ({
      debug: () => undefined,
      info: (message, extra) => say('info', source, message, extra),
      warn: (message, extra) => say('warn', source, message, extra),
      error: (message, extra) => say('error', source, message, extra),
    });
    const publisher = new FanOutPublisher(options.sinks, (sink, alert, error) =>
      say('error', 'alerts', `alert ${alert.alertId} (${alert.kind}) not delivered to ${sink.name}: ${error.message}; the sweeper retries it`),
    );
    const publishing = { publish: async (alert: AlertMessage) => {
      await publisher.publish(alert);
      emit({ kind: 'alert', alert });
    } };

    backend = await startBackend({
      fleet, table, ...(options.dataDir ? { dataDir: options.dataDir } : {}), publisher: publishing, log,
      onRound: (record) => emit({ kind: 'round', record }),
      ...(options.sweepEverySeconds ? { sweepEverySeconds: options.sweepEverySeconds } : {}),
    });
    const b = backend;
    cleanups.push({ name: 'DynamoDB Local', run: () => b.stop() });

    // Served targets: once on this machine's loopback, or once per namespace (by the workers) with netns.
    let route: DynamoRoute = { kind: 'tcp', endpoint: backend.endpoint };
    let served: TargetSet | undefined;
    const toServe = [...(options.targets ?? []), ...(options.canary ? [options.canary] : [])];
    if (options.netns === 'on') {
      const removed = await removeStaleNamespaces();
      if (removed.length > 0) say('info', 'local', `removed namespaces left by fleets that are gone: ${removed.join(', ')}`);
      const proxy: SocketProxy = await startSocketProxy(join(runDir, 'dynamodb.sock'), { host: new URL(backend.endpoint).hostname, port: Number(new URL(backend.endpoint).port) });
      cleanups.push({ name: 'the DynamoDB socket relay', run: () => proxy.close() });
      route = { kind: 'unix', path: proxy.path };
      for (const region of fleet.regions) {
        const ns = namespaceName(region);
        await createNamespace(ns);
        namespaces[region] = ns;
        cleanups.push({ name: `namespace ${ns}`, run: async () => {
          await deleteNamespace(ns);
          delete namespaces[region];
        } });
      }
    } else if (toServe.length > 0) {
      served = new TargetSet(toServe);
      await served.start();
      const s = served;
      cleanups.push({ name: 'the local targets', run: () => s.stop() });
    }

    // Workers: one per region, restarted (bounded) if one dies.
    let nextAck = 1;
    const acks = new Map<number, (error?: string) => void>();
    const restarts: Record<string, number> = {};
    const spawnWorker = (region: string): Promise<void> => {
      const args = [...WORKER_LOADER, WORKER];
      // The SDK's notice that Node 20 support ends would otherwise print once per worker into the screen.
      const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env, [ENV.localWorker]: region };
      const child = namespaces[region]
        ? spawn('ip', ['netns', 'exec', namespaces[region]!, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env })
        : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
      const logFile = join(runDir, `${region}.log`);
      const logStream = createWriteStream(logFile, { flags: 'a' });
      child.stdout!.pipe(logStream);
      child.stderr!.pipe(logStream);
      // The handler's own log lines (JSON) reach the screen over IPC; anything else on stderr is a crash or a bug.
      child.stderr!.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() !== '' && !line.startsWith('{')) say('warn', region, line.slice(0, 300));
        }
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      workers.set(region, { region, child, exited });
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`region ${region}: the worker did not start within 60 s (see ${logFile})`)), 60_000);
        child.on('message', (message: WorkerReport) => {
          if (message.type === 'ready') {
            clearTimeout(timer);
            resolve();
          } else if (message.type === 'ack') {
            acks.get(message.id)?.(message.error);
            acks.delete(message.id);
          } else if (message.type === 'invocation') {
            emit({ kind: 'invocation', region: message.region, time: message.time, durationMs: message.durationMs, ...(message.error ? { error: message.error } : {}) });
            if (message.error) say('error', region, `probe invocation for ${message.time} failed: ${message.error}`);
          } else if (message.type === 'log') {
            say(message.level, region, message.message, message.detail);
          } else if (message.type === 'fatal') {
            clearTimeout(timer);
            reject(new Error(`region ${region}: the worker failed: ${message.error} (see ${logFile})`));
          }
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          logStream.end();
          reject(new Error(`region ${region}: the worker exited (${signal ?? `code ${code}`}) before it was ready (see ${logFile})`));
          if (stopping) return;
          restarts[region] = (restarts[region] ?? 0) + 1;
          if (restarts[region]! > MAX_WORKER_RESTARTS) {
            say('error', region, `the worker died ${restarts[region]} times; region ${region} is no longer probing (see ${logFile}); it will go silent and the fleet alert says so`);
            return;
          }
          say('error', region, `the worker exited (${signal ?? `code ${code}`}); starting it again in 5 s (see ${logFile})`);
          setTimeout(() => {
            if (!stopping) spawnWorker(region).then(() => send(region, init(region)), (error: Error) => say('error', region, error.message));
          }, 5000).unref();
        });
        child.send(init(region));
      });
    };
    const init = (region: string): WorkerInit => ({
      type: 'init', region, fleetFile, table, tableRegion: fleet.homeRegion, dynamo: route,
      targets: namespaces[region] ? toServe : [],
    });
    const send = (region: string, message: WorkerRequest) => {
      const worker = workers.get(region);
      if (worker?.child.connected) worker.child.send(message);
    };
    cleanups.push({ name: 'the region workers', run: async () => {
      for (const w of workers.values()) if (w.child.connected) w.child.send({ type: 'stop' } satisfies WorkerRequest);
      const all = Promise.all([...workers.values()].map((w) => w.exited));
      const timer = setTimeout(() => {
        for (const w of workers.values()) w.child.kill('SIGKILL');
      }, 5000);
      await all;
      clearTimeout(timer);
    } });
    await Promise.all(fleet.regions.map((region) => spawnWorker(region)));

    const sweeper = backend.startSweeper();
    cleanups.push({ name: 'the sweeper schedule', run: async () => sweeper.stop() });
    const poller = backend.startStream();
    cleanups.push({ name: 'the stream poller', run: () => poller.stop() });

    // Every region's copy changes at the same instant, as one real service would.
    const setServedEverywhere = (name: string, state: TargetState) => Promise.all(fleet.regions.map((region) => new Promise<void>((resolve, reject) => {
      const id = nextAck++;
      const timer = setTimeout(() => reject(new Error(`region ${region} did not confirm target '${name}' ${state} within 10 s`)), 10_000);
      acks.set(id, (error) => {
        clearTimeout(timer);
        if (error) reject(new Error(`region ${region}: ${error}`));
        else resolve();
      });
      const worker = workers.get(region);
      if (!worker?.child.connected) {
        clearTimeout(timer);
        reject(new Error(`region ${region}: the worker is not running`));
        return;
      }
      worker.child.send({ type: 'target', id, name, state } satisfies WorkerRequest);
    })));
    const dropEverywhere = (target: LocalTarget, on: boolean) => Promise.all(fleet.regions.map((region) =>
      dropTargetPackets(namespaces[region]!, { host: target.host ?? '127.0.0.1', port: target.port }, on)));
    const namespacedStates = new Map<string, TargetState>();

    const setTarget = async (name: string, state: TargetState) => {
      if (served) await served.set(name, state);
      else if (options.netns === 'on') {
        const target = toServe.find((t) => t.name === name);
        if (!target) throw new Error(`no local target named '${name}' (targets: ${toServe.map((t) => t.name).join(', ') || 'none'})`);
        // Blackholed = the service keeps running and iptables in every region's namespace drops its packets. The drop
        // goes in before the listener changes and comes out after, so no probe slips through mid-switch.
        const dropping = state === 'blackhole';
        const wasDropping = namespacedStates.get(name) === 'blackhole';
        if (dropping && !wasDropping) await dropEverywhere(target, true);
        await setServedEverywhere(name, dropping ? 'up' : state);
        if (wasDropping && !dropping) await dropEverywhere(target, false);
        namespacedStates.set(name, state);
      } else throw new Error(`no local target named '${name}' (this fleet serves none)`);
      emit({ kind: 'target', name, state });
    };

    const fault = async (region: string, f: RegionFault) => {
      if (options.netns !== 'on') {
        throw new Error(`region faults need --netns (regions then run in their own network namespaces; that needs root on Linux)`);
      }
      const ns = namespaces[region];
      if (!ns) throw new Error(`no region '${region}' in this fleet (regions: ${fleet.regions.join(', ')})`);
      await applyFault(ns, f);
      if (f.kind === 'clear') delete faults[region];
      else faults[region] = f;
      emit({ kind: 'fault', region, fault: f });
      say('info', 'local', `region ${region}: ${describeFault(f)}`);
    };

    if (options.statePath) {
      const statePath = options.statePath;
      const controlSocket = join(runDir, 'control.sock');
      const control: Server = await serveControl(controlSocket, async (request: ControlRequest) => {
        if (request.op === 'fault') {
          await fault(request.region, request.fault);
          return `region ${request.region}: ${describeFault(request.fault)}`;
        }
        await setTarget(request.name, request.state);
        return `target '${request.name}' is ${request.state === 'blackhole' ? 'blackholed' : request.state}`;
      });
      cleanups.push({ name: 'the control socket', run: () => new Promise<void>((resolve) => control.close(() => resolve())) });
      const state: LocalFleetState = {
        schemaVersion: 1, pid: process.pid, startedAt: new Date().toISOString(), endpoint: backend.endpoint, table,
        tableRegion: fleet.homeRegion, regions: fleet.regions, namespaces: { ...namespaces }, targets: toServe.map((t) => t.name),
        controlSocket, fleetFile, ...(options.alertsFile ? { alertsFile: options.alertsFile } : {}),
      };
      await writeState(statePath, state);
      cleanups.push({ name: 'the state file', run: () => removeState(statePath) });
    }

    return {
      config: fleet, netns: options.netns, endpoint: backend.endpoint, table, namespaces, faults, runDir,
      setTarget, fault, stop, stopped,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
