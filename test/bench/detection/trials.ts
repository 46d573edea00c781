// Detection trials on the real local fleet: served targets taken down (refused) or blackholed at moments spread
// evenly over the round interval, each timed from the change to the alert it causes.
import { startLocalFleet, type FleetEvent, type LocalFleet } from '../../../bin/local/fleet';
import { netnsSupport } from '../../../bin/local/netns';
import { freePorts, type LocalTarget, type TargetState } from '../../../bin/local/targets';
import { resolveFleet, type FleetConfig, type FleetSpec, type ResolvedMonitor } from '../../../functions/shared/domain';
import type { AlertMessage } from '../../../functions/shared/domain/alert';
import { roundInstant } from '../../../functions/shared/domain/rounds';

export const FAULTS = ['refused', 'blackhole'] as const;
export type Fault = (typeof FAULTS)[number];
export const TRANSITIONS = ['down', 'up'] as const;
export type Transition = (typeof TRANSITIONS)[number];

export const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
export const INTERVAL_SECONDS = 10;
export const QUORUM = 2;

export interface TrialPlan {
  refused: {
    monitors: number;
    /** No new DOWN is started after this long (each monitor has one at least); a monitor that is down still gets its UP trial. */
    seconds: number;
    /** false: DOWN trials only (each monitor once). */
    up: boolean;
  };
  /** @default no blackhole trials */
  blackhole?: {
    /** Blackholed together for the DOWN trials; then restored one at a time for the UP trials. */
    monitors: number;
    /** No new UP trial is started after this long. */
    upSeconds: number;
  };
}

export interface Trial {
  fault: Fault;
  transition: Transition;
  monitor: string;
  /** Epoch ms the change was in force in every region (setTarget resolved). */
  at: number;
  /** Epoch ms the alert reached the sinks; absent when none came within ALERT_WAIT_MS. */
  alertAt?: number;
  /** Instant of the round the alert was decided on. */
  round?: number;
  /** When the quorum-th region finished writing that round (the write that decided it). */
  writtenAt?: number;
}

export interface TrialRun {
  trials: Trial[];
  netns: { mode: 'on' } | { mode: 'off'; reason: string };
  /** The monitors' resolved settings (all alike): timeouts and retries the blackhole trials wait out. */
  monitor: ResolvedMonitor;
  /** Alerts no trial was waiting for (there should be none). */
  unexpected: string[];
  /** From startLocalFleet() to every monitor's first UP verdict. */
  startupMs: number;
}

/** Longer than the design's bound (interval + grace + stream) with room for a loaded machine; a trial waiting longer failed. */
const ALERT_WAIT_MS = 60_000;
/** A change is made at least this long before a round instant it must be in force for. */
const BEFORE_ROUND_MS = 300;

/** Phases spread evenly over the interval in any prefix of the sequence (golden-ratio steps), one sequence per row. */
class Phases {
  private k = 0;
  next(): number {
    const phase = (0.5 + this.k++ * 0.6180339887498949) % 1;
    return phase * INTERVAL_SECONDS * 1000;
  }
}

/** The first moment at or after notBefore that lies `phase` ms after a round instant. */
function atPhase(phase: number, notBefore: number): number {
  const at = roundInstant(notBefore, INTERVAL_SECONDS) + phase;
  return at >= notBefore ? at : at + INTERVAL_SECONDS * 1000;
}

function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(at - Date.now(), 2 * INTERVAL_SECONDS * 1000))));
}

function fleetSpec(ids: string[], ports: number[], canaryPort: number): FleetSpec {
  return {
    regions: REGIONS,
    homeRegion: REGIONS[0]!,
    canary: { host: '127.0.0.1', port: canaryPort, timeoutMs: 1000 },
    // The monitors' own timeouts and retries stay at their defaults: what a user who declares nothing else gets.
    monitorDefaults: { interval: INTERVAL_SECONDS, quorum: QUORUM, failureThreshold: 1, recoveryThreshold: 1 },
    monitors: ids.map((id, i) => ({ id, host: '127.0.0.1', port: ports[i]! })),
  };
}

export async function runTrials(plan: TrialPlan, log: (line: string) => void): Promise<TrialRun> {
  const refusedIds = Array.from({ length: plan.refused.monitors }, (_, i) => `refused-${String(i + 1).padStart(2, '0')}`);
  const blackholeIds = Array.from({ length: plan.blackhole?.monitors ?? 0 }, (_, i) => `blackhole-${String(i + 1).padStart(2, '0')}`);
  const ids = [...refusedIds, ...blackholeIds];
  const ports = await freePorts(ids.length + 1);
  const config: FleetConfig = resolveFleet(fleetSpec(ids, ports, ports[ids.length]!));
  const targets: LocalTarget[] = ids.map((id, i) => ({ name: id, kind: 'tcp', port: ports[i]! }));
  const support = netnsSupport();

  // Everything the fleet reports, as it happens: round writes (for the breakdown), verdicts, alerts.
  const written = new Map<number, Map<string, number>>();
  const upSeen = new Set<string>();
  const waiters = new Map<string, (at: number, alert: AlertMessage) => void>();
  const unexpected: string[] = [];
  let onFirstVerdicts: (() => void) | undefined;
  const onEvent = (event: FleetEvent) => {
    if (event.kind === 'round') {
      const byRegion = written.get(event.record.instant) ?? new Map<string, number>();
      byRegion.set(event.record.region, Math.max(byRegion.get(event.record.region) ?? 0, event.record.probedAt));
      written.set(event.record.instant, byRegion);
    } else if (event.kind === 'alert') {
      // Monitors that fail together at one address page as one INCIDENT (the incident book): a member listed down
      // there was paged DOWN by it, one listed back (an update, the resolution) was paged UP.
      const keys = event.alert.incident
        ? event.alert.incident.members.map((m) => `${m.monitor}:${m.status === 'down' ? 'DOWN' : 'UP'}`)
        : [`${event.alert.monitor?.id ?? 'fleet'}:${event.alert.kind}`];
      const answered = keys.filter((key) => waiters.has(key));
      for (const key of answered) {
        const waiter = waiters.get(key)!;
        waiters.delete(key);
        waiter(Date.now(), event.alert);
      }
      if (answered.length === 0) unexpected.push(event.alert.subject);
    } else if (event.kind === 'log') {
      const detail = event.detail as { monitor?: string; to?: string } | undefined;
      if (event.message === 'Verdict changed' && detail?.to === 'UP' && detail.monitor) {
        upSeen.add(detail.monitor);
        if (upSeen.size === ids.length) onFirstVerdicts?.();
      } else if (event.level !== 'info') log(`detection: ${event.source}: ${event.message}`);
    }
  };

  const started = Date.now();
  const fleet: LocalFleet = await startLocalFleet({
    fleet: config, targets, netns: support.supported ? 'on' : 'off', sinks: [], onEvent,
    canary: { name: 'canary', kind: 'tcp', port: ports[ids.length]! },
  });
  const fleetStartedMs = Date.now() - started;
  // Ctrl-C mid-run still removes the namespaces and stops DynamoDB Local and the workers.
  const onSignal = () => void fleet.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const trials: Trial[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`detection: not every monitor was seen UP within 60 s of the fleet starting (${upSeen.size} of ${ids.length})`)), 60_000);
      onFirstVerdicts = () => {
        clearTimeout(timer);
        resolve();
      };
      if (upSeen.size === ids.length) onFirstVerdicts();
    });
    const startupMs = Date.now() - started;
    const run = (): TrialRun => ({ trials, netns: support.supported ? { mode: 'on' } : { mode: 'off', reason: support.reason }, monitor: config.monitors[0]!, unexpected, startupMs });
    log(`detection: fleet started in ${(fleetStartedMs / 1000).toFixed(1)} s (${support.supported ? 'regions in network namespaces' : 'regions sharing loopback'}), every monitor UP after ${(startupMs / 1000).toFixed(1)} s`);

    /** Makes the change at `at`, then waits for the alert it must cause; resolves with the trial (alertAt absent if none came). */
    const trial = async (fault: Fault, transition: Transition, id: string, state: TargetState, at: number): Promise<Trial> => {
      await sleepUntil(at);
      const kind = transition === 'down' ? 'DOWN' : 'UP';
      const alerted = new Promise<{ at: number; alert: AlertMessage } | undefined>((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(`${id}:${kind}`);
          resolve(undefined);
        }, ALERT_WAIT_MS);
        waiters.set(`${id}:${kind}`, (alertAt, alert) => {
          clearTimeout(timer);
          resolve({ at: alertAt, alert });
        });
      });
      await fleet.setTarget(id, state);
      const changedAt = Date.now();
      const got = await alerted;
      const t: Trial = { fault, transition, monitor: id, at: changedAt };
      if (got) {
        t.alertAt = got.at;
        t.round = Date.parse(got.alert.round);
        const writes = [...(written.get(t.round)?.values() ?? [])].sort((a, b) => a - b);
        if (writes.length >= QUORUM) t.writtenAt = writes[QUORUM - 1];
      } else log(`detection: no ${kind} alert for ${id} within ${ALERT_WAIT_MS / 1000} s of ${state}`);
      trials.push(t);
      return t;
    };

    // Refused: every monitor on its own, down and up in turn. A refused probe ends in milliseconds, so these
    // trials cannot slow each other's rounds: they overlap freely.
    const phases = { refusedDown: new Phases(), refusedUp: new Phases(), blackholeDown: new Phases(), blackholeUp: new Phases() };
    const refusedUntil = Date.now() + plan.refused.seconds * 1000;
    await Promise.all(refusedIds.map(async (id) => {
      for (let first = true; first || Date.now() < refusedUntil; first = false) {
        const down = await trial('refused', 'down', id, 'down', atPhase(phases.refusedDown.next(), Date.now() + 50));
        if (!down.alertAt || !plan.refused.up) return;
        const up = await trial('refused', 'up', id, 'up', atPhase(phases.refusedUp.next(), Date.now() + 50));
        if (!up.alertAt) return;
      }
    }));
    log(`detection: refused: ${trials.length} trials`);
    if (!plan.blackhole) return run();

    // Blackholed, DOWN: all together, at phases spread over one interval. A blackholed probe waits out its timeouts
    // and its region's round is written only when its slowest probe ends — but every blackholed probe of a round
    // starts at the round's instant and ends at the same time, so these trials do not delay each other. Each is
    // parked as refused (still DOWN, no alert) once its alert is in (or its wait is over), so it holds no later round up.
    const firstDown = Date.now() + 50;
    const downs = await Promise.all(blackholeIds.map(async (id) => {
      const t = await trial('blackhole', 'down', id, 'blackhole', atPhase(phases.blackholeDown.next(), firstDown));
      await fleet.setTarget(id, 'down');
      return t;
    }));
    log(`detection: blackhole: ${downs.length} DOWN trials`);

    // Blackholed, UP: one at a time. A target restored during a round in which another is still blackholed would
    // have its good result written only when that other probe times out; alone, it is written as soon as it is up.
    // Each target is blackholed again (from refused) before a round instant, then restored at its phase.
    const upUntil = Date.now() + plan.blackhole.upSeconds * 1000;
    for (const down of downs) {
      if (Date.now() >= upUntil) break;
      if (!down.alertAt) continue;
      await fleet.setTarget(down.monitor, 'blackhole');
      const blackholedAt = roundInstant(Date.now() + BEFORE_ROUND_MS, INTERVAL_SECONDS) + INTERVAL_SECONDS * 1000;
      const up = await trial('blackhole', 'up', down.monitor, 'up', atPhase(phases.blackholeUp.next(), blackholedAt));
      if (!up.alertAt) break;
    }
    log(`detection: blackhole: ${trials.filter((t) => t.fault === 'blackhole' && t.transition === 'up').length} UP trials`);
    return run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fleet.stop();
  }
}
