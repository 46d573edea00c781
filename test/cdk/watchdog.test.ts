// The home-region watchdog in the templates, under cdk-nag: a stack in the fallback region (table, fallback topic, its
// ARN as an output), and probe roles that may read the heartbeat item, vote in the watchdog table and publish to the
// fallback topic only.
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet as exampleFleet } from '../../bin/monitors';
import { ConfigError, ProbeFleet } from '../../lib';
import { ENV } from '../../functions/shared/deployment';
import { removeApp, testApp } from './support';

const HOME = 'eu-west-1';
const FALLBACK = 'us-west-2';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (r) => (r as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}
const arn = (service: string, region: string, rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:${region}:`, { Ref: 'AWS::AccountId' }, rest]] });

describe('ProbeFleet watchdog', () => {
  const app = testApp({ nag: 'aws-solutions' });
  let fleet: ProbeFleet;
  afterAll(() => removeApp(app));
  beforeAll(() => {
    fleet = new ProbeFleet(app, 'Fleet', {
      ...exampleFleet, regions: REGIONS, homeRegion: HOME, account: '123456789012', watchdog: { fallbackRegion: FALLBACK },
      groups: { private: { placements: { [HOME]: { vpcId: 'vpc-0a1b2c3d4e5f67890', subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69788'] } } } },
      monitors: [...exampleFleet.monitors, { id: 'ledger-db', host: 'ledger.db.example.internal', port: 5432, group: 'private' }],
    });
    // cdk-nag runs here: any unacknowledged finding makes synth throw with the report.
    app.synth();
  });

  it('creates the fallback stack in its region: a table for the votes and an encrypted topic, its ARN an output', () => {
    const stack = fleet.watchdogStack!;
    expect(stack.region).toBe(FALLBACK);
    expect(stack.stackName).toBe('portquorum-watchdog');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'portquorum-watchdog', TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true }, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'portquorum-fallback-alerts', KmsMasterKeyId: 'arn:aws:kms:us-west-2:123456789012:alias/aws/sns' });
    t.resourceCountIs('AWS::SNS::Topic', 1);
    expect(Object.keys(t.findOutputs('FallbackTopicArn'))).toHaveLength(1);
    // Probe stacks deploy after it (they name its table and topic).
    for (const probe of fleet.probeStacks.values()) expect(probe.dependencies).toContain(stack);
  });

  it('lets each public probe read only the heartbeat item, use the watchdog table and publish only to the fallback topic', () => {
    for (const [region, stack] of fleet.probeStacks) {
      const t = Template.fromStack(stack);
      const all = statements(t);
      const watchdog = all.filter((s) => ['ReadHomeHeartbeat', 'WatchdogVotes', 'PublishFallbackOnly'].includes(s.Sid ?? ''));
      expect(watchdog).toEqual([
        { Sid: 'ReadHomeHeartbeat', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: arn('dynamodb', HOME, ':table/portquorum'), Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['heartbeat'] } } },
        { Sid: 'WatchdogVotes', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], Resource: arn('dynamodb', FALLBACK, ':table/portquorum-watchdog') },
        { Sid: 'PublishFallbackOnly', Effect: 'Allow', Action: 'sns:Publish', Resource: arn('sns', FALLBACK, ':portquorum-fallback-alerts') },
      ]);
      // sns:Publish nowhere else in a probe stack: never the alert topic.
      expect(all.filter((s) => [s.Action].flat().some((a) => a.startsWith('sns:')))).toEqual([watchdog[2]]);
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'portquorum-probe',
        Environment: { Variables: {
          [ENV.watchdogTable]: 'portquorum-watchdog', [ENV.watchdogRegion]: FALLBACK, [ENV.fallbackTopicArn]: arn('sns', FALLBACK, ':portquorum-fallback-alerts'),
          [ENV.watchdogStaleAfterMinutes]: '5', [ENV.watchdogQuorum]: '2', [ENV.table]: 'portquorum', [ENV.region]: region,
        } },
      });
    }
    // The VPC probe group keeps no watchdog: no grant, no setting.
    const home = Template.fromStack(fleet.probeStacks.get(HOME)!);
    const groupFn = Object.values(home.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'portquorum-probe-private' } }));
    expect(groupFn).toHaveLength(1);
    expect(JSON.stringify(groupFn[0])).not.toContain(ENV.watchdogTable);
  });

  it('refuses a fallback region that is the home region, and a quorum above the probe regions, naming the field', () => {
    const other = testApp();
    try {
      const make = (id: string, watchdog: { fallbackRegion: string; quorum?: number; staleAfterMinutes?: number }) => () => new ProbeFleet(other, id, { regions: REGIONS, homeRegion: HOME, monitors: [{ id: 'db', host: 'db.example.com', port: 5432 }], watchdog });
      expect(make('A', { fallbackRegion: HOME })).toThrow(new ConfigError([{ monitor: 'fleet', field: 'watchdog.fallbackRegion', message: "Fleet: watchdog.fallbackRegion: 'eu-west-1' is the home region; the watchdog must page from another region (name any other region)" }]));
      expect(make('B', { fallbackRegion: FALLBACK, quorum: 4 })).toThrow('Fleet: watchdog.quorum: 4 must be a whole number from 1 to the 3 probe regions');
      expect(make('C', { fallbackRegion: FALLBACK, staleAfterMinutes: 1 })).toThrow('Fleet: watchdog.staleAfterMinutes: 1 must be a whole number of minutes from 2 to 60');
    } finally {
      removeApp(other);
    }
  });
});
