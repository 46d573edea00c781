// What a CDK user declares beyond the domain's FleetSpec: monitors with construct targets, and VPC probe groups.
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { MonitorSpec } from '../functions/shared/domain';
import type { TargetConstruct } from './targets';

/** A monitor whose target is a construct (RDS, ElastiCache, load balancer) instead of a host string. */
export interface ConstructTargetMonitor extends Omit<MonitorSpec, 'host' | 'port'> {
  /** The construct whose endpoint is probed; its address is resolved at deploy time. */
  target: TargetConstruct;
  /**
   * TCP port.
   * @default the construct's own port (RDS, ElastiCache); required for load balancers
   */
  port?: number;
}

/**
 * One monitor: a host and port (the host may be a deploy-time token, e.g. `db.dbInstanceEndpointAddress`), or a
 * construct target.
 */
export type FleetMonitor = MonitorSpec | ConstructTargetMonitor;

/** Where a probe group's function runs in one region. */
export interface ProbeGroupPlacement {
  /**
   * The VPC, when you have it as a construct in the same account and region (e.g. from your own stack).
   * @default built from `vpcId` and `subnetIds`
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` to run in (private subnets with a route to the targets).
   * @default the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Id of an existing VPC (`vpc-…`), for regions where you have no VPC construct. Needs `subnetIds`.
   * @default none (use `vpc`)
   */
  readonly vpcId?: string;
  /**
   * Ids of existing subnets (`subnet-…`) in `vpcId`.
   * @default none (use `vpc`)
   */
  readonly subnetIds?: string[];
  /**
   * Security groups for the probe function; they must allow outbound traffic to the targets.
   * @default a new security group with no inbound rules that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** A probe group: probes that run apart from the public ones (typically inside a VPC to reach private targets). */
export interface ProbeGroupProps {
  /**
   * Per region, where the group's probe function runs. Every key is a region of the group.
   * @default none: the group runs outside any VPC in each of `regions`
   */
  readonly placements?: Record<string, ProbeGroupPlacement>;
  /**
   * Regions the group probes from (each must be a fleet region).
   * @default the keys of `placements`
   */
  readonly regions?: string[];
}

/** Whether a monitor declaration names a construct target. */
export function isConstructTargetMonitor(m: FleetMonitor): m is ConstructTargetMonitor {
  return typeof m === 'object' && m !== null && 'target' in m && (m as { target?: unknown }).target !== undefined;
}

/** The regions a probe group runs in. */
export function groupRegions(group: ProbeGroupProps): string[] {
  return group.regions ?? Object.keys(group.placements ?? {});
}
