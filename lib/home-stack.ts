// The home region's stack: results/state table, aggregator on the table stream, sweeper, alert topic, alarms, dashboard.
import { Annotations, Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../functions/shared/domain';
import {
  AGGREGATOR_STREAM, AGGREGATOR_STREAM_FILTER, ENV, FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS, METRIC_NAMES, SERVICES,
} from '../functions/shared/deployment';
import { FleetFunction } from './function';
import { fleetMetric, lambdaMetricByName, probeFunctionName, probeMetric } from './metrics';

/** What the home stack needs from the fleet (ProbeFleet fills them in). */
export interface HomeStackProps extends StackProps {
  /** Physical table name (fixed, so probe stacks in other regions can name it). */
  readonly tableName: string;
  /** Path of the resolved fleet file shipped in every function's asset. */
  readonly fleetFile: string;
  /** Regions that probe (for the dashboard). */
  readonly probeRegions: string[];
  /**
   * An existing topic to publish alerts to, instead of creating one.
   * @default a new topic encrypted with the stack's KMS key
   */
  readonly alertTopic?: sns.ITopic;
  /** Lambda runtime of the aggregator and the sweeper. */
  readonly runtime: lambda.Runtime;
  /** How long the functions' logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Removal policy of the table and the key. */
  readonly removalPolicy: RemovalPolicy;
  /** Prefix of names visible in the console (dashboard, key alias). */
  readonly namePrefix: string;
}

export class HomeStack extends Stack {
  readonly table: dynamodb.Table;
  readonly alertTopic: sns.ITopic;
  readonly key: kms.Key;
  readonly failureQueue: sqs.Queue;
  readonly aggregator: FleetFunction;
  readonly sweeper: FleetFunction;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: HomeStackProps) {
    super(scope, id, props);

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TABLE_SCHEMA.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      stream: dynamodb.StreamViewType[TABLE_SCHEMA.streamViewType],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // An AWS managed KMS key: encrypted at rest with an audit trail, and probe roles in other regions need no key grants.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });

    // One key for what the fleet encrypts itself: the alert topic and the failure queue.
    this.key = new kms.Key(this, 'Key', {
      description: 'portquorum: alert topic and stream failure queue',
      enableKeyRotation: true,
      alias: `alias/${props.namePrefix}`,
      removalPolicy: props.removalPolicy,
    });
    // Only this fleet's alarms (fixed names under the prefix, see alarmName()) may use the key and the topic.
    const alarmsOfThisFleet = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${alarmName(props.namePrefix, '*')}` },
    };
    // CloudWatch alarms publish to the encrypted topic through SNS, which asks KMS on their behalf.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: alarmsOfThisFleet,
      }),
    );

    if (props.alertTopic) {
      this.alertTopic = props.alertTopic;
      // A topic passed in keeps its owner's policy; without this statement the pipeline's alarms cannot notify anyone.
      Annotations.of(this).addWarningV2('portquorum:alertTopicPolicy',
        'The alert topic was passed in: its policy must allow cloudwatch.amazonaws.com to sns:Publish (scoped with aws:SourceAccount and '
        + `aws:SourceArn arn:aws:cloudwatch:${this.region}:<account>:alarm:${alarmName(props.namePrefix, '*')}), or the pipeline's own alarms reach no one; `
        + 'if it is encrypted, its key must allow kms:Decrypt and kms:GenerateDataKey to the same principal.');
    } else {
      const topic = new sns.Topic(this, 'AlertTopic', {
        displayName: 'portquorum alerts',
        masterKey: this.key,
        enforceSSL: true,
      });
      // enforceSSL makes a topic policy, which replaces SNS's default one: without this statement every alarm action
      // fails with "not authorized to perform SNS:Publish". Nothing else publishes through the policy (the aggregator
      // and the sweeper publish with their roles).
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchAlarmsToPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: alarmsOfThisFleet,
        }),
      );
      this.alertTopic = topic;
    }

    this.failureQueue = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const environment = {
      [ENV.table]: props.tableName,
      [ENV.tableRegion]: this.region,
      [ENV.region]: this.region,
      [ENV.topicArn]: this.alertTopic.topicArn,
    };
    const tableArn = this.table.tableArn;

    this.aggregator = new FleetFunction(this, 'Aggregator', {
      kind: 'aggregate',
      description: 'portquorum aggregator: quorum verdicts from the results stream, one alert per transition',
      fleetFile: props.fleetFile,
      runtime: props.runtime,
      memorySize: FUNCTION_MEMORY_MB.aggregate,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.aggregate),
      environment,
      logRetention: props.logRetention,
    });
    this.aggregator.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadResultsWriteState',
        // What functions/shared/adapters/store.ts calls: queries for rounds and state, the state generation (GetItem,
        // UpdateItem), conditional state writes.
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [tableArn],
      }),
    );
    // Lambda's stream poller reads with the function's role; ListStreams scoped to the stream as CDK's TableV2 does.
    this.aggregator.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadResultsStream',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [this.table.tableStreamArn!],
      }),
    );
    this.grantPublishAlerts(this.aggregator.role, props.alertTopic === undefined);
    // Explicit actions instead of grantSendMessages, whose kms:ReEncrypt* / GenerateDataKey* wildcards are not needed.
    this.aggregator.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'SendFailedBatches', actions: ['sqs:SendMessage'], resources: [this.failureQueue.queueArn] }),
    );
    this.aggregator.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptFailedBatches',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
      }),
    );

    const mapping = new lambda.EventSourceMapping(this, 'ResultsStream', {
      target: this.aggregator.function,
      eventSourceArn: this.table.tableStreamArn!,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: AGGREGATOR_STREAM.batchSize,
      maxBatchingWindow: Duration.seconds(AGGREGATOR_STREAM.maxBatchingWindowSeconds),
      reportBatchItemFailures: AGGREGATOR_STREAM.reportBatchItemFailures,
      bisectBatchOnError: AGGREGATOR_STREAM.bisectBatchOnError,
      retryAttempts: AGGREGATOR_STREAM.retryAttempts,
      maxRecordAge: Duration.seconds(AGGREGATOR_STREAM.maxRecordAgeSeconds),
      parallelizationFactor: AGGREGATOR_STREAM.parallelizationFactor,
      onFailure: new SqsDestination(this.failureQueue),
      filters: [lambda.FilterCriteria.filter(AGGREGATOR_STREAM_FILTER)],
    });
    mapping.node.addDependency(this.aggregator.role);

    this.sweeper = new FleetFunction(this, 'Sweeper', {
      kind: 'sweeper',
      description: 'portquorum sweeper: silent regions, pending alerts and reminders, once a minute',
      fleetFile: props.fleetFile,
      runtime: props.runtime,
      memorySize: FUNCTION_MEMORY_MB.sweeper,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.sweeper),
      environment,
      logRetention: props.logRetention,
    });
    this.sweeper.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadResultsWriteState',
        actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [tableArn],
      }),
    );
    this.grantPublishAlerts(this.sweeper.role, props.alertTopic === undefined);
    this.sweeper.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    new events.Rule(this, 'SweeperSchedule', {
      description: 'portquorum: run the sweeper once a minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.sweeper.function, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });

    // Alarms: broken pipeline, not broken targets (targets are what the alerts are for).
    const alarmAction = new cwActions.SnsAction(this.alertTopic);
    const queueAlarm = new cloudwatch.Alarm(this, 'StreamFailuresAlarm', {
      alarmName: alarmName(props.namePrefix, 'stream-failures'),
      alarmDescription: 'portquorum: stream records the aggregator gave up on are in the failure queue (verdicts may be stale); inspect and redrive the queue',
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const aggregatorAlarm = new cloudwatch.Alarm(this, 'AggregatorErrorsAlarm', {
      alarmName: alarmName(props.namePrefix, 'aggregator-errors'),
      alarmDescription: 'portquorum: the aggregator failed in 3 of the last 5 minutes (verdicts and alerts may be delayed); check its logs',
      metric: this.aggregator.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const sweeperAlarm = new cloudwatch.Alarm(this, 'SweeperErrorsAlarm', {
      alarmName: alarmName(props.namePrefix, 'sweeper-errors'),
      alarmDescription: 'portquorum: the sweeper failed in 3 of the last 5 minutes (silent regions and reminders go unnoticed); check its logs',
      metric: this.sweeper.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [queueAlarm, aggregatorAlarm, sweeperAlarm];
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
    }

    this.dashboard = this.buildDashboard(props);

    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn, description: 'Subscribe email, SQS or HTTPS endpoints here' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Results and state table' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName, description: 'CloudWatch dashboard of the fleet' });

    this.acknowledgeFindings();
  }

  /** Per-region probe latency and results, fleet health, and the pipeline's own health: a fixed number of metrics per region. */
  private buildDashboard(props: HomeStackProps): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.namePrefix}-fleet`,
      defaultInterval: Duration.hours(3),
    });
    const regions = props.probeRegions;
    const probeName = probeFunctionName(props.namePrefix);
    const { probe, aggregate, sweeper } = METRIC_NAMES;
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Fleet: transitions and alerts',
        width: 12,
        left: [
          fleetMetric(aggregate.transitions, SERVICES.aggregate, 'Sum', { label: 'transitions' }),
          fleetMetric(aggregate.alertsPublished, SERVICES.aggregate, 'Sum', { label: 'alerts published' }),
          // The sweeper's own: transitions no stream record brought (silence, maintenance ends), alerts sent again.
          fleetMetric(sweeper.transitions, SERVICES.sweeper, 'Sum', { label: 'transitions (sweeper)' }),
          fleetMetric(sweeper.republished, SERVICES.sweeper, 'Sum', { label: 'alerts republished' }),
        ],
        right: [
          fleetMetric(aggregate.publishFailures, SERVICES.aggregate, 'Sum', { label: 'publish failures' }),
          fleetMetric(sweeper.publishFailures, SERVICES.sweeper, 'Sum', { label: 'publish failures (sweeper)' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Fleet: unknown monitors and silent probes',
        width: 12,
        left: [
          fleetMetric(sweeper.unknownMonitors, SERVICES.sweeper, 'Maximum', { label: 'unknown monitors' }),
          fleetMetric(sweeper.silentProbes, SERVICES.sweeper, 'Maximum', { label: 'silent probes' }),
          fleetMetric(sweeper.vetoedProbes, SERVICES.sweeper, 'Maximum', { label: 'vetoed by canary' }),
        ],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Probe round duration by region (ms, p90 of the public probe)',
        width: 12,
        left: regions.map((r) => lambdaMetricByName('Duration', probeName, r, 'p90')),
      }),
      new cloudwatch.GraphWidget({
        title: 'Down results by region',
        width: 12,
        left: regions.map((r) => probeMetric(probe.probesDown, r, 'Sum')),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rounds not written, canary down, by region',
        width: 12,
        left: regions.map((r) => probeMetric(probe.roundFailures, r, 'Sum', `${r} rounds not written`)),
        right: regions.map((r) => probeMetric(probe.canaryDown, r, 'Sum', `${r} canary down`)),
      }),
      new cloudwatch.GraphWidget({
        title: 'Pipeline: aggregator, sweeper, stream failures',
        width: 12,
        left: [
          this.aggregator.function.metricErrors({ label: 'aggregator errors', period: Duration.minutes(1) }),
          this.sweeper.function.metricErrors({ label: 'sweeper errors', period: Duration.minutes(1) }),
          fleetMetric(aggregate.recordFailures, SERVICES.aggregate, 'Sum', { label: 'records reported failed' }),
        ],
        right: [this.failureQueue.metricApproximateNumberOfMessagesVisible({ label: 'failure queue', period: Duration.minutes(1) })],
      }),
    );
    return dashboard;
  }

  /**
   * sns:Publish on the topic, and for our own encrypted topic the two KMS actions SNS needs from a publisher
   * (topic.grantPublish would grant kms:GenerateDataKey*). For a topic passed in, its key's policy is the owner's.
   */
  private grantPublishAlerts(role: iam.Role, ownTopic: boolean): void {
    role.addToPolicy(new iam.PolicyStatement({ sid: 'PublishAlerts', actions: ['sns:Publish'], resources: [this.alertTopic.topicArn] }));
    if (ownTopic) {
      role.addToPolicy(
        new iam.PolicyStatement({ sid: 'EncryptAlerts', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }),
      );
    }
  }

  /** cdk-nag findings this design accepts, each with the reason. */
  private acknowledgeFindings(): void {
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the aggregator\'s stream mapping; a queue behind it would only move the same records again.',
    });
  }
}

/**
 * Fixed name of one of the fleet's alarms: the topic's and the key's policies let CloudWatch publish for these names
 * only (a second fleet in the account has its own prefix).
 */
function alarmName(namePrefix: string, what: string): string {
  return `${namePrefix}-alarm-${what}`;
}

/** The failure-queue destination of the stream mapping (SqsDlq lives in aws-lambda-event-sources; this avoids its extra grants). */
class SqsDestination implements lambda.IEventSourceDlq {
  constructor(private readonly queue: sqs.IQueue) {}
  bind(): lambda.DlqDestinationConfig {
    return { destination: this.queue.queueArn };
  }
}
