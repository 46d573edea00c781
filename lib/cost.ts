// The fleet's estimated monthly AWS bill: a pure model (no CDK, no I/O) shared by `cdk synth` and `portquorum cost`.
import type { FleetConfig } from '../functions/shared/domain';

/**
 * Prices in USD, us-east-1, on-demand, without the free tier, as published on the AWS pricing pages named in
 * `sources` on the date in `asOf`. Other regions cost up to ~30 % more; the estimate says so.
 */
export const PRICES = {
  asOf: '2025-10-01',
  region: 'us-east-1',
  sources: [
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    'https://aws.amazon.com/sns/pricing/',
    'https://aws.amazon.com/eventbridge/pricing/',
    'https://aws.amazon.com/cloudwatch/pricing/',
    'https://aws.amazon.com/kms/pricing/',
    'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
  ],
  lambda: {
    /** Per request. */
    request: 0.2 / 1e6,
    /** Per GB-second on arm64 (Graviton), first pricing tier. */
    gbSecondArm64: 0.0000133334,
  },
  dynamodb: {
    /** Per write request unit (1 KB). */
    writeRequestUnit: 0.625 / 1e6,
    /** Per read request unit (4 KB, strongly consistent). */
    readRequestUnit: 0.125 / 1e6,
    /** Per GB-month of table storage. */
    storageGbMonth: 0.25,
    /** Per GB-month of point-in-time-recovery backup. */
    pitrGbMonth: 0.2,
    /** Stream reads by a Lambda event source mapping are free. */
    streamReadByLambda: 0,
  },
  /** Per GB sent from one AWS region to another (probe regions writing to the home table). */
  interRegionTransferGb: 0.02,
  sns: {
    /** Per publish (64 KB chunk). */
    publish: 0.5 / 1e6,
    /** Per email/email-JSON delivery. */
    emailDelivery: 2 / 1e5,
    /** Per HTTP/S delivery. */
    httpsDelivery: 0.6 / 1e6,
  },
  eventbridge: {
    /** Scheduled rules on the default event bus are free. */
    scheduledRuleInvocation: 0,
  },
  cloudwatch: {
    /** Per GB of log data ingested (standard class). */
    logIngestionGb: 0.5,
    /** Per GB-month of archived logs. */
    logStorageGbMonth: 0.03,
    /** Per custom metric per month (first 10,000). */
    metricMonth: 0.3,
    /** Per standard-resolution alarm metric per month. */
    alarmMonth: 0.1,
    /** Per dashboard per month (beyond the first three in an account). */
    dashboardMonth: 3,
  },
  kms: {
    /** Per customer-managed key per month. */
    keyMonth: 1,
    /** Per API request. */
    request: 0.03 / 1e4,
  },
} as const;

export const SECONDS_PER_MONTH = 30 * 24 * 3600;
const INVOCATIONS_PER_MONTH = SECONDS_PER_MONTH / 60;
const GB = 1024 ** 3;

export interface CostInputs {
  /** Monitors in the fleet. */
  monitors: number;
  /** Regions that probe (every monitor is assumed to be probed from every region). */
  regions: number;
  /** Seconds between rounds: the fleet's mean interval, which sets how much is written and read. */
  intervalSeconds: number;
  /**
   * Round items each region writes per round (a round's results are split over this many items).
   * @default one item per 1,000 monitors, at least 1
   */
  shards?: number;
  /**
   * The fleet's shortest interval: under 60 s the probe function stays up the whole minute.
   * @default intervalSeconds
   */
  shortestIntervalSeconds?: number;
  /** Extra probe functions (VPC probe groups × their regions), each invoked once a minute. @default 0 */
  probeGroupFunctions?: number;
  /** Probe function memory. @default 256 */
  probeMemoryMb?: number;
  /** Aggregator and sweeper memory. @default 256 */
  homeMemoryMb?: number;
  /** Alerts published per month. @default 100 */
  alertsPerMonth?: number;
  /** Email subscriptions on the alert topic. @default 1 */
  emailSubscriptions?: number;
  /** Days the functions' logs are kept. @default 30 */
  logRetentionDays?: number;
  /** Bytes one monitor's result takes in a round item. @default 24 */
  bytesPerResult?: number;
  /** Alarms in the home stack. @default 3 */
  alarms?: number;
}

export interface CostItem {
  /** What is billed: Lambda, DynamoDB, SNS, schedules, logs, CloudWatch, KMS. */
  service: string;
  monthlyUsd: number;
  /** How the number was reached, in one line. */
  detail: string;
}

export interface CostEstimate {
  items: CostItem[];
  totalUsd: number;
  /** The assumptions behind the numbers, for the report's footer. */
  assumptions: string[];
  pricesAsOf: string;
  pricesRegion: string;
}

/** Estimates the monthly bill of a fleet. Pure: same inputs, same answer. */
export function estimateMonthlyCost(inputs: CostInputs): CostEstimate {
  const monitors = Math.max(0, Math.floor(inputs.monitors));
  const regions = Math.max(1, Math.floor(inputs.regions));
  const interval = Math.max(1, inputs.intervalSeconds);
  const shortest = Math.max(1, Math.min(interval, inputs.shortestIntervalSeconds ?? interval));
  const shards = Math.max(1, Math.floor(inputs.shards ?? Math.ceil(monitors / 1000)));
  const groupFunctions = Math.max(0, inputs.probeGroupFunctions ?? 0);
  const probeGb = (inputs.probeMemoryMb ?? 256) / 1024;
  const homeGb = (inputs.homeMemoryMb ?? 256) / 1024;
  const alerts = Math.max(0, inputs.alertsPerMonth ?? 100);
  const emails = Math.max(0, inputs.emailSubscriptions ?? 1);
  const retentionDays = Math.max(1, inputs.logRetentionDays ?? 30);
  const bytesPerResult = inputs.bytesPerResult ?? 24;
  const alarms = inputs.alarms ?? 3;

  const roundsPerMonth = SECONDS_PER_MONTH / interval;
  // One round probes every monitor under a cap of 256 sockets; a healthy connect takes well under 150 ms.
  const roundSeconds = 0.4 + 0.15 * Math.ceil(monitors / 256);
  // Under a minute the function runs every round of the minute, waiting in between (billed as duration).
  const probeSeconds = shortest < 60 ? 60 - shortest + roundSeconds : roundSeconds;
  const probeFunctions = regions + groupFunctions;
  const probeInvocations = probeFunctions * INVOCATIONS_PER_MONTH;

  const itemBytes = 100 + Math.ceil(monitors / shards) * bytesPerResult;
  const itemsPerMonth = regions * shards * roundsPerMonth;
  // The aggregator reads every region's latest item of the shard each time an item arrives.
  const aggregatorInvocations = roundsPerMonth * Math.ceil((regions * shards) / 100);
  const aggregatorSeconds = 0.15 + 0.00002 * monitors * regions;
  const sweeperInvocations = INVOCATIONS_PER_MONTH;
  const sweeperSeconds = 0.2;

  const lambdaRequests = probeInvocations + aggregatorInvocations + sweeperInvocations;
  const lambdaGbSeconds =
    probeInvocations * probeSeconds * probeGb +
    (aggregatorInvocations * aggregatorSeconds + sweeperInvocations * sweeperSeconds) * homeGb;
  const lambdaUsd = lambdaRequests * PRICES.lambda.request + lambdaGbSeconds * PRICES.lambda.gbSecondArm64;

  const wru = itemsPerMonth * Math.ceil(itemBytes / 1024);
  const rru = itemsPerMonth * regions * Math.ceil(itemBytes / 4096) + sweeperInvocations * regions * shards;
  // Round items live about a day (TTL); state items are small.
  const storedGb = (regions * shards * (86_400 / interval) * itemBytes) / GB + (monitors * 500) / GB;
  const transferGb = ((regions - 1) * shards * roundsPerMonth * itemBytes) / GB;
  const dynamoUsd =
    wru * PRICES.dynamodb.writeRequestUnit +
    rru * PRICES.dynamodb.readRequestUnit +
    storedGb * (PRICES.dynamodb.storageGbMonth + PRICES.dynamodb.pitrGbMonth) +
    transferGb * PRICES.interRegionTransferGb;

  const snsUsd = alerts * (PRICES.sns.publish + emails * PRICES.sns.emailDelivery);
  const schedules = probeFunctions + 1;

  // One summary line per round and Lambda's START/END/REPORT lines per invocation; details only on failures.
  const logBytes =
    probeInvocations * (350 + Math.max(1, 60 / shortest) * 300) +
    aggregatorInvocations * 600 +
    sweeperInvocations * 550;
  const logGb = logBytes / GB;
  const logsUsd = logGb * PRICES.cloudwatch.logIngestionGb + logGb * (retentionDays / 30) * PRICES.cloudwatch.logStorageGbMonth;

  // Metrics have a region dimension, never a monitor one: a handful per region plus fleet-wide ones.
  const metrics = 4 * probeFunctions + 3;
  const cloudwatchUsd =
    metrics * PRICES.cloudwatch.metricMonth + alarms * PRICES.cloudwatch.alarmMonth + PRICES.cloudwatch.dashboardMonth;
  const kmsUsd = PRICES.kms.keyMonth + alerts * 2 * PRICES.kms.request;

  const items: CostItem[] = [
    {
      service: 'Lambda',
      monthlyUsd: lambdaUsd,
      detail: `${fmtInt(lambdaRequests)} invocations, ${fmtInt(lambdaGbSeconds)} GB-s (probe ${fmtNum(probeSeconds)} s × ${probeFunctions} function${probeFunctions === 1 ? '' : 's'} × once a minute, arm64)`,
    },
    {
      service: 'DynamoDB',
      monthlyUsd: dynamoUsd,
      detail: `${fmtInt(wru)} writes, ${fmtInt(rru)} reads (on-demand), ${fmtNum(storedGb, 2)} GB stored with PITR, ${fmtNum(transferGb, 2)} GB cross-region`,
    },
    {
      service: 'SNS',
      monthlyUsd: snsUsd,
      detail: `${fmtInt(alerts)} alerts × ${emails} email subscription${emails === 1 ? '' : 's'}`,
    },
    {
      service: 'Schedules',
      monthlyUsd: schedules * INVOCATIONS_PER_MONTH * PRICES.eventbridge.scheduledRuleInvocation,
      detail: `${schedules} EventBridge rules firing once a minute (scheduled rules are free)`,
    },
    {
      service: 'Logs',
      monthlyUsd: logsUsd,
      detail: `${fmtNum(logGb, 2)} GB ingested (one summary line per round), kept ${retentionDays} days`,
    },
    {
      service: 'CloudWatch',
      monthlyUsd: cloudwatchUsd,
      detail: `${metrics} metrics (none per monitor), ${alarms} alarms, 1 dashboard`,
    },
    { service: 'KMS', monthlyUsd: kmsUsd, detail: '1 customer-managed key for the alert topic and failure queue' },
  ];
  const totalUsd = items.reduce((sum, item) => sum + item.monthlyUsd, 0);
  return {
    items,
    totalUsd,
    pricesAsOf: PRICES.asOf,
    pricesRegion: PRICES.region,
    assumptions: [
      `${fmtInt(monitors)} monitors × ${regions} region${regions === 1 ? '' : 's'}, a round every ${fmtNum(interval)} s${shortest < interval ? ` (shortest ${shortest} s)` : ''}, ${shards} round item${shards === 1 ? '' : 's'} per region per round`,
      'every target up (failures add log lines and alerts); no free tier',
      `${PRICES.region} prices as of ${PRICES.asOf}; other regions cost up to ~30 % more`,
    ],
  };
}

/** Cost inputs for a resolved fleet: counts from the config, the interval weighted by how often monitors are probed. */
export function costInputsFromFleet(config: FleetConfig, extra: Omit<CostInputs, 'monitors' | 'regions' | 'intervalSeconds'> = {}): CostInputs {
  const monitors = config.monitors.length;
  const regions = config.regions.length;
  if (monitors === 0) return { monitors, regions, intervalSeconds: 60, ...extra };
  // Mean rate of monitor-region probes per second, turned back into "every monitor in every region at interval X".
  let probesPerSecond = 0;
  let shortest = Infinity;
  for (const m of config.monitors) {
    probesPerSecond += m.regions.length / m.interval;
    shortest = Math.min(shortest, m.interval);
  }
  const intervalSeconds = (monitors * regions) / probesPerSecond;
  return { monitors, regions, intervalSeconds, shortestIntervalSeconds: shortest, ...extra };
}

/** The estimate as aligned text lines (for the synth annotation and the CLI). */
export function formatCostEstimate(estimate: CostEstimate): string {
  const width = Math.max(...estimate.items.map((i) => i.service.length), 'Total'.length);
  const money = (usd: number) => `$${usd.toFixed(2).padStart(8)}`;
  const lines = [
    'Estimated monthly cost (USD):',
    ...estimate.items.map((i) => `  ${i.service.padEnd(width)}  ${money(i.monthlyUsd)}  ${i.detail}`),
    `  ${'Total'.padEnd(width)}  ${money(estimate.totalUsd)}`,
    ...estimate.assumptions.map((a) => `  assumes ${a}`),
  ];
  return lines.join('\n');
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtNum(n: number, digits = 1): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}
