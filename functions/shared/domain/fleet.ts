// The fleet declaration (its type comes from the schema) and the resolved FleetConfig the functions run.
import type { ResolvedMonitor, StatusPageSpec } from './schema';

export type { CanarySpec, FleetSpec, StatusPageSpec } from './schema';

/** What is shipped to every function (in its code asset) and to the local fleet. */
export interface FleetConfig {
  schemaVersion: 1;
  regions: string[];
  homeRegion: string;
  canary?: { host: string; port: number; timeoutMs: number };
  monitors: ResolvedMonitor[];
  groups: Record<string, { regions: string[] }>;
  /** The status page the sweeper renders (absent: none). */
  statusPage?: StatusPageSpec;
}

export const FLEET_CONFIG_SCHEMA_VERSION = 1;
