// Evaluates monitors at given rounds: loads the rounds' items, steps each monitor's state machine, writes
// changes conditionally with their alerts pending, then publishes and clears them. Shared by the aggregator and the sweeper.
import { StoreError, type HomeFleetConfig, type HomeMonitor } from '../domain';
import { roundPartitions, type RoundRecord } from '../domain/record';
import { windowInstants, windowLength } from '../domain/rounds';
import { next, type MonitorEvidence, type MonitorState, type RoundEvidence } from '../domain/verdict';
import { WATCH_MAX_AGE_MS, WATCH_WINDOW_MS, type WatchEvent } from '../domain/watch';
import type { AlertMessage } from '../domain/alert';
import { gateIncidents, type SteppedMonitor } from './incidents';
import type { HomeDeps } from '../adapters/home-deps';
import { pendingKey, type Claim, type HistoryRecord, type StoredState } from '../adapters/store';
import { alertFields } from '../domain/history';
import { silenceFor, type Silence } from '../domain/silence';
import { regionFlipRecords, transitionRecord } from './history';
import { regionFlips } from '../domain/region-flips';
import { enqueue } from './outbox';
import { WRITE_CONCURRENCY } from './concurrency';
import { forEachConcurrently } from '../domain/concurrency';
import { applyOutboxChanges, publishAll, type PendingPublish } from './publish';
import { RoundCache } from './round-cache';
import { stateShardsOf } from '../domain/state-shards';

export interface EvaluationTarget {
  monitor: HomeMonitor;
  /** The round (epoch ms) to evaluate. */
  instant: number;
  /** A watch event of the monitor arrived: read its regions' recent watch events as evidence too. @default false */
  watch?: boolean;
}

export interface EvaluationSummary {
  evaluated: number;
  /** State items written (transitions, reminders, what hysteresis needs). */
  writes: number;
  transitions: number;
  conflicts: number;
  alerts: number;
  published: number;
  publishFailures: number;
  /** Alerts left pending at the publish deadline, claims given back: the next sweep publishes them. */
  alertsCarried: number;
  /** Undelivered alerts a newer one replaced or the outbox's bound pushed out (each logged). */
  dropped: number;
  /** Monitors whose state could not be read or written in this pass (each logged); the others were evaluated. */
  failures: { monitorId: string; error: Error }[];
}

/**
 * Region changes recorded through each store (by monitor, region and round): a rewrite would be the same item, this
 * only saves the write when a round is evaluated again (each region's arrival, the sweeper). Bounded.
 */
const recordedFlips = new WeakMap<object, Set<string>>();
const MAX_RECORDED_FLIPS = 100_000;
const flipKey = (r: HistoryRecord) => `${r.monitor}#${r.at}#${r.fields.event === 'region' ? r.fields.region : ''}`;

/** Conditional writes lost to a concurrent writer are redone from the fresh state, a bounded number of times. */
const MAX_CONFLICT_RETRIES = 5;

/** Whether results from this probe (the public probes, or a group's) count for the monitor: its own, or a group its `reach` names. */
export function probedBy(monitor: HomeMonitor, group: string | undefined): boolean {
  return monitor.group === group || (group !== undefined && monitor.vantages?.some((v) => v.group === group) === true);
}

/**
 * One monitor's view of a round: each region's result for it, with that region's canary (and each `reach` group's).
 * `holding`: the round's items that hold a result for the monitor, in the round's order (ReadRound.byMonitor).
 */
function roundEvidence(monitor: HomeMonitor, instant: number, holding: readonly RoundRecord[]): RoundEvidence {
  const reports: RoundEvidence['reports'] = {};
  const vantages: NonNullable<RoundEvidence['vantages']> = {};
  for (const record of holding) {
    const result = record.results[monitor.id];
    if (!result) continue;
    if (record.group === monitor.group && monitor.regions.includes(record.region)) {
      reports[record.region] = { result, canary: record.canary };
      continue;
    }
    const vantage = record.group === undefined ? undefined : monitor.vantages?.find((v) => v.group === record.group);
    if (vantage?.regions.includes(record.region)) (vantages[vantage.group] ??= {})[record.region] = { result, canary: record.canary };
  }
  return monitor.vantages?.length ? { instant, reports, vantages } : { instant, reports };
}

const NONE: readonly RoundRecord[] = [];

export async function evidenceFor(monitor: HomeMonitor, instant: number, rounds: RoundCache, watch?: () => Promise<WatchEvent[]>): Promise<MonitorEvidence> {
  // Twice the window: the older half lets rounds that were decided but never evaluated catch up (see next()).
  const instants = windowInstants(monitor, instant, 2 * windowLength(monitor));
  // Rounds read already are taken as they are (most monitors of a pass): no promise a round, a monitor.
  const read = instants.map((i) => rounds.peek(i));
  const [records, events] = await Promise.all([
    read.every((r) => r !== undefined) ? read : Promise.all(instants.map((i, k) => read[k] ?? rounds.read(i))),
    watch?.(),
  ]);
  return {
    monitor,
    rounds: instants.map((i, k) => roundEvidence(monitor, i, records[k]!.byMonitor.get(monitor.id) ?? NONE)),
    ...(events?.length ? { watch: events } : {}),
  };
}

export async function evaluateMonitors(
  deps: HomeDeps,
  targets: readonly EvaluationTarget[],
  now: number,
  options: {
    /** The states of (at least) the targets' state shards and their dependsOn's. @default read from the table */
    states?: Map<string, StoredState<MonitorState>>;
    rounds?: RoundCache;
    /** Written with every alert raised, before it is published. */
    claim: Claim;
    /** The time of each write (pending alerts record when they were written). @default () => now */
    clock?: () => number;
    /** The silences set (TableStore.readSilences()); the one covering a monitor holds its pages. @default none */
    silences?: readonly Silence[];
    /** No alert is published at or after this time (by `clock`): the rest is carried to the next sweep. @default none */
    deadline?: number;
  },
): Promise<EvaluationSummary> {
  const { store, log } = deps;
  const summary: EvaluationSummary = { evaluated: 0, writes: 0, transitions: 0, conflicts: 0, alerts: 0, published: 0, publishFailures: 0, alertsCarried: 0, dropped: 0, failures: [] };
  const rounds = options.rounds ?? new RoundCache(store, log, roundPartitions(deps.fleet));
  // Only the state shards of these monitors (and of those they depend on: the incident gate looks at them).
  const states = options.states ?? (await store.readMonitorStates(stateShardsOf(targets.flatMap((t) => [t.monitor.id, ...(t.monitor.dependsOn ?? [])]))));
  const toPublish: PendingPublish[] = [];

  const clock = options.clock ?? (() => now);
  const withSilence = (monitor: HomeMonitor, evidence: MonitorEvidence): MonitorEvidence => {
    const silence = silenceFor(monitor, options.silences ?? [], now);
    return silence ? { ...evidence, silence } : evidence;
  };
  // Watch events are read only when one arrived (a few small Queries, rarely): rounds never pay for them.
  const watchedTargets = new Set(targets.filter((t) => t.watch && t.monitor.watch === true).map((t) => t.monitor.id));
  const watchEvents = (monitor: HomeMonitor): (() => Promise<WatchEvent[]>) | undefined =>
    watchedTargets.has(monitor.id) ? () => store.readWatchEvents(monitor, now - WATCH_MAX_AGE_MS - WATCH_WINDOW_MS) : undefined;
  const failed = (monitorId: string, instant: number, error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    summary.failures.push({ monitorId, error: failure });
    log.error('Evaluating a monitor failed; the others go on', { monitor: monitorId, round: new Date(instant).toISOString(), error: failure.message });
  };

  /** Each region's own changes go to the history on their own (never failing the evaluation), once per store. */
  async function recordRegionFlips(monitorId: string, evidence: MonitorEvidence): Promise<void> {
    let recorded = recordedFlips.get(store);
    if (!recorded) recordedFlips.set(store, (recorded = new Set()));
    const records = regionFlipRecords(monitorId, regionFlips(evidence.rounds)).filter((r) => !recorded.has(flipKey(r)));
    if (records.length === 0) return;
    await store.recordHistory(records);
    if (recorded.size > MAX_RECORDED_FLIPS) recorded.clear();
    for (const r of records) recorded.add(flipKey(r));
  }

  // 1. Every monitor's step, from the states as read. Monitors are independent: only the cap bounds the time taken.
  const stepped = new Map<string, SteppedMonitor>();
  await forEachConcurrently(targets, WRITE_CONCURRENCY, async ({ monitor, instant }) => {
    summary.evaluated += 1;
    try {
      const previous = states.get(monitor.id)?.state;
      const evidence = await evidenceFor(monitor, instant, rounds, watchEvents(monitor));
      await recordRegionFlips(monitor.id, evidence);
      stepped.set(monitor.id, { monitor, previous, step: next(previous, withSilence(monitor, evidence), now) });
    } catch (error) {
      failed(monitor.id, instant, error);
    }
  });
  // 2. Their DOWN and UP pages through the incident book, written before any state that relies on it.
  const ordered = targets.map((t) => stepped.get(t.monitor.id)).filter((s): s is SteppedMonitor => s !== undefined && s.step.changed);
  const instants = new Map(targets.map((t) => [t.monitor.id, t.instant]));
  let gated: Map<string, AlertMessage[]> | undefined;
  let absorbed = new Map<string, { alerts: AlertMessage[]; incident: string }>();
  try {
    const gate = await gateIncidents(deps, ordered, now, options.claim, clock, states);
    gated = gate.alerts;
    absorbed = gate.absorbed;
    toPublish.push(...gate.toPublish);
    summary.alerts += gate.raised;
    summary.dropped += gate.dropped;
  } catch (error) {
    // Without the book no page of this pass can be decided: each monitor is retried (its round, or the next sweep).
    for (const s of ordered) failed(s.monitor.id, instants.get(s.monitor.id)!, error);
  }
  // 3. Each changed state, with the alerts left to it; one whose write conflicts is stepped (and gated) again.
  if (gated) {
    await forEachConcurrently(ordered, WRITE_CONCURRENCY, async (first) => {
      const instant = instants.get(first.monitor.id)!;
      try {
        await writeOne(first, gated.get(first.monitor.id)!, instant, absorbed.get(first.monitor.id));
      } catch (error) {
        failed(first.monitor.id, instant, error);
      }
    });
  }
  async function writeOne(first: SteppedMonitor, firstAlerts: AlertMessage[], instant: number, firstAbsorbed?: { alerts: AlertMessage[]; incident: string }): Promise<void> {
    const { monitor } = first;
    let stored = states.get(monitor.id);
    let step = { ...first.step, alerts: firstAlerts };
    let carried = firstAbsorbed;
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 0) {
        const again: SteppedMonitor = { monitor, previous: stored?.state, step: next(stored?.state, withSilence(monitor, await evidenceFor(monitor, instant, rounds, watchEvents(monitor))), now) };
        if (!again.step.changed) break;
        const gate = await gateIncidents(deps, [again], now, options.claim, clock, states);
        toPublish.push(...gate.toPublish);
        summary.alerts += gate.raised;
        summary.dropped += gate.dropped;
        step = { ...again.step, alerts: gate.alerts.get(monitor.id)! };
        carried = gate.absorbed.get(monitor.id);
      }
      const writtenAt = clock();
      const { pending, dropped } = enqueue(stored?.pending ?? {}, step.alerts, writtenAt, options.claim);
      // Recorded in the same write as the state: exactly the transitions and alerts that happened (a page an incident
      // carries as `absorbed`, naming the incident: its alerts are recorded with the incident book, under 'incident').
      const history: HistoryRecord[] = [
        ...(step.transition ? [transitionRecord(monitor.id, step.transition, writtenAt)] : []),
        ...step.alerts.map((alert) => ({ fields: alertFields(alert, 'pending' as const), monitor: monitor.id, at: writtenAt })),
        ...(carried?.alerts ?? []).map((alert) => ({ fields: alertFields(alert, 'absorbed' as const, carried!.incident), monitor: monitor.id, at: writtenAt })),
        ...dropped.map(({ alert }) => ({ fields: alertFields(alert, 'dropped' as const), monitor: monitor.id, at: writtenAt })),
        ...step.held.map((alert) => ({ fields: alertFields(alert, 'held' as const), monitor: monitor.id, at: writtenAt })),
      ];
      const written = await store.writeMonitorState(step.state, stored?.state.version ?? 0, pending, history);
      if (written === 'written') {
        summary.writes += 1;
        if (step.state.verdict !== (stored?.state.verdict ?? 'UNKNOWN')) {
          summary.transitions += 1;
          log.info('Verdict changed', {
            monitor: monitor.id, from: stored?.state.verdict ?? 'UNKNOWN', to: step.state.verdict, round: new Date(instant).toISOString(),
            since: new Date(step.state.since).toISOString(),
            alerts: step.alerts.map((a) => `${a.kind} ${a.alertId}#${a.sequence}`),
            ...(carried ? { incident: carried.incident } : {}),
          });
        }
        summary.alerts += step.alerts.length;
        summary.dropped += dropped.length;
        for (const { alert, why } of dropped) {
          log.error(why === 'replaced' ? 'Undelivered reminder replaced by a newer alert' : 'Undelivered alert dropped: the outbox is full', {
            monitor: monitor.id, alertId: alert.alertId, sequence: alert.sequence, kind: alert.kind,
          });
        }
        // Older alerts still pending go first (abandoned ones are taken over), so none is overtaken by a newer one.
        const raised = new Set(step.alerts.map(pendingKey));
        if (raised.size > 0) {
          for (const [key, entry] of Object.entries(pending)) toPublish.push({ target: { monitorId: monitor.id }, key, entry, claimed: raised.has(key) });
        }
        stored = { state: step.state, pending };
        states.set(monitor.id, stored);
        break;
      }
      // Someone (another batch, the sweeper) moved this monitor first: start again from what they wrote.
      summary.conflicts += 1;
      if (attempt >= MAX_CONFLICT_RETRIES) {
        throw new StoreError(`Monitor '${monitor.id}': state changed under ${MAX_CONFLICT_RETRIES + 1} consecutive writes (round ${new Date(instant).toISOString()}); the batch will be retried`);
      }
      stored = await store.readMonitorState(monitor.id);
      if (stored) states.set(monitor.id, stored);
      else states.delete(monitor.id);
    }
  }

  const outcome = await publishAll(deps, toPublish, options.claim, now, {
    ...(options.clock ? { clock: options.clock } : {}), ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
  });
  // What went out is cleared, and the items' versions moved: a later write in the same pass starts from that.
  applyOutboxChanges(states, outcome.changes);
  summary.published = outcome.published;
  summary.publishFailures = outcome.failures;
  summary.alertsCarried = outcome.carried;
  return summary;
}

/** The monitors in the fleet config by id. */
export function monitorsById(fleet: HomeFleetConfig): Map<string, HomeMonitor> {
  return new Map(fleet.monitors.map((m) => [m.id, m]));
}
