// The local fleet: DynamoDB Local, one worker process per region running the real probe handler (each in its own
// network namespace with --netns), the real aggregator fed by the table's real stream, the real sweeper each minute,
// and alerts to local sinks. `startLocalFleet` is the module API the CLI, the demo, the end-to-end tests and the
// benchmarks use; it composes the parts (one module each) and stops them in reverse order of start.
import { DEFAULT_TABLE_NAME, type FleetConfig } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { AlertPublisher } from '../../functions/shared/adapters/publisher';
import { startAggregator } from './aggregator';
import { startBackend, type Backend } from './backend';
import { startControl } from './control';
import { sayThrough, type FleetEvent, type Say } from './events';
import { sharedNetwork, startNamespaces, type RegionNetworks } from './namespaces';
import { describeFault, type RegionFault } from './netns';
import { createRunDir, type RunDir } from './run-dir';
import { serveInNamespaces, serveOnLoopback, type ServedTargets } from './served-targets';
import { FanOutPublisher, type AlertSink } from './sinks';
import { startSocketProxy } from './socket-proxy';
import { recordState } from './state-file';
import { Supervisor } from './supervisor';
import { startSweeper } from './sweeper';
import type { LocalTarget, TargetState } from './targets';
import type { DynamoRoute } from './worker';
import { WorkerPool } from './workers';

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

export async function startLocalFleet(options: LocalFleetOptions): Promise<LocalFleet> {
  const emit = (event: FleetEvent) => options.onEvent?.(event);
  const say = sayThrough(emit);
  const supervisor = new Supervisor({ onStopFailed: (part, error) => say('error', 'local', `stopping ${part} failed: ${error.message}`) });
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

/** Starts each part in dependency order, handing each to the supervisor as soon as it runs. */
async function startParts(options: LocalFleetOptions, supervisor: Supervisor, emit: (event: FleetEvent) => void, say: Say): Promise<Started> {
  const { fleet } = options;
  const runDir = supervisor.add(await createRunDir(fleet));
  const publisher = alertPublisher(options.sinks, emit, say);
  const backend = supervisor.add(await startBackend({ table: options.table ?? DEFAULT_TABLE_NAME, homeRegion: fleet.homeRegion, ...(options.dataDir ? { dataDir: options.dataDir } : {}) }));
  const toServe = [...(options.targets ?? []), ...(options.canary ? [options.canary] : [])];
  const { network, route } = await startNetwork(options.netns, fleet.regions, backend, runDir, supervisor, say);
  const loopbackTargets = options.netns === 'on' ? undefined : supervisor.add(await serveOnLoopback(toServe));
  const workers = supervisor.add(new WorkerPool({
    regions: fleet.regions,
    init: (region) => ({
      type: 'init', region, fleetFile: runDir.fleetFile, table: backend.table, tableRegion: fleet.homeRegion, dynamo: route,
      targets: network.namespaces[region] ? toServe : [],
    }),
    namespaceOf: (region) => network.namespaces[region],
    logFile: (region) => runDir.logFile(region),
    emit, say,
    stopping: () => supervisor.isStopping,
  }));
  await workers.start();
  const served: ServedTargets = loopbackTargets ?? serveInNamespaces(toServe, { setTarget: (n, s) => workers.setTarget(n, s), dropTarget: (t, on) => network.dropTarget(t, on) });
  supervisor.add(startSweeper({ fleet, store: backend.store, publisher, say, ...(options.sweepEverySeconds ? { everySeconds: options.sweepEverySeconds } : {}) }));
  supervisor.add(startAggregator({ fleet, endpoint: backend.endpoint, streamArn: backend.streamArn, store: backend.store, publisher, say, onRound: (record) => emit({ kind: 'round', record }) }));

  const steer = {
    async setTarget(name: string, state: TargetState) {
      await served.set(name, state);
      emit({ kind: 'target', name, state });
    },
    async fault(region: string, fault: RegionFault) {
      await network.fault(region, fault);
      emit({ kind: 'fault', region, fault });
      say('info', 'local', `region ${region}: ${describeFault(fault)}`);
    },
  };
  if (options.statePath) {
    const controlSocket = runDir.socket('control');
    supervisor.add(await startControl(controlSocket, steer));
    supervisor.add(await recordState(options.statePath, {
      schemaVersion: 1, pid: process.pid, startedAt: new Date().toISOString(), endpoint: backend.endpoint, table: backend.table,
      tableRegion: fleet.homeRegion, regions: fleet.regions, namespaces: { ...network.namespaces }, targets: toServe.map((t) => t.name),
      controlSocket, fleetFile: runDir.fleetFile, ...(options.alertsFile ? { alertsFile: options.alertsFile } : {}),
    }));
  }
  return {
    config: fleet, netns: options.netns, endpoint: backend.endpoint, table: backend.table, namespaces: network.namespaces, faults: network.faults,
    runDir: runDir.path, ...steer,
  };
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
function alertPublisher(sinks: AlertSink[], emit: (event: FleetEvent) => void, say: Say): AlertPublisher {
  const publisher = new FanOutPublisher(sinks, (sink, alert, error) =>
    say('error', 'alerts', `alert ${alert.alertId} (${alert.kind}) not delivered to ${sink.name}: ${error.message}; the sweeper retries it`));
  return {
    async publish(alert: AlertMessage) {
      await publisher.publish(alert);
      emit({ kind: 'alert', alert });
    },
  };
}
