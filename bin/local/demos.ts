// The scenarios `portquorum local --demo NAME` runs: each serves its own targets, declares its monitors and plays a
// timeline against the running fleet. `outage` is the one `portquorum local` runs with no arguments.
import { DEMO_INTERVAL_SECONDS, demoFleet, demoTargets, runDemoTimeline, type DemoScenario } from './demo';
import { divergedDemo } from './demo-diverged';
import { exposureDemo } from './demo-exposure';
import { flappingDemo } from './demo-flapping';
import { incidentDemo } from './demo-incident';
import { watchDemo } from './demo-watch';
import { freePorts } from './targets';

const outageDemo: DemoScenario = {
  summary: "'web' goes down and comes back (DOWN, UP), then one region is cut off (FLEET_DEGRADED, FLEET_RECOVERED)",
  async plan() {
    const [web, ssh, cache, canary] = await freePorts(4);
    const ports = { web: web!, ssh: ssh!, cache: cache!, canary: canary! };
    return { spec: demoFleet(ports), ...demoTargets(ports), title: `portquorum local — demo: 3 regions, ${DEMO_INTERVAL_SECONDS} s rounds, quorum 2` };
  },
  run: (controls, signal) => runDemoTimeline(controls, signal),
};

export const DEMOS = { outage: outageDemo, flapping: flappingDemo, exposure: exposureDemo, incident: incidentDemo, diverged: divergedDemo, watch: watchDemo } as const satisfies Record<string, DemoScenario>;
export type DemoName = keyof typeof DEMOS;
export const DEFAULT_DEMO: DemoName = 'outage';

export function isDemoName(name: string): name is DemoName {
  return Object.hasOwn(DEMOS, name);
}
