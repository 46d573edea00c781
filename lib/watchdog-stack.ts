// The fallback region's stack: the watchdog table where the probe regions vote on the home pipeline's heartbeat, and
// the fallback topic HOME_DOWN and HOME_RECOVERED go to. Nothing here depends on the home region.
import { Aws, CfnOutput, Stack, type RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ConfigError } from '../functions/shared/domain';
import { TABLE_SCHEMA } from '../functions/shared/domain/table';
import { defaultWatchdogQuorum, WATCHDOG_DEFAULTS } from '../functions/shared/domain/watchdog';

/** The home-region watchdog (ProbeFleet's `watchdog` prop). */
export interface WatchdogProps {
  /** Region of the watchdog table and the fallback topic: any region but the home region. */
  readonly fallbackRegion: string;
  /**
   * Minutes without a heartbeat (the sweeper writes one a minute) before a probe region votes the home pipeline down.
   * @default 5
   */
  readonly staleAfterMinutes?: number;
  /**
   * Probe regions that must see the heartbeat stale, each with its canary fine, to page HOME_DOWN.
   * @default a majority of the probe regions
   */
  readonly quorum?: number;
}

/** The watchdog as resolved for the stacks: fixed names, so probe stacks name them without cross-region references. */
export interface ResolvedWatchdog {
  fallbackRegion: string;
  tableName: string;
  topicName: string;
  staleAfterMinutes: number;
  quorum: number;
}

/** Checks the prop against the fleet (ConfigError naming the field) and fixes the names. */
export function resolveWatchdog(props: WatchdogProps, fleet: { homeRegion: string; regions: readonly string[] }, namePrefix: string): ResolvedWatchdog {
  const problem = (field: string, message: string) => new ConfigError([{ monitor: 'fleet', field: `watchdog.${field}`, message: `Fleet: watchdog.${field}: ${message}` }]);
  if (props.fallbackRegion === fleet.homeRegion) {
    throw problem('fallbackRegion', `'${props.fallbackRegion}' is the home region; the watchdog must page from another region (name any other region)`);
  }
  const quorum = props.quorum ?? defaultWatchdogQuorum(fleet.regions.length);
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > fleet.regions.length) {
    throw problem('quorum', `${props.quorum} must be a whole number from 1 to the ${fleet.regions.length} probe regions`);
  }
  const staleAfterMinutes = props.staleAfterMinutes ?? WATCHDOG_DEFAULTS.staleAfterMinutes;
  if (!Number.isInteger(staleAfterMinutes) || staleAfterMinutes < 2 || staleAfterMinutes > 60) {
    throw problem('staleAfterMinutes', `${props.staleAfterMinutes} must be a whole number of minutes from 2 to 60 (the sweeper writes the heartbeat once a minute)`);
  }
  return { fallbackRegion: props.fallbackRegion, tableName: `${namePrefix}-watchdog`, topicName: `${namePrefix}-fallback-alerts`, staleAfterMinutes, quorum };
}

/** The fallback topic's ARN, built from its fixed name (what the probe stacks grant and publish to). */
export function fallbackTopicArn(watchdog: ResolvedWatchdog): string {
  return `arn:${Aws.PARTITION}:sns:${watchdog.fallbackRegion}:${Aws.ACCOUNT_ID}:${watchdog.topicName}`;
}

/** The watchdog table's ARN, built from its fixed name. */
export function watchdogTableArn(watchdog: ResolvedWatchdog): string {
  return `arn:${Aws.PARTITION}:dynamodb:${watchdog.fallbackRegion}:${Aws.ACCOUNT_ID}:table/${watchdog.tableName}`;
}

export interface WatchdogStackProps extends StackProps {
  readonly watchdog: ResolvedWatchdog;
  readonly removalPolicy: RemovalPolicy;
}

export class WatchdogStack extends Stack {
  /** HOME_DOWN and HOME_RECOVERED are published here: subscribe as to the alert topic. */
  readonly fallbackTopic: sns.Topic;
  /** The probe regions' votes and the watchdog's state. */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: WatchdogStackProps) {
    super(scope, id, props);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.watchdog.tableName,
      partitionKey: { name: TABLE_SCHEMA.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy,
    });
    // The AWS managed key for SNS: encrypted at rest, and the probe roles in other regions need no key grant (its key
    // policy lets the account's principals publish through SNS).
    this.fallbackTopic = new sns.Topic(this, 'FallbackTopic', {
      topicName: props.watchdog.topicName,
      displayName: 'portquorum fallback alerts (home region watchdog)',
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    new CfnOutput(this, 'FallbackTopicArn', { value: this.fallbackTopic.topicArn, description: 'HOME_DOWN and HOME_RECOVERED: subscribe here as to the alert topic' });
  }
}
