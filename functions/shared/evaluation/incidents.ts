// The incident gate of an evaluation pass: the monitors' DOWN and UP pages (and reminders) go through the incident
// book before their states are written, so monitors failing together page once (domain/incident.ts).
import { StoreError } from '../domain';
import type { HomeMonitor } from '../domain/fleet';
import { alertMonitor, type AlertMessage } from '../domain/alert';
import { correlate, emptyBook, factsOf, incidentOf, type DownEvent, type UpEvent } from '../domain/incident';
import type { MonitorState, Step } from '../domain/verdict';
import type { HomeDeps } from '../adapters/home-deps';
import { pendingKey, type Claim } from '../adapters/store';
import { enqueue } from './outbox';
import type { PendingPublish } from './publish';

/** A monitor's step in this pass, before its state is written. */
export interface SteppedMonitor {
  monitor: HomeMonitor;
  previous: MonitorState | undefined;
  step: Step;
}

export interface GateOutcome {
  /** Each monitor's alerts after the gate: pages an incident carries are gone. */
  alerts: Map<string, AlertMessage[]>;
  /** Incident alerts recorded with the book under the caller's claim, for the caller to publish. */
  toPublish: PendingPublish[];
  raised: number;
  dropped: number;
}

/** The book is rewritten from a fresh read this many times when another writer moved it first. */
const MAX_CONFLICT_RETRIES = 5;
const BACK: readonly string[] = ['UP', 'DEGRADED'];

/** The DOWN or UP event a step is for the incident book, if any. */
function eventOf({ monitor, previous, step }: SteppedMonitor): DownEvent | UpEvent | undefined {
  // Only a DOWN paged as it happened groups: one a silence or a maintenance window held pages alone when it ends (the
  // person who held it expects that page), and its UP then is its own too.
  const down = step.alerts.find((a) => a.kind === 'DOWN' && a.sequence === 0 && a.cause === 'transition');
  if (down) {
    const regions = down.regions.filter((r) => r.status === 'down');
    const classes = [...new Set(regions.map((r) => r.class ?? 'down'))].join(', ');
    return {
      kind: 'down', monitorId: monitor.id, round: step.state.since, facts: factsOf(monitor, regions), dependsOn: monitor.dependsOn ?? [],
      evidence: `${classes || 'down'} in ${regions.length}/${down.regions.length} regions`,
    };
  }
  if (BACK.includes(step.state.verdict) && !BACK.includes(previous?.verdict ?? 'UNKNOWN')) return { kind: 'up', monitorId: monitor.id, round: step.state.since };
  return undefined;
}

/** Whether the gate has anything to decide for these steps (else the book is not even read). */
function concernsIncidents(s: SteppedMonitor): boolean {
  return eventOf(s) !== undefined || s.step.alerts.some((a) => a.kind === 'REMINDER');
}

/**
 * Reads the incident book, applies the steps' DOWN/UP events to it and writes it (conditionally, with the incident
 * alerts pending) before any monitor state is written: a crash in between leaves the book ahead, and the retried
 * step finds its DOWN already in it (no second alert). Two passes racing conflict on the book's version; the loser
 * reads it again and joins the incident the winner opened.
 */
export async function gateIncidents(
  deps: Pick<HomeDeps, 'store' | 'log' | 'fleet'>, stepped: readonly SteppedMonitor[], now: number, claim: Claim, clock: () => number,
  states: ReadonlyMap<string, { state: MonitorState }>,
): Promise<GateOutcome> {
  const alerts = new Map(stepped.map((s) => [s.monitor.id, s.step.alerts]));
  const outcome: GateOutcome = { alerts, toPublish: [], raised: 0, dropped: 0 };
  const relevant = stepped.filter(concernsIncidents);
  if (relevant.length === 0) return outcome;
  const events = relevant.map(eventOf).filter((e): e is DownEvent | UpEvent => e !== undefined);
  const declared = new Map(deps.fleet.monitors.map((m) => [m.id, m]));
  const stepStates = new Map(stepped.map((s) => [s.monitor.id, s.step.state]));
  const context = {
    now,
    isDown: (id: string) => (stepStates.get(id) ?? states.get(id)?.state)?.verdict === 'DOWN',
    describe: (id: string) => {
      const monitor = declared.get(id);
      return monitor ? alertMonitor(monitor) : undefined;
    },
  };
  for (let attempt = 0; ; attempt += 1) {
    const stored = await deps.store.readIncidentBook();
    const result = correlate(stored?.state ?? emptyBook(), events, context);
    if (result.changed) {
      const { pending, dropped } = enqueue(stored?.pending ?? {}, result.alerts, clock(), claim);
      const written = await deps.store.writeIncidentBook(result.book, stored?.state.version ?? 0, pending);
      if (written === 'conflict') {
        if (attempt >= MAX_CONFLICT_RETRIES) throw new StoreError(`The incident book changed under ${MAX_CONFLICT_RETRIES + 1} consecutive writes; the batch will be retried`);
        continue;
      }
      outcome.raised = result.alerts.length;
      outcome.dropped = dropped.length;
      for (const { alert, why } of dropped) deps.log.error(`Undelivered incident alert dropped (${why})`, { alertId: alert.alertId, sequence: alert.sequence, kind: alert.kind });
      for (const alert of result.alerts) {
        deps.log.info('Incident changed', { kind: alert.kind, alertId: alert.alertId, sequence: alert.sequence, monitors: alert.incident?.members.map((m) => m.monitor), fact: alert.incident?.fact.text });
      }
      const raised = new Set(result.alerts.map(pendingKey));
      if (raised.size > 0) for (const [key, entry] of Object.entries(pending)) outcome.toPublish.push({ target: 'incidents', key, entry, claimed: raised.has(key) });
    }
    // Pages the incident carries are not sent again; a member of a joined incident does not remind on its own.
    for (const s of relevant) {
      const id = s.monitor.id;
      const absorbed = result.decisions.get(id) === 'absorbed';
      const incident = incidentOf(result.book, id);
      alerts.set(id, s.step.alerts.filter((a) => {
        if (a.kind === 'REMINDER') return !(incident && incident.members.length > 1);
        if (!absorbed || a.sequence !== 0) return true;
        return !(a.kind === 'DOWN' || ((a.kind === 'UP' || a.kind === 'DEGRADED') && BACK.includes(a.verdict)));
      }));
    }
    return outcome;
  }
}
