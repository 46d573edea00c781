// The fleet declaration: regions, canary and monitors, and its resolution into what the functions run.
import type { MonitorSpec, ResolvedMonitor } from './monitor';

/** A target that should always be up, probed by every region each round; its failure vetoes that region's downs. */
export interface CanarySpec {
  host: string;
  port: number;
  /** @default 3000 */
  timeoutMs?: number;
}

export interface FleetSpec {
  /** Regions that probe. */
  regions: string[];
  /** Region of the results table, aggregator, sweeper and topic. @default regions[0] */
  homeRegion?: string;
  monitors: MonitorSpec[];
  /** @default none (no veto) */
  canary?: CanarySpec;
  /** Defaults applied to every monitor before its own fields. */
  monitorDefaults?: Partial<Omit<MonitorSpec, 'id' | 'host' | 'port'>>;
  /** Probe groups (e.g. VPC probes), by name → regions they run in. @default none */
  groups?: Record<string, { regions: string[] }>;
}

/** What is shipped to every function (in its code asset) and to the local fleet. */
export interface FleetConfig {
  schemaVersion: 1;
  regions: string[];
  homeRegion: string;
  canary?: Required<CanarySpec>;
  monitors: ResolvedMonitor[];
  groups: Record<string, { regions: string[] }>;
}

export const FLEET_CONFIG_SCHEMA_VERSION = 1;
