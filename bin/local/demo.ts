// The demo `portquorum local` runs with no arguments: three regions, three loopback services, and a timeline
// that takes one service down and back (a DOWN then an UP alert) and cuts one region off (no alert).
import { setTimeout as delay } from 'node:timers/promises';
import type { AlertKind, FleetSpec } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
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
/** A scenario `portquorum local --demo NAME` can run (the registry is demos.ts). */
export interface DemoScenario {
  /** One line for --help. */
  summary: string;
  /** Declarations and served targets, on free loopback ports. */
  plan(): Promise<{ spec: FleetSpec; targets: LocalTarget[]; canary?: LocalTarget; title: string }>;
  /** The timeline, run beside the fleet until it ends or the signal aborts. */
  run(controls: DemoControls, signal: AbortSignal): Promise<void>;
}

export interface DemoControls {
  /** Whether regions run in their own namespaces (region faults need that). */
  regionFaults: { supported: true } | { supported: false; reason: string };
  setTarget(name: string, state: TargetState): Promise<void>;
  /** Switches a served target in one region only (needs namespaces). */
  setTargetIn(region: string, name: string, state: 'up' | 'down'): Promise<void>;
  fault(region: string, fault: RegionFault): Promise<void>;
  /** Resolves with the next alert of this kind, or undefined when none comes in time (or the demo stops). */
  nextAlert(kind: AlertKind, timeoutMs: number, signal: AbortSignal): Promise<AlertMessage | undefined>;
  say(line: string): void;
}

const CUT_REGION = 'ap-southeast-1';
/** How long before a minute starts the demo cuts the region off. */
const CUT_LEAD_MS = 3_000;
/** The demo's sweeper period (the deployed one is a minute): fleet alerts come up to a minute sooner. */
export const DEMO_SWEEP_EVERY_SECONDS = 10;
/** The sweeper closes a minute 80 s after it ends; a fleet alert is not awaited for longer than this. */
const FLEET_ALERT_WAIT_MS = 5 * 60_000;

/**
 * The demo's script. Steps land half-way between rounds (rounds are at :00, :10, …) so every region sees a change
 * in the same round: web goes down at +10 s, DOWN is paged after its second bad round (~+30 s), web returns at
 * +40 s, UP is paged after one good round (~+50 s). Then ap-southeast-1 is cut off until the sweeper's
 * FLEET_DEGRADED alert, and reconnected until FLEET_RECOVERED — with no monitor alert meanwhile.
 */
export async function runDemoTimeline(controls: DemoControls, signal: AbortSignal, intervalSeconds = DEMO_INTERVAL_SECONDS): Promise<void> {
  const step = intervalSeconds * 1000;
  const start = Math.ceil((Date.now() - step / 2) / step) * step + step / 2;
  const at = async (seconds: number) => {
    const wait = start + seconds * 1000 - Date.now();
    return wait <= 0 ? !signal.aborted : sleep(wait, signal);
  };
  const act = async (what: () => Promise<void>) => {
    try {
      await what();
    } catch (error) {
      controls.say(`demo: step failed: ${(error as Error).message}`);
    }
  };

  if (!(await at(0))) return;
  controls.say("demo: all services up in every region; in 10 s 'web' goes down");
  if (!(await at(10))) return;
  controls.say("demo: taking 'web' down (connections refused) — the quorum (2 of 3) sees it; DOWN alert after 2 rounds");
  await act(() => controls.setTarget('web', 'down'));
  if (!(await at(40))) return;
  controls.say("demo: bringing 'web' back — UP alert after 1 good round");
  await act(() => controls.setTarget('web', 'up'));
  // The sweeper pages a region out when two whole minutes were bad (a minute closes 80 s after it ends): cutting just
  // before a minute starts makes that minute the first, so FLEET_DEGRADED comes about 150 s later instead of up to 210 s.
  const cutAt = Math.ceil((start + 70_000 + CUT_LEAD_MS) / 60_000) * 60_000 - CUT_LEAD_MS;
  if (!(await at((cutAt - start) / 1000))) return;
  if (!controls.regionFaults.supported) {
    controls.say(`demo: skipping the region fault step: ${controls.regionFaults.reason} (regions share this machine's loopback, so one cannot be cut off alone). The fleet keeps running until Ctrl-C.`);
    return;
  }
  controls.say(`demo: cutting ${CUT_REGION} off (iptables DROP on its namespace's loopback): its probes and canary fail, so its rounds are vetoed; the other two regions still make quorum, so no monitor alert. The sweeper pages the fleet (FLEET_DEGRADED) once two whole minutes have failed: in about 2½ minutes.`);
  await act(() => controls.fault(CUT_REGION, { kind: 'blackhole' }));
  const degraded = await controls.nextAlert('FLEET_DEGRADED', FLEET_ALERT_WAIT_MS, signal);
  if (signal.aborted) return;
  if (!degraded) controls.say(`demo: no FLEET_DEGRADED alert within ${FLEET_ALERT_WAIT_MS / 60_000} minutes (see the region logs in the run directory)`);
  controls.say(`demo: reconnecting ${CUT_REGION} — FLEET_RECOVERED follows once it has been healthy for two whole minutes: in 2 to 3 minutes`);
  await act(() => controls.fault(CUT_REGION, { kind: 'clear' }));
  const recovered = await controls.nextAlert('FLEET_RECOVERED', FLEET_ALERT_WAIT_MS, signal);
  if (signal.aborted) return;
  controls.say(`demo: ${recovered ? 'done' : `no FLEET_RECOVERED within ${FLEET_ALERT_WAIT_MS / 60_000} minutes`}; the fleet keeps running until Ctrl-C (try: portquorum local target cache down, portquorum status)`);
}

/** Waits `ms`; true when the time passed, false when the demo was stopped first. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return delay(ms, true, { signal }).catch((error: unknown) => {
    if ((error as Error).name === 'AbortError') return false;
    throw error;
  });
}
