// What the home region's functions (aggregator, sweeper) build from their environment: table, alert topic, logs, metrics.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { HomeFleetConfig } from '../domain';
import { ENV, PUBLISH_RATE, SERVICES } from '../deployment';
import { required } from './env';
import { loadHomeFleetConfig } from './fleet-config';
import { createLog, createMetrics, type Log, type MetricSink } from './observability';
import { SnsPublisher, type AlertPublisher } from './publisher';
import { PublishLimiter } from './publish-rate';
import { TableStore } from './store';

export interface HomeDeps {
  fleet: HomeFleetConfig;
  store: TableStore;
  publisher: AlertPublisher;
  /** Paces the publishes within the topic's throughput (PUBLISH_RATE in a deployed function). @default none: unpaced */
  publishLimiter?: PublishLimiter;
  log: Log;
  metrics: MetricSink;
}

/** Deps from the function's environment (ENV.table, ENV.tableRegion, ENV.topicArn) and the fleet.json beside it. */
export function homeDepsFromEnv(kind: 'aggregate' | 'sweeper', env: NodeJS.ProcessEnv = process.env): HomeDeps {
  const region = env[ENV.tableRegion] ?? env.AWS_REGION;
  return {
    fleet: loadHomeFleetConfig(),
    // Retries with backoff absorb throttling; what still fails is reported (batch item failures, a failed sweep).
    store: new TableStore(new DynamoDBClient({ region, maxAttempts: 6 }), required(env, ENV.table), {
      ...(env[ENV.historyDays] ? { historyDays: Number(env[ENV.historyDays]) } : {}),
    }),
    publisher: new SnsPublisher(new SNSClient({ region, maxAttempts: 4 }), required(env, ENV.topicArn)),
    publishLimiter: new PublishLimiter(PUBLISH_RATE),
    log: createLog(SERVICES[kind]),
    metrics: createMetrics(SERVICES[kind]),
  };
}
