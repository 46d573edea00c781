// Loads the FleetConfig shipped beside the bundle (fleet.json), or the file PORTQUORUM_FLEET_FILE names.
import { readFileSync } from 'node:fs';
import { ConfigError, FLEET_CONFIG_SCHEMA_VERSION, type FleetConfig } from '../domain';

export function loadFleetConfig(path: string | URL = process.env.PORTQUORUM_FLEET_FILE ?? new URL('./fleet.json', import.meta.url)): FleetConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ monitor: 'fleet', field: 'fleet.json', message: `Cannot read the fleet config ${String(path)}: ${(error as Error).message} (set PORTQUORUM_FLEET_FILE or ship fleet.json beside index.mjs)` }]);
  }
  const config = JSON.parse(text) as FleetConfig;
  if (config.schemaVersion !== FLEET_CONFIG_SCHEMA_VERSION) {
    throw new ConfigError([{ monitor: 'fleet', field: 'schemaVersion', message: `Fleet config ${String(path)} has schemaVersion ${JSON.stringify(config.schemaVersion)}, this code reads ${FLEET_CONFIG_SCHEMA_VERSION} (redeploy so config and functions match)` }]);
  }
  return config;
}
