// The fleet declaration (its type comes from the schema) and the resolved FleetConfig the functions run.
import type { ResolvedMonitor } from './schema';

export type { CanarySpec, FleetSpec } from './schema';

/** What is shipped to every function (in its code asset) and to the local fleet. */
export interface FleetConfig {
  schemaVersion: 1;
  regions: string[];
  homeRegion: string;
  canary?: { host: string; port: number; timeoutMs: number };
  monitors: ResolvedMonitor[];
  groups: Record<string, { regions: string[] }>;
}

export const FLEET_CONFIG_SCHEMA_VERSION = 1;
