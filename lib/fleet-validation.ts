// Synth-time validation: the domain validator plus the checks only CDK can make (concrete regions, tokens, VPCs, constructs).
import { Stack, Token } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { DEFAULT_HISTORY_DAYS, HISTORY_DAYS_BOUNDS } from '../functions/shared/domain/history';
import {
  AWS_REGIONS, ConfigError, PUBLIC_VANTAGE, resolveFleet,
  type CanarySpec, type ConfigProblem, type FleetConfig, type FleetSpec, type MonitorSpec,
} from '../functions/shared/domain';
import { groupRegions, isConstructTargetMonitor, type FleetMonitor, type ProbeGroupProps } from './declarations';
import {
  DEPLOY_TIME_HOST, DEPLOY_TIME_PORT, ESTIMATED_TARGET_ENTRY_BYTES, MAX_TARGETS_ENV_BYTES,
  isDeployTime, referencedStacks, targetAddress, type DeployTimeTarget,
} from './targets';

/** The parts of the fleet's props that validation looks at. */
export interface FleetDeclaration {
  regions: string[];
  homeRegion?: string;
  monitors: FleetMonitor[];
  canary?: CanarySpec;
  monitorDefaults?: FleetSpec['monitorDefaults'];
  groups?: Record<string, ProbeGroupProps>;
  tableName?: string;
  alertTopic?: sns.ITopic;
  reservedConcurrency?: { aggregator?: number; sweeper?: number } | false;
  historyDays?: number;
  statusPage?: FleetSpec['statusPage'];
  monitorsPerProbe?: number;
}

/** A validated fleet: the config shipped to the functions and the targets completed at deploy time. */
export interface PreparedFleet {
  config: FleetConfig;
  /** Monitors whose host or port is a deploy-time token, with the regions and group that probe them. */
  deployTimeTargets: (DeployTimeTarget & { regions: string[]; group?: string })[];
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const MAX_TARGETS_PER_FUNCTION = Math.floor(MAX_TARGETS_ENV_BYTES / ESTIMATED_TARGET_ENTRY_BYTES);

/**
 * Validates a fleet declaration and resolves it, or throws ConfigError listing every problem (the domain's and
 * CDK's together), each naming the monitor (or `Fleet`) and the field.
 */
export function prepareFleet(declaration: FleetDeclaration): PreparedFleet {
  const problems: ConfigProblem[] = [];
  const fleetProblem = (field: string, text: string) => problems.push({ monitor: 'fleet', field, message: `Fleet: ${text}` });

  const regions = Array.isArray(declaration.regions) ? declaration.regions : [];
  for (const region of regions) {
    if (isDeployTime(region)) fleetProblem('regions', 'a region is an unresolved token (probe stacks need region names written out, e.g. \'eu-west-1\')');
  }
  if (declaration.homeRegion !== undefined && isDeployTime(declaration.homeRegion)) {
    fleetProblem('homeRegion', 'homeRegion is an unresolved token (write the region name out, e.g. \'eu-west-1\')');
  }
  const homeRegion = declaration.homeRegion ?? regions[0];
  const tableName = declaration.tableName;
  if (tableName !== undefined) {
    if (isDeployTime(tableName)) fleetProblem('tableName', 'tableName is an unresolved token (probe stacks in other regions name the table, so it must be written out)');
    else if (!TABLE_NAME.test(tableName)) fleetProblem('tableName', `tableName '${tableName}' is not a DynamoDB table name (use 3–255 letters, digits, '_', '-' or '.')`);
  }
  const topicRegion = declaration.alertTopic ? Stack.of(declaration.alertTopic).region : undefined;
  if (declaration.alertTopic && topicRegion && !Token.isUnresolved(topicRegion) && homeRegion && topicRegion !== homeRegion) {
    fleetProblem('alertTopic', `alertTopic is in region '${topicRegion}' but the home region is '${homeRegion}' (alarms and the aggregator publish to a topic in the home region)`);
  }

  const reserved = declaration.reservedConcurrency;
  if (reserved !== undefined && reserved !== false) {
    for (const fn of ['aggregator', 'sweeper'] as const) {
      const value = reserved[fn];
      if (value === undefined || Token.isUnresolved(value)) continue;
      if (!Number.isInteger(value) || value < 1) {
        fleetProblem(`reservedConcurrency.${fn}`, `reservedConcurrency.${fn} ${value} is not a whole number ≥ 1 (0 would stop the ${fn}; to reserve none, set reservedConcurrency: false)`);
      }
    }
  }

  const days = declaration.historyDays;
  if (days !== undefined && !Token.isUnresolved(days) && (!Number.isInteger(days) || days < HISTORY_DAYS_BOUNDS.min || days > HISTORY_DAYS_BOUNDS.max)) {
    fleetProblem('historyDays', `historyDays ${days} is not a whole number of days from ${HISTORY_DAYS_BOUNDS.min} to ${HISTORY_DAYS_BOUNDS.max} (the history's TTL; the default is ${DEFAULT_HISTORY_DAYS})`);
  }

  const groups = declaration.groups ?? {};
  for (const [name, group] of Object.entries(groups)) checkGroup(name, group, fleetProblem);

  // Monitors: swap deploy-time hosts and ports for placeholders the domain validator accepts, and remember them.
  const monitors: MonitorSpec[] = [];
  const pending: { index: number; target: DeployTimeTarget; declared: FleetMonitor }[] = [];
  (Array.isArray(declaration.monitors) ? declaration.monitors : []).forEach((declared, index) => {
    if (declared === null || typeof declared !== 'object') {
      monitors.push(declared as MonitorSpec);
      return;
    }
    const label = typeof declared.id === 'string' && declared.id !== '' ? declared.id : `#${index + 1}`;
    const problem = (field: string, text: string) => problems.push({ monitor: label, field, message: `Monitor '${label}': ${text}` });
    let host: unknown;
    let port: unknown;
    const { ...spec } = declared as unknown as Record<string, unknown>;
    if (isConstructTargetMonitor(declared)) {
      delete spec.target;
      if ('host' in declared) problem('host', 'has both target and host (give one: the construct, or the host string)');
      const address = targetAddress(declared.target);
      if (!address) {
        problem('target', 'target is not an RDS instance or cluster, an ElastiCache cluster or replication group, or a load balancer (pass host and port instead)');
        host = DEPLOY_TIME_HOST;
        port = declared.port ?? DEPLOY_TIME_PORT;
      } else {
        host = address.host;
        port = declared.port ?? address.port;
        if (port === undefined) problem('port', `port is missing (a ${address.kind} serves several ports; say which one to probe, e.g. port: 443)`);
      }
    } else {
      host = declared.host;
      port = declared.port;
    }
    const hostLater = isDeployTime(host);
    const portLater = isDeployTime(port);
    spec.host = hostLater ? DEPLOY_TIME_HOST : host;
    spec.port = portLater ? DEPLOY_TIME_PORT : port === undefined ? DEPLOY_TIME_PORT : port;
    if (hostLater || portLater) {
      const producers = [
        ...(hostLater ? referencedStacks(host as string) : []),
        ...(portLater ? referencedStacks(port as number | string) : []),
      ];
      pending.push({
        index,
        declared,
        target: {
          monitorId: label,
          ...(hostLater ? { host: host as string } : {}),
          ...(portLater ? { port: port as number | string } : {}),
          producers: [...new Set(producers)],
        },
      });
    }
    monitors.push(spec as unknown as MonitorSpec);
  });

  // Tokens were reported above; the domain validator sees only the names written out.
  const spec: FleetSpec = {
    regions: regions.filter((r) => !isDeployTime(r)),
    monitors,
    ...(declaration.homeRegion !== undefined && !isDeployTime(declaration.homeRegion) ? { homeRegion: declaration.homeRegion } : {}),
    ...(declaration.canary !== undefined ? { canary: declaration.canary } : {}),
    ...(declaration.monitorDefaults !== undefined ? { monitorDefaults: declaration.monitorDefaults } : {}),
    ...(declaration.statusPage !== undefined ? { statusPage: declaration.statusPage } : {}),
    ...(declaration.monitorsPerProbe !== undefined ? { monitorsPerProbe: declaration.monitorsPerProbe } : {}),
    // A group that is not an object was reported by checkGroup; the domain sees it with no regions.
    groups: Object.fromEntries(Object.entries(groups).map(([name, g]) => [name, { regions: isObject(g) ? groupRegions(g) : [] }])),
  };

  // Deploy-time targets: CloudFormation references only work within one region (and account).
  const perFunction = new Map<string, string[]>();
  for (const { target, declared } of pending) {
    const ownRegions = declared.regions ?? (declared.group ? groupRegions(groups[declared.group] ?? {}) : regions);
    // The probe groups `reach` names probe it too, from each of their regions.
    const reachGroups = Object.keys(isObject(declared.reach) ? declared.reach : {}).filter((g) => g !== PUBLIC_VANTAGE && Object.hasOwn(groups, g));
    const probeRegions = [...new Set([...ownRegions, ...reachGroups.flatMap((g) => (isObject(groups[g]) ? groupRegions(groups[g]!) : []))])];
    const problem = (field: string, text: string) =>
      problems.push({ monitor: target.monitorId, field, message: `Monitor '${target.monitorId}': ${text}` });
    const field = isConstructTargetMonitor(declared) ? 'target' : target.host !== undefined ? 'host' : 'port';
    for (const producer of target.producers) {
      if (Token.isUnresolved(producer.region)) {
        problem(field, `its address comes from stack '${producer.stackName}', which has no region (give that stack env: { region: '…' })`);
        continue;
      }
      const elsewhere = probeRegions.filter((r) => r !== producer.region);
      if (elsewhere.length > 0) {
        problem(field, `its address comes from stack '${producer.stackName}' in '${producer.region}', but it is probed from ${elsewhere.map((r) => `'${r}'`).join(', ')}; CloudFormation cannot pass values across regions (set regions: ['${producer.region}'], or pass the host as a string)`);
      }
    }
    for (const region of ownRegions) {
      const key = `${region}${declared.group ? ` (group '${declared.group}')` : ''}`;
      perFunction.set(key, [...(perFunction.get(key) ?? []), target.monitorId]);
    }
    for (const group of reachGroups) {
      for (const region of isObject(groups[group]) ? groupRegions(groups[group]!) : []) {
        const key = `${region} (group '${group}')`;
        perFunction.set(key, [...(perFunction.get(key) ?? []), target.monitorId]);
      }
    }
  }
  for (const [where, ids] of perFunction) {
    if (ids.length > MAX_TARGETS_PER_FUNCTION) {
      fleetProblem('monitors', `${ids.length} monitors probed in ${where} take their address from constructs or tokens; at most ${MAX_TARGETS_PER_FUNCTION} fit in one probe function's environment (pass hosts as strings for the rest)`);
    }
  }

  // One pass of the domain validator (it is most of synth's time at 100,000 monitors): its problems come first.
  let config: FleetConfig | undefined;
  let domainProblems: readonly ConfigProblem[] = [];
  try {
    config = resolveFleet(spec, { knownRegions: AWS_REGIONS });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    domainProblems = error.problems;
  }
  if (!config || problems.length > 0) throw new ConfigError([...domainProblems, ...problems]);
  const byId = new Map(config.monitors.map((m) => [m.id, m]));
  return {
    config,
    // One entry per probe function kind that probes the monitor: its own probes, and each group `reach` names.
    deployTimeTargets: pending.flatMap(({ target }) => {
      const monitor = byId.get(target.monitorId)!;
      return [
        { ...target, regions: monitor.regions, ...(monitor.group !== undefined ? { group: monitor.group } : {}) },
        ...(monitor.vantages ?? []).map((v) => ({ ...target, regions: v.regions, group: v.group })),
      ];
    }),
  };
}

/** The CDK-only checks of a probe group (placements, VPCs); its name and regions are the domain schema's to check. */
function checkGroup(name: string, group: ProbeGroupProps, fleetProblem: (field: string, text: string) => void): void {
  const where = `groups.${name}`;
  if (!isObject(group)) {
    fleetProblem(where, `group '${name}' must be an object with placements and/or regions`);
    return;
  }
  const regions = groupRegions(group);
  if (regions.length === 0) fleetProblem(`${where}.regions`, `group '${name}' runs in no region (give placements: { 'eu-west-1': { vpcId, subnetIds } } or regions)`);
  for (const [region, placement] of Object.entries(group.placements ?? {})) {
    const at = `${where}.placements.${region}`;
    if (!isObject(placement)) {
      fleetProblem(at, `group '${name}' in '${region}' must be { vpc } or { vpcId, subnetIds }`);
      continue;
    }
    if (group.regions && !group.regions.includes(region)) {
      fleetProblem(at, `group '${name}' has a placement in '${region}', which is not one of its regions ${group.regions.map((r) => `'${r}'`).join(', ')} (add it to regions or remove the placement)`);
    }
    if (placement.vpc && (placement.vpcId !== undefined || placement.subnetIds !== undefined)) {
      fleetProblem(at, `group '${name}' in '${region}' names both vpc and vpcId/subnetIds (give one)`);
    } else if (placement.vpc) {
      const vpcRegion = Stack.of(placement.vpc).region;
      if (!Token.isUnresolved(vpcRegion) && vpcRegion !== region) {
        fleetProblem(`${at}.vpc`, `group '${name}' places its '${region}' probes in a VPC from region '${vpcRegion}' (use a VPC of '${region}', or vpcId and subnetIds)`);
      }
    } else if (placement.vpcId === undefined) {
      fleetProblem(at, `group '${name}' in '${region}' names no VPC (give vpc, or vpcId with subnetIds; or remove the placement to probe from outside any VPC)`);
    } else if (!Array.isArray(placement.subnetIds)) {
      fleetProblem(`${at}.subnetIds`, `group '${name}' in '${region}' has vpcId but no subnetIds (list the private subnets its probes run in)`);
    } else {
      if (!isDeployTime(placement.vpcId) && !VPC_ID.test(placement.vpcId)) {
        fleetProblem(`${at}.vpcId`, `group '${name}' in '${region}': vpcId '${placement.vpcId}' is not a VPC id (e.g. 'vpc-0a1b2c3d4e5f67890')`);
      }
      if (placement.subnetIds.length === 0) fleetProblem(`${at}.subnetIds`, `group '${name}' in '${region}': subnetIds is empty (list the private subnets to run in)`);
      for (const id of placement.subnetIds) {
        if (!isDeployTime(id) && !SUBNET_ID.test(id)) {
          fleetProblem(`${at}.subnetIds`, `group '${name}' in '${region}': '${id}' is not a subnet id (e.g. 'subnet-0a1b2c3d4e5f67890')`);
        }
      }
    }
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
