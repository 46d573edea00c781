// ProbeFleet: the whole multi-region fleet from one declaration — a home stack and one probe stack per region.
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_TABLE_NAME, isSecretReference, type CanarySpec, type FleetConfig, type FleetSpec, type SecretReference, type StatusPageSpec } from '../functions/shared/domain';
import type { CostEstimate } from './pricing/cost';
import { costSummary, fleetCost } from './pricing/fleet-cost';
import { groupRegions, type FleetMonitor, type ProbeGroupProps } from './declarations';
import { prepareFleet } from './fleet-validation';
import { writeFleetFile } from './function';
import { HomeStack, type ReservedConcurrency } from './home-stack';
import { FUNCTION_MEMORY_MB, METRIC_NAMES, SERVICES } from '../functions/shared/deployment';
import { fleetMetric } from './metrics';
import { ProbeStack, type ProbeFunctionSpec } from './probe-stack';
import { resolveWatchdog, WatchdogStack, type WatchdogProps } from './watchdog-stack';
import { DEFAULT_HISTORY_DAYS } from '../functions/shared/domain/history';
import { DEFAULT_MONITORS_PER_PROBE, probeFunctionMonitors, probeShardCount } from '../functions/shared/domain/probe-shards';

/** The fleet: regions and monitors (the declaration), and where and how it is deployed. */
export interface ProbeFleetProps {
  /** Regions that probe, e.g. ['eu-west-1', 'us-east-1', 'ap-southeast-1']; each gets a probe stack. */
  readonly regions: string[];
  /** The monitors: host and port (tokens allowed), or a construct target. Validated at synth time. */
  readonly monitors: FleetMonitor[];
  /**
   * Region of the table, aggregator, sweeper, alert topic, alarms and dashboard.
   * @default the first of `regions`
   */
  readonly homeRegion?: string;
  /**
   * A target every region can always reach; a region that cannot reach it has its down results vetoed.
   * @default no canary
   */
  readonly canary?: CanarySpec;
  /**
   * Fields applied to every monitor before its own (e.g. `{ interval: 30, tags: { team: 'sre' } }`).
   * @default none
   */
  readonly monitorDefaults?: FleetSpec['monitorDefaults'];
  /**
   * Probe groups by name (monitors choose one with `group`): typically probes inside a VPC to reach private targets.
   * @default no groups; every monitor is probed by the public probes
   */
  readonly groups?: Record<string, ProbeGroupProps>;
  /**
   * Account to deploy to (every stack goes to the same account).
   * @default the CLI's account (CDK_DEFAULT_ACCOUNT), else resolved at deploy time
   */
  readonly account?: string;
  /**
   * Physical name of the results/state table; fixed so probe stacks in other regions can name it.
   * @default 'portquorum' (DEFAULT_TABLE_NAME)
   */
  readonly tableName?: string;
  /**
   * Prefix of stack names, the dashboard and the key alias; change it to deploy a second fleet into one account.
   * @default 'portquorum'
   */
  readonly namePrefix?: string;
  /**
   * An existing SNS topic in the home region to publish alerts (and alarm notifications) to.
   * @default a new topic encrypted with the fleet's KMS key
   */
  readonly alertTopic?: sns.ITopic;
  /**
   * Lambda runtime of every function (Node.js 22 or later; bundles target Node.js 22).
   * @default Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /**
   * Memory of each probe function in MB (CPU and network scale with it).
   * @default 256 (FUNCTION_MEMORY_MB.probe)
   */
  readonly probeMemorySize?: number;
  /**
   * Monitors one probe invocation checks at most. A region (or probe group) with more runs its probe function as
   * several shards, each its own scheduled invocation writing its own round items; a monitor's shard is a stable hash
   * of its id. Raise it with `probeMemorySize` (CPU grows with memory); see the README's Performance section.
   * @default 2000 (DEFAULT_MONITORS_PER_PROBE)
   */
  readonly monitorsPerProbe?: number;
  /**
   * How long the functions' logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the table and the KMS key when the home stack is deleted. RETAIN also turns on the table's
   * deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Concurrency reserved for the aggregator and the sweeper, so other workloads in the account cannot starve them
   * (it is also their ceiling). `false` reserves none: for accounts whose concurrency limit is too low to reserve any
   * (Lambda keeps 100 executions unreserved; new accounts may have a limit of 10 in all).
   * @default { aggregator: 5, sweeper: 1 } (DEFAULT_RESERVED_CONCURRENCY)
   */
  readonly reservedConcurrency?: ReservedConcurrency | false;
  /**
   * How long the history (transitions, alerts and their deliveries, silences, acks) is kept in the table, in days
   * (each item's TTL): what `portquorum history` and `portquorum report` can look back on.
   * @default 400 (DEFAULT_HISTORY_DAYS)
   */
  readonly historyDays?: number;
  /**
   * A public status page: the sweeper renders it (current verdicts, 90 days of daily bars, incidents, maintenance,
   * silences) into a private S3 bucket served by CloudFront (origin access control), and rewrites it only when what
   * it shows changed. Its URL is the home stack's output `StatusPageUrl`.
   * @default no status page
   */
  readonly statusPage?: StatusPageSpec;
  /**
   * Who watches the watcher: the probe regions read the home pipeline's heartbeat (one small read an invocation) and,
   * when a quorum of them sees it stale while their canaries are fine, publish HOME_DOWN once (HOME_RECOVERED when it
   * returns) to a fallback topic in `fallbackRegion` (its ARN is the watchdog stack's output `FallbackTopicArn`).
   * @default no watchdog
   */
  readonly watchdog?: WatchdogProps;
}

/** The fleet's stacks are created as children of this construct; put it at the root of the app (or a Stage). */
export class ProbeFleet extends Construct {
  /** The resolved fleet, exactly as shipped to the functions in fleet.json. */
  readonly config: FleetConfig;
  /** The home region's stack: table, aggregator, sweeper, alert topic, alarms, dashboard. */
  readonly homeStack: HomeStack;
  /** Probe stacks by region. */
  readonly probeStacks: ReadonlyMap<string, ProbeStack>;
  /** Where alerts are published. */
  readonly alertTopic: sns.ITopic;
  /** The results/state table in the home region. */
  readonly table: dynamodb.ITable;
  /** The estimated monthly cost: the figure `cdk synth` prints in one line and `portquorum cost` itemises. */
  readonly costEstimate: CostEstimate;
  /** The fallback region's stack (watchdog table, fallback topic), when `watchdog` is set. */
  readonly watchdogStack?: WatchdogStack;

  constructor(scope: Construct, id: string, props: ProbeFleetProps) {
    super(scope, id);
    const tableName = props.tableName ?? DEFAULT_TABLE_NAME;
    // Throws ConfigError naming every problem (monitor and field) before any resource exists.
    const prepared = prepareFleet({ ...props, tableName });
    this.config = prepared.config;
    const { homeRegion, regions } = this.config;

    const namePrefix = props.namePrefix ?? 'portquorum';
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const probeMemorySize = props.probeMemorySize ?? FUNCTION_MEMORY_MB.probe;
    const account = props.account ?? process.env.CDK_DEFAULT_ACCOUNT;
    const env = (region: string) => ({ ...(account ? { account } : {}), region });
    const fleetFiles = writeFleetFile(this, this.config);

    this.homeStack = new HomeStack(this, 'Home', {
      stackName: `${namePrefix}-home`,
      description: `portquorum home: results table, aggregator, sweeper and alerts for ${this.config.monitors.length} monitors`,
      env: env(homeRegion),
      tableName,
      fleetFiles,
      probeRegions: regions,
      ...(props.alertTopic ? { alertTopic: props.alertTopic } : {}),
      runtime,
      logRetention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      namePrefix,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrency: props.reservedConcurrency } : {}),
      historyDays: props.historyDays ?? DEFAULT_HISTORY_DAYS,
      statusPage: this.config.statusPage !== undefined,
      ...(this.config.monitors.some((m) => m.watch === true) ? { watch: true } : {}),
    });
    this.alertTopic = this.homeStack.alertTopic;
    this.table = this.homeStack.table;

    const watchdog = props.watchdog ? resolveWatchdog(props.watchdog, this.config, namePrefix) : undefined;
    if (watchdog) {
      this.watchdogStack = new WatchdogStack(this, 'Watchdog', {
        stackName: `${namePrefix}-watchdog`,
        description: `portquorum watchdog: probe regions watch the home pipeline in ${homeRegion}; HOME_DOWN goes to a fallback topic here`,
        env: env(watchdog.fallbackRegion),
        watchdog,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
    }

    const probeStacks = new Map<string, ProbeStack>();
    const groups = props.groups ?? {};
    for (const region of regions) {
      const inRegion = prepared.deployTimeTargets.filter((t) => t.regions.includes(region));
      const secretsOf = (group: string | undefined) => this.config.monitors
        .filter((m) => m.regions.includes(region) && m.group === group && isSecretReference(m.send))
        .map((m) => m.send as SecretReference);
      const watches = (group: string | undefined) => this.config.monitors.some((m) => m.regions.includes(region) && m.group === group && m.watch === true);
      const perProbe = this.config.monitorsPerProbe ?? DEFAULT_MONITORS_PER_PROBE;
      const shardsOf = (group: string | undefined) => {
        const monitors = probeFunctionMonitors(this.config.monitors, region, group).length;
        return { count: probeShardCount(monitors, perProbe), why: `${monitors} monitors at monitorsPerProbe ${perProbe}` };
      };
      const functions: ProbeFunctionSpec[] = [{
        deployTimeTargets: inRegion.filter((t) => t.group === undefined), secretReferences: secretsOf(undefined), ...(watches(undefined) ? { watch: true } : {}),
        shards: shardsOf(undefined),
      }];
      for (const [name, group] of Object.entries(groups)) {
        if (!groupRegions(group).includes(region)) continue;
        const placement = group.placements?.[region];
        functions.push({
          group: name,
          ...(placement ? { placement } : {}),
          deployTimeTargets: inRegion.filter((t) => t.group === name),
          secretReferences: secretsOf(name),
          ...(watches(name) ? { watch: true } : {}),
          shards: shardsOf(name),
        });
      }
      const stack = new ProbeStack(this, `Probe-${region}`, {
        stackName: `${namePrefix}-probe-${region}`,
        description: `portquorum probes in ${region}, writing to ${tableName} in ${homeRegion}`,
        env: env(region),
        probeRegion: region,
        homeRegion,
        tableName,
        fleetFiles,
        functions,
        runtime,
        memorySize: probeMemorySize,
        logRetention,
        namePrefix,
        ...(watchdog ? { watchdog } : {}),
      });
      // The table must exist before probes write to it; an ordering dependency, not a reference.
      stack.addStackDependency(this.homeStack, 'probes write to the home table');
      if (this.watchdogStack) stack.addStackDependency(this.watchdogStack, 'probes vote in the watchdog table and publish to the fallback topic');
      probeStacks.set(region, stack);
    }
    this.probeStacks = probeStacks;

    this.costEstimate = fleetCost(this.config, {
      probeMemoryMb: probeMemorySize,
      logRetentionDays: logRetention,
      alarms: this.homeStack.alarmMetricCount,
      statusPage: this.config.statusPage !== undefined,
    });
    // One line for whoever runs `cdk synth` or `cdk deploy` (the CLI runs the app with CDK_OUTDIR set), at synth time
    // and once per fleet: the same number `portquorum cost` prints, itemised.
    const estimate = this.costEstimate;
    let said = false;
    this.node.addValidation({
      validate: () => {
        if (!said && process.env.CDK_OUTDIR !== undefined) {
          said = true;
          process.stderr.write(`portquorum: ${this.node.path}: estimated ${costSummary(estimate)} (itemised: npx portquorum cost)\n`);
        }
        return [];
      },
    });
  }

  /** Verdict changes (DOWN, UP, DEGRADED …) the aggregator made: one series for the whole fleet. */
  metricTransitions(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return fleetMetric(METRIC_NAMES.aggregate.transitions, SERVICES.aggregate, 'Sum', { region: this.config.homeRegion, ...options });
  }

  /** Alerts the aggregator published. */
  metricAlertsPublished(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return fleetMetric(METRIC_NAMES.aggregate.alertsPublished, SERVICES.aggregate, 'Sum', { region: this.config.homeRegion, ...options });
  }

  /** Monitors whose verdict is unknown because too few regions are fresh (the sweeper's count). */
  metricUnknownMonitors(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return fleetMetric(METRIC_NAMES.sweeper.unknownMonitors, SERVICES.sweeper, 'Maximum', { region: this.config.homeRegion, ...options });
  }

  /** Down results the probes of one region reported. */
  metricProbesDown(region: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return fleetMetric(METRIC_NAMES.probe.probesDown, SERVICES.probe, 'Sum', { region, dimensionsMap: { service: SERVICES.probe, region }, ...options });
  }

  /** Lets a principal subscribe to the alert topic (e.g. a chat integration's role). */
  grantSubscribe(grantee: iam.IGrantable): iam.Grant {
    return this.alertTopic.grantSubscribe(grantee);
  }
}
