// Targets from constructs (RDS, ElastiCache) and token hosts: placeholders in fleet.json, values in PORTQUORUM_TARGETS at deploy time.
import { Stack, type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeFleet } from '../../lib';
import { DEPLOY_TIME_HOST, DEPLOY_TIME_PORT } from '../../lib/targets';
import { ENV } from '../../functions/shared/deployment';
import { removeApp, testApp } from './support';

const ACCOUNT = '123456789012';
let app: App;
let fleet: ProbeFleet;
let data: Stack;

beforeAll(() => {
  app = testApp();
  // The user's own stack, in one of the probing regions (values cross stacks, never regions).
  data = new Stack(app, 'Data', { stackName: 'orders-data', env: { account: ACCOUNT, region: 'us-east-1' } });
  const vpc = new ec2.Vpc(data, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 1 });
  const db = new rds.DatabaseInstance(data, 'OrdersDb', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
  });
  const cache = new elasticache.CfnCacheCluster(data, 'Sessions', { engine: 'redis', cacheNodeType: 'cache.t4g.micro', numCacheNodes: 1 });

  fleet = new ProbeFleet(app, 'Fleet', {
    account: ACCOUNT,
    // Node.js 22 works as well as the default 24 (bundles target node22).
    runtime: lambda.Runtime.NODEJS_22_X,
    homeRegion: 'eu-west-1',
    regions: ['eu-west-1', 'us-east-1'],
    groups: { private: { placements: { 'us-east-1': { vpc } } } },
    monitors: [
      { id: 'www', host: 'www.example.com', port: 443, tls: true },
      // A construct target: host and port both come from the instance.
      { id: 'orders-db', target: db, preset: 'postgres', group: 'private' },
      // A construct target probed by the public probes, port from the cluster.
      { id: 'sessions', target: cache, preset: 'redis', regions: ['us-east-1'] },
      // A token host with a literal port.
      { id: 'orders-db-raw', host: db.dbInstanceEndpointAddress, port: 5432, regions: ['us-east-1'] },
      // Closed from the internet, open from the VPC group: both probe functions need its address.
      { id: 'ledger', target: db, regions: ['us-east-1'], reach: { private: 'open', public: 'closed' } },
    ],
  });
  app.synth();
});

afterAll(() => removeApp(app));

describe('construct targets', () => {
  it('puts a placeholder that never resolves in fleet.json, and literal hosts as they are', () => {
    const byId = new Map(fleet.config.monitors.map((m) => [m.id, m]));
    expect(byId.get('www')).toMatchObject({ host: 'www.example.com', port: 443 });
    expect(byId.get('orders-db')).toMatchObject({ host: DEPLOY_TIME_HOST, port: DEPLOY_TIME_PORT, group: 'private', regions: ['us-east-1'] });
    expect(byId.get('sessions')).toMatchObject({ host: DEPLOY_TIME_HOST, port: DEPLOY_TIME_PORT });
    expect(byId.get('orders-db-raw')).toMatchObject({ host: DEPLOY_TIME_HOST, port: 5432 });
  });

  it('hands the public probe in the targets\' region only its own deploy-time targets, as JSON CloudFormation completes', () => {
    const probe = Template.fromStack(fleet.probeStacks.get('us-east-1')!);
    const [, publicProbe] = Object.entries(probe.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ProbeFunction'))!;
    const value = JSON.stringify(publicProbe.Properties.Environment.Variables[ENV.targets]);
    expect(value).toContain('Fn::Join');
    expect(value).toContain('Fn::ImportValue');
    expect(value).toContain('sessions');
    expect(value).toContain('orders-db-raw');
    expect(value).not.toContain('"orders-db\\"'); // the group's target is not the public probe's
  });

  it('runs the VPC group inside the given VPC construct, with its own target', () => {
    const probe = Template.fromStack(fleet.probeStacks.get('us-east-1')!);
    probe.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PORTQUORUM_GROUP: 'private', [ENV.targets]: Match.anyValue() }) },
      VpcConfig: { SubnetIds: [Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }), Match.objectLike({ 'Fn::ImportValue': Match.anyValue() })] },
    });
    const [, groupProbe] = Object.entries(probe.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ProbeprivateFunction'))!;
    const value = JSON.stringify(groupProbe.Properties.Environment.Variables[ENV.targets]);
    expect(value).toContain('orders-db');
    expect(value).not.toContain('sessions');
  });

  it('hands a target whose reach names the group to the group\'s function as well as to the public one', () => {
    const probe = Template.fromStack(fleet.probeStacks.get('us-east-1')!);
    const functions = Object.entries(probe.findResources('AWS::Lambda::Function'));
    const targetsOf = (prefix: string) => JSON.stringify(functions.find(([id]) => id.startsWith(prefix))![1].Properties.Environment.Variables[ENV.targets]);
    expect(targetsOf('ProbeFunction')).toContain('ledger');
    expect(targetsOf('ProbeprivateFunction')).toContain('ledger');
    expect(fleet.config.monitors.find((m) => m.id === 'ledger')).toMatchObject({
      exposure: 'private', vantages: [{ group: 'private', expect: 'open', regions: ['us-east-1'], quorum: 1 }],
    });
  });

  it('deploys every function on the runtime asked for', () => {
    for (const stack of [fleet.homeStack, ...fleet.probeStacks.values()]) {
      const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) expect(fn.Properties.Runtime).toBe('nodejs22.x');
    }
  });

  it('gives the other region no deploy-time targets and no imports', () => {
    const probe = Template.fromStack(fleet.probeStacks.get('eu-west-1')!);
    probe.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ [ENV.targets]: Match.absent() }) } });
    expect(JSON.stringify(probe.toJSON())).not.toContain('Fn::ImportValue');
  });
});
