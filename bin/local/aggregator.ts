// The real aggregator, fed by the table's real stream through the local poller with the deployed mapping's settings.
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { FleetConfig } from '../../functions/shared/domain';
import type { RoundRecord } from '../../functions/shared/domain/record';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import type { AlertPublisher } from '../../functions/shared/adapters/publisher';
import type { TableStore } from '../../functions/shared/adapters/store';
import { readStreamRecord } from '../../functions/shared/adapters/stream-record';
import { createAggregateHandler } from '../../functions/aggregate/handler';
import { AGGREGATOR_STREAM, AGGREGATOR_WATCH_STREAM } from '../../functions/shared/deployment';
import { handlerLog, type Say } from './events';
import { roundItemsOnly, StreamPoller, watchItemsOnly, type StreamFailure } from './stream-poller';
import type { Part } from './supervisor';

/** The aggregator's event source mapping as the CDK stack sets it. */
const MAPPING = {
  batchSize: AGGREGATOR_STREAM.batchSize,
  batchWindowMs: AGGREGATOR_STREAM.maxBatchingWindowSeconds * 1000,
  maxRetries: AGGREGATOR_STREAM.retryAttempts,
  onError: AGGREGATOR_STREAM.bisectBatchOnError ? 'bisect' : 'retry',
} as const;

export interface AggregatorOptions {
  fleet: FleetConfig;
  /** DynamoDB Local's endpoint and the table's stream. */
  endpoint: string;
  streamArn: string;
  store: TableStore;
  publisher: AlertPublisher;
  say: Say;
  /** Every round item the stream delivers, before the aggregator sees it (for the live view). */
  onRound: (record: RoundRecord) => void;
}

/** Starts polling the stream into the real aggregator handler; stopping it finishes the batch in hand. */
export function startAggregator(options: AggregatorOptions): Part {
  // Once the batch in hand is abandoned, what the handler still says (its writes failing as DynamoDB Local stops) is
  // the stop itself, not news: one line says the batch was abandoned instead.
  let abandoned = false;
  const say: Say = (...line) => {
    if (!abandoned) options.say(...line);
  };
  const aggregate = createAggregateHandler({
    fleet: options.fleet, store: options.store, publisher: options.publisher, log: handlerLog(say, 'aggregator'), metrics: memoryMetrics(),
  });
  const streamLog = handlerLog(say, 'stream');
  const showRounds = roundsOf(options.onRound);
  const onFailure = (failure: StreamFailure) => streamLog.error('Stream records given up on after retries (the on-failure destination in AWS)', {
    records: failure.records.length, reason: failure.reason, ...(failure.error ? { error: failure.error.message } : {}),
  });
  const poller = new StreamPoller({
    endpoint: options.endpoint,
    awsRegion: options.fleet.homeRegion,
    streamArn: options.streamArn,
    ...MAPPING,
    // The deployed mapping filters to round items; state writes reach the stream too.
    filter: roundItemsOnly,
    onFailure,
    handler: (event: DynamoDBStreamEvent) => {
      showRounds(event);
      return aggregate(event);
    },
  }).start();
  // A fleet that watches has the second mapping, for watch events, without a batching window; its invocations are
  // another instance of the function, as Lambda would run them beside the first.
  const watchPoller = options.fleet.monitors.some((m) => m.watch === true)
    ? new StreamPoller({
      endpoint: options.endpoint,
      awsRegion: options.fleet.homeRegion,
      streamArn: options.streamArn,
      batchSize: AGGREGATOR_WATCH_STREAM.batchSize,
      batchWindowMs: AGGREGATOR_WATCH_STREAM.maxBatchingWindowSeconds * 1000,
      maxRetries: AGGREGATOR_WATCH_STREAM.retryAttempts,
      onError: AGGREGATOR_WATCH_STREAM.bisectBatchOnError ? 'bisect' : 'retry',
      filter: watchItemsOnly,
      onFailure,
      handler: createAggregateHandler({
        fleet: options.fleet, store: options.store, publisher: options.publisher, log: handlerLog(say, 'aggregator'), metrics: memoryMetrics(),
      }),
    }).start()
    : undefined;
  return {
    name: 'the stream poller',
    async stop(deadline) {
      const [rounds, watch] = await Promise.all([poller.stop(deadline), watchPoller?.stop(deadline) ?? 'finished']);
      if (rounds === 'finished' && watch === 'finished') return undefined;
      abandoned = true;
      return 'the batch in hand was abandoned at the deadline (its records stay in the stream)';
    },
  };
}

/** Hands each round item of a batch to `onRound`; the aggregator reports unreadable records itself. */
function roundsOf(onRound: (record: RoundRecord) => void): (event: DynamoDBStreamEvent) => void {
  return (event) => {
    for (const record of event.Records) {
      const item = readStreamRecord(record);
      if (item.kind === 'round') onRound(item.round);
    }
  };
}
