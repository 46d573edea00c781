// The fleet's estimated monthly AWS bill: a pure model (no CDK, no I/O) shared by `cdk synth` and `portquorum cost`.
// Each line says whether it rests on a figure `npm run bench` measured (docs/benchmarks.json) or on the model.
import type { FleetConfig } from '../../functions/shared/domain';
import { COMPRESS_ABOVE_BYTES, MAX_SHARD_BYTES, ROUND_TTL_SECONDS } from '../../functions/shared/domain/record';
import { HISTORY_SHARDS } from '../../functions/shared/domain/history';
import { probeShardCount } from '../../functions/shared/domain/probe-shards';
import { ALWAYS_EMITTED_METRICS, FUNCTION_MEMORY_MB, METRIC_NAMES, PROBE_MAX_SOCKETS, STATE_CACHE_MAX_AGE_MS } from '../../functions/shared/deployment';
import type { MeasuredFigures, MeasuredSpread } from './measured';
import { AWS_FREE_TIER, AWS_PRICES, DEFAULT_REGION_ORDER, PRICES_AS_OF, PRICE_SOURCES, STATUS_PAGE_PRICES, pricesFor, type Price, type RegionPrices } from './prices';

/** The prices of the home region in the table's first row, kept for callers that want one region's numbers. */
export const PRICES = { ...AWS_PRICES['us-east-1']!, asOf: PRICES_AS_OF, sources: Object.values(PRICE_SOURCES) };

export const SECONDS_PER_MONTH = 30 * 24 * 3600;
const MINUTES_PER_MONTH = SECONDS_PER_MONTH / 60;
/** A history item as stored (keys, TTL, a transition with three regions' parts): the largest of its kinds. */
const HISTORY_ITEM_BYTES = 400;
const HOURS_PER_MONTH = SECONDS_PER_MONTH / 3600;
const GB = 1024 ** 3;

/** Attribute names and key values of a round item besides its results (pk, sk, kind, v, region, round, shard …). */
const ROUND_ITEM_OVERHEAD_BYTES = 130;
/** A monitor's state item as stored (pk, sk, version, the state map with its field names); no pending alerts. */
const STATE_ITEM_BYTES = 200;
/**
 * Results text above COMPRESS_ABOVE_BYTES is stored raw-deflated; the aggregator bench measured 22.7 → 7.6 bytes per
 * monitor on ids like `payments-redis-prod-eu-3f`, about a third.
 */
const DEFLATED_SHARE = 1 / 3;
/** A warm aggregator re-reads every state at least this often even when none changed. */
const STATE_CACHE_MAX_AGE_MINUTES = STATE_CACHE_MAX_AGE_MS / 60_000;
/** Lambda gives a function one full vCPU at 1,769 MB and a proportional share below. */
const FULL_VCPU_MB = 1769;
/**
 * Metrics the probes emit on every invocation, whatever the values, each a series per probe region
 * (ALWAYS_EMITTED_METRICS). Every other metric is emitted only when non-zero.
 */
export const ALWAYS_EMITTED_METRICS_PER_PROBE_REGION = ALWAYS_EMITTED_METRICS.filter((name) => (Object.values(METRIC_NAMES.probe) as string[]).includes(name)).length;
/** Bytes of each log line as Powertools and Lambda write them (measured from the handlers' own fields). */
const LOG_LINE_BYTES = {
  /** Lambda's platform.start and platform.report lines in JSON log format (modelled). */
  platform: 400,
  /** The probe's EMF line with its one always-emitted metric. */
  probeEmf: 240,
  /** 'Round probed', one per round. */
  probeRound: 270,
  /** 'Batch aggregated', one per aggregator invocation. */
  aggregatorBatch: 280,
  /** 'Swept', one per sweep. */
  sweep: 310,
} as const;

export interface CostInputs {
  /** Monitors in the fleet. */
  monitors: number;
  /** Regions that probe (every monitor is assumed to be probed from every region). */
  regions: number;
  /** Seconds between rounds: the fleet's mean interval, which sets how much is written and read. */
  intervalSeconds: number;
  /**
   * The probe regions by name, home region first unless `homeRegion` says otherwise (prices differ by region).
   * @default the first `regions` of us-east-1, eu-west-1, ap-southeast-1, us-west-2, eu-central-1, ap-northeast-1
   */
  regionNames?: string[];
  /** Region of the table, aggregator, sweeper, topic, alarms and dashboard. @default regionNames[0] */
  homeRegion?: string;
  /**
   * Round items each region writes per round.
   * @default per probe shard, as many 64 KB items as its results need (one up to ~2,600 monitors)
   */
  shards?: number;
  /** Monitors one probe invocation checks at most (ProbeFleet's monitorsPerProbe). @default 2000 (DEFAULT_MONITORS_PER_PROBE) */
  monitorsPerProbe?: number;
  /**
   * The fleet's shortest interval: under 60 s the probe function stays up the whole minute.
   * @default intervalSeconds
   */
  shortestIntervalSeconds?: number;
  /** Extra probe functions (VPC probe groups × their regions), each invoked once a minute. @default 0 */
  probeGroupFunctions?: number;
  /** Probe function memory. @default 256 (FUNCTION_MEMORY_MB.probe) */
  probeMemoryMb?: number;
  /** Aggregator memory. @default 512 (FUNCTION_MEMORY_MB.aggregate) */
  aggregatorMemoryMb?: number;
  /** Sweeper memory. @default 256 (FUNCTION_MEMORY_MB.sweeper) */
  sweeperMemoryMb?: number;
  /** Alerts published per month. @default 100 */
  alertsPerMonth?: number;
  /** Email subscriptions on the alert topic. @default 1 */
  emailSubscriptions?: number;
  /** Days the functions' logs are kept. @default 30 */
  logRetentionDays?: number;
  /** Bytes one monitor's result takes in a round item. @default 24 (a 12-character id) */
  bytesPerResult?: number;
  /** Alarm metrics in the home stack (an alarm per metric it reads). @default 9 (what ProbeFleet creates) */
  alarms?: number;
  /** Rounds the verdict reads per evaluation: twice the longest threshold. @default 4 (thresholds of 2) */
  windowRounds?: number;
  /** A status page (ProbeFleet's statusPage) is deployed. @default false */
  statusPage?: boolean;
  /** Take the account's free tier off (only right when nothing else in the account uses it). @default false */
  freeTier?: boolean;
  /**
   * Monitors in watch mode (`watch: true`): their probe functions stay up for the whole minute holding connections.
   * @default 0
   */
  watchedMonitors?: number;
}

/** Where a line's number comes from. */
export type CostBasis = 'measured' | 'modelled' | 'counted';

export interface CostItem {
  /** What is billed: Lambda, DynamoDB (writes, reads, history, storage), Data transfer, SNS, Schedules, Logs, CloudWatch, KMS, Free tier. */
  service: string;
  /** Which part of it: 'probe', 'writes', 'metrics' …; empty when the service has one line. */
  part: string;
  monthlyUsd: number;
  /** measured: from docs/benchmarks.json; modelled: this model's estimate; counted: a count of resources × a price. */
  basis: CostBasis;
  /** How the number was reached, in one line. */
  detail: string;
  /** Some price behind this line could not be verified on PRICES_AS_OF (see lib/prices.ts). */
  unverifiedPrice: boolean;
}

export interface CostEstimate {
  items: CostItem[];
  totalUsd: number;
  perMonitorUsd: number;
  monitors: number;
  regions: string[];
  homeRegion: string;
  intervalSeconds: number;
  /** The assumptions behind the numbers, for the report's footer. */
  assumptions: string[];
  pricesAsOf: string;
  /** Regions priced with another region's numbers because the table lacks them. */
  unpricedRegions: string[];
}

/** Estimates the monthly bill of a fleet. Pure: same inputs (and measured figures), same answer. */
export function estimateMonthlyCost(inputs: CostInputs, measured: MeasuredFigures = {}): CostEstimate {
  const monitors = Math.max(0, Math.floor(inputs.monitors));
  const regionCount = Math.max(1, Math.floor(inputs.regions));
  const interval = Math.max(1, inputs.intervalSeconds);
  const shortest = Math.max(1, Math.min(interval, inputs.shortestIntervalSeconds ?? interval));
  const regionNames = resolveRegionNames(regionCount, inputs.regionNames);
  const home = inputs.homeRegion ?? regionNames[0]!;
  const homePrices = pricesFor(home).prices;
  const probePrices = regionNames.map((r) => pricesFor(r).prices);
  const unpricedRegions = [...new Set([home, ...regionNames])].filter((r) => !pricesFor(r).known);
  const bytesPerResult = inputs.bytesPerResult ?? 24;
  // A region's monitors run as probe shards (each its own invocation and items), each shard's results in 64 KB items.
  const probeShards = probeShardCount(monitors, inputs.monitorsPerProbe);
  const monitorsPerProbe = Math.ceil(monitors / probeShards);
  const shards = Math.max(1, Math.floor(inputs.shards ?? probeShards * Math.max(1, Math.ceil((monitorsPerProbe * bytesPerResult) / MAX_SHARD_BYTES))));
  const groupFunctions = Math.max(0, inputs.probeGroupFunctions ?? 0);
  const probeMb = inputs.probeMemoryMb ?? FUNCTION_MEMORY_MB.probe;
  const aggregatorMb = inputs.aggregatorMemoryMb ?? FUNCTION_MEMORY_MB.aggregate;
  const sweeperMb = inputs.sweeperMemoryMb ?? FUNCTION_MEMORY_MB.sweeper;
  const alerts = Math.max(0, inputs.alertsPerMonth ?? 100);
  const emails = Math.max(0, inputs.emailSubscriptions ?? 1);
  const retentionDays = Math.max(1, inputs.logRetentionDays ?? 30);
  const alarms = inputs.alarms ?? 9;
  const windowRounds = Math.max(1, inputs.windowRounds ?? 4);

  const roundsPerMonth = SECONDS_PER_MONTH / interval;
  const roundsPerMinute = shortest < 60 ? 60 / shortest : 1;
  // Invoked once a minute each: every probe shard of every region, and each VPC group's function (one shard each).
  const probeFunctions = regionCount * probeShards + groupFunctions;
  const probeInvocations = probeFunctions * MINUTES_PER_MONTH;
  const resultBytes = Math.ceil(monitors / shards) * bytesPerResult;
  const itemBytes = ROUND_ITEM_OVERHEAD_BYTES + (resultBytes > COMPRESS_ABOVE_BYTES ? Math.ceil(resultBytes * DEFLATED_SHARE) : resultBytes);
  const roundBytesAllRegions = regionCount * shards * itemBytes;
  // EventBridge starts each region's probe at a different second, so a minute's first round reaches the stream as one
  // batch per region; later rounds of the minute are aligned to the wall clock and land inside one 2 s batching window.
  const batchesPerRound = interval >= 60 ? regionCount : (regionCount + (60 / interval - 1)) / (60 / interval);
  const aggregatorInvocations = roundsPerMonth * batchesPerRound;
  const sweeperInvocations = MINUTES_PER_MONTH;

  const items: CostItem[] = [];
  const push = (service: string, part: string, monthlyUsd: number, basis: CostBasis, detail: string, prices: Price[]) =>
    items.push({ service, part, monthlyUsd, basis, detail, unverifiedPrice: prices.some((p) => !p.verified) });

  // --- Lambda ---------------------------------------------------------------------------------------------------
  // Every monitor in every region, split over the probe shards (groups split them further, which only shortens rounds).
  const probeRound = probeRoundSeconds(monitorsPerProbe, probeMb, measured);
  // Under a minute the function runs every round of its minute and waits in between (the wait is billed duration).
  const probeSeconds = (shortest < 60 ? 60 - shortest : 0) + probeRound.seconds;
  const coldStart = coldStartSeconds(measured);
  const coldStartsPerFunction = 12 * 30; // environments are recycled every few hours: ~12 a day (modelled)
  const probeGbSeconds = (probeInvocations * probeSeconds + probeFunctions * coldStartsPerFunction * coldStart.seconds) * (probeMb / 1024);
  // Each region runs its share of the probe functions (groups are spread over the regions evenly).
  const probeUsd = sumOverRegions(probePrices, (p) => (probeInvocations * p.lambda.request.usd + probeGbSeconds * p.lambda.gbSecondArm64.usd) / regionCount);
  push('Lambda', 'probe', probeUsd, probeRound.basis,
    `${fmtInt(probeInvocations)} invocations × ${fmtNum(probeSeconds, 2)} s at ${probeMb} MB = ${fmtInt(probeGbSeconds)} GB-s (${probeShards > 1 ? `${probeShards} probe shards a region of ${fmtInt(monitorsPerProbe)} monitors; ` : ''}${probeRound.detail}${shortest < 60 ? `, waiting ${60 - shortest} s between the minute's ${roundsPerMinute} rounds` : ''})`,
    probePrices.flatMap((p) => [p.lambda.request, p.lambda.gbSecondArm64]));

  // Watch mode: the function holds its connections until the minute ends. Under 60 s it already stays up; at 60 s and
  // above every public probe function now bills the rest of its minute. Watch events are written only on failures
  // (one small item per region), which the alerts already stand for.
  const watched = Math.max(0, Math.min(monitors, Math.floor(inputs.watchedMonitors ?? 0)));
  if (watched > 0) {
    const extraSeconds = shortest < 60 ? 0 : Math.max(0, 60 - probeSeconds);
    const watchInvocations = regionCount * MINUTES_PER_MONTH;
    const watchGbSeconds = watchInvocations * extraSeconds * (probeMb / 1024);
    push('Lambda', 'watch', sumOverRegions(probePrices, (p) => (watchGbSeconds * p.lambda.gbSecondArm64.usd) / regionCount), 'modelled',
      extraSeconds === 0
        ? `${fmtInt(watched)} monitors in watch mode: nothing more, the probe function already stays up for its minute (intervals under 60 s)`
        : `${fmtInt(watched)} monitors in watch mode: the probe function stays up for its minute holding their connections, `
          + `${fmtInt(watchInvocations)} invocations × ${fmtNum(extraSeconds, 2)} s more at ${probeMb} MB = ${fmtInt(watchGbSeconds)} GB-s; watch events are written only on failures`,
      probePrices.map((p) => p.lambda.gbSecondArm64));
  }

  const evaluation = evaluationSeconds(monitors, regionCount, measured);
  const aggregatorSeconds = evaluation.seconds;
  const aggregatorGbSeconds = (aggregatorInvocations * aggregatorSeconds + coldStartsPerFunction * coldStart.seconds) * (aggregatorMb / 1024);
  push('Lambda', 'aggregator',
    aggregatorInvocations * homePrices.lambda.request.usd + aggregatorGbSeconds * homePrices.lambda.gbSecondArm64.usd,
    evaluation.basis,
    `${fmtInt(aggregatorInvocations)} stream batches (${fmtNum(batchesPerRound, 2)} a round) × ${fmtNum(aggregatorSeconds, 2)} s at ${aggregatorMb} MB = ${fmtInt(aggregatorGbSeconds)} GB-s (${evaluation.detail})`,
    [homePrices.lambda.request, homePrices.lambda.gbSecondArm64]);

  // The sweeper evaluates every monitor once a minute: the same work as a batch holding every region's items.
  const sweeperSeconds = 0.05 + aggregatorSeconds;
  const sweeperGbSeconds = (sweeperInvocations * sweeperSeconds + coldStartsPerFunction * coldStart.seconds) * (sweeperMb / 1024);
  push('Lambda', 'sweeper',
    sweeperInvocations * homePrices.lambda.request.usd + sweeperGbSeconds * homePrices.lambda.gbSecondArm64.usd,
    evaluation.basis,
    `${fmtInt(sweeperInvocations)} sweeps × ${fmtNum(sweeperSeconds, 2)} s at ${sweeperMb} MB = ${fmtInt(sweeperGbSeconds)} GB-s (every monitor evaluated once a minute)`,
    [homePrices.lambda.request, homePrices.lambda.gbSecondArm64]);

  // --- DynamoDB -------------------------------------------------------------------------------------------------
  const dynamo = dynamoUnits({ monitors, regionCount, interval, shards, itemBytes, roundBytesAllRegions, batchesPerRound, windowRounds, alerts, roundsPerMonth }, measured);
  const d = homePrices.dynamodb;
  push('DynamoDB', 'writes', dynamo.writeUnits * d.writeRequestUnit.usd, dynamo.basis,
    `${fmtInt(dynamo.writeUnits)} write units (on-demand): ${dynamo.writeDetail}`, [d.writeRequestUnit]);
  push('DynamoDB', 'reads', dynamo.readUnits * d.readRequestUnit.usd, dynamo.basis,
    `${fmtInt(dynamo.readUnits)} read units (strongly consistent): ${dynamo.readDetail}`, [d.readRequestUnit]);
  // The history and the silences: each alert's state write becomes a transaction with its transition and alert items
  // (a transactional write costs two units an item), its delivery is one more item, and each region's own change is
  // one (about one per region per alert); every stream batch and every sweep reads the silence partition (one unit),
  // and the status page's sweeper reads the last two days of history a minute (settled days are kept): each day's
  // HISTORY_SHARDS shards and its legacy key, an eventually consistent Query each (half a unit for a small partition).
  const historyItemsPerAlert = 2 + 1 + regionCount;
  const historyWrites = alerts * (2 * 3 + 1 + regionCount);
  const silenceReads = batchesPerRound * roundsPerMonth + MINUTES_PER_MONTH;
  const historyReads = inputs.statusPage ? 2 * (HISTORY_SHARDS + 1) * 0.5 * MINUTES_PER_MONTH : 0;
  push('DynamoDB', 'history', historyWrites * d.writeRequestUnit.usd + (silenceReads + historyReads) * d.readRequestUnit.usd, 'modelled',
    `${fmtInt(historyWrites)} write units (each alert: its transaction of state, transition and alert at 2 units an item, its delivery, `
    + `each region's own change) + ${fmtInt(silenceReads + historyReads)} read units (the silences, each stream batch and sweep`
    + `${inputs.statusPage ? `; the status page's two days of history a minute, ${2 * (HISTORY_SHARDS + 1)} Queries` : ''}), modelled`, [d.writeRequestUnit, d.readRequestUnit]);
  const historyBytes = alerts * 12 * historyItemsPerAlert * HISTORY_ITEM_BYTES;
  const storedGb = (regionCount * shards * (ROUND_TTL_SECONDS / interval) * itemBytes + monitors * STATE_ITEM_BYTES + historyBytes) / GB;
  push('DynamoDB', 'storage', storedGb * (d.storageGbMonth.usd + d.pitrGbMonth.usd), 'modelled',
    `${fmtNum(storedGb, 2)} GB (round items live 2 days, the history about 13 months; TTL deletes are free) with point-in-time recovery`, [d.storageGbMonth, d.pitrGbMonth]);

  // --- Data transfer: every probe region but the home one sends its round items across regions ------------------
  const requestBytes = itemBytes + 1500; // DynamoDB JSON, HTTP and TLS framing around each item (modelled)
  const transfer = probePrices.map((p, i) => ({ region: regionNames[i]!, price: p.interRegionTransferGb, gb: regionNames[i] === home ? 0 : (shards * roundsPerMonth * requestBytes) / GB }));
  const responseGb = transfer.filter((t) => t.gb > 0).length * (shards * roundsPerMonth * 500) / GB;
  const transferGb = transfer.reduce((s, t) => s + t.gb, 0) + responseGb;
  push('Data transfer', '', transfer.reduce((s, t) => s + t.gb * t.price.usd, 0) + responseGb * homePrices.interRegionTransferGb.usd, 'modelled',
    `${fmtNum(transferGb, 2)} GB between regions (probe regions writing to the ${home} table)`,
    [...transfer.filter((t) => t.gb > 0).map((t) => t.price), homePrices.interRegionTransferGb]);

  // --- SNS, schedules ------------------------------------------------------------------------------------------
  // One publish request per alert: an upper bound. Alerts raised together go in PublishBatch requests, which SNS bills
  // per 64 KB of the whole request (ten alerts of a few KB each: one request); a month's few pages are rarely together.
  push('SNS', '', alerts * (homePrices.sns.publish.usd + emails * homePrices.sns.emailDelivery.usd), 'modelled',
    `${fmtInt(alerts)} alerts × ${emails} email subscription${emails === 1 ? '' : 's'}`, [homePrices.sns.publish, homePrices.sns.emailDelivery]);
  const schedules = regionCount * (probeShards > 1 ? Math.ceil(probeShards / 5) : 1) + groupFunctions + 1;
  push('Schedules', '', 0, 'counted', `${schedules} EventBridge rules firing once a minute (scheduled rule events are not charged)`, [{ usd: 0, verified: false }]);

  // --- Logs ----------------------------------------------------------------------------------------------------
  const probeLogGbPerFunction = (MINUTES_PER_MONTH * (LOG_LINE_BYTES.platform + LOG_LINE_BYTES.probeEmf + roundsPerMinute * LOG_LINE_BYTES.probeRound)) / GB;
  const homeLogGb = (aggregatorInvocations * (LOG_LINE_BYTES.platform + LOG_LINE_BYTES.aggregatorBatch) + sweeperInvocations * (LOG_LINE_BYTES.platform + LOG_LINE_BYTES.sweep)) / GB;
  const logCost = (gb: number, p: RegionPrices) => gb * p.cloudwatch.logIngestionGb.usd + gb * (retentionDays / 30) * p.cloudwatch.logStorageGbMonth.usd;
  const probeShare = probeFunctions / regionCount;
  const logsUsd = sumOverRegions(probePrices, (p) => logCost(probeLogGbPerFunction * probeShare, p)) + logCost(homeLogGb, homePrices);
  const logGb = probeLogGbPerFunction * probeFunctions + homeLogGb;
  push('Logs', '', logsUsd, 'modelled',
    `${fmtNum(logGb, 2)} GB ingested (one summary line per round and per batch, none per monitor), kept ${retentionDays} days`,
    [...probePrices, homePrices].flatMap((p) => [p.cloudwatch.logIngestionGb, p.cloudwatch.logStorageGbMonth]));

  // --- CloudWatch ------------------------------------------------------------------------------------------------
  // Always emitted: ProbesDown per probe region. Everything else (failures, transitions, alerts, silent regions) is
  // emitted only in the hours it is non-zero, and CloudWatch bills a metric for the hours it receives data.
  const sparseMetricHours = alerts * 2; // an alert's hour carries Transitions and AlertsPublished
  const alwaysMetrics = ALWAYS_EMITTED_METRICS_PER_PROBE_REGION * regionCount;
  const metricsUsd = sumOverRegions(probePrices, (p) => ALWAYS_EMITTED_METRICS_PER_PROBE_REGION * p.cloudwatch.metricMonth.usd) +
    (sparseMetricHours / HOURS_PER_MONTH) * homePrices.cloudwatch.metricMonth.usd;
  push('CloudWatch', 'metrics', metricsUsd, 'modelled',
    `${alwaysMetrics} metric${alwaysMetrics === 1 ? '' : 's'} always (ProbesDown per region, none per monitor) + ~${fmtInt(sparseMetricHours)} metric-hours of event counters`,
    [...probePrices.map((p) => p.cloudwatch.metricMonth), homePrices.cloudwatch.metricMonth]);
  push('CloudWatch', 'alarms', alarms * homePrices.cloudwatch.alarmMonth.usd, 'counted', `${alarms} standard-resolution alarm metrics`, [homePrices.cloudwatch.alarmMonth]);
  push('CloudWatch', 'dashboard', homePrices.cloudwatch.dashboardMonth.usd, 'counted', '1 dashboard (an account\'s first 3 are free)', [homePrices.cloudwatch.dashboardMonth]);

  // --- KMS -----------------------------------------------------------------------------------------------------
  const kmsRequests = alerts * 2 + 3 * coldStartsPerFunction;
  push('KMS', '', homePrices.kms.keyMonth.usd + kmsRequests * homePrices.kms.request.usd, 'counted',
    `1 customer-managed key (topic and failure queue; rotation adds $1/month after each of its first two yearly rotations) + ${fmtInt(kmsRequests)} requests`,
    [homePrices.kms.keyMonth, homePrices.kms.request]);

  // --- Status page -----------------------------------------------------------------------------------------------
  if (inputs.statusPage) {
    // Its two objects are written when what the page shows changes (about once per alert) and hourly; visitors are
    // served by CloudFront, whose always-free allowance covers a status page's traffic.
    const writes = 2 * (alerts + HOURS_PER_MONTH);
    const sp = STATUS_PAGE_PRICES;
    push('Status page', '', writes * sp.s3Put.usd, 'modelled',
      `${fmtInt(writes)} S3 PUTs (index.html and status.json, rewritten on change and hourly; the sweeper renders it each minute within its run); `
      + `CloudFront for visitors: free up to ${fmtInt(sp.cloudfrontFreeRequests)} requests and ${fmtInt(sp.cloudfrontFreeTransferGb)} GB a month`, [sp.s3Put]);
  }

  if (inputs.freeTier) {
    const f = AWS_FREE_TIER;
    const p = homePrices;
    const lambdaRequests = probeInvocations + aggregatorInvocations + sweeperInvocations;
    const lambdaGbSeconds = probeGbSeconds + aggregatorGbSeconds + sweeperGbSeconds;
    const saving =
      Math.min(lambdaRequests, f.lambdaRequests) * p.lambda.request.usd +
      Math.min(lambdaGbSeconds, f.lambdaGbSeconds) * p.lambda.gbSecondArm64.usd +
      Math.min(storedGb, f.dynamodbStorageGb) * p.dynamodb.storageGbMonth.usd +
      Math.min(alwaysMetrics, f.cloudwatchMetrics) * p.cloudwatch.metricMonth.usd +
      Math.min(alarms, f.cloudwatchAlarms) * p.cloudwatch.alarmMonth.usd +
      Math.min(1, f.cloudwatchDashboards) * p.cloudwatch.dashboardMonth.usd +
      Math.min(logGb, f.cloudwatchLogGb) * p.cloudwatch.logIngestionGb.usd +
      Math.min(kmsRequests, f.kmsRequests) * p.kms.request.usd +
      Math.min(alerts, f.snsPublishes) * p.sns.publish.usd +
      Math.min(alerts * emails, f.snsEmails) * p.sns.emailDelivery.usd;
    push('Free tier', '', -saving, 'counted',
      'if the account\'s monthly free tier is not used by anything else: 1M Lambda requests and 400k GB-s, 25 GB DynamoDB, 10 metrics, 10 alarms, 3 dashboards, 5 GB logs, 20k KMS requests',
      [{ usd: 0, verified: false }]);
  }

  const totalUsd = items.reduce((sum, item) => sum + item.monthlyUsd, 0);
  const regionsLabel = `${regionCount} region${regionCount === 1 ? '' : 's'}`;
  return {
    items,
    totalUsd,
    perMonitorUsd: monitors === 0 ? 0 : totalUsd / monitors,
    monitors,
    regions: regionNames,
    homeRegion: home,
    intervalSeconds: interval,
    pricesAsOf: PRICES_AS_OF,
    unpricedRegions,
    assumptions: [
      `${fmtInt(monitors)} monitors × ${regionsLabel} (${regionNames.join(', ')}; home ${home}), a round every ${fmtNum(interval)} s${shortest < interval ? ` (shortest ${shortest} s)` : ''}, ${shards} round item${shards === 1 ? '' : 's'} per region per round`,
      `every target up (a down target adds retries and timeouts to the round, log lines and alerts); ${inputs.freeTier ? 'the account free tier taken off' : 'no free tier'}`,
      `list prices as of ${PRICES_AS_OF} (lib/prices.ts), on-demand, per region; † marks a line whose price could not be verified`,
      ...(unpricedRegions.length > 0 ? [`no prices for ${unpricedRegions.join(', ')}: us-east-1 prices used`] : []),
    ],
  };
}

/** The design goal: the most a monitor may cost a month. */
export interface DesignGoal {
  targetPerMonitorUsd: number;
  perMonitorUsd: number;
  met: boolean;
  /** The goal was stated for 1,000 monitors × 3 regions at 60 s ($0.01) and at 10 s ($0.05). */
  statedFor: string;
  /** The inputs are the ones the goal was stated for (otherwise it is shown for reference). */
  atStatedPoint: boolean;
}

const DESIGN_GOAL = { monitors: 1000, regions: 3, perMonitorUsdAt60s: 0.01, perMonitorUsdAt10s: 0.05 } as const;

/** Whether an estimate meets the design goal: $0.01 per monitor-month at 60 s and slower, $0.05 under 60 s. */
export function designGoal(estimate: CostEstimate): DesignGoal {
  const target = estimate.intervalSeconds >= 60 ? DESIGN_GOAL.perMonitorUsdAt60s : DESIGN_GOAL.perMonitorUsdAt10s;
  return {
    targetPerMonitorUsd: target,
    perMonitorUsd: estimate.perMonitorUsd,
    met: estimate.perMonitorUsd <= target,
    statedFor: `${fmtInt(DESIGN_GOAL.monitors)} monitors × ${DESIGN_GOAL.regions} regions: $${DESIGN_GOAL.perMonitorUsdAt60s} at 60 s, $${DESIGN_GOAL.perMonitorUsdAt10s} at 10 s`,
    atStatedPoint: estimate.monitors === DESIGN_GOAL.monitors && estimate.regions.length === DESIGN_GOAL.regions && [60, 10].includes(estimate.intervalSeconds),
  };
}

/** Cost inputs for a resolved fleet: counts and regions from the config, the interval weighted by how often monitors are probed. */
export function costInputsFromFleet(config: FleetConfig, extra: Omit<CostInputs, 'monitors' | 'regions' | 'intervalSeconds'> = {}): CostInputs {
  const monitors = config.monitors.length;
  const regions = config.regions.length;
  const names = { regionNames: [...config.regions], homeRegion: config.homeRegion };
  if (monitors === 0) return { monitors, regions, intervalSeconds: 60, ...names, ...extra };
  // Mean rate of monitor-region probes per second, turned back into "every monitor in every region at interval X".
  let probesPerSecond = 0;
  let shortest = Infinity;
  let threshold = 1;
  let idBytes = 0;
  let watchedMonitors = 0;
  for (const m of config.monitors) {
    if (m.watch === true) watchedMonitors += 1;
    probesPerSecond += probesPerRound(m) / m.interval;
    shortest = Math.min(shortest, m.interval);
    threshold = Math.max(threshold, m.failureThreshold, m.recoveryThreshold);
    // `id\tu\tconnect\ttotal\tcertDays\n`: the id, four tabs, a newline, 'u' and ~5 digits of timings (+3 with TLS).
    idBytes += m.id.length + 12 + (m.tls ? 3 : 0);
  }
  const intervalSeconds = (monitors * regions) / probesPerSecond;
  return {
    monitors, regions, intervalSeconds, shortestIntervalSeconds: shortest, windowRounds: 2 * threshold,
    bytesPerResult: Math.ceil(idBytes / monitors), ...(watchedMonitors > 0 ? { watchedMonitors } : {}), ...names,
    ...(config.monitorsPerProbe !== undefined ? { monitorsPerProbe: config.monitorsPerProbe } : {}), ...extra,
  };
}

/** Probes of one round of a monitor: one per region of its own probes, and one per region of each group its `reach` names. */
function probesPerRound(m: { regions: readonly string[]; vantages?: ReadonlyArray<{ regions: readonly string[] }> }): number {
  return m.regions.length + (m.vantages ?? []).reduce((n, v) => n + v.regions.length, 0);
}

/** A monitor's share of the fleet's bill: costs split by how many probes it causes (regions ÷ interval). */
export interface MonitorCost {
  monitor: string;
  regions: number;
  intervalSeconds: number;
  monthlyUsd: number;
}

export function costPerMonitor(
  estimate: CostEstimate,
  monitors: ReadonlyArray<{ id: string; regions: readonly string[]; interval: number; vantages?: ReadonlyArray<{ regions: readonly string[] }> }>,
): MonitorCost[] {
  const weights = monitors.map((m) => probesPerRound(m) / m.interval);
  const total = weights.reduce((s, w) => s + w, 0);
  return monitors.map((m, i) => ({
    monitor: m.id,
    regions: m.regions.length,
    intervalSeconds: m.interval,
    monthlyUsd: total === 0 ? 0 : (estimate.totalUsd * weights[i]!) / total,
  }));
}

/** The estimate as aligned text lines (for the synth annotation and the CLI). */
export function formatCostEstimate(estimate: CostEstimate): string {
  const label = (i: CostItem) => (i.part ? `${i.service} · ${i.part}` : i.service);
  const width = Math.max(...estimate.items.map((i) => label(i).length), 'Total'.length);
  const money = (usd: number) => `$${usd.toFixed(2).padStart(8)}`;
  const lines = [
    'Estimated monthly cost (USD):',
    ...estimate.items.map((i) => `  ${label(i).padEnd(width)}  ${money(i.monthlyUsd)}${i.unverifiedPrice ? '†' : ' '} ${i.basis.padEnd(8)}  ${i.detail}`),
    `  ${'Total'.padEnd(width)}  ${money(estimate.totalUsd)}`,
    `  ${'Per monitor'.padEnd(width)}  $${estimate.perMonitorUsd.toFixed(4).padStart(8)}`,
    ...estimate.assumptions.map((a) => `  assumes ${a}`),
  ];
  return lines.join('\n');
}

// --- helpers ----------------------------------------------------------------------------------------------------

function resolveRegionNames(count: number, names: string[] | undefined): string[] {
  if (names && names.length > 0) return names.slice(0, Math.max(count, 1));
  const out: string[] = [...DEFAULT_REGION_ORDER].slice(0, count);
  for (let k = out.length; k < count; k += 1) out.push(`region-${k + 1}`);
  return out;
}

function sumOverRegions(prices: RegionPrices[], f: (p: RegionPrices, index: number) => number): number {
  return prices.reduce((sum, p, i) => sum + f(p, i), 0);
}

/** Linear interpolation over (x, y) points; outside them, extrapolated from the two nearest (proportionally from one). */
export function interpolate(points: ReadonlyArray<{ x: number; y: number }>, x: number): { y: number; how: 'exact' | 'interpolated' | 'extrapolated' } | undefined {
  const sorted = [...points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.x > 0).sort((a, b) => a.x - b.x);
  if (sorted.length === 0) return undefined;
  const exact = sorted.find((p) => p.x === x);
  if (exact) return { y: exact.y, how: 'exact' };
  if (sorted.length === 1) return { y: (sorted[0]!.y * x) / sorted[0]!.x, how: 'extrapolated' };
  let a = sorted[0]!;
  let b = sorted[1]!;
  for (let i = 0; i < sorted.length - 1; i += 1) {
    if (x >= sorted[i]!.x && x <= sorted[i + 1]!.x) {
      a = sorted[i]!;
      b = sorted[i + 1]!;
      const y = a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
      return { y, how: 'interpolated' };
    }
  }
  if (x > sorted[sorted.length - 1]!.x) {
    a = sorted[sorted.length - 2]!;
    b = sorted[sorted.length - 1]!;
  }
  const y = a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
  return { y: Math.max(0, y), how: 'extrapolated' };
}

function median(spread: MeasuredSpread | undefined): number | undefined {
  return spread && Number.isFinite(spread.median) ? spread.median : undefined;
}

/**
 * One probe round in Lambda: the engine's CPU time (scaled to the function's share of a vCPU), the network wait of
 * healthy remote targets (~150 ms a wave of PROBE_MAX_SOCKETS) and the write to the home table (~250 ms across regions).
 */
function probeRoundSeconds(monitors: number, memoryMb: number, measured: MeasuredFigures): { seconds: number; basis: CostBasis; detail: string } {
  const cpuShare = Math.min(1, memoryMb / FULL_VCPU_MB);
  const waves = Math.max(1, Math.ceil(monitors / PROBE_MAX_SOCKETS));
  const network = 0.15 * waves + 0.25;
  const points = (measured.probeRoundMs ?? []).map((p) => ({ x: p.monitors, y: median(p.ms) ?? NaN }));
  const found = monitors > 0 ? interpolate(points, monitors) : undefined;
  if (found) {
    const engine = found.y / 1000 / cpuShare;
    return {
      seconds: engine + network,
      basis: 'measured',
      detail: `round: ${fmtNum(found.y, 0)} ms measured on loopback (${found.how}, docs/benchmarks.json) ÷ ${fmtNum(cpuShare, 2)} vCPU + ${fmtNum(network, 2)} s modelled network and write`,
    };
  }
  // docs/benchmarks.md (probe section): ~0.1 CPU-ms per probe for the engine on one core.
  const engine = (monitors * 0.0001) / cpuShare;
  return {
    seconds: engine + network,
    basis: 'modelled',
    detail: `round modelled: ${fmtNum(engine, 2)} s engine CPU at ${fmtNum(cpuShare, 2)} vCPU + ${fmtNum(network, 2)} s network and write`,
  };
}

/** Evaluating one stream batch of every region's items for `monitors` monitors (aggregator), or one sweep. */
function evaluationSeconds(monitors: number, regions: number, measured: MeasuredFigures): { seconds: number; basis: CostBasis; detail: string } {
  const sameRegions = (measured.aggregatorMsPerItem ?? []).filter((p) => p.regions === regions);
  const rows = sameRegions.length > 0 ? sameRegions : measured.aggregatorMsPerItem ?? [];
  const found = monitors > 0 ? interpolate(rows.map((p) => ({ x: p.monitors, y: median(p.ms) ?? NaN })), monitors) : undefined;
  if (found) {
    // A batch holds about one region's item (regions arrive apart); its evaluation reads every region's items.
    return { seconds: found.y / 1000, basis: 'measured', detail: `${fmtNum(found.y, 0)} ms per item measured on DynamoDB Local (${found.how})` };
  }
  return { seconds: 0.15 + 0.00002 * monitors * regions, basis: 'modelled', detail: 'modelled: 150 ms + 20 µs per monitor-region result' };
}

function coldStartSeconds(measured: MeasuredFigures): { seconds: number; basis: CostBasis } {
  const imports = (measured.bundles ?? []).map((b) => median(b.coldImportMs)).filter((ms): ms is number => ms !== undefined);
  // Lambda bills the INIT phase: the runtime's own start (~100 ms, modelled) and importing the bundle.
  if (imports.length > 0) return { seconds: 0.1 + Math.max(...imports) / 1000, basis: 'measured' };
  return { seconds: 0.4, basis: 'modelled' };
}

interface DynamoShape {
  monitors: number;
  regionCount: number;
  interval: number;
  shards: number;
  itemBytes: number;
  roundBytesAllRegions: number;
  batchesPerRound: number;
  windowRounds: number;
  alerts: number;
  roundsPerMonth: number;
}

function dynamoUnits(s: DynamoShape, measured: MeasuredFigures): { writeUnits: number; readUnits: number; basis: CostBasis; writeDetail: string; readDetail: string } {
  const rows = measured.dynamoPerRound ?? [];
  const same = rows.filter((r) => r.regions === s.regionCount);
  const use = same.length > 0 ? same : rows;
  if (use.length > 0 && s.monitors > 0) {
    const regionScale = same.length > 0 ? 1 : s.regionCount / (use[0]!.regions || 1);
    const w = interpolate(use.map((r) => ({ x: r.monitors, y: r.writeUnits })), s.monitors);
    const r = interpolate(use.map((r) => ({ x: r.monitors, y: r.readUnits })), s.monitors);
    if (w && r) {
      const how = `${w.how}${regionScale !== 1 ? `, scaled from ${use[0]!.regions} regions` : ''}`;
      const book = incidentBookUnits(s.alerts);
      return {
        writeUnits: w.y * regionScale * s.roundsPerMonth + book.writeUnits,
        // The bench keeps the aggregator's states for good; the 5-minute re-read of unchanged states is added here.
        readUnits: r.y * regionScale * s.roundsPerMonth + stateRereadUnits(s.monitors) + book.readUnits,
        basis: 'measured',
        writeDetail: `${fmtNum(w.y * regionScale, 1)} a round counted by the bench (${how}) × ${fmtInt(s.roundsPerMonth)} rounds, + the incident book on transitions`,
        readDetail: `${fmtNum(r.y * regionScale, 1)} a round counted by the bench (${how}; it includes one sweep a round) × ${fmtInt(s.roundsPerMonth)} rounds, + states re-read every ${STATE_CACHE_MAX_AGE_MINUTES} min, + the incident book (each sweep, each transition)`,
      };
    }
  }
  // Writes: every region's round items, billed per started KB of each item; state writes only on transitions.
  const writesPerRound = s.regionCount * s.shards * Math.ceil(s.itemBytes / 1024);
  const book = incidentBookUnits(s.alerts);
  const writeUnits = writesPerRound * s.roundsPerMonth + s.alerts * 2 + book.writeUnits;
  // Reads: each batch checks the state generation (1 unit; the warm aggregator keeps the states, re-reading them after a
  // change or every few minutes) and queries the rounds of the verdict's window; each sweep reads every state afresh.
  const stateUnits = Math.max(1, Math.ceil((s.monitors * STATE_ITEM_BYTES) / 4096));
  // One Query per region's round partition, each billed per started 4 KB (at least one unit).
  const roundUnits = s.regionCount * Math.max(1, Math.ceil(s.roundBytesAllRegions / s.regionCount / 4096));
  const perBatch = 1 + s.windowRounds * roundUnits;
  // The fleet check reads every round of the last two whole minutes (a canary is judged by all its rounds of each);
  // at 60 s those are the window's own instants.
  const fleetRounds = s.interval < 60 ? 2 * Math.ceil(60 / s.interval) : 0;
  const perSweep = stateUnits + 1 + (s.windowRounds + fleetRounds) * roundUnits;
  const readUnits = perBatch * s.batchesPerRound * s.roundsPerMonth + perSweep * MINUTES_PER_MONTH + stateRereadUnits(s.monitors) + book.readUnits;
  return {
    writeUnits,
    readUnits,
    basis: 'modelled',
    writeDetail: `${s.regionCount} region${s.regionCount === 1 ? '' : 's'} × ${s.shards} item${s.shards === 1 ? '' : 's'} of ${fmtNum(s.itemBytes / 1024, 1)} KB a round, modelled`,
    readDetail: `${perBatch} a stream batch (generation 1 + ${s.windowRounds} rounds × ${roundUnits}), ${perSweep} a sweep, states (${stateUnits}) re-read every ${STATE_CACHE_MAX_AGE_MINUTES} min, modelled`,
  };
}

/**
 * The incident book (one item, a few hundred bytes per open incident): read (1 unit) by every evaluation pass that has
 * a transition and by every sweep, written (1 unit, under 1 KB) when a DOWN or UP goes through it. Nothing per round.
 * An incident of more than 5 monitors adds member pages (docs/cost.md): only while one is open, so not in this model.
 */
function incidentBookUnits(alerts: number): { writeUnits: number; readUnits: number } {
  return { writeUnits: alerts, readUnits: alerts + MINUTES_PER_MONTH };
}

/** A warm aggregator's re-read of every (unchanged) state each STATE_CACHE_MAX_AGE_MINUTES, over a month. */
function stateRereadUnits(monitors: number): number {
  return (MINUTES_PER_MONTH / STATE_CACHE_MAX_AGE_MINUTES) * Math.max(1, Math.ceil((monitors * STATE_ITEM_BYTES) / 4096));
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtNum(n: number, digits = 1): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}
