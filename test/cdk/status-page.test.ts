// The status page as deployed: a private bucket only the sweeper writes, CloudFront with origin access control and
// security headers, the sweeper told where; statusPage validated at synth; cdk-nag clean; a line in the cost model.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ProbeFleet } from '../../lib';
import { ENV } from '../../functions/shared/deployment';
import { removeApp, testApp } from './support';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const MONITORS = [
  { id: 'web', host: 'shop.example.internal', port: 443 },
  { id: 'api-eu', host: 'api-eu.example.internal', port: 443 },
  { id: 'api-us', host: 'api-us.example.internal', port: 443 },
];

let app: App;
let fleet: ProbeFleet;
let home: Template;

beforeAll(() => {
  app = testApp({ nag: 'aws-solutions' });
  fleet = new ProbeFleet(app, 'Fleet', {
    regions: REGIONS, account: '123456789012', monitors: MONITORS,
    statusPage: { title: 'Acme status', monitors: ['web'], groups: { 'Public API': ['api-eu', 'api-us'] } },
  });
  // cdk-nag runs here: an unacknowledged finding makes synth throw.
  app.synth();
  home = Template.fromStack(fleet.homeStack);
});

afterAll(() => removeApp(app));

describe('ProbeFleet statusPage', () => {
  it('keeps the bucket private: public access blocked, TLS only, encrypted, objects owned by the bucket', () => {
    home.resourceCountIs('AWS::S3::Bucket', 1);
    home.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const policy = JSON.stringify(home.findResources('AWS::S3::BucketPolicy'));
    expect(policy).toContain('"aws:SecureTransport":"false"');
  });

  it('lets only the sweeper write the page: its role may put the two objects, a bucket policy denies everyone else', () => {
    const [bucketPolicy] = Object.values(home.findResources('AWS::S3::BucketPolicy')) as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }[];
    const statements = bucketPolicy!.Properties.PolicyDocument.Statement;
    const deny = statements.find((s) => s.Sid === 'OnlyTheSweeperWritesThePage')!;
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:DeleteObject', 's3:PutObject', 's3:PutObjectAcl'] });
    expect(JSON.stringify(deny.Condition)).toMatch(/^\{"ArnNotEquals":\{"aws:PrincipalArn":\{"Fn::GetAtt":\["SweeperRole\w+","Arn"\]\}\}\}$/);
    // CloudFront reads through origin access control, scoped to this distribution.
    const read = statements.find((s) => JSON.stringify(s.Principal) === '{"Service":"cloudfront.amazonaws.com"}')!;
    expect(read).toMatchObject({ Effect: 'Allow', Action: 's3:GetObject' });
    expect(JSON.stringify(read.Condition)).toContain('AWS:SourceArn');

    const writers = Object.entries(home.findResources('AWS::IAM::Policy')).filter(([, r]) => JSON.stringify(r).includes('s3:PutObject'));
    expect(writers).toHaveLength(1);
    expect(writers[0]![0]).toMatch(/^SweeperRole/);
    const write = (writers[0]![1] as { Properties: { PolicyDocument: { Statement: { Sid?: string; Action: string[]; Resource: unknown[] }[] } } })
      .Properties.PolicyDocument.Statement.find((s) => s.Sid === 'WriteStatusPage')!;
    expect(write.Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(write.Resource)).toContain('/index.html');
    expect(JSON.stringify(write.Resource)).toContain('/status.json');
    expect(write.Resource).toHaveLength(2);
  });

  it('serves it through CloudFront with origin access control, HTTPS only, GET and HEAD, security headers', () => {
    home.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    home.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }) });
    home.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } })],
      }),
    });
    home.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.stringLikeRegexp("^default-src 'none'"), Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
        }),
      }),
    });
    home.hasOutput('StatusPageUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^StatusPage[0-9A-F]+$'), 'DomainName'] }, '/']] } });
  });

  it('tells the sweeper the bucket, and ships the page declaration in fleet.json', () => {
    home.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^portquorum sweeper'),
      Environment: { Variables: Match.objectLike({ [ENV.statusBucket]: { Ref: Match.stringLikeRegexp('^StatusPageBucket') } }) },
    });
    expect(fleet.config.statusPage).toEqual({ title: 'Acme status', monitors: ['web'], groups: { 'Public API': ['api-eu', 'api-us'] } });
  });

  it('adds its line to the cost estimate: cents', () => {
    const line = fleet.costEstimate.items.find((i) => i.service === 'Status page')!;
    expect(line.monthlyUsd).toBeGreaterThan(0);
    expect(line.monthlyUsd).toBeLessThan(0.05);
    expect(line.detail).toContain('CloudFront');
  });

  it('creates none of it without a statusPage', () => {
    const plain = testApp();
    const other = new ProbeFleet(plain, 'Fleet', { regions: REGIONS, account: '123456789012', monitors: MONITORS });
    const template = Template.fromStack(other.homeStack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain(ENV.statusBucket);
    expect(other.costEstimate.items.some((i) => i.service === 'Status page')).toBe(false);
    removeApp(plain);
  });

  it('refuses a bad statusPage at synth, naming the field and the monitor', () => {
    const bad = testApp();
    let thrown: unknown;
    try {
      new ProbeFleet(bad, 'Fleet', { regions: REGIONS, monitors: MONITORS, statusPage: { title: 'Acme', groups: { API: ['api-eu', 'api-eux'] } } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.map((p) => p.message)).toEqual([
      "Fleet: statusPage.groups.API names 'api-eux', which is not a monitor of this fleet (did you mean 'api-eu'?)",
    ]);
    removeApp(bad);
  });
});
