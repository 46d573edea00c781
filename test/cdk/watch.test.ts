// Watch mode in the template: a probe that watches may write its own watch partitions as well as its rounds, and
// nothing else; a probe that watches nothing keeps its rounds-only policy; watch events reach the aggregator through
// their own mapping, without the round items' batching window. (test/cdk/fleet.test.ts: a fleet that watches nothing
// has one mapping.)
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeFleet } from '../../lib';
import { removeApp, testApp } from './support';

const HOME = 'eu-west-1';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

let app: App;
let fleet: ProbeFleet;
afterAll(() => removeApp(app));
beforeAll(() => {
  app = testApp({ nag: 'aws-solutions' });
  fleet = new ProbeFleet(app, 'Fleet', {
    regions: REGIONS,
    account: '123456789012',
    groups: { inside: { regions: [HOME] } },
    monitors: [
      { id: 'cache', host: 'cache.example.internal', port: 6379, preset: 'redis', watch: true },
      { id: 'ledger', host: 'ledger.example.internal', port: 5432, group: 'inside' },
    ],
  });
  app.synth();
});

function writeCondition(template: Template, role: RegExp): unknown {
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp(role.source) }] } }));
  const statements = policies.flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: { Sid?: string; Condition?: unknown }[] } } }).Properties.PolicyDocument.Statement);
  const write = statements.filter((s) => s.Sid === 'WriteOwnRoundPartitions');
  expect(write).toHaveLength(1);
  return write[0]!.Condition;
}

describe('watch mode in the template', () => {
  it('lets each watching probe write exactly its own round and watch partitions', () => {
    for (const region of REGIONS) {
      const template = Template.fromStack(fleet.probeStacks.get(region)!);
      expect(writeCondition(template, /^ProbeRole/)).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`round#${region}#-#*`, `watch#${region}#-#*`] },
      });
    }
  });

  it('keeps a probe group that watches nothing to its round partitions', () => {
    const template = Template.fromStack(fleet.probeStacks.get(HOME)!);
    expect(writeCondition(template, /^ProbeinsideRole/)).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`round#${HOME}#inside#*`] } });
  });

  it('hands watch events to the aggregator through a second mapping without a batching window, round items through the first', () => {
    const home = Template.fromStack(fleet.homeStack);
    home.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    home.hasResourceProperties('AWS::Lambda::EventSourceMapping', Match.objectEquals({
      FunctionName: { Ref: Match.stringLikeRegexp('^AggregatorFunction') },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Table'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: 200,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 900,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamFailures'), 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['watch'] } } } }) }] },
    }));
    home.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumBatchingWindowInSeconds: 2,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { kind: { S: ['round'] } } } }) }] },
    });
  });
});
