// The bench's generated fleet (aggregator and scale sections): `monitors` plain TCP monitors in 3 regions, ids like a
// team would write. A pure function of its arguments, so a measured child process rebuilds the parent's fleet exactly.
import { resolveFleet, type FleetConfig, type FleetSpec, type MonitorSpec } from '../../../functions/shared/domain';

export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'] as const;

const SYSTEMS = ['orders', 'payments', 'ledger', 'search', 'auth', 'billing', 'catalog', 'inventory', 'checkout', 'mail', 'media', 'reports', 'kafka', 'etl', 'crm', 'geo', 'chat', 'ads', 'fraud', 'shipping', 'pricing', 'users', 'audit'];
const PARTS = ['db', 'cache', 'api', 'smtp', 'imap', 'redis', 'pg', 'mysql', 'mq', 'ssh', 'lb', 'web', 'grpc', 'memcached', 'replica', 'primary', 'broker', 'vault', 'nfs', 'ldap', 'dns', 'sftp', 'proxy', 'edge', 'queue', 'es', 'zk', 'etcd', 'mongo'];
const ENVS = ['prod', 'prod-eu', 'prod-us', 'staging', 'dr', 'prod-ap'];

/**
 * A monitor id like a team would write (`payments-redis-prod-eu-3f`): words that repeat across the fleet, and a
 * varying tail. The round item's bytes per monitor, and how well it deflates, depend on them; `monitor-00001`
 * would deflate far better than real ids.
 */
function monitorId(index: number): string {
  return `${SYSTEMS[index % SYSTEMS.length]}-${PARTS[(index * 7) % PARTS.length]}-${ENVS[(index * 13) % ENVS.length]}-${index.toString(36)}`;
}

/**
 * The fleet of `monitors` monitors. Without `targets` nothing is meant to be probed (the bench writes the probes' round
 * items itself); with them, monitor i (and the canary: the first) points at targets[i mod n], loopback listeners a
 * measured probe connects to.
 */
export function fleetOf(monitors: number, targets?: ReadonlyArray<readonly [string, number]>): FleetConfig {
  return resolveFleet(fleetSpecOf(monitors, targets));
}

/** The declarations fleetOf resolves (what a `--config` JSON file holds). */
export function fleetSpecOf(monitors: number, targets?: ReadonlyArray<readonly [string, number]>): FleetSpec {
  const at = (i: number): { host: string; port: number } => {
    const target = targets?.[i % targets.length];
    return target ? { host: target[0], port: target[1] } : { host: '127.0.0.1', port: 1024 + (i % 60_000) };
  };
  const specs: MonitorSpec[] = Array.from({ length: monitors }, (_, i) => ({ id: monitorId(i), ...at(i) }));
  return { regions: [...REGIONS], canary: targets?.[0] ? at(0) : { host: '127.0.0.1', port: 9 }, monitors: specs };
}
