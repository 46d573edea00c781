// What the CDK stacks (lib/), the functions and the local fleet (bin/local) must agree on: environment variable names,
// metric and service names, the stream mapping and its filter, function timeouts and memory. Plain values, no aws-cdk-lib.
import { TABLE_SCHEMA } from './domain/table';

/** Environment variables the stacks set and the functions (and the local fleet's workers) read. */
export const ENV = {
  /** Name of the results/state table. */
  table: 'PORTQUORUM_TABLE',
  /** Region of the table (the home region). */
  tableRegion: 'PORTQUORUM_TABLE_REGION',
  /** The region a function runs for (a probe's probing region). */
  region: 'PORTQUORUM_REGION',
  /** The probe group of a VPC probe function; unset for the public probes. */
  group: 'PORTQUORUM_GROUP',
  /** The alert topic the aggregator and the sweeper publish to. */
  topicArn: 'PORTQUORUM_TOPIC_ARN',
  /** Days the history items are kept (the ProbeFleet prop `historyDays`). */
  historyDays: 'PORTQUORUM_HISTORY_DAYS',
  /**
   * Deploy-time addresses of monitors whose target is a construct (an RDS endpoint, a load balancer's DNS name…), as
   * JSON `{ [monitorId]: { host?, port? } }`. Written by the CDK construct, read by the fleet-config adapter.
   */
  targets: 'PORTQUORUM_TARGETS',
  /** The status page's bucket (set only when the fleet declares a statusPage): the sweeper writes the page there. */
  statusBucket: 'PORTQUORUM_STATUS_BUCKET',
  /** A fleet config file to read instead of the fleet.json shipped beside the bundle (local runs). */
  fleetFile: 'PORTQUORUM_FLEET_FILE',
  /** Where `portquorum local` keeps the running fleet's state file. */
  localState: 'PORTQUORUM_LOCAL_STATE',
  /** Set in a local fleet's worker process to the region it plays (seen in `ps`). */
  localWorker: 'PORTQUORUM_LOCAL_WORKER',
  /** The watchdog (probe regions watching the home pipeline's heartbeat): its table in the fallback region. */
  watchdogTable: 'PORTQUORUM_WATCHDOG_TABLE',
  /** The fallback region: the watchdog table and the fallback topic. */
  watchdogRegion: 'PORTQUORUM_WATCHDOG_REGION',
  /** The fallback topic HOME_DOWN and HOME_RECOVERED are published to. */
  fallbackTopicArn: 'PORTQUORUM_FALLBACK_TOPIC_ARN',
  /** Minutes after which the heartbeat is stale. */
  watchdogStaleAfterMinutes: 'PORTQUORUM_WATCHDOG_STALE_AFTER_MINUTES',
  /** Probe regions that must see the heartbeat stale to page HOME_DOWN. */
  watchdogQuorum: 'PORTQUORUM_WATCHDOG_QUORUM',
  /** Powertools' own variables, set by the stacks from SERVICES and METRICS_NAMESPACE. */
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** Namespace of every portquorum metric. */
export const METRICS_NAMESPACE = 'portquorum';

/** The functions portquorum deploys, by their directory under functions/. */
export const FUNCTION_KINDS = ['probe', 'aggregate', 'sweeper'] as const;
export type FunctionKind = (typeof FUNCTION_KINDS)[number];

/** Powertools service names: the `service` key of the logs and the `service` dimension of the metrics. */
export const SERVICES = { probe: 'portquorum-probe', aggregate: 'portquorum-aggregate', sweeper: 'portquorum-sweeper' } as const satisfies Record<FunctionKind, string>;

/**
 * Metric names the handlers emit (all Count). Probe metrics carry { service, region }; aggregator and sweeper
 * metrics carry { service } only. None has a monitor dimension, so the metric count does not grow with monitors.
 *
 * Emission is sparse (functions/shared/adapters/observability.ts), because CloudWatch bills a custom metric for every
 * hour it receives data: only ALWAYS_EMITTED_METRICS are sent on every invocation (zero included); the other counters
 * are sent only when non-zero, so a gap means zero and alarms on them should treat missing data as not breaching.
 * LOG_ONLY_COUNTS are not sent as metrics at all: the functions' summary log lines carry them (Logs Insights).
 */
export const METRIC_NAMES = {
  probe: { rounds: 'Rounds', roundFailures: 'RoundFailures', probesDown: 'ProbesDown', roundWrites: 'RoundWrites', canaryDown: 'CanaryDown' },
  aggregate: {
    streamRecords: 'StreamRecords', recordFailures: 'RecordFailures', monitorsEvaluated: 'MonitorsEvaluated',
    transitions: 'Transitions', alertsPublished: 'AlertsPublished', publishFailures: 'PublishFailures',
    /** Alerts left pending at the pass's publish deadline (claims given back): the next sweep publishes them. */
    alertsCarried: 'AlertsCarried',
    /** History events (transitions, alerts, deliveries) that could not be written; the pages went on without them. */
    historyFailures: 'HistoryFailures',
  },
  sweeper: {
    republished: 'Republished', publishFailures: 'PublishFailures', transitions: 'Transitions',
    /** Alerts left pending at the sweep's publish deadline (claims given back): the next sweep publishes them. */
    alertsCarried: 'AlertsCarried',
    silentProbes: 'SilentProbes', vetoedProbes: 'VetoedProbes', unknownMonitors: 'UnknownMonitors',
    /** Monitor or fleet states a sweep could not read or write (the rest of the sweep went on). */
    stateFailures: 'StateFailures',
    /** History events that could not be written; the pages went on without them. */
    historyFailures: 'HistoryFailures',
  },
} as const satisfies Record<FunctionKind, Record<string, string>>;

type NamesOf<K extends FunctionKind> = (typeof METRIC_NAMES)[K][keyof (typeof METRIC_NAMES)[K]];
/** A metric name some handler emits. */
export type MetricName = NamesOf<'probe'> | NamesOf<'aggregate'> | NamesOf<'sweeper'>;

/**
 * Sent on every flush, zero or not: the per-region series the dashboard graphs and ProbeFleet.metricProbesDown()
 * reads, so "no down results" is a zero rather than a gap (the cost model bills them).
 */
export const ALWAYS_EMITTED_METRICS: readonly MetricName[] = [METRIC_NAMES.probe.probesDown];

/**
 * Volume counters kept out of CloudWatch metrics: nothing graphs or alarms on them, and each function's summary log
 * line already carries them (`writes` and `status` per round, `records` and `evaluated` per batch).
 */
export const LOG_ONLY_COUNTS: readonly MetricName[] = [
  METRIC_NAMES.probe.rounds, METRIC_NAMES.probe.roundWrites, METRIC_NAMES.aggregate.streamRecords, METRIC_NAMES.aggregate.monitorsEvaluated,
];

/** Time limit of each function (seconds). */
export const FUNCTION_TIMEOUT_SECONDS = {
  /** Sub-minute intervals run every round of the minute in one invocation, so a probe outlives its minute a little. */
  probe: 75,
  aggregate: 60,
  /** Under the schedule's minute, so two sweeps never overlap. */
  sweeper: 50,
} as const satisfies Record<FunctionKind, number>;

/**
 * How fast each publishing function (the aggregator, the sweeper) sends alerts to the topic: a token bucket of
 * `burst` messages (one batch) refilled at `perSecond`, so one function sends at most burst + perSecond = 100
 * messages in any second (90 a second sustained: 1,000 alerts in about 11 s), and both together 200. SNS's Publish
 * quota (PublishBatch counts each of its messages against it) is per account and region, thousands a second in
 * the large regions and, as we understand it, 300 in the smallest (AWS General Reference, "Amazon Simple Notification
 * Service endpoints and quotas", https://docs.aws.amazon.com/general/latest/gr/sns.html; its figures could not be
 * re-checked for this release). The default stays within two thirds of the smallest, for any
 * home region, leaving room for other publishers in the account; a wide outage is paced, never throttled.
 */
export const PUBLISH_RATE = { perSecond: 90, burst: 10 } as const;

/**
 * The aggregator and the sweeper stop publishing this long before their timeout: what is left stays pending with
 * its claim given back (carried), and the next sweep publishes it at once. Room for the clears, the history and the
 * summary after the last publish.
 */
export const PUBLISH_DEADLINE_MARGIN_MS = 10_000;

/** Memory of each function (MB); the probe's is the ProbeFleet default, which `probeMemorySize` overrides. */
export const FUNCTION_MEMORY_MB = { probe: 256, aggregate: 512, sweeper: 256 } as const satisfies Record<FunctionKind, number>;

/** Sockets a probe round keeps open at once (Lambda allows 1,024 file descriptors). */
export const PROBE_MAX_SOCKETS = 256;
/**
 * Idle connections watch mode holds at most per probe function (one per watched monitor), beside the round's
 * PROBE_MAX_SOCKETS: 256 + 512 + at most 16 re-probes + the SDK's few sockets stay well inside Lambda's 1,024 descriptors.
 */
export const WATCH_MAX_HELD = 512;

/**
 * A warm aggregator keeps unchanged monitor states this long between invocations before reading them anyway: how long
 * a change whose state-generation move failed could go unseen (the cost model bills the re-read).
 */
export const STATE_CACHE_MAX_AGE_MS = 5 * 60_000;

/** The aggregator's event source mapping on the table's stream; lib/ converts the seconds to Durations. */
export const AGGREGATOR_STREAM = {
  /**
   * At least one round's items (bench section scale: 100,000 monitors × 3 regions write 150 to 201 items a round), so
   * one invocation reads a round's partitions once instead of once per batch of 100 (three times at that size).
   * Lambda still cuts a batch at its 6 MB payload limit (a round item is at most ~20 KB in the bench).
   */
  batchSize: 200,
  /** Regions probe at the same wall-clock instants; a short window lets one invocation see a round from all of them. */
  maxBatchingWindowSeconds: 2,
  retryAttempts: 5,
  /** A batch that throws is split in halves until the poison record is alone. */
  bisectBatchOnError: true,
  /** The aggregator reports failed records by sequence number; Lambda retries from the first of them. */
  reportBatchItemFailures: true,
  /** Results older than this no longer describe the present; they go to the failure queue instead. */
  maxRecordAgeSeconds: 15 * 60,
  /**
   * A round's items share one partition key a region (`round#<region>#…#<instant>`), and a stream keeps a key's
   * records in order, so more would run at most one batch a region's round at once; and a second concurrent batch
   * starts without the warm container's cached states (bench section scale). One, until measurement says otherwise.
   */
  parallelizationFactor: 1,
} as const;

/**
 * The mapping's filter pattern (Lambda event filtering syntax): only round items start the aggregator; its own state
 * writes and TTL deletions do not.
 */
export const AGGREGATOR_STREAM_FILTER = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { NewImage: { [TABLE_SCHEMA.kindAttribute]: { S: [TABLE_SCHEMA.roundItemKind] } } },
} as const;

/**
 * Watch events (watch mode) reach the aggregator through a second mapping on the same stream, made only for a fleet
 * that watches: the same settings but no batching window, so a watch DOWN is not held back up to 2 s waiting for
 * records that are not coming (round items keep theirs, which gathers a round from every region into one invocation).
 */
export const AGGREGATOR_WATCH_STREAM = { ...AGGREGATOR_STREAM, maxBatchingWindowSeconds: 0 } as const;

/** The watch mapping's filter: watch events only (written once each, so INSERT). */
export const AGGREGATOR_WATCH_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { [TABLE_SCHEMA.kindAttribute]: { S: [TABLE_SCHEMA.watchItemKind] } } },
} as const;

/** What the filter sees of a stream record (the Lambda event's shape). */
export interface FilterableRecord {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, { S?: string } | undefined> };
}

/** Whether a record passes AGGREGATOR_STREAM_FILTER, as Lambda's event filtering decides (for the local poller). */
export function passesAggregatorFilter(record: FilterableRecord): boolean {
  return passes(AGGREGATOR_STREAM_FILTER, record);
}

/** Whether a record passes AGGREGATOR_WATCH_FILTER (for the local poller of watch events). */
export function passesWatchFilter(record: FilterableRecord): boolean {
  return passes(AGGREGATOR_WATCH_FILTER, record);
}

function passes(filter: typeof AGGREGATOR_STREAM_FILTER | typeof AGGREGATOR_WATCH_FILTER, record: FilterableRecord): boolean {
  const { eventName, dynamodb } = filter;
  const kind = record.dynamodb?.NewImage?.[TABLE_SCHEMA.kindAttribute]?.S;
  return (eventName as readonly string[]).includes(record.eventName ?? '')
    && kind !== undefined && (dynamodb.NewImage[TABLE_SCHEMA.kindAttribute].S as readonly string[]).includes(kind);
}

/** The status page's objects in its bucket (the sweeper writes them, CloudFront serves them): the page at the root, its data beside it. */
export const STATUS_OBJECTS = { page: 'index.html', data: 'status.json' } as const;
