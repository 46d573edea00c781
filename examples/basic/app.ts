// A CDK app that uses portquorum as a library: your own stack (a database, a queue) and a fleet that watches it. The README shows this file.
import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ProbeFleet } from 'portquorum';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: 'eu-west-1' };

// Your own stack: a PostgreSQL database in a VPC, and a queue that receives the alerts.
const stack = new Stack(app, 'Orders', { env });
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
const ordersDb = new rds.DatabaseInstance(stack, 'OrdersDb', {
  engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
  vpc,
  storageEncrypted: true,
});
const queue = new sqs.Queue(stack, 'Alerts', { enforceSSL: true });

const fleet = new ProbeFleet(app, 'Fleet', {
  homeRegion: 'eu-west-1',
  regions: ['eu-west-1', 'us-east-1', 'ap-southeast-1'],
  canary: { host: 'dynamodb.{region}.amazonaws.com', port: 443 },
  // Probes inside the VPC reach the private database; the other monitors are probed from every region.
  groups: { private: { placements: { 'eu-west-1': { vpc } } } },
  monitors: [
    { id: 'orders-db', target: ordersDb, preset: 'postgres', group: 'private' }, // host and port from the instance
    { id: 'smtp', host: 'mail.example.com', port: 25, preset: 'smtp', starttls: 'smtp', tls: { minDaysValid: 14 } },
  ],
});
fleet.alertTopic.addSubscription(new subs.SqsSubscription(queue));
new cloudwatch.Alarm(stack, 'UnknownMonitors', { metric: fleet.metricUnknownMonitors(), threshold: 1, evaluationPeriods: 1 });

app.synth();
