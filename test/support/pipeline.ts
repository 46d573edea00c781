// A whole pipeline on DynamoDB Local for one test: real table and stream, real aggregator and sweeper, SNS mocked at the SDK.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PublishBatchCommand, PublishCommand, SNSClient, type PublishBatchCommandInput, type PublishCommandInput } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveFleet, type FleetConfig, type FleetSpec, type MonitorSpec } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { encodeRoundItems, type CanaryResult, type RoundResult } from '../../functions/shared/domain/record';
import { roundInstant } from '../../functions/shared/domain/rounds';
import { createAggregateHandler } from '../../functions/aggregate/handler';
import { createSweeperHandler, type SweeperDeps } from '../../functions/sweeper/handler';
import { memoryMetrics, type Log, type MetricSink } from '../../functions/shared/adapters/observability';
import { SnsPublisher } from '../../functions/shared/adapters/publisher';
import type { PublishLimiter } from '../../functions/shared/adapters/publish-rate';
import { LOCAL_CREDENTIALS } from '../../bin/local/dynamodb-local';
import { roundItemsOnly, StreamPoller, watchItemsOnly, type StreamFailure } from '../../bin/local/stream-poller';
import { afterEach } from 'vitest';
import { useDynamoDbLocal, type FileDynamoDb, type TestTable } from './dynamodb';

/** The monitor most pipeline tests watch. */
export const ORDERS = { id: 'orders-db', host: '10.0.1.5', port: 5432, tags: { team: 'payments', env: 'prod' } } satisfies MonitorSpec;

export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:portquorum-alerts';
export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];

const UP: RoundResult = { status: 'up', connectMs: 12, totalMs: 14 };
const SLOW: RoundResult = { status: 'up', connectMs: 900, totalMs: 950 };
const REFUSED: RoundResult = { status: 'down', errorClass: 'refused', phase: 'connect', connectMs: 1, totalMs: 2, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.1.5:5432' };
/** What a probe reports when a port that must stay closed (exposure 'private', or a `closed` reach group) accepted a connection. */
const OPEN: RoundResult = {
  status: 'down', errorClass: 'protocol', phase: 'connect', connectMs: 2, totalMs: 502, code: 'EXPECTED_CLOSED',
  message: "10.0.1.5:5432 accepted a connection and answered 'SSH-2.0-OpenSSH_9.2p1', but the monitor expects the port closed (close the port or firewall it)",
};
const CANARY_UP: CanaryResult = { status: 'up', connectMs: 2, totalMs: 2 };
export const CANARY_DOWN: CanaryResult = { status: 'down', errorClass: 'timeout', phase: 'connect', totalMs: 3000, code: 'ETIMEDOUT', message: 'canary timed out' };

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra?: Record<string, unknown>;
}

export type Pipeline = Awaited<ReturnType<typeof pipeline>>;

/** Round instants used by a test: whole minutes, recent enough that TTL keeps the items. */
export function baseInstant(): number {
  return roundInstant(Date.now(), 60) - 30 * 60_000;
}

export interface PipelineOptions {
  sweeper?: Partial<SweeperDeps>;
  /** The aggregator's publish deadline from its start. @default none (see below: the scripted clock jumps a minute a round) */
  aggregatorPublishDeadline?: (startedAt: number) => number;
  /** Paces the aggregator's and the sweeper's publishes. @default none (unpaced) */
  publishLimiter?: PublishLimiter;
  /** The aggregator's metric sink. @default memoryMetrics() shared with the sweeper */
  aggregatorMetrics?: MetricSink;
  /** How long the aggregator keeps unchanged states cached. @default STATE_CACHE_MAX_AGE_MS (5 min of the scripted clock) */
  stateCacheMaxAgeMs?: number;
  /** The aggregator's and the sweeper's clock, for tests whose probes run for real. @default the scripted clock.now */
  now?: () => number;
}

export async function pipeline(db: FileDynamoDb, spec: Omit<FleetSpec, 'regions'> & { regions?: string[] }, options: PipelineOptions = {}) {
  const table: TestTable = await db.createTable();
  const fleet: FleetConfig = resolveFleet({ regions: REGIONS, ...spec });
  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  // Every entry of a batch goes, unless a test gives its own fake.
  sns.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => allSent(input));
  const logs: LogLine[] = [];
  const log: Log = {
    debug: (message, extra) => logs.push({ level: 'debug', message, ...(extra ? { extra } : {}) }),
    info: (message, extra) => logs.push({ level: 'info', message, ...(extra ? { extra } : {}) }),
    warn: (message, extra) => logs.push({ level: 'warn', message, ...(extra ? { extra } : {}) }),
    error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }),
  };
  const base = baseInstant();
  const clock = { now: base, base };
  const publisher = new SnsPublisher(new SNSClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS }), TOPIC);
  const deps = { fleet, store: table.store, publisher, ...(options.publishLimiter ? { publishLimiter: options.publishLimiter } : {}), log, metrics: memoryMetrics(), now: options.now ?? (() => clock.now) };
  const aggregate = createAggregateHandler({
    ...deps, ...(options.aggregatorMetrics ? { metrics: options.aggregatorMetrics } : {}), ...(options.stateCacheMaxAgeMs !== undefined ? { stateCacheMaxAgeMs: options.stateCacheMaxAgeMs } : {}),
    // The scripted clock jumps a minute with each round written, also while an invocation is still publishing: with
    // the deployed deadline (the timeout less 10 s, by that clock) a pass overtaken by the next round's write would
    // carry its alerts to the sweep. Tests of the deadline give their own; the others publish without one.
    publishDeadline: options.aggregatorPublishDeadline ?? (() => Number.POSITIVE_INFINITY),
  });
  const sweep = createSweeperHandler({ ...deps, startupGraceMs: 0, ...options.sweeper });
  const events: DynamoDBStreamEvent[] = [];
  const failures: StreamFailure[] = [];
  const streams = new DynamoDBStreamsClient({ endpoint: table.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  let writing: Promise<void> = Promise.resolve();
  const poller = new StreamPoller({
    client: streams,
    streamArn: table.streamArn,
    // Both mappings' records (watch events have their own in a fleet that watches), through one poller.
    filter: (record) => roundItemsOnly(record) || watchItemsOnly(record),
    batchSize: 100,
    pollIntervalMs: 50,
    maxRetries: 2,
    retryDelayMs: () => 10,
    onFailure: (f) => {
      failures.push(f);
    },
    handler: async (event) => {
      // A batch read while writeRound is still writing the round waits for the rest of it, as its items would all be
      // in the table by the time Lambda's batching window (2 s in AWS, none here) closed.
      await writing;
      events.push(event);
      return aggregate(event);
    },
  }).start();

  /**
   * Writes one round: `codes` gives each region's result for every monitor (u up, d refused, t slow, o connected to a
   * port that must stay closed, s silent), as the public probes write it, or a probe group's probes with `group` (that
   * group's monitors, and those whose `reach` names it).
   */
  function writeRound(index: number, codes: string | Record<string, string>, extra: { canary?: Record<string, CanaryResult>; at?: number; group?: string } = {}) {
    return whileWriting(() => writeRegions(index, codes, extra));
  }

  /** Runs `work` (writes of one round, the clock moved after them) with the aggregator held back until it is done. */
  async function whileWriting<T>(work: () => Promise<T>): Promise<T> {
    let written!: () => void;
    writing = new Promise((resolve) => {
      written = resolve;
    });
    try {
      return await work();
    } finally {
      written();
    }
  }

  async function writeRegions(index: number, codes: string | Record<string, string>, extra: { canary?: Record<string, CanaryResult>; at?: number; group?: string }) {
    const instant = clock.base + index * 60_000;
    for (const [k, region] of REGIONS.entries()) {
      const results: Record<string, RoundResult> = {};
      const probed = (monitor: FleetConfig['monitors'][number]) =>
        monitor.group === extra.group || (extra.group !== undefined && monitor.vantages?.some((v) => v.group === extra.group));
      for (const m of fleet.monitors.filter(probed)) {
        const code = (typeof codes === 'string' ? codes : codes[m.id] ?? 'sss')[k];
        if (code === 'u') results[m.id] = UP;
        else if (code === 'd') results[m.id] = REFUSED;
        else if (code === 't') results[m.id] = SLOW;
        else if (code === 'o') results[m.id] = OPEN;
      }
      if (Object.keys(results).length === 0) continue;
      const items = encodeRoundItems({ instant, region, ...(extra.group ? { group: extra.group } : {}), probedAt: instant + 2000, canary: extra.canary?.[region] ?? CANARY_UP, results });
      await table.store.writeRoundItems(items, `region ${region} round ${index}`);
    }
    clock.now = extra.at ?? instant + 5_000;
  }

  /** Writes an item straight into a round partition (to plant malformed records). */
  async function putRaw(item: Record<string, unknown>) {
    await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall(item) }));
  }

  /**
   * Every alert SNS was asked to publish, in the order asked: each Publish, and each entry of each PublishBatch (as the
   * Publish it stands for), whether SNS then took it or not.
   */
  function publishes(): PublishCommandInput[] {
    return sns.calls().flatMap((call) => {
      const command = call.args[0];
      if (command instanceof PublishCommand) return [command.input];
      if (command instanceof PublishBatchCommand) {
        const { TopicArn, PublishBatchRequestEntries } = command.input;
        return (PublishBatchRequestEntries ?? []).map(({ Id: _id, ...entry }) => ({ TopicArn, ...entry }));
      }
      return [];
    });
  }

  /** The PublishBatch requests made, each with its entries. */
  function batches(): PublishBatchCommandInput[] {
    return sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input);
  }

  function alerts(): AlertMessage[] {
    return publishes().map((p) => JSON.parse(p.Message!) as AlertMessage);
  }

  return {
    table, fleet, sns, logs, clock, aggregate, sweep, poller, events, failures,
    writeRound, whileWriting, putRaw, publishes, batches, alerts,
    drain: () => poller.drain(30_000),
    async close() {
      await poller.stop();
      streams.destroy();
      sns.restore();
      await table.dispose();
    },
  };
}

/** A PublishBatch response in which every entry went. */
export function allSent(input: PublishBatchCommandInput) {
  return { Successful: (input.PublishBatchRequestEntries ?? []).map((e, k) => ({ Id: e.Id, MessageId: `m-${k}` })), Failed: [] };
}

/** Call at the top level of a test file: DynamoDB Local for the file, and a pipeline per call, closed after its test. */
export function usePipelines(): (spec: Omit<FleetSpec, 'regions'> & { regions?: string[] }, options?: PipelineOptions) => Promise<Pipeline> {
  const db = useDynamoDbLocal();
  const opened: Pipeline[] = [];
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
  });
  return async (spec, options = {}) => {
    const p = await pipeline(db, spec, options);
    opened.push(p);
    return p;
  };
}
