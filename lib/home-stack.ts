// The home region's stack: results/state table, aggregator on the table stream, sweeper, alert topic, alarms, dashboard.
import { Annotations, Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../functions/shared/domain';
import { FAILED_RECORDS_PK } from '../functions/shared/domain/table';
import {
  AGGREGATOR_STREAM, AGGREGATOR_STREAM_FILTER, AGGREGATOR_WATCH_FILTER, AGGREGATOR_WATCH_STREAM, ENV, FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS, METRIC_NAMES, SERVICES, STATUS_OBJECTS,
} from '../functions/shared/deployment';
import { FleetFunction, type FleetFiles } from './function';
import { fleetMetric, lambdaMetricByName, probeFunctionName, probeMetric } from './metrics';

/** What the home stack needs from the fleet (ProbeFleet fills them in). */
export interface HomeStackProps extends StackProps {
  /** Physical table name (fixed, so probe stacks in other regions can name it). */
  readonly tableName: string;
  /** The fleet files (ProbeFleet writes them): each function's code asset carries its kind's as fleet.json. */
  readonly fleetFiles: FleetFiles;
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
  /**
   * Concurrency reserved for the aggregator and the sweeper (also their ceiling), or `false` to reserve none.
   * @default DEFAULT_RESERVED_CONCURRENCY
   */
  readonly reservedConcurrency?: ReservedConcurrency | false;
  /** Days the history items are kept (their TTL). */
  readonly historyDays: number;
  /**
   * A status page: a private bucket the sweeper writes the page to, served by CloudFront through origin access control.
   * @default false
   */
  readonly statusPage?: boolean;
  /**
   * Some monitors are watched (watch mode): a second event source mapping hands watch events to the aggregator at once.
   * @default false
   */
  readonly watch?: boolean;
}

/** Concurrent executions reserved for the home region's functions. */
export interface ReservedConcurrency {
  /**
   * The aggregator: one invocation per stream shard at a time (parallelization factor 1), so a few cover a table of
   * any size a fleet makes.
   * @default 5
   */
  readonly aggregator?: number;
  /**
   * The sweeper: one a minute, each done within the minute.
   * @default 1
   */
  readonly sweeper?: number;
}

/** Reserved by default: small next to the 1,000 of a usual account, enough that neither function is starved. */
const DEFAULT_RESERVED_CONCURRENCY = { aggregator: 5, sweeper: 1 } as const satisfies Required<ReservedConcurrency>;

export class HomeStack extends Stack {
  readonly table: dynamodb.Table;
  readonly alertTopic: sns.ITopic;
  readonly key: kms.Key;
  readonly failureQueue: sqs.Queue;
  readonly aggregator: FleetFunction;
  readonly sweeper: FleetFunction;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[];
  /** The status page's bucket and distribution, when the fleet declares a statusPage. */
  readonly statusPage?: { bucket: s3.Bucket; distribution: cloudfront.Distribution };
  /** Metrics the alarms read: CloudWatch bills an alarm per metric it reads (a metric-math alarm for each of its metrics). */
  readonly alarmMetricCount: number;

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
      [ENV.historyDays]: String(props.historyDays),
    };
    const tableArn = this.table.tableArn;

    const reserved = props.reservedConcurrency === false ? undefined : { ...DEFAULT_RESERVED_CONCURRENCY, ...props.reservedConcurrency };
    this.aggregator = new FleetFunction(this, 'Aggregator', {
      kind: 'aggregate',
      description: 'portquorum aggregator: quorum verdicts from the results stream, one alert per transition',
      fleetFiles: props.fleetFiles,
      runtime: props.runtime,
      memorySize: FUNCTION_MEMORY_MB.aggregate,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.aggregate),
      environment,
      logRetention: props.logRetention,
      ...(reserved ? { reservedConcurrentExecutions: reserved.aggregator } : {}),
    });
    this.aggregator.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadResultsWriteState',
        // What functions/shared/adapters/store.ts calls: queries for rounds and state, the state generation (GetItem,
        // UpdateItem), conditional state writes; DeleteItem for the incident book's member pages of a closed incident
        // (deleted in the transaction that writes the book) and for a state stored before state shards (moved by its
        // first write).
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
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

    // Round items, and (a fleet that watches) watch events: the same aggregator and settings, but watch events without
    // the batching window (see AGGREGATOR_WATCH_STREAM).
    const streamMapping = (id: string, settings: typeof AGGREGATOR_STREAM | typeof AGGREGATOR_WATCH_STREAM, filter: Record<string, unknown>) => {
      const mapping = new lambda.EventSourceMapping(this, id, {
        target: this.aggregator.function,
        eventSourceArn: this.table.tableStreamArn!,
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: settings.batchSize,
        ...(settings.maxBatchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds) } : {}),
        reportBatchItemFailures: settings.reportBatchItemFailures,
        bisectBatchOnError: settings.bisectBatchOnError,
        retryAttempts: settings.retryAttempts,
        maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
        parallelizationFactor: settings.parallelizationFactor,
        onFailure: new SqsDestination(this.failureQueue),
        filters: [lambda.FilterCriteria.filter(filter)],
      });
      mapping.node.addDependency(this.aggregator.role);
    };
    streamMapping('ResultsStream', AGGREGATOR_STREAM, AGGREGATOR_STREAM_FILTER);
    if (props.watch) streamMapping('WatchStream', AGGREGATOR_WATCH_STREAM, AGGREGATOR_WATCH_FILTER);

    this.sweeper = new FleetFunction(this, 'Sweeper', {
      kind: 'sweeper',
      description: 'portquorum sweeper: silent regions, pending alerts and reminders, once a minute',
      fleetFiles: props.fleetFiles,
      runtime: props.runtime,
      memorySize: FUNCTION_MEMORY_MB.sweeper,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.sweeper),
      environment,
      logRetention: props.logRetention,
      ...(reserved ? { reservedConcurrentExecutions: reserved.sweeper } : {}),
    });
    this.sweeper.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadResultsWriteState',
        // GetItem: the state generation, read each sweep before the cached states are used.
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [tableArn],
      }),
    );
    this.grantPublishAlerts(this.sweeper.role, props.alertTopic === undefined);
    if (props.statusPage) this.statusPage = this.buildStatusPage(props);
    this.sweeper.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    new events.Rule(this, 'SweeperSchedule', {
      description: 'portquorum: run the sweeper once a minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.sweeper.function, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });

    const alarmAction = new cwActions.SnsAction(this.alertTopic);
    // Alarms: broken pipeline, not broken targets (targets are what the alerts are for). Each says what it means and
    // what to do; all notify the alert topic (its policy lets CloudWatch publish for these names only).
    const { aggregate, sweeper } = METRIC_NAMES;
    const alarm = (id: string, what: string, props2: Omit<cloudwatch.AlarmProps, 'alarmName'>) =>
      new cloudwatch.Alarm(this, id, { alarmName: alarmName(props.namePrefix, what), ...props2 });
    const sustained = { evaluationPeriods: 5, datapointsToAlarm: 3 } as const;
    const atLeastOne = { threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD } as const;
    const queueAlarm = alarm('StreamFailuresAlarm', 'stream-failures', {
      alarmDescription: 'portquorum: stream records the aggregator gave up on are in the failure queue (verdicts may be stale). '
        + `Lambda's message names the shard and sequence numbers; each record's keys, image, error and attempts are kept 14 days as items with pk '${FAILED_RECORDS_PK}' in the table (README: "When the pipeline fails")`,
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      evaluationPeriods: 1,
      ...atLeastOne,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const aggregatorAlarm = alarm('AggregatorErrorsAlarm', 'aggregator-errors', {
      alarmDescription: 'portquorum: the aggregator failed in 3 of the last 5 minutes (verdicts and alerts may be delayed); check its logs',
      metric: this.aggregator.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      ...sustained,
      ...atLeastOne,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const sweeperAlarm = alarm('SweeperErrorsAlarm', 'sweeper-errors', {
      alarmDescription: 'portquorum: the sweeper failed in 3 of the last 5 minutes (silent regions and reminders go unnoticed); check its logs',
      metric: this.sweeper.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      ...sustained,
      ...atLeastOne,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const iteratorAgeAlarm = alarm('StreamIteratorAgeAlarm', 'stream-iterator-age', {
      alarmDescription: `portquorum: the aggregator is more than ${ITERATOR_AGE_ALARM_SECONDS} s behind the results stream in 3 of the last 5 minutes (alerts are late; `
        + `records older than ${AGGREGATOR_STREAM.maxRecordAgeSeconds / 60} min go to the failure queue unevaluated); check its throttles, errors and duration`,
      metric: this.aggregator.function.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: ITERATOR_AGE_ALARM_SECONDS * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...sustained,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const publishFailuresAlarm = alarm('PublishFailuresAlarm', 'publish-failures', {
      alarmDescription: 'portquorum: publishing alerts to SNS failed in 3 of the last 5 minutes (aggregator or sweeper; the alerts stay pending and '
        + 'are sent again once SNS accepts them); check the topic, its key policy and the functions\' logs',
      // Sparse counters (sent only when not zero): a gap is a zero.
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(aggregator, 0) + FILL(sweeper, 0)',
        usingMetrics: {
          aggregator: fleetMetric(aggregate.publishFailures, SERVICES.aggregate, 'Sum'),
          sweeper: fleetMetric(sweeper.publishFailures, SERVICES.sweeper, 'Sum'),
        },
        period: Duration.minutes(1),
        label: 'publish failures',
      }),
      ...sustained,
      ...atLeastOne,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const recordFailuresAlarm = alarm('RecordFailuresAlarm', 'record-failures', {
      alarmDescription: 'portquorum: the aggregator reported stream records as failed in 3 of the last 5 minutes (batch item failures, which are '
        + `not Lambda errors; Lambda retries them, then parks them in the failure queue); each is kept with its error as an item with pk '${FAILED_RECORDS_PK}'`,
      metric: fleetMetric(aggregate.recordFailures, SERVICES.aggregate, 'Sum'),
      ...sustained,
      ...atLeastOne,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const sweeperMissingAlarm = alarm('SweeperMissingAlarm', 'sweeper-missing', {
      alarmDescription: 'portquorum: the sweeper did not run in 3 of the last 5 minutes (its schedule, a throttle or a disabled rule; silent regions, '
        + 'pending alerts and reminders go unnoticed); check the SweeperSchedule rule and the function\'s throttles',
      metric: this.sweeper.function.metricInvocations({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      ...sustained,
      // No data is no run.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const stateFailuresAlarm = alarm('StateFailuresAlarm', 'state-failures', {
      alarmDescription: 'portquorum: the sweeper could not read or write a monitor\'s state in 3 of the last 5 minutes (it set that monitor aside and went on; '
        + 'its verdict, reminders and pending alerts wait); its log names the monitor and the error (an item over 400 KB, throttling, a policy)',
      metric: fleetMetric(sweeper.stateFailures, SERVICES.sweeper, 'Sum'),
      ...sustained,
      ...atLeastOne,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [queueAlarm, aggregatorAlarm, sweeperAlarm, iteratorAgeAlarm, publishFailuresAlarm, recordFailuresAlarm, sweeperMissingAlarm, stateFailuresAlarm];
    this.alarmMetricCount = this.alarms.reduce((n, a) => n + (a.metric instanceof cloudwatch.MathExpression ? Object.keys(a.metric.usingMetrics).length : 1), 0);
    for (const a of this.alarms) {
      a.addAlarmAction(alarmAction);
      a.addOkAction(alarmAction);
    }

    this.dashboard = this.buildDashboard(props);

    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn, description: 'Subscribe email, SQS or HTTPS endpoints here' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Results and state table' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName, description: 'CloudWatch dashboard of the fleet' });

    this.acknowledgeFindings();
  }

  /**
   * The status page: a private bucket (no public access, TLS only, S3-managed encryption) that only the sweeper writes,
   * served by CloudFront through origin access control, with security headers and HTTPS only.
   */
  private buildStatusPage(props: HomeStackProps): { bucket: s3.Bucket; distribution: cloudfront.Distribution } {
    const bucket = new s3.Bucket(this, 'StatusPageBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Only two objects, rewritten in place: nothing to keep older copies of (the sweeper renders them again).
      versioned: false,
      removalPolicy: props.removalPolicy,
    });
    const sweeperRole = this.sweeper.role;
    const objects = [STATUS_OBJECTS.page, STATUS_OBJECTS.data].map((key) => bucket.arnForObjects(key));
    // HeadObject (the last page's hash after a cold start) needs s3:GetObject.
    sweeperRole.addToPolicy(new iam.PolicyStatement({ sid: 'WriteStatusPage', actions: ['s3:PutObject', 's3:GetObject'], resources: objects }));
    // Nobody but the sweeper writes the page, whatever else their policies allow.
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyTheSweeperWritesThePage',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectAcl'],
      resources: [bucket.arnForObjects('*')],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': sweeperRole.roleArn } },
    }));
    this.sweeper.function.addEnvironment(ENV.statusBucket, bucket.bucketName);

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'StatusPageHeaders', {
      comment: 'portquorum status page: a static page that loads nothing and runs no script',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: false, override: true },
      },
    });
    const distribution = new cloudfront.Distribution(this, 'StatusPage', {
      comment: `${props.namePrefix} status page`,
      defaultRootObject: STATUS_OBJECTS.page,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(bucket, { originAccessLevels: [cloudfront.AccessLevel.READ] }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    new CfnOutput(this, 'StatusPageUrl', { value: `https://${distribution.distributionDomainName}/`, description: 'The status page (rewritten by the sweeper when it changes)' });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds two objects that only the sweeper writes and only CloudFront reads; the sweeper logs each write, so server access logs would record nothing else.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'A status page is for everyone who depends on the targets, wherever they are; there is nothing to keep from any country.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason: 'Two static, cached objects with GET and HEAD only: no input reaches an origin that a WAF would filter, and a web ACL costs more than the page ($5+ a month).',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason: 'A public status page of two static objects: visitor access logs are not needed to run it, and would be a bucket of visitors\' addresses to protect.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason: 'The page is served on the distribution\'s cloudfront.net name, whose default certificate CloudFront negotiates with TLS 1.2+ for modern clients; a custom domain with its own certificate and minimum protocol is the user\'s choice.',
    });
    return { bucket, distribution };
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
          // A wide outage that outlasted a pass's publish deadline: left pending for the next sweep.
          fleetMetric(aggregate.alertsCarried, SERVICES.aggregate, 'Sum', { label: 'alerts carried to the sweep' }),
          fleetMetric(sweeper.alertsCarried, SERVICES.sweeper, 'Sum', { label: 'alerts carried (sweeper)' }),
        ],
        right: [
          fleetMetric(aggregate.publishFailures, SERVICES.aggregate, 'Sum', { label: 'publish failures' }),
          fleetMetric(sweeper.publishFailures, SERVICES.sweeper, 'Sum', { label: 'publish failures (sweeper)' }),
          fleetMetric(sweeper.stateFailures, SERVICES.sweeper, 'Sum', { label: 'state failures (sweeper)' }),
          fleetMetric(aggregate.historyFailures, SERVICES.aggregate, 'Sum', { label: 'history not written' }),
          fleetMetric(sweeper.historyFailures, SERVICES.sweeper, 'Sum', { label: 'history not written (sweeper)' }),
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

/** The aggregator is this far behind the stream: several rounds late (a round a minute), well before records age out. */
const ITERATOR_AGE_ALARM_SECONDS = 180;

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
