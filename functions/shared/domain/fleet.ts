// The fleet declaration (its type comes from the schema) and the resolved FleetConfig the functions run.
import type { MonitorField, ResolvedMonitor, StatusPageSpec } from './schema';

export type { CanarySpec, FleetSpec, StatusPageSpec } from './schema';

/** What is shipped to every function (in its code asset) and to the local fleet. */
export interface FleetConfig {
  schemaVersion: 1;
  regions: string[];
  homeRegion: string;
  canary?: { host: string; port: number; timeoutMs: number };
  monitors: ResolvedMonitor[];
  groups: Record<string, { regions: string[] }>;
  /** Monitors one probe invocation checks at most (absent: DEFAULT_MONITORS_PER_PROBE); see probe-shards.ts. */
  monitorsPerProbe?: number;
  /** The status page the sweeper renders (absent: none). */
  statusPage?: StatusPageSpec;
}

export const FLEET_CONFIG_SCHEMA_VERSION = 1;

/**
 * Monitor fields only the probe reads (how to probe, and what to send). The aggregator's and the sweeper's fleet.json
 * leave them out; their code is typed on `HomeMonitor`, so reading one there is a type error.
 */
export const PROBE_ONLY_FIELDS = [
  'send', 'expect', 'expectWithinBytes', 'http', 'starttls', 'preset', 'timeoutMs', 'retries', 'family', 'allAddresses',
  'allowLinkLocal', 'expectClosed',
] as const satisfies readonly MonitorField[];
type ProbeOnlyField = (typeof PROBE_ONLY_FIELDS)[number];

/** A monitor as the aggregator and the sweeper know it: what verdicts and alerts need, nothing of how it is probed. */
export type HomeMonitor = Omit<ResolvedMonitor, ProbeOnlyField>;
/** The fleet.json of the aggregator and the sweeper. */
export type HomeFleetConfig = Omit<FleetConfig, 'monitors'> & { monitors: HomeMonitor[] };

/** The fleet without the probe-only fields: what the home functions' code assets carry. */
export function homeFleet(config: FleetConfig): HomeFleetConfig {
  return {
    ...config,
    monitors: config.monitors.map((monitor) => {
      const home: Partial<ResolvedMonitor> = { ...monitor };
      for (const field of PROBE_ONLY_FIELDS) delete home[field];
      return home as HomeMonitor;
    }),
  };
}
