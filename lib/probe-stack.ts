// A probing region's stack: the public probe function (and any VPC probe groups), each started once a minute.
import { Annotations, Aws, Duration, Fn, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ProbeGroupPlacement } from './declarations';
import { FleetFunction, type FleetFiles } from './function';
import { ENV, FUNCTION_TIMEOUT_SECONDS } from '../functions/shared/deployment';
import { roundKeyPattern } from '../functions/shared/domain/record';
import { watchKeyPattern } from '../functions/shared/domain/watch';
import type { SecretReference } from '../functions/shared/domain/secrets';
import { probeFunctionName } from './metrics';
import { targetsEnvironmentValue, type DeployTimeTarget } from './targets';
import { fallbackTopicArn, watchdogTableArn, type ResolvedWatchdog } from './watchdog-stack';
import { HEARTBEAT_KEY } from '../functions/shared/domain/table';

/** One probe function of a region: the public probes, or a named probe group (optionally in a VPC). */
export interface ProbeFunctionSpec {
  /**
   * Probe group name.
   * @default none: the public probes
   */
  readonly group?: string;
  /**
   * VPC placement of the group in this region.
   * @default none: the function runs outside any VPC
   */
  readonly placement?: ProbeGroupPlacement;
  /** Monitors of this function whose host or port is completed at deploy time. */
  readonly deployTimeTargets: DeployTimeTarget[];
  /**
   * Secrets the function's monitors send (`send: { ssmParameter }` or `{ secretArn }`): its role may read these and no other.
   * @default none
   */
  readonly secretReferences?: SecretReference[];
  /**
   * Some of the function's monitors are watched (watch mode): its role may also write its own watch partitions.
   * @default false
   */
  readonly watch?: boolean;
  /**
   * Probe shards: each is its own scheduled invocation of the function, with input `{ time, probeShard }`; `why` says
   * how the count came about (shown as an info annotation).
   * @default one shard, started by the plain scheduled event
   */
  readonly shards?: { count: number; why: string };
}

/** What a region's probe stack needs from the fleet (ProbeFleet fills them in). */
export interface ProbeStackProps extends StackProps {
  /** The region this stack probes from (also its env region). */
  readonly probeRegion: string;
  /** Home region of the results table. */
  readonly homeRegion: string;
  /** Fixed name of the results table in the home region. */
  readonly tableName: string;
  /** The fleet files (ProbeFleet writes them): each function's code asset carries its kind's as fleet.json. */
  readonly fleetFiles: FleetFiles;
  /** The probe functions of this region: the public probes and each probe group placed here. */
  readonly functions: ProbeFunctionSpec[];
  /** Lambda runtime of the probe functions. */
  readonly runtime: lambda.Runtime;
  /** Memory of each probe function in MB. */
  readonly memorySize: number;
  /** How long the functions' logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Prefix of the probe functions' fixed names. */
  readonly namePrefix: string;
  /**
   * The home-region watchdog the public probes keep (the fallback region's table and topic, by fixed names).
   * @default none
   */
  readonly watchdog?: ResolvedWatchdog;
}

/** EventBridge allows five targets a rule. */
const SHARDS_PER_RULE = 5;

export class ProbeStack extends Stack {
  /** Probe functions by group ('' for the public probes). */
  readonly probes = new Map<string, FleetFunction>();

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    super(scope, id, props);
    // The table lives in the home region under a fixed name: named, not referenced, so no cross-region reference.
    const tableArn = `arn:${Aws.PARTITION}:dynamodb:${props.homeRegion}:${Aws.ACCOUNT_ID}:table/${props.tableName}`;

    for (const spec of props.functions) {
      const suffix = spec.group === undefined ? '' : `-${spec.group}`;
      const id = spec.group === undefined ? 'Probe' : `Probe-${spec.group}`;
      const vpc = spec.placement ? this.placement(id, spec.placement) : undefined;
      const environment: Record<string, string> = {
        [ENV.table]: props.tableName,
        [ENV.tableRegion]: props.homeRegion,
        [ENV.region]: props.probeRegion,
        ...(spec.group !== undefined ? { [ENV.group]: spec.group } : {}),
        ...(spec.deployTimeTargets.length > 0 ? { [ENV.targets]: targetsEnvironmentValue(this, spec.deployTimeTargets) } : {}),
        ...(props.watchdog && spec.group === undefined ? watchdogEnvironment(props.watchdog) : {}),
      };
      const probe = new FleetFunction(this, id, {
        kind: 'probe',
        functionName: probeFunctionName(props.namePrefix, spec.group),
        description: `portquorum probe${suffix ? ` group ${spec.group}` : ''} in ${props.probeRegion}: one round per interval, results to ${props.tableName} in ${props.homeRegion}`,
        fleetFiles: props.fleetFiles,
        runtime: props.runtime,
        memorySize: props.memorySize,
        timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.probe),
        environment,
        logRetention: props.logRetention,
        ...(vpc ? { vpc } : {}),
      });
      // The probe parses hostile network input: it may write its own round partitions and nothing else (no state item,
      // no other region's or group's round, no reads). Every key of a BatchWriteItem must match.
      const partition = { region: props.probeRegion, ...(spec.group !== undefined ? { group: spec.group } : {}) };
      probe.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteOwnRoundPartitions',
          actions: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
          resources: [tableArn],
          // Watch mode adds the probe's own watch partitions (watch#<region>#<group>#<monitor>), and only when it watches.
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [roundKeyPattern(partition), ...(spec.watch ? [watchKeyPattern(partition)] : [])] } },
        }),
      );
      grantSecretReads(probe.role, props.probeRegion, spec.secretReferences ?? []);
      if (props.watchdog && spec.group === undefined) grantWatchdog(probe.role, tableArn, props.watchdog);
      // A round that starts late is worth less than the next one: no retries, no stale events.
      probe.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
      const who = spec.group === undefined ? 'public' : `'${spec.group}'`;
      const shards = spec.shards?.count ?? 1;
      if (shards <= 1) {
        new events.Rule(this, `${id}Schedule`, {
          description: `portquorum: start the ${who} probes once a minute`,
          schedule: events.Schedule.rate(Duration.minutes(1)),
          targets: [new targets.LambdaFunction(probe.function, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
        });
      } else {
        // One invocation per shard each minute; a rule holds five targets, each giving its shard with the event's time.
        for (let from = 0; from < shards; from += SHARDS_PER_RULE) {
          const to = Math.min(shards, from + SHARDS_PER_RULE);
          new events.Rule(this, `${id}Schedule${from / SHARDS_PER_RULE}`, {
            description: `portquorum: start shards ${from}-${to - 1} of ${shards} of the ${who} probes once a minute`,
            schedule: events.Schedule.rate(Duration.minutes(1)),
            targets: Array.from({ length: to - from }, (_, k) => new targets.LambdaFunction(probe.function, {
              retryAttempts: 0, maxEventAge: Duration.seconds(60),
              event: events.RuleTargetInput.fromObject({ time: events.EventField.time, probeShard: from + k }),
            })),
          });
        }
        Annotations.of(probe).addInfo(`portquorum: the ${who} probes in ${props.probeRegion} run as ${shards} shards, ${spec.shards!.why}`);
      }
      if (vpc) this.acknowledgeVpcFindings(probe);
      this.probes.set(spec.group ?? '', probe);
    }
  }

  private placement(id: string, placement: ProbeGroupPlacement): NonNullable<ConstructorParameters<typeof FleetFunction>[2]['vpc']> {
    const vpc =
      placement.vpc ??
      // The subnets are given explicitly, so the VPC's zones are never read: Fn::GetAZs keeps synth free of lookups.
      ec2.Vpc.fromVpcAttributes(this, `${id}Vpc`, { vpcId: placement.vpcId!, availabilityZones: Fn.getAzs() });
    const subnets: ec2.SubnetSelection = placement.vpc
      ? (placement.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS })
      : { subnets: placement.subnetIds!.map((subnetId, i) => ec2.Subnet.fromSubnetId(this, `${id}Subnet${i}`, subnetId)) };
    const securityGroups = placement.securityGroups ?? [
      new ec2.SecurityGroup(this, `${id}SecurityGroup`, {
        vpc,
        description: 'portquorum probes: no inbound, outbound to the monitored ports',
        allowAllOutbound: true,
      }),
    ];
    return { vpc, subnets, securityGroups };
  }

  private acknowledgeVpcFindings(probe: FleetFunction): void {
    Validations.of(probe.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets (statement DescribeNetwork, nothing else) support no resource-level permissions and no VPC or subnet condition; Lambda needs them to attach the probe to the VPC.',
    });
    Validations.of(probe.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
      reason: 'Lambda creates and deletes the probe\'s network interfaces; their ids are unknown before they exist, so the resource is every interface of this account and region, narrowed by an ec2:Subnet condition to the probe group\'s own subnets.',
    });
  }
}

function watchdogEnvironment(watchdog: ResolvedWatchdog): Record<string, string> {
  return {
    [ENV.watchdogTable]: watchdog.tableName,
    [ENV.watchdogRegion]: watchdog.fallbackRegion,
    [ENV.fallbackTopicArn]: fallbackTopicArn(watchdog),
    [ENV.watchdogStaleAfterMinutes]: String(watchdog.staleAfterMinutes),
    [ENV.watchdogQuorum]: String(watchdog.quorum),
  };
}

/**
 * The watchdog's least privilege: read the heartbeat item of the home table (and no other), vote and step the state in
 * the watchdog table, and publish to the fallback topic only (never the alert topic).
 */
function grantWatchdog(role: iam.Role, homeTableArn: string, watchdog: ResolvedWatchdog): void {
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'ReadHomeHeartbeat',
    actions: ['dynamodb:GetItem'],
    resources: [homeTableArn],
    conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [HEARTBEAT_KEY.pk] } },
  }));
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'WatchdogVotes',
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    resources: [watchdogTableArn(watchdog)],
  }));
  role.addToPolicy(new iam.PolicyStatement({ sid: 'PublishFallbackOnly', actions: ['sns:Publish'], resources: [fallbackTopicArn(watchdog)] }));
}

/**
 * Lets a probe read the secrets its monitors send, and nothing else: `ssm:GetParameter` on each parameter (a name is
 * read in the probe's own region), `secretsmanager:GetSecretValue` on each secret (`-??????` covers the six characters
 * Secrets Manager appends when the ARN given is partial), and `kms:Decrypt` on each customer managed key named, only
 * when SSM or Secrets Manager asks for it in the region the secret is read from (`kms:ViaService`).
 */
function grantSecretReads(role: iam.Role, probeRegion: string, references: readonly SecretReference[]): void {
  const parameters = new Set<string>();
  const secrets = new Set<string>();
  const viaServices = new Map<string, Set<string>>();
  for (const reference of references) {
    let via: string;
    if ('ssmParameter' in reference) {
      const arn = reference.ssmParameter.startsWith('arn:')
        ? reference.ssmParameter
        : `arn:${Aws.PARTITION}:ssm:${probeRegion}:${Aws.ACCOUNT_ID}:parameter/${reference.ssmParameter.replace(/^\//, '')}`;
      parameters.add(arn);
      via = `ssm.${reference.ssmParameter.startsWith('arn:') ? reference.ssmParameter.split(':')[3] : probeRegion}.amazonaws.com`;
    } else {
      secrets.add(reference.secretArn).add(`${reference.secretArn}-??????`);
      via = `secretsmanager.${reference.secretArn.split(':')[3]}.amazonaws.com`;
    }
    if (reference.kmsKeyArn !== undefined) viaServices.set(reference.kmsKeyArn, (viaServices.get(reference.kmsKeyArn) ?? new Set()).add(via));
  }
  if (parameters.size > 0) {
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadSendParameters', actions: ['ssm:GetParameter'], resources: [...parameters].sort() }));
  }
  if (secrets.size > 0) {
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadSendSecrets', actions: ['secretsmanager:GetSecretValue'], resources: [...secrets].sort() }));
  }
  [...viaServices].sort(([a], [b]) => a.localeCompare(b)).forEach(([key, services], i) => {
    role.addToPolicy(new iam.PolicyStatement({
      sid: `DecryptSendSecrets${i}`,
      actions: ['kms:Decrypt'],
      resources: [key],
      conditions: { StringEquals: { 'kms:ViaService': [...services].sort() } },
    }));
  });
}
