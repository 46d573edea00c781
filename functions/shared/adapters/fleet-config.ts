// Loads the FleetConfig shipped beside the bundle (fleet.json), or the file ENV.fleetFile names.
import { readFileSync } from 'node:fs';
import { ConfigError, FLEET_CONFIG_SCHEMA_VERSION, type FleetConfig, type HomeFleetConfig } from '../domain';
import { ENV } from '../deployment';

const TARGETS_ENV = ENV.targets;

const DEFAULT_PATH = () => process.env[ENV.fleetFile] ?? new URL('./fleet.json', import.meta.url);

/** The probe's fleet.json: every monitor field. */
export function loadFleetConfig(path: string | URL = DEFAULT_PATH(), targets: string | undefined = process.env[TARGETS_ENV]): FleetConfig {
  return readFleetConfig<FleetConfig>(path, targets);
}

/** The aggregator's and the sweeper's fleet.json: without the probe-only fields (`homeFleet()`). */
export function loadHomeFleetConfig(path: string | URL = DEFAULT_PATH(), targets: string | undefined = process.env[TARGETS_ENV]): HomeFleetConfig {
  return readFleetConfig<HomeFleetConfig>(path, targets);
}

function readFleetConfig<C extends HomeFleetConfig>(path: string | URL, targets: string | undefined): C {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ monitor: 'fleet', field: 'fleet.json', message: `Cannot read the fleet config ${String(path)}: ${(error as Error).message} (set ${ENV.fleetFile} or ship fleet.json beside index.mjs)` }]);
  }
  const config = JSON.parse(text) as C;
  if (config.schemaVersion !== FLEET_CONFIG_SCHEMA_VERSION) {
    throw new ConfigError([{ monitor: 'fleet', field: 'schemaVersion', message: `Fleet config ${String(path)} has schemaVersion ${JSON.stringify(config.schemaVersion)}, this code reads ${FLEET_CONFIG_SCHEMA_VERSION} (redeploy so config and functions match)` }]);
  }
  return targets === undefined || targets === '' ? config : applyTargets(config, targets);
}

/**
 * Overlays deploy-time hosts and ports (`{"orders-db":{"host":"…","port":5432}}`, ports possibly as strings,
 * as CloudFormation renders them) onto the monitors that fleet.json holds with a placeholder host.
 */
function applyTargets<C extends HomeFleetConfig>(config: C, json: string): C {
  let targets: Record<string, { host?: unknown; port?: unknown }>;
  try {
    targets = JSON.parse(json) as typeof targets;
  } catch (error) {
    throw new ConfigError([{ monitor: 'fleet', field: TARGETS_ENV, message: `${TARGETS_ENV} is not valid JSON: ${(error as Error).message} (redeploy the probe stack)` }]);
  }
  const problems: ConstructorParameters<typeof ConfigError>[0][number][] = [];
  const monitors = config.monitors.map((monitor) => {
    const target = targets[monitor.id];
    if (target === undefined) return monitor;
    const port = target.port === undefined ? monitor.port : Number(target.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push({ monitor: monitor.id, field: 'port', message: `Monitor '${monitor.id}': deploy-time port ${JSON.stringify(target.port)} from ${TARGETS_ENV} is not a TCP port (check the target construct's port)` });
      return monitor;
    }
    const host = typeof target.host === 'string' && target.host !== '' ? target.host : monitor.host;
    return { ...monitor, host, port };
  });
  for (const id of Object.keys(targets)) {
    if (!config.monitors.some((m) => m.id === id)) {
      problems.push({ monitor: id, field: TARGETS_ENV, message: `Monitor '${id}': ${TARGETS_ENV} names a monitor that fleet.json does not have (redeploy so config and functions match)` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, monitors };
}
