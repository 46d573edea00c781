// The incident gate of an evaluation pass: the monitors' DOWN and UP pages (and reminders) go through the incident
// book before their states are written, so monitors failing together page once (domain/incident.ts).
import { StoreError } from '../domain';
import type { HomeMonitor } from '../domain/fleet';
import { alertMonitor, type AlertMessage } from '../domain/alert';
import { bookAfter, correlate, emptyBook, factsOf, planBookWrite, type BookWrite, type DownEvent, type Incident, type IncidentBook, type UpEvent } from '../domain/incident';
import { alertFields } from '../domain/history';
import type { MonitorState, Step } from '../domain/verdict';
import type { HomeDeps } from '../adapters/home-deps';
import { pendingKey, type Claim, type HistoryRecord } from '../adapters/store';
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
  /** Pages an incident alert carries instead, by monitor, with the incident's id (for the monitor's history). */
  absorbed: Map<string, { alerts: AlertMessage[]; incident: string }>;
}

/** The book is rewritten from a fresh read this many times when another writer moved it first. */
const MAX_CONFLICT_RETRIES = 5;
const BACK: readonly string[] = ['UP', 'DEGRADED'];
/**
 * What one write of the book may carry: DynamoDB's transaction holds 100 items and 4 MB; room is left for the item
 * itself, 20 page deletes and the history records of the alerts.
 */
const WRITE_BUDGET = { pages: 60, bytes: 3_000_000 };

function fits(plan: BookWrite): boolean {
  return plan.puts.length <= WRITE_BUDGET.pages && plan.bytes <= WRITE_BUDGET.bytes;
}

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
  const outcome: GateOutcome = { alerts, toPublish: [], raised: 0, dropped: 0, absorbed: new Map() };
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
  const decisions = new Map<string, 'page' | 'absorbed'>();
  const placedIn = new Map<string, string>();
  let book: IncidentBook = emptyBook();
  for (let attempt = 0; ; attempt += 1) {
    const stored = await deps.store.readIncidentBook();
    book = stored?.state ?? emptyBook();
    let pending = stored?.pending ?? {};
    let orphans = stored?.orphans ?? [];
    let version = stored?.state.version ?? 0;
    let conflict = false;
    // A pass's events go in as few writes as fit one transaction each (100 items, 4 MB): one, unless thousands of
    // members change at once; then the first write pages the INCIDENT and the later ones are its updates.
    for (let from = 0; from < events.length || from === 0;) {
      const remaining = events.slice(from);
      let take = remaining.length;
      let result = correlate(book, remaining, context);
      let plan = planBookWrite(book, result.book, orphans);
      while (!fits(plan) && take > 1) {
        take = Math.ceil(take / 2);
        result = correlate(book, remaining.slice(0, take), context);
        plan = planBookWrite(book, result.book, orphans);
      }
      if (result.changed) {
        const writtenAt = clock();
        const enqueued = enqueue(pending, result.alerts, writtenAt, claim);
        const history: HistoryRecord[] = [
          ...result.alerts.map((alert) => ({ fields: alertFields(alert, 'pending' as const), monitor: 'incident', at: writtenAt })),
          ...enqueued.dropped.map(({ alert }) => ({ fields: alertFields(alert, 'dropped' as const), monitor: 'incident', at: writtenAt })),
        ];
        const written = await deps.store.writeIncidentBook(book, result.book, version, enqueued.pending, history, orphans, plan);
        if (written === 'conflict') {
          conflict = true;
          break;
        }
        outcome.raised += result.alerts.length;
        outcome.dropped += enqueued.dropped.length;
        for (const { alert, why } of enqueued.dropped) deps.log.error(`Undelivered incident alert dropped (${why})`, { alertId: alert.alertId, sequence: alert.sequence, kind: alert.kind });
        for (const alert of result.alerts) {
          deps.log.info('Incident changed', {
            kind: alert.kind, alertId: alert.alertId, sequence: alert.sequence, members: alert.incident?.memberCount, down: alert.incident?.downCount,
            listed: alert.incident?.members.map((m) => m.monitor), fact: alert.incident?.fact.text,
          });
        }
        const raised = new Set(result.alerts.map(pendingKey));
        if (raised.size > 0) for (const [key, entry] of Object.entries(enqueued.pending)) outcome.toPublish.push({ target: 'incidents', key, entry, claimed: raised.has(key) });
        book = bookAfter(result.book, plan);
        pending = enqueued.pending;
        version = result.book.version;
        orphans = orphans.filter((key) => !plan.deletes.includes(key));
      }
      for (const [id, decision] of result.decisions) decisions.set(id, decision);
      for (const [id, incident] of result.placedIn) placedIn.set(id, incident);
      from += take;
      if (remaining.length === 0) break;
    }
    if (conflict) {
      if (attempt >= MAX_CONFLICT_RETRIES) throw new StoreError(`The incident book changed under ${MAX_CONFLICT_RETRIES + 1} consecutive writes; the batch will be retried`);
      // Chunks written before the conflict are in the book now: their events are replays, deciding the same again.
      continue;
    }
    // Pages the incident carries are not sent again (the member's history records them absorbed, naming the
    // incident); a member of a joined incident does not remind on its own.
    const downIn = new Map<string, Incident>();
    for (const incident of book.incidents) for (const m of incident.members) if (m.up === undefined) downIn.set(m.monitorId, incident);
    for (const s of relevant) {
      const id = s.monitor.id;
      const absorbed = decisions.get(id) === 'absorbed';
      const incident = downIn.get(id);
      const carried = (a: AlertMessage) => absorbed && a.sequence === 0 && (a.kind === 'DOWN' || ((a.kind === 'UP' || a.kind === 'DEGRADED') && BACK.includes(a.verdict)));
      alerts.set(id, s.step.alerts.filter((a) => (a.kind === 'REMINDER' ? !(incident && incident.members.length > 1) : !carried(a))));
      const pages = s.step.alerts.filter(carried);
      if (pages.length > 0) outcome.absorbed.set(id, { alerts: pages, incident: placedIn.get(id) ?? incident?.id ?? '' });
    }
    return outcome;
  }
}
