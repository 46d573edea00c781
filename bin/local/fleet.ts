// The local fleet: DynamoDB Local, one worker process per region running the real probe handler (each in its own
// network namespace with --netns), the real aggregator fed by the table's real stream, the real sweeper each minute,
// and alerts to local sinks. `startLocalFleet` is the module API the CLI, the demo, the end-to-end tests and the
// benchmarks use; it composes the parts (one module each) and stops them in reverse order of start.
import { mkdir, stat } from 'node:fs/promises';
import { DEFAULT_TABLE_NAME, type FleetConfig } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { AlertPublisher } from '../../functions/shared/adapters/publisher';
import { startAggregator } from './aggregator';
import { startBackend, type Backend } from './backend';
import { startControl } from './control';
import { sayThrough, type FleetEvent, type Say } from './events';
import { sharedNetwork, startNamespaces, type RegionNetworks } from './namespaces';
import { describeFault, type RegionFault } from './netns';
import { createRunDir, removeStaleRunDirs, type RunDir } from './run-dir';
import { serveInNamespaces, serveOnLoopback, type ServedTargets } from './served-targets';
import { FanOutPublisher, type AlertSink } from './sinks';
import { startSocketProxy } from './socket-proxy';
import { FleetStateFile, noSteering, type Steering } from './state-file';
import { Supervisor } from './supervisor';
import { historyOf } from '../../functions/shared/evaluation/status-page';
import { serveStatusPage } from './status-page-server';
import { startSweeper } from './sweeper';
import type { LocalTarget, TargetState } from './targets';
import type { DynamoRoute } from './worker';
import { WorkerPool } from './workers';
import type { Part } from './supervisor';
import { defaultWatchdogQuorum, WATCHDOG_DEFAULTS } from '../../functions/shared/domain/watchdog';

export type { FleetEvent } from './events';

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
  /** DynamoDB Local's data directory (kept across runs; created if missing). @default in memory */
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
  /** The regions' watchdog on the home pipeline's heartbeat: stale after this many minutes. @default 5 */
  watchdogStaleAfterMinutes?: number;
  /** Re-apply the target switches and region faults the state file kept from the last run (false: clear them, said). @default true */
  restoreSteering?: boolean;
  /** Loopback port of the status page. @default a free one */
  statusPagePort?: number;
  /** Aborting it gives up a start in progress (what started is stopped). */
  signal?: AbortSignal;
}

export interface LocalFleet {
  readonly config: FleetConfig;
  readonly netns: NetnsMode;
  /** DynamoDB Local's endpoint (http://127.0.0.1:PORT). */
  readonly endpoint: string;
  readonly table: string;
  /** The status page on loopback (http://127.0.0.1:PORT/; its data at status.json). */
  readonly statusPageUrl: string;
  /** Region → namespace name (empty without netns). */
  readonly namespaces: Readonly<Record<string, string>>;
  readonly faults: Readonly<Record<string, RegionFault>>;
  /** Temp dir with fleet.json, sockets and each region's log (`<region>.log`). */
  readonly runDir: string;
  setTarget(name: string, state: TargetState): Promise<void>;
  /** Switches a served target in one region's namespace only (needs netns): what one region alone sees. */
  setTargetIn(region: string, name: string, state: 'up' | 'down'): Promise<void>;
  fault(region: string, fault: RegionFault): Promise<void>;
  /** `down`: every alert delivery fails (as SNS in an outage) until `up`; alerts stay pending meanwhile. */
  alertSinks(state: 'down' | 'up'): Promise<void>;
  /** Delivers one alert (a notify-test's) to every sink now; throws when a sink fails. Returns where it went. */
  notify(alert: AlertMessage): Promise<string>;
  /** Stops everything it started; safe to call twice. */
  stop(): Promise<void>;
  /** Resolves when the fleet has stopped (after stop(), or after a fatal error). */
  readonly stopped: Promise<void>;
}

export async function startLocalFleet(options: LocalFleetOptions): Promise<LocalFleet> {
  const emit = (event: FleetEvent) => options.onEvent?.(event);
  const say = sayThrough(emit);
  const supervisor = new Supervisor({
    onStopped: ({ name, ms, note, error }) => {
      if (error) say('error', 'local', `stopping ${name} failed after ${ms} ms: ${error.message}`);
      else say('info', 'local', `stopped ${name} (${ms} ms)${note ? `: ${note}` : ''}`);
    },
  });
  const stop = async () => {
    await supervisor.stop();
  };
  try {
    const fleet = await startParts(options, supervisor, emit, say);
    return { ...fleet, stop, stopped: supervisor.stopped };
  } catch (error) {
    await stop();
    throw error;
  }
}

type Started = Omit<LocalFleet, 'stop' | 'stopped'>;

/**
 * Starts each part in dependency order, handing each to the supervisor as soon as it runs. The supervisor stops them
 * in reverse: the control socket, the region workers (nothing new is written), the stream poller with the aggregator,
 * the sweeper, the status page server, the served targets, the network, DynamoDB Local, the run directory, and last the state file.
 */
async function startParts(options: LocalFleetOptions, supervisor: Supervisor, emit: (event: FleetEvent) => void, say: Say): Promise<Started> {
  const { fleet } = options;
  const started = (): void => options.signal?.throwIfAborted();
  const state = options.statePath ? supervisor.add(await openStateFile(options.statePath, say)) : undefined;
  const steering = restoredSteering(state, options.restoreSteering ?? true, say);
  const staleDirs = await removeStaleRunDirs();
  if (staleDirs.length > 0) say('info', 'local', `removed run directories of fleets that are gone: ${staleDirs.join(', ')}`);
  const runDir = supervisor.add(await createRunDir(fleet));
  await state?.setRunDir(runDir.path);
  const publisher = alertPublisher(options.sinks, emit, say);
  if (options.dataDir) await ensureDataDir(options.dataDir, say);
  started();
  const backend = supervisor.add(await startBackend({
    table: options.table ?? DEFAULT_TABLE_NAME, homeRegion: fleet.homeRegion, warn: (message) => say('warn', 'store', message),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.signal ? { signal: options.signal } : {}),
  }));
  await state?.addProcess('DynamoDB Local', backend.pid);
  started();
  const toServe = [...(options.targets ?? []), ...(options.canary ? [options.canary] : [])];
  const { network, route } = await startNetwork(options.netns, fleet.regions, backend, runDir, supervisor, say);
  // What the last run left switched is in place before the first probe, so no round sees a kept outage healed.
  await restoreFaults(network, options.netns, fleet.regions, steering, say);
  const targetStates = restorableTargets(toServe, steering, say);
  const loopbackTargets = options.netns === 'on' ? undefined : supervisor.add(await serveOnLoopback(toServe, targetStates));
  for (const [name, s] of Object.entries(targetStates)) if (s === 'blackhole' && options.netns === 'on') await network.dropTarget(toServe.find((t) => t.name === name)!, true);
  const page = supervisor.add(await serveStatusPage({
    fleet, store: backend.store, history: historyOf(backend.store, fleet), ...(options.statusPagePort !== undefined ? { port: options.statusPagePort } : {}),
    onError: (error) => say('error', 'local', `status page: ${error.message}`),
  }));
  // The home pipeline, which `local fault home down` stops (and `up` starts again) to show the watchdog.
  const sweeper = supervisor.add(switchable(() => startSweeper({ fleet, store: backend.store, publisher, say, ...(options.sweepEverySeconds ? { everySeconds: options.sweepEverySeconds } : {}) })));
  const aggregator = supervisor.add(switchable(() => startAggregator({ fleet, endpoint: backend.endpoint, streamArn: backend.streamArn, store: backend.store, publisher, say, onRound: (record) => emit({ kind: 'round', record }) })));
  started();
  const listenerStates = Object.fromEntries(Object.entries(targetStates).map(([name, s]) => [name, s === 'blackhole' ? 'up' : s]));
  const workers = supervisor.add(new WorkerPool({
    regions: fleet.regions,
    init: (region) => ({
      type: 'init', region, fleetFile: runDir.fleetFile, table: backend.table, tableRegion: fleet.homeRegion, dynamo: route,
      targets: network.namespaces[region] ? toServe : [], ...(network.namespaces[region] ? { targetStates: listenerStates } : {}),
      watchdog: { table: backend.watchdogTable, staleAfterMinutes: options.watchdogStaleAfterMinutes ?? WATCHDOG_DEFAULTS.staleAfterMinutes, quorum: defaultWatchdogQuorum(fleet.regions.length) },
    }),
    onAlert: (alert) => {
      publisher.publish(alert).catch((error: Error) => say('error', 'alerts', `watchdog alert ${alert.alertId} (${alert.kind}) not delivered: ${error.message}`));
    },
    namespaceOf: (region) => network.namespaces[region],
    logFile: (region) => runDir.logFile(region),
    emit, say,
    stopping: () => supervisor.isStopping,
    spawned: (region, pid) => void state?.addProcess(`worker ${region}`, pid).catch((error: Error) => say('warn', 'local', `could not record worker ${region} in the state file: ${error.message}`)),
  }));
  await workers.start();
  started();
  const served: ServedTargets = loopbackTargets ?? serveInNamespaces(toServe, { setTarget: (n, s) => workers.setTarget(n, s), dropTarget: (t, on) => network.dropTarget(t, on) }, targetStates);

  const steer = {
    async setTarget(name: string, targetState: TargetState) {
      await served.set(name, targetState);
      await state?.setTarget(name, targetState);
      emit({ kind: 'target', name, state: targetState });
    },
    async setTargetIn(region: string, name: string, state: 'up' | 'down') {
      if (loopbackTargets || !network.namespaces[region]) throw new Error(`switching target '${name}' in region '${region}' alone needs --netns (regions share this machine's loopback)`);
      await workers.setTarget(name, state, [region]);
      say('info', 'local', `target '${name}' is now ${state} in ${region} only`);
    },
    async fault(region: string, fault: RegionFault) {
      await network.fault(region, fault);
      await state?.setFault(region, fault);
      emit({ kind: 'fault', region, fault });
      say('info', 'local', `region ${region}: ${describeFault(fault)}`);
    },
    async notify(alert: AlertMessage) {
      await publisher.publish(alert);
      say('info', 'alerts', `test alert ${alert.alertId} (${alert.test?.kind ?? alert.kind}) delivered`);
      return `delivered to ${publisher.sinks.sinks.map((s) => s.name).join(', ')}`;
    },
    async homePipeline(pipelineState: 'down' | 'up') {
      if (pipelineState === 'down') await Promise.all([sweeper.pause(), aggregator.pause()]);
      else {
        sweeper.resume();
        aggregator.resume();
      }
      say(pipelineState === 'down' ? 'warn' : 'info', 'local', pipelineState === 'down'
        ? 'home pipeline stopped (aggregator and sweeper): no verdicts, no heartbeat, until portquorum local fault home up'
        : 'home pipeline running again (aggregator and sweeper)');
    },
    async alertSinks(state: 'down' | 'up') {
      publisher.sinks.failing = state === 'down' ? 'alert sinks down (portquorum local fault sns down)' : undefined;
      say(state === 'down' ? 'warn' : 'info', 'alerts', state === 'down'
        ? 'alert sinks failing every delivery until portquorum local fault sns up; alerts stay pending'
        : 'alert sinks delivering again; the sweeper sends what is pending, in order');
    },
  };
  if (state) {
    const controlSocket = runDir.socket('control');
    supervisor.add(await startControl(controlSocket, steer));
    await state.ready({
      endpoint: backend.endpoint, table: backend.table, tableRegion: fleet.homeRegion, regions: fleet.regions, namespaces: { ...network.namespaces },
      targets: toServe.map((t) => t.name), controlSocket, fleetFile: runDir.fleetFile, statusPageUrl: page.url, ...(options.alertsFile ? { alertsFile: options.alertsFile } : {}),
    });
  }
  return {
    config: fleet, netns: options.netns, endpoint: backend.endpoint, table: backend.table, statusPageUrl: page.url, namespaces: network.namespaces, faults: network.faults,
    runDir: runDir.path, ...steer,
  };
}

/** A part that can be stopped and started again while the fleet runs (the home pipeline's aggregator and sweeper). */
function switchable(start: () => Part): Part & { pause(): Promise<void>; resume(): void } {
  let part: Part | undefined = start();
  const name = part.name;
  return {
    name,
    async stop(deadline) {
      const running = part;
      part = undefined;
      return running?.stop(deadline);
    },
    async pause() {
      const running = part;
      part = undefined;
      await running?.stop(Date.now() + 15_000);
    },
    resume() {
      part ??= start();
    },
  };
}

/** Opens the state file, saying what it reaped of a killed earlier run. */
async function openStateFile(path: string, say: Say): Promise<FleetStateFile> {
  const { file, inherited } = await FleetStateFile.open(path);
  if (inherited.reaped.length > 0) say('info', 'local', `stopped what a killed earlier run left running: ${inherited.reaped.map((p) => `${p.role} (pid ${p.pid})`).join(', ')}`);
  if (inherited.runDir) say('info', 'local', `removed the killed earlier run's directory ${inherited.runDir}`);
  return file;
}

/** The steering to restore: the state file's, or none (said, when there was some) when the run starts clean. */
function restoredSteering(state: FleetStateFile | undefined, restore: boolean, say: Say): Steering {
  if (!state) return noSteering();
  const recorded = state.steering;
  const any = Object.keys(recorded.targets).length + Object.keys(recorded.faults).length > 0;
  if (restore || !any) return recorded;
  say('info', 'local', `starting with every target up and no region fault: ${describeSteering(recorded)} (left by the last run) cleared`);
  void state.clearSteering();
  return noSteering();
}

function describeSteering(steering: Steering): string {
  return [
    ...Object.entries(steering.targets).map(([name, s]) => `target '${name}' ${s}`),
    ...Object.entries(steering.faults).map(([region, f]) => `region ${region} ${describeFault(f)}`),
  ].join(', ');
}

/** Re-applies the region faults the last run left, where this run can; says what it kept and what it dropped. */
async function restoreFaults(network: RegionNetworks, mode: NetnsMode, regions: readonly string[], steering: Steering, say: Say): Promise<void> {
  for (const [region, fault] of Object.entries(steering.faults)) {
    if (!regions.includes(region)) {
      say('warn', 'local', `region ${region} was ${describeFault(fault)} in the last run, but this fleet has no such region; dropped`);
      delete steering.faults[region];
    } else if (mode === 'off') {
      say('warn', 'local', `region ${region} was ${describeFault(fault)} in the last run, but this run has no network namespaces (--no-netns); the fault is not in force`);
    } else {
      await network.fault(region, fault);
      say('info', 'local', `region ${region} kept ${describeFault(fault)}, as the last run left it ('portquorum local fault ${region} clear' ends it)`);
    }
  }
}

/** The served targets' starting states from what the last run left; names this fleet does not serve are dropped, said. */
function restorableTargets(served: readonly LocalTarget[], steering: Steering, say: Say): Record<string, TargetState> {
  const states: Record<string, TargetState> = {};
  for (const [name, s] of Object.entries(steering.targets)) {
    if (served.some((t) => t.name === name)) {
      states[name] = s;
      say('info', 'local', `target '${name}' kept ${s === 'blackhole' ? 'blackholed' : s}, as the last run left it ('portquorum local target ${name} up' brings it back)`);
    } else {
      say('warn', 'local', `target '${name}' was ${s} in the last run, but this fleet serves no such target; dropped`);
      delete steering.targets[name];
    }
  }
  return states;
}

/** A missing --data directory is created (said in one line); a path that is not a directory is refused in one line. */
async function ensureDataDir(path: string, say: Say): Promise<void> {
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`--data ${path}: ${error.message}`);
  });
  if (found && !found.isDirectory()) throw new Error(`--data ${path} is not a directory (give a directory for DynamoDB Local's data)`);
  if (found) return;
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    throw new Error(`--data ${path} does not exist and could not be created: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  say('info', 'local', `created the --data directory ${path} (it did not exist)`);
}

/** The regions' networks and the workers' way to DynamoDB Local: TCP on the shared loopback, or a UNIX-socket relay into namespaces. */
async function startNetwork(mode: NetnsMode, regions: readonly string[], backend: Backend, runDir: RunDir, supervisor: Supervisor, say: Say): Promise<{ network: RegionNetworks; route: DynamoRoute }> {
  if (mode === 'off') return { network: sharedNetwork(), route: { kind: 'tcp', endpoint: backend.endpoint } };
  const { hostname, port } = new URL(backend.endpoint);
  const proxy = await startSocketProxy(runDir.socket('dynamodb'), { host: hostname, port: Number(port) });
  supervisor.add({ name: 'the DynamoDB socket relay', stop: () => proxy.close() });
  const network = supervisor.add(await startNamespaces(regions, say));
  return { network, route: { kind: 'unix', path: proxy.path } };
}

/** The alert sinks behind the AlertPublisher seam: a failed delivery is reported, and each published alert is an event. */
function alertPublisher(sinks: AlertSink[], emit: (event: FleetEvent) => void, say: Say): AlertPublisher & { sinks: FanOutPublisher } {
  const publisher = new FanOutPublisher(sinks, (sink, alert, error) =>
    say('error', 'alerts', `alert ${alert.alertId} (${alert.kind}) not delivered to ${sink.name}: ${error.message}; the sweeper retries it`));
  return {
    sinks: publisher,
    async publish(alert: AlertMessage) {
      await publisher.publish(alert);
      emit({ kind: 'alert', alert });
    },
  };
}
