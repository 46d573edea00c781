// Monitor targets given as constructs (RDS, ElastiCache, load balancers) or as deploy-time tokens, and how they reach the probes.
import { Reference, Stack, Token, Tokenization, type IResolvable } from 'aws-cdk-lib';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';

/** A construct that knows a target's address. */
export type TargetConstruct =
  | rds.IDatabaseInstance
  | rds.IDatabaseCluster
  | elasticache.CfnCacheCluster
  | elasticache.CfnReplicationGroup
  | elbv2.ILoadBalancerV2
  | { readonly loadBalancerDnsName: string; readonly node: IConstruct['node'] };

/**
 * Host written into fleet.json for a monitor whose address is only known at deploy time. The `.invalid` name never
 * resolves, so a probe that did not apply PORTQUORUM_TARGETS reports a `dns` failure instead of probing a wrong host.
 */
export const DEPLOY_TIME_HOST = 'deploy-time-target.portquorum.invalid';
/** Port written into fleet.json (and validated) when the port is a deploy-time token. */
export const DEPLOY_TIME_PORT = 1;
/** Lambda allows 4 KB of environment in total; this leaves room for the other variables. */
export const MAX_TARGETS_ENV_BYTES = 3000;
/** A deploy-time endpoint is ~60–90 characters once resolved; the estimate used before the values are known. */
export const ESTIMATED_TARGET_ENTRY_BYTES = 110;

/** The address of a construct target: host and, where the construct knows it, port (both may be tokens). */
export interface TargetAddress {
  host: string;
  port?: number | string;
  /** What the construct is, for messages: 'RDS instance', 'load balancer' … */
  kind: string;
}

/** The host and port a construct exposes, or undefined when it is none of the supported kinds. */
export function targetAddress(target: TargetConstruct): TargetAddress | undefined {
  if (target instanceof elasticache.CfnCacheCluster) {
    return target.engine === 'memcached'
      ? { host: target.attrConfigurationEndpointAddress, port: target.attrConfigurationEndpointPort, kind: 'ElastiCache memcached cluster' }
      : { host: target.attrRedisEndpointAddress, port: target.attrRedisEndpointPort, kind: 'ElastiCache cluster' };
  }
  if (target instanceof elasticache.CfnReplicationGroup) {
    return { host: target.attrPrimaryEndPointAddress, port: target.attrPrimaryEndPointPort, kind: 'ElastiCache replication group' };
  }
  const t = target as unknown as Record<string, unknown>;
  if (isEndpoint(t.instanceEndpoint)) return { host: t.instanceEndpoint.hostname, port: t.instanceEndpoint.port, kind: 'RDS instance' };
  if (isEndpoint(t.clusterEndpoint)) return { host: t.clusterEndpoint.hostname, port: t.clusterEndpoint.port, kind: 'RDS cluster' };
  if (typeof t.loadBalancerDnsName === 'string') return { host: t.loadBalancerDnsName, kind: 'load balancer' };
  return undefined;
}

function isEndpoint(value: unknown): value is { hostname: string; port: number } {
  return typeof value === 'object' && value !== null && typeof (value as { hostname?: unknown }).hostname === 'string';
}

/** Whether a host or port is only known at deploy time. */
export function isDeployTime(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value);
}

/** The stacks a token refers to (e.g. the stack of the RDS instance whose endpoint it is). */
export function referencedStacks(value: string | number): Stack[] {
  const tokens: IResolvable[] =
    typeof value === 'string'
      ? Tokenization.reverseString(value).tokens
      : [Tokenization.reverseNumber(value)].filter((t): t is IResolvable => t !== undefined);
  const stacks = new Set<Stack>();
  for (const token of tokens) {
    if (token instanceof Reference) stacks.add(Stack.of(token.target));
  }
  return [...stacks];
}

/** A monitor whose host or port is resolved at deploy time and handed to its probes through PORTQUORUM_TARGETS. */
export interface DeployTimeTarget {
  monitorId: string;
  /** Deploy-time host, when the host is a token. */
  host?: string;
  /** Deploy-time port, when the port is a token. */
  port?: number | string;
  /** Stacks that own the values (a probe stack must be in the same region and account to reference them). */
  producers: Stack[];
}

/** The PORTQUORUM_TARGETS value for some targets: JSON that CloudFormation completes at deploy time. */
export function targetsEnvironmentValue(scope: IConstruct, targets: DeployTimeTarget[]): string {
  const map: Record<string, { host?: string; port?: number | string }> = {};
  for (const target of targets) {
    map[target.monitorId] = {
      ...(target.host !== undefined ? { host: target.host } : {}),
      ...(target.port !== undefined ? { port: target.port } : {}),
    };
  }
  return Stack.of(scope).toJsonString(map);
}
