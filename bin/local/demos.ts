// The scenarios `portquorum local --demo NAME` runs: each serves its own targets, declares its monitors and plays a
// timeline against the running fleet. `outage` is the one `portquorum local` runs with no arguments.
import type { FleetSpec } from '../../functions/shared/domain';
import { DEMO_INTERVAL_SECONDS, demoFleet, demoTargets, runDemoTimeline, type DemoControls } from './demo';
import { exposureDemo } from './demo-exposure';
import { flappingDemo } from './demo-flapping';
import { freePorts, type LocalTarget } from './targets';

export interface DemoScenario {
  /** One line for --help. */
  summary: string;
  /** Declarations and served targets, on free loopback ports. */
  plan(): Promise<{ spec: FleetSpec; targets: LocalTarget[]; canary?: LocalTarget; title: string }>;
  /** The timeline, run beside the fleet until it ends or the signal aborts. */
  run(controls: DemoControls, signal: AbortSignal): Promise<void>;
}

const outageDemo: DemoScenario = {
  summary: "'web' goes down and comes back (DOWN, UP), then one region is cut off (FLEET_DEGRADED, FLEET_RECOVERED)",
  async plan() {
    const [web, ssh, cache, canary] = await freePorts(4);
    const ports = { web: web!, ssh: ssh!, cache: cache!, canary: canary! };
    return { spec: demoFleet(ports), ...demoTargets(ports), title: `portquorum local — demo: 3 regions, ${DEMO_INTERVAL_SECONDS} s rounds, quorum 2` };
  },
  run: (controls, signal) => runDemoTimeline(controls, signal),
};

export const DEMOS = { outage: outageDemo, flapping: flappingDemo, exposure: exposureDemo } as const satisfies Record<string, DemoScenario>;
export type DemoName = keyof typeof DEMOS;
export const DEFAULT_DEMO: DemoName = 'outage';

export function isDemoName(name: string): name is DemoName {
  return Object.hasOwn(DEMOS, name);
}
