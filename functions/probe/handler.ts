// The probe: started once a minute, runs every wall-clock-aligned round of its minute and writes one item per region-round (shard).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { RoundsNotWrittenError, type FleetConfig, type ProbeOutcome, type ResolvedMonitor, type RoundStatus, type UnwrittenRound } from '../shared/domain';
import { encodeRoundItems, toRoundResult, type CanaryResult, type RoundResult } from '../shared/domain/record';
import { viewOf } from '../shared/domain/view';
import { instantsInMinute, isDue, MINUTE_MS, minuteOf } from '../shared/domain/rounds';
import { DEFAULT_MONITORS_PER_PROBE, probeFunctionMonitors, probeShardCount, probeShardOf } from '../shared/domain/probe-shards';
import { loadFleetConfig } from '../shared/adapters/fleet-config';
import { createLog, createMetrics, emitCounts, type Log, type MetricSink } from '../shared/adapters/observability';
import { TableStore } from '../shared/adapters/store';
import { required } from '../shared/adapters/env';
import { ENV, PROBE_MAX_SOCKETS, SERVICES, WATCH_MAX_HELD } from '../shared/deployment';
import { awsSecretSource, type SecretSource } from '../shared/adapters/secret-source';
import { probeRound as engineProbeRound, type RoundOptions } from './engine';
import { SendResolver } from './sends';
import { Watcher, type WatchSummary } from './watch';
import { watchdogFromEnv, watchHome, type HomeWatchdog } from './watchdog';

export type ProbeRoundFn = (monitors: ResolvedMonitor[], options?: RoundOptions) => Promise<Map<string, ProbeOutcome>>;

export interface ProbeDeps {
  fleet: FleetConfig;
  /** The probing region's name (ENV.region). */
  region: string;
  /** The probe group (VPC probes); absent for the public probes. */
  group?: string;
  store: Pick<TableStore, 'writeRoundItems'> & Partial<Pick<TableStore, 'writeWatchEvent'>>;
  log: Log;
  metrics: MetricSink;
  /** @default the engine's probeRound */
  probeRound?: ProbeRoundFn;
  /** @default Date.now */
  now?: () => number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** @default PROBE_MAX_SOCKETS */
  maxSockets?: number;
  /** Reads the secrets that sends refer to (SSM, Secrets Manager). @default awsSecretSource(): the function's role */
  secrets?: SecretSource;
  /** Time kept back at the end of the invocation to write the last round. @default 3000 */
  writeReserveMs?: number;
  /** @default see MAX_SHARD_BYTES */
  maxShardBytes?: number;
  /** Most idle connections watch mode holds at once (they share the 1,024 descriptors with the rounds). @default WATCH_MAX_HELD */
  maxWatched?: number;
  /** Watches the home pipeline's heartbeat once an invocation, after the rounds (public probes only). @default none */
  watchdog?: Pick<HomeWatchdog, 'check'>;
}

export interface RoundSummary {
  instant: string;
  monitors: number;
  down: number;
  canary: CanaryResult['status'];
  shards: number;
  /** DynamoDB write requests sent (grows with shards and throttling, never with monitors). */
  writes: number;
  status: RoundStatus;
}

export interface ProbeSummary {
  region: string;
  group?: string;
  /** The probe shard this invocation ran, when the function has several. */
  probeShard?: number;
  minute: string;
  rounds: RoundSummary[];
  /** Watch mode (monitors with watch: true): what the held connections saw. */
  watch?: WatchSummary;
}

/**
 * What starts an invocation: EventBridge's scheduled event, or (a function with several probe shards) the input its
 * rule's target gives, `{ time, probeShard }`.
 */
export type ProbeEvent = Partial<Pick<ScheduledEvent, 'time'>> & { probeShard?: number };

export type ProbeHandler = (event: ProbeEvent | undefined, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ProbeSummary>;

/** Below this budget a round cannot finish a connect; it is skipped (and reported) rather than written as timeouts. */
const MIN_ROUND_BUDGET_MS = 250;
/** Ids are [a-z0-9._-], so this cannot collide with a monitor. */
export const CANARY_ID = '~canary';
/** Replaced by the probing region in the canary's host. */
export const CANARY_REGION_PLACEHOLDER = '{region}';

export function createProbeHandler(deps: ProbeDeps): ProbeHandler {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const probeRound = deps.probeRound ?? engineProbeRound;
  const monitors = probeFunctionMonitors(deps.fleet.monitors, deps.region, deps.group);
  // Several probe shards share one function (each its own scheduled invocation), so a container may run any of them.
  const shardCount = probeShardCount(monitors.length, deps.fleet.monitorsPerProbe);
  // Every shard's monitors in one pass over the function's monitors, at the first invocation: one hash a monitor,
  // whichever shards this container runs (the local fleet's worker runs them all: a filter per shard took minutes at
  // 100,000 monitors in 50 shards, BigInt hashing being ~20 µs a monitor on a loaded core).
  let shards: ResolvedMonitor[][] | undefined;
  const shardMonitors = (shard: number): ResolvedMonitor[] => {
    if (!shards) {
      shards = Array.from({ length: shardCount }, () => []);
      for (const m of monitors) shards[shardCount > 1 ? probeShardOf(m.id, shardCount) : 0]!.push(m);
    }
    return shards[shard]!;
  };
  // The canary tells "the target is down" from "this region's network is down"; VPC groups often have no route to it.
  const canary = deps.fleet.canary && deps.group === undefined ? canaryMonitor(deps.fleet.canary, deps.region) : undefined;
  // Created once per container (see `handler`): secrets read at the first invocation are kept.
  const sends = new SendResolver(monitors, deps.secrets ?? awsSecretSource(), deps.region);
  // Each monitor's view (certificate, addresses, banner) as last written by this warm function: a round item carries a
  // view only when it differs, so views cost bytes only when they change (and once after a cold start).
  const viewsWritten = new Map<string, string>();

  return async (event, context) => {
    const invokedAt = now();
    const probeShard = event?.probeShard ?? 0;
    if (!Number.isInteger(probeShard) || probeShard < 0 || probeShard >= shardCount) {
      // A schedule left from another deploy (the shard count changed): nothing here is this input's to probe.
      throw new Error(`Probe shard ${JSON.stringify(event?.probeShard)} is not one of the ${shardCount} shard(s) of ${deps.region}${deps.group ? `/${deps.group}` : ''} (${monitors.length} monitors, monitorsPerProbe ${deps.fleet.monitorsPerProbe ?? DEFAULT_MONITORS_PER_PROBE}); the function and its schedules are from different deploys`);
    }
    const mine = shardMonitors(probeShard);
    const shardText = shardCount > 1 ? ` shard ${probeShard}/${shardCount}` : '';
    const shardField = shardCount > 1 ? { probeShard } : {};
    const { ready, failed } = await sends.resolve();
    for (const [monitor, failure] of failed) {
      deps.log.error("A monitor's send could not be read; the monitor is reported down with class config", { region: deps.region, group: deps.group, monitor, code: failure.code, error: failure.message });
    }
    const endAt = invokedAt + context.getRemainingTimeInMillis() - (deps.writeReserveMs ?? 3000);
    // The scheduled time, not the start time: a late start still runs the minute it was meant for.
    const minute = minuteOf(event?.time ? Date.parse(event.time) : invokedAt);
    const instants = instantsInMinute(minute, mine);
    const rounds: RoundSummary[] = [];
    const unwritten: UnwrittenRound[] = [];
    // Watch mode: held connections live from a round that found the monitor up to the end of the invocation.
    const writeWatchEvent = deps.store.writeWatchEvent?.bind(deps.store);
    const watcher = writeWatchEvent && mine.some((m) => m.watch === true)
      ? new Watcher({
        region: deps.region, ...(deps.group ? { group: deps.group } : {}), log: deps.log, now, maxHeld: deps.maxWatched ?? WATCH_MAX_HELD,
        write: writeWatchEvent,
        reprobe: async (monitor, budgetMs) => (await probeRound([ready.get(monitor.id) ?? monitor], { maxSockets: 1, deadlineMs: budgetMs })).get(monitor.id),
      })
      : undefined;

    for (let k = 0; k < instants.length; k += 1) {
      const instant = instants[k]!;
      const nextInstant = instants[k + 1] ?? minute + MINUTE_MS;
      const due = mine.filter((m) => isDue(m, instant));
      const where = `region ${deps.region}${deps.group ? `/${deps.group}` : ''}${shardText} round ${new Date(instant).toISOString()}`;
      const summary: RoundSummary = { instant: new Date(instant).toISOString(), monitors: due.length, down: 0, canary: 'none', shards: 0, writes: 0, status: 'skipped' };
      rounds.push(summary);

      if (now() < instant) await sleep(instant - now());
      const startedAt = now();
      const deadlineMs = Math.min(nextInstant, endAt) - startedAt;
      if (startedAt >= nextInstant || deadlineMs < MIN_ROUND_BUDGET_MS) {
        // Too late for this round: its slot has passed or the invocation is out of time. The region is silent for it.
        deps.log.error('Round skipped', { region: deps.region, group: deps.group, ...shardField, round: summary.instant, lateMs: startedAt - instant, budgetMs: deadlineMs });
        unwritten.push({ instant: summary.instant, status: 'skipped', reason: `${where}: skipped (started ${startedAt - instant} ms late, ${deadlineMs} ms left)` });
        continue;
      }

      const probed = due.filter((m) => !failed.has(m.id)).map((m) => ready.get(m.id) ?? m);
      // Held connections have their own cap (WATCH_MAX_HELD) beside the round's: together, with the re-probes and the
      // SDK's sockets, they stay inside Lambda's 1,024 descriptors.
      const outcomes = await probeRound(canary ? [canary, ...probed] : probed, { maxSockets: deps.maxSockets ?? PROBE_MAX_SOCKETS, deadlineMs });
      watcher?.hold(probed, outcomes);
      const results: Record<string, RoundResult> = {};
      const viewsNew = new Map<string, string>();
      for (const m of due) {
        const outcome = outcomes.get(m.id);
        const unread = failed.get(m.id);
        const view = outcome && !unread ? viewOf(outcome) : undefined;
        if (view !== undefined && viewsWritten.get(m.id) !== view) viewsNew.set(m.id, view);
        results[m.id] = unread
          ? { status: 'down', errorClass: 'config', phase: 'send', totalMs: 0, code: unread.code, message: unread.message }
          : outcome
          ? { ...toRoundResult(outcome), ...(viewsNew.has(m.id) ? { view } : {}) }
          : { status: 'down', errorClass: 'timeout', phase: 'connect', totalMs: deadlineMs, code: 'NO_OUTCOME', message: 'the probe engine returned no outcome' };
        if (results[m.id]!.status === 'down') summary.down += 1;
      }
      const canaryOutcome = canary ? outcomes.get(CANARY_ID) : undefined;
      const canaryResult: CanaryResult = canaryOutcome ? toRoundResult(canaryOutcome) : { status: 'none' };
      summary.canary = canaryResult.status;

      const items = encodeRoundItems(
        { instant, region: deps.region, ...(deps.group ? { group: deps.group } : {}), ...(probeShard > 0 ? { probeShard } : {}), probedAt: now(), canary: canaryResult, results },
        deps.maxShardBytes !== undefined ? { maxShardBytes: deps.maxShardBytes } : {},
      );
      summary.shards = items.length;
      try {
        summary.writes = await deps.store.writeRoundItems(items, where);
        summary.status = 'written';
        for (const [id, view] of viewsNew) viewsWritten.set(id, view);
      } catch (error) {
        summary.status = 'failed';
        unwritten.push({ instant: summary.instant, status: 'failed', reason: (error as Error).message });
        deps.log.error('Writing the round failed', { region: deps.region, group: deps.group, ...shardField, round: summary.instant, error: (error as Error).message });
      }
      // One line per round, details only for what failed: at fleet scale, per-monitor lines cost more than the probes.
      const downs = due.filter((m) => results[m.id]!.status === 'down').slice(0, 20).map((m) => {
        const r = results[m.id] as Extract<RoundResult, { status: 'down' }>;
        return `${m.id} ${r.errorClass}/${r.phase} ${r.code}`;
      });
      deps.log.info('Round probed', { region: deps.region, group: deps.group, ...shardField, ...summary, ...(downs.length ? { downs } : {}), ...(canaryResult.status === 'down' ? { canaryError: canaryResult.message } : {}) });
    }

    let watch: WatchSummary | undefined;
    if (watcher) {
      // The function stays up for its minute, so the held connections watch until the next invocation takes over.
      const until = Math.min(minute + MINUTE_MS, endAt);
      if (watcher.size > 0 && now() < until) await sleep(until - now());
      watch = await watcher.close();
      deps.log.info('Watch ended', { region: deps.region, group: deps.group, ...watch });
    }

    const written = rounds.filter((r) => r.status === 'written');
    emitCounts(deps.metrics, 'probe', {
      rounds: written.length, roundFailures: rounds.length - written.length, probesDown: written.reduce((n, r) => n + r.down, 0),
      roundWrites: written.reduce((n, r) => n + r.writes, 0), canaryDown: rounds.filter((r) => r.canary === 'down').length,
    });
    // One heartbeat read a region a minute: the first probe shard's invocation watches the home pipeline.
    if (deps.watchdog && probeShard === 0) await watchHome(deps.watchdog, rounds, deps.log, deps.region);
    // Failing the invocation makes the failure visible (Errors metric, alarms); nothing is dropped quietly.
    if (unwritten.length > 0) throw new RoundsNotWrittenError(`${deps.region}${deps.group ? `/${deps.group}` : ''}${shardText}`, unwritten);
    return { region: deps.region, ...(deps.group ? { group: deps.group } : {}), ...shardField, minute: new Date(minute).toISOString(), rounds, ...(watch ? { watch } : {}) };
  };
}

/**
 * The canary probed as a plain TCP connect with its own timeout. `{region}` in its host becomes the probing region,
 * so each region checks an endpoint of its own (e.g. `dynamodb.{region}.amazonaws.com`), not one far away.
 */
export function canaryMonitor(canary: NonNullable<FleetConfig['canary']>, region: string): ResolvedMonitor {
  const t = canary.timeoutMs;
  return {
    id: CANARY_ID, host: canary.host.replaceAll(CANARY_REGION_PLACEHOLDER, region), port: canary.port, expectWithinBytes: 4096,
    timeoutMs: { dns: t, connect: t, tls: t, expect: t, total: t },
    retries: 1, family: 'auto', allAddresses: false, expectClosed: false, allowLinkLocal: true, tags: {}, severity: 'info',
    regions: [region], quorum: 1, interval: 60, failureThreshold: 1, recoveryThreshold: 1, maintenance: [], renotifyMinutes: 0,
  };
}

export function probeDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ProbeDeps {
  const region = env[ENV.region] ?? required(env, 'AWS_REGION');
  const group = env[ENV.group];
  const fleet = loadFleetConfig();
  const store = new TableStore(new DynamoDBClient({ region: env[ENV.tableRegion] ?? region, maxAttempts: 6 }), required(env, ENV.table));
  const log = createLog(SERVICES.probe);
  const watchdog = group ? undefined : watchdogFromEnv(env, region, fleet.homeRegion, store, log);
  return {
    fleet,
    region,
    ...(group ? { group } : {}),
    store,
    log,
    metrics: createMetrics(SERVICES.probe, { region }),
    ...(watchdog ? { watchdog } : {}),
  };
}

let lazy: ProbeHandler | undefined;
export const handler: ProbeHandler = (event, context) => (lazy ??= createProbeHandler(probeDepsFromEnv()))(event, context);
