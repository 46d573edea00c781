// One fleet's home pipeline on DynamoDB Local for the bench: real table, probe writes through the real store, the real
// stream read by the real poller, the real aggregator and sweeper; DynamoDB requests counted per role at each client.
import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand, DeleteTableCommand, type AttributeValue, type DynamoDBClient, type PutItemCommandInput, type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { roundInstant, windowLength, type FleetConfig } from '../../../functions/shared/domain';
import type { AlertMessage } from '../../../functions/shared/domain/alert';
import { encodeRoundItems, roundPartitions, type CanaryResult, type RoundItem, type RoundResult } from '../../../functions/shared/domain/record';
import { next, type MonitorState } from '../../../functions/shared/domain/verdict';
import { createAggregateHandler } from '../../../functions/aggregate/handler';
import { evidenceFor } from '../../../functions/shared/evaluation/evaluate';
import { RoundCache } from '../../../functions/shared/evaluation/round-cache';
import { createSweeperHandler } from '../../../functions/sweeper/handler';
import { memoryMetrics, silentLog } from '../../../functions/shared/adapters/observability';
import type { AlertPublisher } from '../../../functions/shared/adapters/publisher';
import { TableStore } from '../../../functions/shared/adapters/store';
import { createTables, LOCAL_CREDENTIALS, type DynamoDbLocal } from '../../../bin/local/dynamodb-local';
import { roundItemsOnly, StreamPoller, type StreamFailure } from '../../../bin/local/stream-poller';
import { probeShardCount, probeShardOf } from '../../../functions/shared/domain/probe-shards';
import { itemBytes, RequestCounter, type Counts, type WrittenItem } from './counting';
import { AGGREGATOR_STREAM } from '../../../functions/shared/deployment';
import { fleetOf, REGIONS } from './fleet';

export { REGIONS } from './fleet';

/** Seeding batches in flight (DynamoDB Local on two shared cores gains little beyond this). */
const SEED_CONCURRENCY = 4;

/** The monitors' interval (the default): one round a minute, so one sweep per round. */
export const INTERVAL_SECONDS = 60;
/** When the aggregator sees a round, and when the sweeper runs after it (past the 80 s grace of a 60 s round). */
const AGGREGATE_AT_MS = 30_000;
const SWEEP_AT_MS = 85_000;
const CANARY_UP: CanaryResult = { status: 'up', connectMs: 2, totalMs: 2 };

export type Role = 'probes' | 'aggregator' | 'sweeper';

export interface Invocation {
  records: number;
  ms: number;
  /** performance.now() when the handler returned. */
  endedAt: number;
}

/** How a round's three region writes reach the aggregator. */
export type Arrival = 'apart' | 'together';

/** What the probes see: every monitor up, or (a wide outage) every monitor's port refused in every region. */
export type Outcome = 'up' | 'refused';

/** Every monitor up, with connect times that vary by monitor and round (so items are not all alike); or refused where `down` says. */
function roundResults(monitors: FleetConfig['monitors'], round: number, down: (id: string) => boolean): Record<string, RoundResult> {
  const results: Record<string, RoundResult> = {};
  monitors.forEach((m, i) => {
    const connectMs = 1 + ((i * 31 + round * 7) % 60);
    results[m.id] = !down(m.id)
      ? { status: 'up', connectMs, totalMs: connectMs + 1 }
      : { status: 'down', errorClass: 'refused', phase: 'connect', totalMs: connectMs, code: 'ECONNREFUSED', message: `connect ECONNREFUSED 127.0.0.1:${m.port}` };
  });
  return results;
}

export interface PipelineOptions {
  /**
   * Each region's round written as its probe shards write it (functions/shared/domain/probe-shards.ts: the fleet's
   * monitorsPerProbe, each shard its own items, written at once as the shards' invocations would). Without it one
   * probe writes the whole region's round (the aggregator section's layout).
   */
  probeShards?: boolean;
  /** Where alerts go. @default kept in `alerts` */
  publisher?: AlertPublisher;
  /** Told of every item the counted clients put (probes, aggregator, sweeper). */
  onWrite?: (item: WrittenItem) => void;
  /** How long a drain of the stream may take before the bench gives up. @default 120000 */
  drainTimeoutMs?: number;
}

export type Pipeline = Awaited<ReturnType<typeof openPipeline>>;

/**
 * The aggregator and sweeper run somewhere else (the scale section's measured child processes) in place of the
 * in-process ones: each is handed what its deployed function gets (the stream batch; a scheduled sweep) and the
 * pipeline's clock.
 */
export interface ExternalFunctions {
  aggregate(event: DynamoDBStreamEvent, now: number): Promise<DynamoDBBatchResponse>;
  sweep(now: number): Promise<void>;
}

export async function openPipeline(local: DynamoDbLocal, monitors: number, options: PipelineOptions = {}) {
  const fleet = fleetOf(monitors);
  // The monitors of each probe shard, in fleet order (one shard: all of them).
  const shardCount = options.probeShards ? probeShardCount(fleet.monitors.length, fleet.monitorsPerProbe) : 1;
  const shardMonitors: FleetConfig['monitors'][] = Array.from({ length: shardCount }, () => []);
  for (const m of fleet.monitors) shardMonitors[shardCount > 1 ? probeShardOf(m.id, shardCount) : 0]!.push(m);
  let outcome: Outcome = 'up';
  /** Which monitors are refused while the outcome is 'refused' (all, or the fleet's first n). */
  let refused: ReadonlySet<string> | 'all' = 'all';
  const isDown = (id: string): boolean => outcome === 'refused' && (refused === 'all' || refused.has(id));
  const drainMs = options.drainTimeoutMs ?? 120_000;
  const admin = local.client();
  const clients: DynamoDBClient[] = [admin];
  const tableName = `bench-aggregator-${monitors}-${randomUUID().slice(0, 8)}`;
  const { streamArn } = await createTables(admin, tableName);

  const counters: Record<Role, RequestCounter> = {
    probes: new RequestCounter(options.onWrite), aggregator: new RequestCounter(options.onWrite), sweeper: new RequestCounter(options.onWrite),
  };
  const counted = (role: Role, region: string): DynamoDBClient => {
    const client = counters[role].attach(local.client(region));
    clients.push(client);
    return client;
  };
  // Each region's probe has its own client, as each region's Lambda does; they all count as the probes' writes.
  const probeStores = new Map(REGIONS.map((region) => [region, new TableStore(counted('probes', region), tableName)]));
  const seedCounter = new RequestCounter();
  const seedClient = seedCounter.attach(local.client(fleet.homeRegion));
  clients.push(seedClient);
  const clock = { now: 0 };
  const alerts: AlertMessage[] = [];
  const publisher: AlertPublisher = options.publisher ?? {
    publish: (alert) => {
      alerts.push(alert);
      return Promise.resolve();
    },
  };
  const aggregateMetrics = memoryMetrics();
  const aggregate = createAggregateHandler({
    fleet, store: new TableStore(counted('aggregator', fleet.homeRegion), tableName), publisher, log: silentLog, metrics: aggregateMetrics, now: () => clock.now,
    // The bench's clock jumps a minute a round, so the 5-minute re-read of unchanged states would land in whichever
    // round came fifth; it is left out here and `portquorum cost` adds it per 5 minutes from the state partition's size.
    stateCacheMaxAgeMs: Number.POSITIVE_INFINITY,
  });
  const sweep = createSweeperHandler({
    fleet, store: new TableStore(counted('sweeper', fleet.homeRegion), tableName), publisher, log: silentLog, metrics: memoryMetrics(), now: () => clock.now,
  });

  // Rounds a day back: far from any real clock, and well inside the items' two-day TTL.
  const base = roundInstant(Date.now(), INTERVAL_SECONDS) - 86_400_000;
  // Every invocation reads twice the verdict window (evaluate.ts evidenceFor): warm up that many rounds so the first
  // measured round reads as much history as every later one.
  const warmUpRounds = 2 * Math.max(...fleet.monitors.map((m) => windowLength(m)));
  const instant = (round: number): number => base + round * INTERVAL_SECONDS * 1000;

  const invocations: Invocation[] = [];
  const failures: string[] = [];
  let external: ExternalFunctions | undefined;
  const streams = new DynamoDBStreamsClient({ endpoint: local.endpoint, region: fleet.homeRegion, credentials: LOCAL_CREDENTIALS });
  const poller = new StreamPoller({
    client: streams,
    streamArn,
    filter: roundItemsOnly,
    // The deployed mapping's batch size (lib/home-stack.ts takes it from the same constant).
    batchSize: AGGREGATOR_STREAM.batchSize,
    startingPosition: 'LATEST',
    pollIntervalMs: 20,
    maxRetries: 2,
    retryDelayMs: () => 10,
    onFailure: (f: StreamFailure) => {
      failures.push(`${f.records.length} record(s) given up on (${f.reason}${f.error ? `: ${f.error.message}` : ''})`);
    },
    handler: async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
      const started = performance.now();
      const response = external ? await external.aggregate(event, clock.now) : await aggregate(event);
      const endedAt = performance.now();
      invocations.push({ records: event.Records.length, ms: endedAt - started, endedAt });
      if (response.batchItemFailures.length > 0) failures.push(`${response.batchItemFailures.length} batch item failure(s)`);
      return response;
    },
  });
  let polling = false;
  const startPolling = () => {
    poller.start();
    polling = true;
  };
  const stopPolling = async () => {
    await poller.stop();
    polling = false;
  };

  /** Each probe shard's items of one region's round. */
  function itemsFor(round: number, region: string): RoundItem[][] {
    const at = instant(round);
    return shardMonitors.map((list, probeShard) => encodeRoundItems({
      instant: at, region, ...(probeShard > 0 ? { probeShard } : {}), probedAt: at + 2000, canary: CANARY_UP, results: roundResults(list, round, isDown),
    }));
  }

  async function writeRegion(round: number, region: (typeof REGIONS)[number]): Promise<void> {
    const store = probeStores.get(region)!;
    await Promise.all(itemsFor(round, region).map((items, shard) => store.writeRoundItems(items, `region ${region} shard ${shard} round ${round}`)));
  }

  function check(what: string): void {
    if (failures.length > 0) throw new Error(`aggregator bench, ${monitors} monitors, ${what}: ${failures.join('; ')}`);
  }

  return {
    fleet,
    monitors,
    /** Probe shards per region (1 unless options.probeShards). */
    probeShards: shardCount,
    streamArn,
    tableName,
    alerts,
    aggregateMetrics,
    invocations,

    /** Shards per region and the round item's size (by DynamoDB's rules) for one region's round. */
    shape() {
      const items = itemsFor(0, REGIONS[0]).flat();
      const bytes = items.map((item) => itemBytes(marshall(item, { removeUndefinedValues: true })));
      // What the results take in the item: the deflated bytes, or the text of a small round.
      const resultBytes = items.reduce((sum, item) => sum + (item.rz?.length ?? new TextEncoder().encode(item.r ?? '').length), 0);
      return { shardsPerRegion: items.length, itemBytes: bytes, bytesPerMonitor: resultBytes / monitors };
    },

    /**
     * Brings every monitor to the steady state (UP, with a full window of history) before anything is measured.
     * Rounds 0 … warmUpRounds−1 are written while the poller is not yet started (it starts at LATEST, as the deployed
     * mapping does, so the aggregator never sees them); each monitor's state after them is decided with the aggregator's
     * own functions (evidenceFor, next) and turned into the exact item the store's writeMonitorState sends, which the
     * bench then writes 25 to a BatchWriteItem. The aggregator would write those first states itself, one conditional
     * PutItem per monitor in sequence: a minute of one invocation at 10,000 monitors on DynamoDB Local here, and the
     * same items. Finally the sweeper runs once (creating the fleet item).
     * Returns what the seeding wrote: the one-off state writes of a new fleet (in units; the aggregator's requests are one per monitor).
     */
    async warmUp(): Promise<{ seedWrites: Counts; states: number }> {
      if (polling) await stopPolling();
      const lastWarm = warmUpRounds - 1;
      const outcomeAfter = outcome;
      outcome = 'up';
      clock.now = instant(lastWarm) + AGGREGATE_AT_MS;
      for (let r = 0; r < warmUpRounds; r += 1) await Promise.all(REGIONS.map((region) => writeRegion(r, region)));
      outcome = outcomeAfter;
      const reads = new TableStore(local.client(fleet.homeRegion), tableName);
      clients.push(reads.client);
      const rounds = new RoundCache(reads, silentLog, roundPartitions(fleet));
      const states: MonitorState[] = [];
      for (const monitor of fleet.monitors) {
        const step = next(undefined, await evidenceFor(monitor, instant(lastWarm), rounds), clock.now);
        if (!step.changed || step.state.verdict !== 'UP' || step.alerts.length > 0) {
          throw new Error(`aggregator bench: monitor '${monitor.id}' is not a quiet UP after ${warmUpRounds} up rounds (${step.state.verdict}, ${step.alerts.length} alert(s))`);
        }
        states.push(step.state);
      }
      // The store's own PutItem input, captured before it is sent (so the seeded items are byte for byte the store's).
      const captured: Record<string, AttributeValue>[] = [];
      const capture = local.client(fleet.homeRegion);
      clients.push(capture);
      capture.middlewareStack.add(
        (nextHandler, context) => async (args) => {
          if (context.commandName !== 'PutItemCommand') return nextHandler(args);
          captured.push((args.input as PutItemCommandInput).Item!);
          return { output: { $metadata: {} }, response: {} } as never;
        },
        { step: 'initialize', name: 'portquorumBenchCapture' },
      );
      const captureStore = new TableStore(capture, tableName);
      for (const state of states) await captureStore.writeMonitorState(state, 0, {});
      const batches: Record<string, AttributeValue>[][] = [];
      for (let i = 0; i < captured.length; i += 25) batches.push(captured.slice(i, i + 25));
      let nextBatch = 0;
      await Promise.all(Array.from({ length: SEED_CONCURRENCY }, async () => {
        while (nextBatch < batches.length) {
          let pending: WriteRequest[] = batches[nextBatch++]!.map((Item) => ({ PutRequest: { Item } }));
          for (let attempt = 0; pending.length > 0; attempt += 1) {
            if (attempt >= 5) throw new Error(`aggregator bench: seeding states left ${pending.length} item(s) unprocessed`);
            const output = await seedClient.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
            pending = output.UnprocessedItems?.[tableName] ?? [];
          }
        }
      }));
      const seedWrites = seedCounter.take();
      startPolling();
      await poller.drain(drainMs); // a full pass: the poller holds its LATEST iterator from here on
      check('warm-up');
      clock.now = instant(lastWarm) + SWEEP_AT_MS;
      await sweep();
      this.take();
      return { seedWrites, states: captured.length };
    },

    /**
     * What the probes report from the next round written on (the warm-up's rounds are always up): every monitor up,
     * or refused in every region — all of them, or only the fleet's first `monitors`.
     */
    setOutcome(next: Outcome, monitors?: number): void {
      outcome = next;
      refused = monitors === undefined ? 'all' : new Set(fleet.monitors.slice(0, monitors).map((m) => m.id));
    },

    /** The first round after the warm-up. */
    firstMeasuredRound: warmUpRounds,

    /** From here on the aggregator and sweeper run as `functions` say (undefined: in this process again). */
    useFunctions(functions: ExternalFunctions | undefined): void {
      external = functions;
    },

    /** Counted requests per role since the last take. */
    take(): Record<Role, Counts> {
      return { probes: counters.probes.take(), aggregator: counters.aggregator.take(), sweeper: counters.sweeper.take() };
    },

    /**
     * One round with deterministic batches: `apart`, each region's items are one invocation (regions finishing
     * more than the 2 s batching window apart); `together`, the three regions' items are one invocation.
     * The poller is paused while writing so a write is never split across two polls.
     */
    async paced(round: number, arrival: Arrival): Promise<Invocation[]> {
      const first = invocations.length;
      clock.now = instant(round) + AGGREGATE_AT_MS;
      const groups = arrival === 'apart' ? REGIONS.map((r) => [r]) : [[...REGIONS]];
      for (const regions of groups) {
        if (polling) await stopPolling();
        await Promise.all(regions.map((r) => writeRegion(round, r)));
        startPolling();
        await poller.drain(drainMs);
      }
      check(`round ${round}`);
      return invocations.slice(first);
    },

    /** The sweeper's run after the round's grace expired; returns its wall ms. */
    async sweep(round: number): Promise<number> {
      clock.now = instant(round) + SWEEP_AT_MS;
      const started = performance.now();
      if (external) await external.sweep(clock.now);
      else await sweep();
      return performance.now() - started;
    },

    /**
     * `count` rounds written back to back (each round's regions concurrently) while the poller runs freely; wall ms
     * from the first write to the end of the last invocation, with what the invocations handled.
     */
    async saturated(fromRound: number, count: number): Promise<{ wallMs: number; results: number; invocations: Invocation[] }> {
      if (!polling) startPolling();
      const first = invocations.length;
      const started = performance.now();
      for (let round = fromRound; round < fromRound + count; round += 1) {
        clock.now = instant(round) + AGGREGATE_AT_MS;
        await Promise.all(REGIONS.map((r) => writeRegion(round, r)));
      }
      await poller.drain(drainMs);
      check(`rounds ${fromRound}–${fromRound + count - 1}`);
      const handled = invocations.slice(first);
      const ended = handled.length > 0 ? Math.max(...handled.map((i) => i.endedAt)) : performance.now();
      return { wallMs: ended - started, results: monitors * REGIONS.length * count, invocations: handled };
    },

    async close(): Promise<void> {
      try {
        await poller.stop();
        streams.destroy();
        await admin.send(new DeleteTableCommand({ TableName: tableName }));
      } finally {
        for (const client of clients) client.destroy();
      }
    },
  };
}
