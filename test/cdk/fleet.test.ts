// Template assertions for the example fleet (home stack, probe stacks, a VPC probe group) under cdk-nag AwsSolutionsChecks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet as exampleFleet } from '../../bin/monitors';
import { ProbeFleet } from '../../lib';
import { homeFleet, PROBE_ONLY_FIELDS, type FleetConfig } from '../../functions/shared/domain';
import { fleetCost } from '../../lib/pricing/fleet-cost';
import { removeApp, testApp } from './support';

const HOME = 'eu-west-1';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const SUBNETS = ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69788'];
/** A password in a monitor's send: only the probe's code asset may hold it. */
const SECRET = 'pq-test-secret-7c41e9';

let app: App;
let fleet: ProbeFleet;
let outdir: string;
let home: Template;
const probes = new Map<string, Template>();

afterAll(() => removeApp(app));

beforeAll(() => {
  app = testApp({ nag: 'aws-solutions' });
  outdir = app.outdir;
  fleet = new ProbeFleet(app, 'Fleet', {
    ...exampleFleet,
    account: '123456789012',
    groups: { private: { placements: { [HOME]: { vpcId: 'vpc-0a1b2c3d4e5f67890', subnetIds: SUBNETS } } } },
    monitors: [
      ...exampleFleet.monitors,
      { id: 'ledger-db', host: 'ledger.db.example.internal', port: 5432, preset: 'postgres', group: 'private' },
      { id: 'queue-auth', host: 'queue.example.internal', port: 7000, send: `AUTH ${SECRET}\r\n`, expect: '+OK' },
    ],
  });
  // cdk-nag runs here: any unacknowledged finding makes synth throw with the report.
  app.synth();
  home = Template.fromStack(fleet.homeStack);
  for (const [region, stack] of fleet.probeStacks) probes.set(region, Template.fromStack(stack));
});

/** Every IAM policy statement of a template. */
function statements(template: Template): { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (r) => (r as { Properties: { PolicyDocument: { Statement: never[] } } }).Properties.PolicyDocument.Statement,
  );
}

describe('ProbeFleet', () => {
  it('creates one home stack and one probe stack per region, each in its region and account', () => {
    expect(fleet.homeStack.region).toBe(HOME);
    expect(fleet.homeStack.account).toBe('123456789012');
    expect(fleet.homeStack.stackName).toBe('portquorum-home');
    expect([...fleet.probeStacks.keys()]).toEqual(REGIONS);
    for (const [region, stack] of fleet.probeStacks) {
      expect(stack.region).toBe(region);
      expect(stack.stackName).toBe(`portquorum-probe-${region}`);
      // Deploy order only: the table must exist before probes write to it.
      expect(stack.dependencies).toContain(fleet.homeStack);
    }
  });

  it('ships the resolved fleet as a file, not in the template', () => {
    expect(fleet.config.monitors.map((m) => m.id)).toEqual(['orders-db', 'orders-cache', 'smtp', 'www', 'bastion-ssh', 'ledger-db', 'queue-auth']);
    // The probe's (every field) and the home functions' (homeFleet: no probe-only field).
    const files = readdirSync(join(outdir, 'portquorum')).sort();
    expect(files).toEqual([expect.stringMatching(/^fleet-[0-9a-f]{16}\.json$/), expect.stringMatching(/^fleet-home-[0-9a-f]{16}\.json$/)]);
    expect(JSON.parse(readFileSync(join(outdir, 'portquorum', files[0]!), 'utf8'))).toEqual(fleet.config);
    expect(JSON.parse(readFileSync(join(outdir, 'portquorum', files[1]!), 'utf8'))).toEqual(homeFleet(fleet.config));
    for (const template of [home, ...probes.values()]) {
      expect(JSON.stringify(template.toJSON())).not.toContain('orders.example.internal');
    }
  });

  it("gives each function only the fleet fields it reads: a monitor's send is in the probe's code asset alone", () => {
    const assets: { stack: string; kind: string; dir: string }[] = [];
    for (const [name, template] of [['home', home], ...[...probes].map(([region, t]) => [`probe-${region}`, t] as const)] as const) {
      for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
        const key = (fn.Properties.Code as { S3Key: string }).S3Key;
        const kind = String(fn.Properties.Description).replace(/^portquorum (\w+).*$/, '$1');
        assets.push({ stack: name, kind, dir: join(outdir, `asset.${key.replace(/\.zip$/, '')}`) });
      }
    }
    expect(new Set(assets.map((a) => a.kind))).toEqual(new Set(['aggregator', 'sweeper', 'probe']));
    for (const asset of assets) {
      const files = readdirSync(asset.dir);
      expect(files, `${asset.stack} ${asset.kind}`).toContain('fleet.json');
      const text = files.map((f) => readFileSync(join(asset.dir, f), 'latin1')).join('\n');
      const shipped = JSON.parse(readFileSync(join(asset.dir, 'fleet.json'), 'utf8')) as FleetConfig;
      const queue = shipped.monitors.find((m) => m.id === 'queue-auth')!;
      if (asset.kind === 'probe') {
        expect(text, `${asset.stack} ${asset.kind}`).toContain(SECRET);
        expect(queue.send).toBe(`AUTH ${SECRET}\r\n`);
      } else {
        expect(text, `${asset.stack} ${asset.kind}`).not.toContain(SECRET);
        for (const field of PROBE_ONLY_FIELDS) expect(shipped.monitors.every((m) => !(field in m)), `${asset.kind}: ${field}`).toBe(true);
        // What verdicts and alerts need is all there.
        expect(queue).toMatchObject({ id: 'queue-auth', host: 'queue.example.internal', port: 7000, quorum: 2, interval: 60 });
      }
    }
  });

  it('estimates the monthly cost with the one computation portquorum cost uses, and adds no annotation to acknowledge', () => {
    expect(Annotations.fromStack(fleet.homeStack).findInfo('/Fleet/Home', Match.stringLikeRegexp('cost'))).toHaveLength(0);
    expect(fleet.costEstimate).toEqual(fleetCost(fleet.config, { probeMemoryMb: 256, logRetentionDays: 30, alarms: fleet.homeStack.alarmMetricCount }));
    for (const service of ['Lambda', 'DynamoDB', 'SNS', 'Schedules', 'Logs']) expect(fleet.costEstimate.items.some((i) => i.service === service)).toBe(true);
    expect(fleet.costEstimate.totalUsd).toBeGreaterThan(0);
  });
});

describe('home stack', () => {
  it('has the results table: pk/sk, on-demand, NEW_IMAGE stream, TTL, PITR, KMS encryption, retained', () => {
    home.resourceCountIs('AWS::DynamoDB::Table', 1);
    home.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectEquals({
        TableName: 'portquorum',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key id means KMS with the AWS managed key aws/dynamodb.
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  it('feeds the aggregator from the stream with a fully configured event source mapping', () => {
    home.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    home.hasResourceProperties('AWS::Lambda::EventSourceMapping', Match.objectEquals({
      FunctionName: { Ref: Match.stringLikeRegexp('^AggregatorFunction') },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Table'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: 200,
      MaximumBatchingWindowInSeconds: 2,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 900,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamFailures'), 'Arn'] } } },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { kind: { S: ['round'] } } } }) }],
      },
    }));
  });

  it('lets the sweeper read the state generation (GetItem) beside its queries and state writes', () => {
    home.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^SweeperRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'ReadResultsWriteState',
          Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        })]),
      },
    });
  });

  it('lets the aggregator read the stream and write state on exactly this table, publish alerts and park failed batches', () => {
    const policy = Object.entries(home.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('AggregatorRole'))!;
    const sids = (policy[1].Properties.PolicyDocument.Statement as { Sid: string }[]).map((s) => s.Sid).sort();
    expect(sids).toEqual(['EncryptAlerts', 'EncryptFailedBatches', 'PublishAlerts', 'ReadResultsStream', 'ReadResultsWriteState', 'SendFailedBatches', 'WriteOwnLogs']);
    home.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AggregatorRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ReadResultsWriteState',
            Effect: 'Allow',
            Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Table'), 'Arn'] },
          },
          {
            Sid: 'ReadResultsStream',
            Effect: 'Allow',
            Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Table'), 'StreamArn'] },
          },
          { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: Match.stringLikeRegexp('^AlertTopic') } },
          Match.objectLike({ Sid: 'EncryptAlerts', Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
          { Sid: 'SendFailedBatches', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamFailures'), 'Arn'] } },
        ]),
      },
    });
  });

  it('gives the aggregator and sweeper the table, home region, topic and the history\'s days (400, or historyDays)', () => {
    for (const prefix of ['AggregatorFunction', 'SweeperFunction']) {
      const [, fn] = Object.entries(home.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))!;
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: {
          Variables: {
            PORTQUORUM_TABLE: 'portquorum',
            PORTQUORUM_TABLE_REGION: HOME,
            PORTQUORUM_REGION: HOME,
            PORTQUORUM_TOPIC_ARN: { Ref: expect.stringMatching(/^AlertTopic/) },
            PORTQUORUM_HISTORY_DAYS: '400',
          },
        },
      });
    }
    const other = testApp();
    try {
      const custom = new ProbeFleet(other, 'Custom', { ...exampleFleet, account: '123456789012', historyDays: 90 });
      const fns = Object.values(Template.fromStack(custom.homeStack).findResources('AWS::Lambda::Function'));
      expect(fns.map((fn) => fn.Properties.Environment.Variables.PORTQUORUM_HISTORY_DAYS)).toEqual(['90', '90']);
    } finally {
      removeApp(other);
    }
  });

  it('runs the sweeper once a minute without retries of stale events', () => {
    home.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SweeperFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      })],
    });
  });

  it('encrypts the topic and the failure queue with a rotating key and refuses plain-text access', () => {
    home.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    home.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    home.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    const denyPlainText = Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    home.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([denyPlainText]) } });
    home.hasResourceProperties('AWS::SQS::QueuePolicy', { PolicyDocument: { Statement: Match.arrayWith([denyPlainText]) } });
  });

  it('lets CloudWatch publish this fleet\'s alarms to the topic and use its key, and nothing else', () => {
    const thisFleetsAlarms = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:portquorum-alarm-*']],
        },
      },
    };
    // enforceSSL's topic policy replaces SNS's default one: without this statement alarm actions are not authorized.
    home.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: { Ref: Match.stringLikeRegexp('^AlertTopic') },
          Condition: thisFleetsAlarms,
        }]),
      },
    });
    home.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: thisFleetsAlarms,
        })]),
      },
    });
    // Every alarm's name falls under the pattern the policies allow.
    for (const alarm of Object.values(home.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmName).toMatch(/^portquorum-alarm-[a-z-]+$/);
    }
    // No other principal may publish through the topic policy.
    const [policy] = Object.values(home.findResources('AWS::SNS::TopicPolicy'));
    const allows = (policy!.Properties.PolicyDocument.Statement as { Effect: string; Principal: unknown }[]).filter((st) => st.Effect === 'Allow');
    expect(allows.map((st) => st.Principal)).toEqual([{ Service: 'cloudwatch.amazonaws.com' }]);
  });

  it('warns at synth that a topic passed in must allow the alarms to publish', () => {
    const other = testApp();
    try {
      const topicStack = new Stack(other, 'Topics', { env: { account: '123456789012', region: HOME } });
      const topic = new sns.Topic(topicStack, 'Existing');
      const withTopic = new ProbeFleet(other, 'Fleet', { ...exampleFleet, account: '123456789012', alertTopic: topic });
      const warnings = Annotations.fromStack(withTopic.homeStack).findWarning('*', Match.stringLikeRegexp('cloudwatch.amazonaws.com to sns:Publish'));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]!.entry.data)).toContain(`arn:aws:cloudwatch:${HOME}:<account>:alarm:portquorum-alarm-*`);
    } finally {
      removeApp(other);
    }
  });

  it('alarms on the failure queue and on aggregator and sweeper errors, notifying the alert topic', () => {
    home.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    const toTopic = [{ Ref: Match.stringLikeRegexp('^AlertTopic') }];
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamFailures'), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: toTopic,
      OKActions: toTopic,
    });
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^AggregatorFunction') } }],
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: toTopic,
    });
  });

  it('alarms on the failures that must be seen: iterator age, publish failures, record failures, missing sweeper runs, state failures', () => {
    const toTopic = [{ Ref: Match.stringLikeRegexp('^AlertTopic') }];
    const sustained = { EvaluationPeriods: 5, DatapointsToAlarm: 3, AlarmActions: toTopic, OKActions: toTopic };
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'portquorum-alarm-stream-iterator-age',
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^AggregatorFunction') } }],
      Threshold: 180_000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...sustained,
    });
    // Both publishers' sparse counters, a gap read as zero.
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'portquorum-alarm-publish-failures',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(aggregator, 0) + FILL(sweeper, 0)', ReturnData: true }),
        Match.objectLike({ Id: 'aggregator', ReturnData: false, MetricStat: Match.objectLike({ Metric: { Namespace: 'portquorum', MetricName: 'PublishFailures', Dimensions: [{ Name: 'service', Value: 'portquorum-aggregate' }] }, Stat: 'Sum' }) }),
        Match.objectLike({ Id: 'sweeper', ReturnData: false, MetricStat: Match.objectLike({ Metric: { Namespace: 'portquorum', MetricName: 'PublishFailures', Dimensions: [{ Name: 'service', Value: 'portquorum-sweeper' }] }, Stat: 'Sum' }) }),
      ]),
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      ...sustained,
    });
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'portquorum-alarm-record-failures',
      Namespace: 'portquorum',
      MetricName: 'RecordFailures',
      Dimensions: [{ Name: 'service', Value: 'portquorum-aggregate' }],
      Statistic: 'Sum',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      ...sustained,
    });
    // A sweep that never ran sends no data point: missing data breaches.
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'portquorum-alarm-sweeper-missing',
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^SweeperFunction') } }],
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      ...sustained,
    });
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'portquorum-alarm-stream-failures',
      AlarmDescription: Match.stringLikeRegexp("kept 14 days as items with pk 'failed'"),
    });
    // A monitor's state the sweeper sets aside (issue 12, defect 3) is counted; a count that persists pages.
    home.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'portquorum-alarm-state-failures',
      Namespace: 'portquorum',
      MetricName: 'StateFailures',
      Dimensions: [{ Name: 'service', Value: 'portquorum-sweeper' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...sustained,
    });
    // Issue 12's list, whole: every alarm it asks for, and no other, each notifying the topic on alarm and on OK.
    const alarms = Object.values(home.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.AlarmName as string).sort()).toEqual([
      'aggregator-errors', 'publish-failures', 'record-failures', 'state-failures', 'stream-failures', 'stream-iterator-age', 'sweeper-errors', 'sweeper-missing',
    ].map((what) => `portquorum-alarm-${what}`));
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlertTopic/) }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/^AlertTopic/) }]);
    }
  });

  it('reserves concurrency for the aggregator and the sweeper by default, and none when told not to', () => {
    home.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^portquorum aggregator'), ReservedConcurrentExecutions: 5 });
    home.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^portquorum sweeper'), ReservedConcurrentExecutions: 1 });
    const other = testApp();
    try {
      const custom = new ProbeFleet(other, 'Custom', { ...exampleFleet, account: '123456789012', reservedConcurrency: { aggregator: 20 } });
      const none = new ProbeFleet(other, 'None', { ...exampleFleet, account: '123456789012', namePrefix: 'pq-none', reservedConcurrency: false });
      const t = Template.fromStack(custom.homeStack);
      t.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^portquorum aggregator'), ReservedConcurrentExecutions: 20 });
      t.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^portquorum sweeper'), ReservedConcurrentExecutions: 1 });
      for (const fn of Object.values(Template.fromStack(none.homeStack).findResources('AWS::Lambda::Function'))) {
        expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
      expect(() => new ProbeFleet(other, 'Zero', { ...exampleFleet, namePrefix: 'pq-zero', reservedConcurrency: { sweeper: 0 } })).toThrow(
        'reservedConcurrency.sweeper 0 is not a whole number ≥ 1 (0 would stop the sweeper; to reserve none, set reservedConcurrency: false)',
      );
    } finally {
      removeApp(other);
    }
  });

  it('builds a dashboard from the EMF metrics with one series per region, none per monitor', () => {
    const [dashboard] = Object.values(home.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const region of REGIONS) expect(body).toContain(region);
    for (const metric of ['Transitions', 'AlertsPublished', 'UnknownMonitors', 'ProbesDown', 'RoundFailures', 'CanaryDown', 'StateFailures', 'HistoryFailures', 'AlertsCarried']) expect(body).toContain(metric);
    // Round duration per region from Lambda itself, found by the probe's fixed name (no cross-region reference).
    expect(body.match(/\\"AWS\/Lambda\\",\\"Duration\\",\\"FunctionName\\",\\"portquorum-probe\\"/g)?.length).toBe(REGIONS.length);
    expect(body).not.toContain('orders-db');
    // 15 fleet-wide metrics (alerts carried by the aggregator and the sweeper among them) and 3 per region: a fixed count, whatever the number of monitors.
    expect(body.match(/\\"portquorum\\"/g)?.length).toBe(15 + 3 * REGIONS.length);
  });

  it('outputs the topic ARN and the table name', () => {
    home.hasOutput('AlertTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlertTopic') } });
    home.hasOutput('TableName', { Value: { Ref: Match.stringLikeRegexp('^Table') } });
  });
});

describe('probe stacks', () => {
  it.each(REGIONS)('%s: an arm64 probe started once a minute, writing to the home table by name', (region) => {
    const probe = probes.get(region)!;
    probe.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'portquorum-probe',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 75,
      Environment: {
        Variables: Match.objectEquals({
          PORTQUORUM_TABLE: 'portquorum',
          PORTQUORUM_TABLE_REGION: HOME,
          PORTQUORUM_REGION: region,
          POWERTOOLS_SERVICE_NAME: 'portquorum-probe',
          POWERTOOLS_METRICS_NAMESPACE: 'portquorum',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
    probe.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProbeFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      })],
    });
    probe.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProbeRole') }],
      PolicyDocument: {
        Statement: [
          { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProbeLogs'), 'Arn'] } },
          {
            Sid: 'WriteOwnRoundPartitions',
            Effect: 'Allow',
            Action: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${HOME}:`, { Ref: 'AWS::AccountId' }, ':table/portquorum']] },
            // Only this region's public round partitions: no state item, no other region's or group's rounds.
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`round#${region}#-#*`] } },
          },
        ],
        Version: '2012-10-17',
      },
    });
    // Named, not referenced: no cross-stack or cross-region imports.
    expect(JSON.stringify(probe.toJSON())).not.toContain('Fn::ImportValue');
  });

  it('runs the VPC probe group only where it is placed, inside the given subnets, with PORTQUORUM_GROUP', () => {
    const inHome = probes.get(HOME)!;
    inHome.resourceCountIs('AWS::Lambda::Function', 2);
    inHome.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'portquorum-probe-private',
      Environment: { Variables: Match.objectLike({ PORTQUORUM_GROUP: 'private', PORTQUORUM_REGION: HOME }) },
      VpcConfig: {
        SubnetIds: SUBNETS,
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ProbeprivateSecurityGroup'), 'GroupId'] }],
      },
    });
    inHome.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0a1b2c3d4e5f67890',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: '-1' })],
    });
    // The group's probe writes its own group's partitions in its region, not the public probes'.
    inHome.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProbeprivateRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'WriteOwnRoundPartitions',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`round#${HOME}#private#*`] } },
        })]),
      },
    });
    // ENIs only in the group's own subnets: created with its subnets and security group, managed only where they sit.
    const subnetArn = (id: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:subnet/${id}`]] });
    inHome.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProbeprivateRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CreateProbeNetworkInterfacesInOwnSubnets',
            Action: 'ec2:CreateNetworkInterface',
            Resource: Match.arrayWith(SUBNETS.map(subnetArn)),
          }),
          Match.objectLike({
            Sid: 'ManageProbeNetworkInterfaces',
            Action: ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses'],
            Condition: { ArnEquals: { 'ec2:Subnet': SUBNETS.map(subnetArn) } },
          }),
        ]),
      },
    });
    inHome.resourceCountIs('AWS::Events::Rule', 2);
    for (const region of REGIONS.filter((r) => r !== HOME)) probes.get(region)!.resourceCountIs('AWS::Lambda::Function', 1);
  });
});

describe('least privilege', () => {
  it('grants no wildcard actions, and a wildcard resource only to EC2 Describe calls of VPC probes', () => {
    const all = [home, ...probes.values()].flatMap(statements);
    expect(all.length).toBeGreaterThan(10);
    for (const statement of all) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
      if (JSON.stringify(statement.Resource).includes('"*"')) expect(statement.Sid).toBe('DescribeNetwork');
      // Every interface of the account is named only under a condition that narrows it to the group's subnets.
      if (JSON.stringify(statement.Resource).includes('network-interface/*')) {
        expect((statement as { Condition?: unknown }).Condition).toEqual({ ArnEquals: { 'ec2:Subnet': expect.any(Array) } });
      }
    }
  });

  it("lets each probe read only the secrets its monitors send, and decrypt with a key named only through that service", () => {
    const other = testApp({ nag: 'aws-solutions' });
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pq/queue-AbCdEf';
    try {
      const withSecrets = new ProbeFleet(other, 'Secrets', {
        regions: REGIONS, account: '123456789012',
        monitors: [
          { id: 'db-hello', host: 'db.example.internal', port: 6000, send: { ssmParameter: '/pq/db-hello', kmsKeyArn: key }, expect: '+OK' },
          { id: 'queue-auth', host: 'queue.example.internal', port: 7000, send: { secretArn, encoding: 'hex' }, expect: '+OK', regions: ['us-east-1', 'ap-southeast-1'] },
          { id: 'plain', host: 'plain.example.internal', port: 22 },
        ],
      });
      // cdk-nag runs here.
      other.synth();
      const readGrants = (region: string) => statements(Template.fromStack(withSecrets.probeStacks.get(region)!))
        .filter((st) => /^(ReadSend|DecryptSend)/.test(st.Sid ?? ''));
      const ssmArn = (region: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:${region}:`, { Ref: 'AWS::AccountId' }, ':parameter/pq/db-hello']] });
      expect(readGrants('eu-west-1')).toEqual([
        { Sid: 'ReadSendParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: ssmArn('eu-west-1') },
        { Sid: 'DecryptSendSecrets0', Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: { StringEquals: { 'kms:ViaService': ['ssm.eu-west-1.amazonaws.com'] } } },
      ]);
      for (const region of ['us-east-1', 'ap-southeast-1']) {
        expect(readGrants(region)).toEqual([
          { Sid: 'ReadSendParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: ssmArn(region) },
          { Sid: 'ReadSendSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [secretArn, `${secretArn}-??????`] },
          { Sid: 'DecryptSendSecrets0', Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: { StringEquals: { 'kms:ViaService': [`ssm.${region}.amazonaws.com`] } } },
        ]);
      }
      // The home functions read no secret.
      expect(statements(Template.fromStack(withSecrets.homeStack)).filter((st) => [st.Action].flat().some((a) => /^(ssm|secretsmanager):/.test(a)))).toEqual([]);
    } finally {
      removeApp(other);
    }
    // The example fleet has no reference: its probes get no such grant.
    for (const template of probes.values()) expect(statements(template).filter((st) => /^(ReadSend|DecryptSend)/.test(st.Sid ?? ''))).toEqual([]);
  });

  it('cdk-nag is active in these tests: it fails an app with a queue that allows plain-text access', () => {
    const bad = testApp({ nag: 'aws-solutions' });
    const stack = new Stack(bad, 'Bad', { env: { region: HOME } });
    new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.KMS_MANAGED });
    try {
      expect(() => bad.synth()).toThrow(/AwsSolutions-SQS4/);
    } finally {
      removeApp(bad);
    }
  });
});
