// One region of the local fleet: runs the real probe handler at every minute boundary, as EventBridge would.
// Started by bin/local/workers.ts (inside the region's network namespace when --netns), steered over IPC.
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createProbeHandler, type ProbeHandler, type ProbeRoundFn } from '../../functions/probe/handler';
import { probeRound as engineProbeRound } from '../../functions/probe/engine';
import { gatedProbeRound, LOCAL_ROUNDS_AT_ONCE } from './round-gate';
import { loadFleetConfig } from '../../functions/shared/adapters/fleet-config';
import { createLog, memoryMetrics, type Log } from '../../functions/shared/adapters/observability';
import { TableStore } from '../../functions/shared/adapters/store';
import { ENV, FUNCTION_TIMEOUT_SECONDS, SERVICES } from '../../functions/shared/deployment';
import { RoundsNotWrittenError } from '../../functions/shared/domain/errors';
import type { FleetConfig } from '../../functions/shared/domain/fleet';
import { describeReference } from '../../functions/shared/domain/secrets';
import { probeFunctionMonitors, probeShardCount } from '../../functions/shared/domain/probe-shards';
import { TargetSet, type LocalTarget, type TargetState } from './targets';
import { unixSocketAgent } from './socket-proxy';
import { HomeWatchdog } from '../../functions/probe/watchdog';
import { WatchdogTable } from '../../functions/shared/adapters/watchdog-table';
import { WATCHDOG_DEFAULTS } from '../../functions/shared/domain/watchdog';
import type { AlertMessage } from '../../functions/shared/domain/alert';

/** How the worker reaches DynamoDB Local: TCP on the shared loopback, or a UNIX socket from inside a namespace. */
export type DynamoRoute = { kind: 'tcp'; endpoint: string } | { kind: 'unix'; path: string };

export interface WorkerInit {
  type: 'init';
  region: string;
  fleetFile: string;
  table: string;
  tableRegion: string;
  dynamo: DynamoRoute;
  /** Targets this worker serves on its own loopback (namespaced regions only; otherwise the fleet serves them once). */
  targets: LocalTarget[];
  /** Targets that start other than up (kept from the last run). @default all up */
  targetStates?: Record<string, TargetState>;
  /**
   * The home-region watchdog this region keeps (its table in the same DynamoDB Local; its fallback topic is the fleet's
   * alert sinks, reached over IPC). @default none
   */
  watchdog?: { table: string; staleAfterMinutes: number; quorum: number };
}

export type WorkerRequest =
  | WorkerInit
  | { type: 'target'; id: number; name: string; state: TargetState }
  | { type: 'stop' };

export type WorkerReport =
  | { type: 'ready'; region: string }
  | { type: 'ack'; id: number; error?: string }
  | { type: 'invocation'; region: string; time: string; durationMs: number; error?: string }
  | { type: 'log'; region: string; level: 'warn' | 'error'; message: string; detail: Record<string, unknown> }
  | { type: 'fatal'; region: string; error: string }
  /** The watchdog's HOME_DOWN or HOME_RECOVERED, for the fleet's sinks (the fallback topic locally). */
  | { type: 'alert'; region: string; alert: AlertMessage };

function report(message: WorkerReport): void {
  process.send?.(message);
}

/** The scheduled event EventBridge sends for the rule `rate(1 minute)`. */
function scheduledEvent(region: string, time: Date): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/portquorum-probe`],
    detail: {},
  };
}

function lambdaContext(region: string, deadline: number): Context {
  const name = `portquorum-probe-${region}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The region's probe functions, as a deployed region has them: the public probes and each probe group that runs in
 * the region (locally in the region's own network), each the real handler.
 */
function probeHandlersFor(init: WorkerInit): { handler: ProbeHandler; shards: number }[] {
  const fleet = loadFleetConfig(init.fleetFile);
  const groups = Object.keys(fleet.groups).filter((name) => fleet.groups[name]!.regions.includes(init.region)).sort();
  // Every shard of every function here shares the process: a few shards' rounds probe at once (round-gate.ts).
  const probeRound = gatedProbeRound(engineProbeRound, LOCAL_ROUNDS_AT_ONCE);
  return [undefined, ...groups].map((group) => ({
    handler: probeHandlerFor(init, fleet, group, probeRound),
    shards: probeShardCount(probeFunctionMonitors(fleet.monitors, init.region, group).length, fleet.monitorsPerProbe),
  }));
}

/** The real probe handler, built through its factory with a DynamoDB client that reaches DynamoDB Local. */
function probeHandlerFor(init: WorkerInit, fleet: FleetConfig, group: string | undefined, probeRound: ProbeRoundFn): ProbeHandler {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const client = init.dynamo.kind === 'tcp'
    ? new DynamoDBClient({ region: init.tableRegion, endpoint: init.dynamo.endpoint, credentials, maxAttempts: 6 })
    // Inside a namespace the host's loopback is out of reach; the endpoint's host is never dialled, the agent's socket is.
    : new DynamoDBClient({ region: init.tableRegion, endpoint: 'http://dynamodb.local', credentials, maxAttempts: 6, requestHandler: { httpAgent: unixSocketAgent(init.dynamo.path) } });
  const store = new TableStore(client, init.table);
  const log = forwardingLog(init.region);
  // The public probes watch the home pipeline, as deployed (VPC groups do not).
  const watchdog = group === undefined && init.watchdog && new HomeWatchdog({
    region: init.region,
    settings: { homeRegion: fleet.homeRegion, staleAfterMs: init.watchdog.staleAfterMinutes * 60_000, quorum: init.watchdog.quorum, voteTtlMs: WATCHDOG_DEFAULTS.voteTtlMs },
    readHeartbeat: () => store.readHeartbeat(),
    table: new WatchdogTable(client, init.watchdog.table),
    // The fallback topic, locally: the fleet's own sinks (the alerts file, the terminal), over IPC.
    publisher: { publish: async (alert) => report({ type: 'alert', region: init.region, alert }) },
    log,
  });
  return createProbeHandler({
    fleet,
    region: init.region,
    ...(group !== undefined ? { group } : {}),
    store,
    log,
    ...(watchdog ? { watchdog } : {}),
    metrics: memoryMetrics(),
    probeRound,
    // The local fleet reaches no AWS service: a monitor whose send is a secret reference is reported class config.
    secrets: async (reference) => {
      throw Object.assign(new Error(`portquorum local does not read ${describeReference(reference)} (only the deployed probe does; declare the bytes in a local config to try the exchange)`), { name: 'SECRET_NOT_READ' });
    },
  });
}

/** When the worker started: rounds before it are skipped by the first, mid-minute invocation, which is expected. */
const STARTED = Date.now();

/**
 * The handler's log: every line to the region's log file (JSON, as in CloudWatch), and warnings and errors to
 * the fleet's screen too — except the skips of rounds that were over before this worker started.
 */
function forwardingLog(region: string): Log {
  const file = createLog(SERVICES.probe);
  const forward = (level: 'warn' | 'error') => (message: string, detail: Record<string, unknown> = {}) => {
    file[level](message, detail);
    if (message === 'Round skipped' && typeof detail.round === 'string' && Date.parse(detail.round) < STARTED) return;
    report({ type: 'log', region, level, message, detail });
  };
  return { debug: (m, e) => file.debug(m, e), info: (m, e) => file.info(m, e), warn: forward('warn'), error: forward('error') };
}

/** The environment the handler and its adapters read, exactly as in Lambda. */
function setLambdaEnvironment(init: WorkerInit): void {
  Object.assign(process.env, {
    AWS_REGION: init.region,
    [ENV.region]: init.region,
    [ENV.table]: init.table,
    [ENV.tableRegion]: init.tableRegion,
    [ENV.fleetFile]: init.fleetFile,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  if (init.dynamo.kind === 'tcp') process.env.AWS_ENDPOINT_URL_DYNAMODB = init.dynamo.endpoint;
}

/**
 * One scheduled invocation of each of the region's handlers (its public probes and groups), once per probe shard of
 * each, all started together as their rules are, with the function's timeout; the region's outcome — the first
 * failure, if any — is reported to the fleet.
 */
function invoker(region: string, functions: readonly { handler: ProbeHandler; shards: number }[]): (minute: Date, first: boolean) => void {
  return (minute, first) => {
    const started = Date.now();
    const deadline = started + FUNCTION_TIMEOUT_SECONDS.probe * 1000;
    const done = (error?: Error) => report({ type: 'invocation', region, time: minute.toISOString(), durationMs: Date.now() - started, ...(error ? { error: error.message } : {}) });
    const invoked = functions.flatMap(({ handler, shards }) => Array.from({ length: shards }, (_, probeShard) => {
      const event = { ...scheduledEvent(region, minute), ...(shards > 1 ? { probeShard } : {}) };
      return handler(event, lambdaContext(region, deadline)).then(() => undefined, (error: Error) => {
        // The first invocation starts mid-minute, so the handler skips (and reports) the rounds already past, as for
        // a Lambda started late. That is expected here; any other failure is reported.
        const onlyPastRounds = first && error instanceof RoundsNotWrittenError && error.rounds.every((r) => r.status === 'skipped');
        return onlyPastRounds ? undefined : error;
      });
    }));
    void Promise.all(invoked).then((errors) => done(errors.find((e) => e !== undefined)));
  };
}

/**
 * Invokes at the start of each minute, as EventBridge's rate(1 minute) does; the first invocation is for the current
 * minute, so rounds start right away instead of up to 60 s later (the handler skips rounds whose instant has passed).
 */
function everyMinute(invoke: (minute: Date, first: boolean) => void): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    const next = Math.floor(now / 60_000) * 60_000 + 60_000;
    timer = setTimeout(() => {
      invoke(new Date(next), false);
      schedule();
    }, next - now);
  };
  invoke(new Date(Math.floor(Date.now() / 60_000) * 60_000), true);
  schedule();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

async function main(init: WorkerInit): Promise<void> {
  setLambdaEnvironment(init);
  const targets = new TargetSet(init.targets);
  await targets.start(init.targetStates);
  const schedule = everyMinute(invoker(init.region, probeHandlersFor(init)));
  process.on('message', (message: WorkerRequest) => {
    if (message.type === 'target') {
      targets.set(message.name, message.state).then(
        () => report({ type: 'ack', id: message.id }),
        (error: Error) => report({ type: 'ack', id: message.id, error: error.message }),
      );
    } else if (message.type === 'stop') {
      schedule.stop();
      void targets.stop().finally(() => process.exit(0));
    }
  });
  report({ type: 'ready', region: init.region });
}

// A worker never outlives its fleet: when the IPC channel closes (the fleet exited or crashed), it exits too.
process.on('disconnect', () => process.exit(0));
process.once('message', (message: WorkerRequest) => {
  if (message.type !== 'init') return;
  main(message).catch((error: Error) => {
    report({ type: 'fatal', region: message.region, error: error.message });
    process.exit(1);
  });
});
