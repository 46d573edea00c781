// The home-region half of the local fleet: DynamoDB Local with the real table, the real aggregator fed by the
// table's real stream (helper B's poller, event-source-mapping semantics), and the real sweeper on a schedule.
import { DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { FleetConfig } from '../../functions/shared/domain';
import type { RoundRecord } from '../../functions/shared/domain/record';
import type { Log } from '../../functions/shared/adapters/observability';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import type { AlertPublisher } from '../../functions/shared/adapters/publisher';
import { TableStore } from '../../functions/shared/adapters/store';
import { readStreamRecord } from '../../functions/shared/adapters/stream-record';
import { createAggregateHandler } from '../../functions/aggregate/handler';
import { createSweeperHandler } from '../../functions/sweeper/handler';
import { AGGREGATOR_STREAM } from '../../functions/shared/deployment';
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { roundItemsOnly, StreamPoller } from './stream-poller';

export interface BackendOptions {
  fleet: FleetConfig;
  table: string;
  dataDir?: string;
  publisher: AlertPublisher;
  log: (source: string) => Log;
  /** Every round item the stream delivers, before the aggregator sees it (for the live view). */
  onRound: (record: RoundRecord) => void;
  /** @default 60 (the deployed schedule, rate(1 minute)) */
  sweepEverySeconds?: number;
}

export interface Backend {
  endpoint: string;
  client: DynamoDBClient;
  streamArn: string;
  startStream(): { stop(): Promise<void> };
  startSweeper(): { stop(): Promise<void> };
  stop(): Promise<void>;
}

/** The aggregator's event source mapping as the CDK stack sets it. */
const MAPPING = {
  batchSize: AGGREGATOR_STREAM.batchSize,
  batchWindowMs: AGGREGATOR_STREAM.maxBatchingWindowSeconds * 1000,
  maxRetries: AGGREGATOR_STREAM.retryAttempts,
  onError: AGGREGATOR_STREAM.bisectBatchOnError ? 'bisect' : 'retry',
} as const;

export async function startBackend(options: BackendOptions): Promise<Backend> {
  const dynamo: DynamoDbLocal = await startDynamoDbLocal(options.dataDir ? { dataDir: options.dataDir } : {});
  try {
    const client = dynamo.client(options.fleet.homeRegion);
    const streamArn = await ensureTable(client, options.table);
    const store = new TableStore(client, options.table);
    const metrics = memoryMetrics();
    const aggregate = createAggregateHandler({ fleet: options.fleet, store, publisher: options.publisher, log: options.log('aggregator'), metrics });
    const sweep = createSweeperHandler({ fleet: options.fleet, store, publisher: options.publisher, log: options.log('sweeper'), metrics });
    const sweepLog = options.log('sweeper');

    return {
      endpoint: dynamo.endpoint,
      client,
      streamArn,
      startStream() {
        const streamLog = options.log('stream');
        const poller = new StreamPoller({
          endpoint: dynamo.endpoint,
          awsRegion: options.fleet.homeRegion,
          streamArn,
          ...MAPPING,
          // The deployed mapping filters to round items; state writes reach the stream too.
          filter: roundItemsOnly,
          onFailure: (failure) => streamLog.error('Stream records given up on after retries (the on-failure destination in AWS)', {
            records: failure.records.length, reason: failure.reason, ...(failure.error ? { error: failure.error.message } : {}),
          }),
          handler: async (event: DynamoDBStreamEvent) => {
            for (const record of event.Records) {
              // The aggregator reports unreadable records itself.
              const item = readStreamRecord(record);
              if (item.kind === 'round') options.onRound(item.round);
            }
            return aggregate(event);
          },
        }).start();
        return { stop: () => poller.stop() };
      },
      startSweeper() {
        // Like EventBridge's rate(1 minute): at each period boundary of the wall clock, never two sweeps at once.
        const period = (options.sweepEverySeconds ?? 60) * 1000;
        let timer: NodeJS.Timeout | undefined;
        let running: Promise<unknown> = Promise.resolve();
        let stopped = false;
        const tick = () => {
          if (stopped) return;
          const now = Date.now();
          timer = setTimeout(() => {
            running = running.then(() => sweep({ time: new Date().toISOString() })).catch((error: Error) =>
              sweepLog.error('Sweep failed; the next one tries again', { error: error.message }));
            tick();
          }, period - (now % period) + 500);
        };
        tick();
        return {
          async stop() {
            stopped = true;
            if (timer) clearTimeout(timer);
            await running;
          },
        };
      },
      stop: () => {
        client.destroy();
        return dynamo.stop();
      },
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}

/** Creates the table from TABLE_SCHEMA, or, with a kept data dir, finds the one a previous run created. */
async function ensureTable(client: DynamoDBClient, table: string): Promise<string> {
  try {
    return (await createTables(client, table)).streamArn;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (!Table?.LatestStreamArn) throw new Error(`table ${table} in the --data dir has no stream (delete the dir or choose another --table)`);
    return Table.LatestStreamArn;
  }
}
