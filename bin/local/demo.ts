// The demo `portquorum local` runs with no arguments: three regions, three loopback services, and a timeline
// that takes one service down and back (a DOWN then an UP alert) and cuts one region off (no alert).
import type { FleetSpec } from '../../functions/shared/domain';
import type { RegionFault } from './netns';
import type { LocalTarget, TargetState } from './targets';

export const DEMO_REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'] as const;
export const DEMO_INTERVAL_SECONDS = 10;

export interface DemoPorts {
  web: number;
  ssh: number;
  cache: number;
  canary: number;
}

/** The demo's targets, served by the fleet itself (in every region's namespace when regions run in namespaces). */
export function demoTargets(ports: DemoPorts): { targets: LocalTarget[]; canary: LocalTarget } {
  return {
    targets: [
      { name: 'web', kind: 'http', port: ports.web },
      { name: 'ssh', kind: 'banner', port: ports.ssh },
      { name: 'cache', kind: 'tcp', port: ports.cache },
    ],
    canary: { name: 'canary', kind: 'tcp', port: ports.canary },
  };
}

/** The demo's declarations: quorum 2 of 3, 10 s rounds, DOWN after 2 bad rounds, UP after 1 good one. */
export function demoFleet(ports: DemoPorts): FleetSpec {
  return {
    regions: [...DEMO_REGIONS],
    homeRegion: 'eu-west-1',
    canary: { host: '127.0.0.1', port: ports.canary, timeoutMs: 1000 },
    monitorDefaults: { interval: DEMO_INTERVAL_SECONDS, quorum: 2, failureThreshold: 2, recoveryThreshold: 1, timeoutMs: 2000, retries: 0 },
    monitors: [
      { id: 'web', host: '127.0.0.1', port: ports.web, preset: 'http', tags: { team: 'demo' } },
      { id: 'ssh', host: '127.0.0.1', port: ports.ssh, preset: 'ssh', tags: { team: 'demo' } },
      { id: 'cache', host: '127.0.0.1', port: ports.cache, severity: 'warning', tags: { team: 'demo' } },
    ],
  };
}

/** What the timeline needs from the running fleet. */
export interface DemoControls {
  /** Whether regions run in their own namespaces (region faults need that). */
  regionFaults: { supported: true } | { supported: false; reason: string };
  setTarget(name: string, state: TargetState): Promise<void>;
  fault(region: string, fault: RegionFault): Promise<void>;
  say(line: string): void;
}

export interface DemoStep {
  /** Seconds after the timeline starts. */
  at: number;
  say: string;
  act?: (controls: DemoControls) => Promise<void>;
}

const CUT_REGION = 'ap-southeast-1';

/**
 * Steps land half-way between rounds (rounds are at :00, :10, …), so every region sees a change in the same
 * round. With 10 s rounds: web goes down at +15 s, DOWN is paged after its second bad round (~+30–40 s),
 * web returns at +45 s, UP is paged after one good round (~+50–60 s); then ap-southeast-1 is cut off for 40 s.
 */
export function demoTimeline(): DemoStep[] {
  return [
    { at: 0, say: "demo: all services up; in 15 s 'web' goes down in every region" },
    { at: 15, say: "demo: taking 'web' down (connections refused) — expect a DOWN alert after 2 rounds", act: (c) => c.setTarget('web', 'down') },
    { at: 45, say: "demo: bringing 'web' back — expect an UP alert after 1 round", act: (c) => c.setTarget('web', 'up') },
    {
      at: 75,
      say: `demo: cutting ${CUT_REGION} off (iptables DROP in its namespace) — its canary fails, its rounds are vetoed, the other two regions still make quorum: no monitor alert`,
      act: (c) => c.fault(CUT_REGION, { kind: 'blackhole' }),
    },
    { at: 115, say: `demo: ${CUT_REGION} reconnected — demo timeline done; the fleet keeps running until Ctrl-C`, act: (c) => c.fault(CUT_REGION, { kind: 'clear' }) },
  ];
}

/** Runs the timeline against the fleet; stops early when the signal aborts. Region steps are skipped, on screen, without namespaces. */
export async function runDemoTimeline(controls: DemoControls, signal: AbortSignal, steps = demoTimeline(), intervalSeconds = DEMO_INTERVAL_SECONDS): Promise<void> {
  // Start on the half-round so step times fall between rounds.
  const step = intervalSeconds * 1000;
  const now = Date.now();
  const start = Math.ceil((now - step / 2) / step) * step + step / 2;
  for (const s of steps) {
    const wait = start + s.at * 1000 - Date.now();
    if (wait > 0 && !(await sleep(wait, signal))) return;
    if (signal.aborted) return;
    const regionStep = /cutting|reconnected/.test(s.say);
    if (regionStep && !controls.regionFaults.supported) {
      if (s.at === steps.find((x) => /cutting/.test(x.say))?.at) {
        controls.say(`demo: skipping the region fault step: ${controls.regionFaults.reason} (regions share this machine's loopback, so one cannot be cut off alone)`);
      }
      continue;
    }
    controls.say(s.say);
    try {
      await s.act?.(controls);
    } catch (error) {
      controls.say(`demo: step failed: ${(error as Error).message}`);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
