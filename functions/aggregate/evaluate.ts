// Evaluates monitors at given rounds: loads the rounds' items, steps each monitor's state machine, writes
// changes conditionally with their alerts pending, then publishes and clears them. Shared by the aggregator and the sweeper.
import { StoreError, type FleetConfig, type ResolvedMonitor } from '../shared/domain';
import type { AlertMessage } from '../shared/domain/alert';
import type { RoundRecord } from '../shared/domain/record';
import { windowInstants, windowLength } from '../shared/domain/rounds';
import { next, type MonitorEvidence, type MonitorState, type RoundEvidence } from '../shared/domain/verdict';
import type { AlertPublisher } from '../shared/adapters/publisher';
import type { Log, MetricSink } from '../shared/adapters/observability';
import { pendingKey, type PendingAlert, type StoredState, type TableStore } from '../shared/adapters/store';

export interface EvaluateDeps {
  fleet: FleetConfig;
  store: TableStore;
  publisher: AlertPublisher;
  log: Log;
  metrics: MetricSink;
}

export interface EvaluationTarget {
  monitor: ResolvedMonitor;
  /** The round (epoch ms) to evaluate. */
  instant: number;
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
}

/** Conditional writes lost to a concurrent writer are redone from the fresh state, a bounded number of times. */
const MAX_CONFLICT_RETRIES = 5;

/**
 * State writes and publishes in flight at once. One at a time, a fleet's first round (every monitor's first state)
 * or a wide outage (thousands of transitions) would take minutes and outlive the function's timeout.
 */
export const WRITE_CONCURRENCY = 32;
export const PUBLISH_CONCURRENCY = 16;

/** Runs `work` on every item with at most `limit` running at once; rejects with the first failure once all settled. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** Round items read once per evaluation pass, whichever monitors need them. */
export class RoundCache {
  private readonly rounds = new Map<number, Promise<RoundRecord[]>>();
  constructor(private readonly store: TableStore, private readonly log: Log) {}

  get(instant: number): Promise<RoundRecord[]> {
    let round = this.rounds.get(instant);
    if (!round) {
      round = this.store.readRound(instant).then(({ records, unreadable }) => {
        for (const u of unreadable) this.log.error('Unreadable round item skipped', { item: u.key, error: u.error });
        return records;
      });
      this.rounds.set(instant, round);
    }
    return round;
  }

  /** Forgets everything (after a conflict the rounds may have grown). */
  clear(): void {
    this.rounds.clear();
  }
}

/** One monitor's view of a round: each region's result for it, with that region's canary. */
export function roundEvidence(monitor: ResolvedMonitor, instant: number, records: readonly RoundRecord[]): RoundEvidence {
  const reports: RoundEvidence['reports'] = {};
  for (const record of records) {
    if (record.group !== monitor.group || !monitor.regions.includes(record.region)) continue;
    const result = record.results[monitor.id];
    if (result) reports[record.region] = { result, canary: record.canary };
  }
  return { instant, reports };
}

export async function evidenceFor(monitor: ResolvedMonitor, instant: number, rounds: RoundCache): Promise<MonitorEvidence> {
  // Twice the window: the older half lets rounds that were decided but never evaluated catch up (see next()).
  const instants = windowInstants(monitor, instant, 2 * windowLength(monitor));
  const records = await Promise.all(instants.map((i) => rounds.get(i)));
  return { monitor, rounds: instants.map((i, k) => roundEvidence(monitor, i, records[k]!)) };
}

export async function evaluateMonitors(
  deps: EvaluateDeps,
  targets: readonly EvaluationTarget[],
  now: number,
  options: { states?: Map<string, StoredState<MonitorState>>; rounds?: RoundCache } = {},
): Promise<EvaluationSummary> {
  const { store, log } = deps;
  const summary: EvaluationSummary = { evaluated: 0, writes: 0, transitions: 0, conflicts: 0, alerts: 0, published: 0, publishFailures: 0 };
  const rounds = options.rounds ?? new RoundCache(store, log);
  const states = options.states ?? (await store.readMonitorStates());
  const toPublish: { monitorId: string; key: string; alert: AlertMessage }[] = [];

  // Monitors are independent: each one's read-step-write runs on its own, so only the cap bounds the time taken.
  const writes = forEachConcurrently(targets, WRITE_CONCURRENCY, async ({ monitor, instant }) => {
    summary.evaluated += 1;
    let stored = states.get(monitor.id);
    for (let attempt = 0; ; attempt += 1) {
      const evidence = await evidenceFor(monitor, instant, rounds);
      const step = next(stored?.state, evidence, now);
      if (!step.changed) break;
      const pending: Record<string, PendingAlert> = { ...(stored?.pending ?? {}) };
      for (const alert of step.alerts) pending[pendingKey(alert)] = { alert, since: now };
      const written = await store.writeMonitorState(step.state, stored?.state.version ?? 0, pending);
      if (written === 'written') {
        summary.writes += 1;
        if (step.state.verdict !== stored?.state.verdict) {
          summary.transitions += 1;
          log.info('Verdict changed', {
            monitor: monitor.id, from: stored?.state.verdict ?? 'UNKNOWN', to: step.state.verdict, round: new Date(instant).toISOString(),
            alerts: step.alerts.map((a) => `${a.kind} ${a.alertId}#${a.sequence}`),
          });
        }
        summary.alerts += step.alerts.length;
        for (const alert of step.alerts) toPublish.push({ monitorId: monitor.id, key: pendingKey(alert), alert });
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
  });
  // The writes that landed before a failure still move the state generation (publishAll moves it otherwise).
  await writes.catch(async (error: unknown) => {
    await store.commitStateGeneration();
    throw error;
  });

  const outcome = await publishAll(deps, toPublish.map((p) => ({ target: { monitorId: p.monitorId }, key: p.key, alert: p.alert })));
  // Forget what went out, so a later write in the same pass does not record it as pending again.
  for (const { target, key } of outcome.cleared) if (target !== 'fleet') delete states.get(target.monitorId)?.pending[key];
  summary.published = outcome.published;
  summary.publishFailures = outcome.failures;
  return summary;
}

/** Publishes alerts already recorded as pending and clears each one that went out; a failure leaves it for the sweeper. */
export async function publishAll(
  deps: Pick<EvaluateDeps, 'publisher' | 'store' | 'log'>,
  alerts: readonly { target: { monitorId: string } | 'fleet'; key: string; alert: AlertMessage }[],
): Promise<{ published: number; failures: number; cleared: { target: { monitorId: string } | 'fleet'; key: string }[] }> {
  const cleared: { target: { monitorId: string } | 'fleet'; key: string }[] = [];
  let published = 0;
  let failures = 0;
  await forEachConcurrently(alerts, PUBLISH_CONCURRENCY, async ({ target, key, alert }) => {
    try {
      await deps.publisher.publish(alert);
    } catch (error) {
      failures += 1;
      deps.log.error('Alert publish failed; it stays pending for the sweeper', {
        alertId: alert.alertId, sequence: alert.sequence, kind: alert.kind, monitor: alert.monitor?.id ?? 'fleet', error: (error as Error).message,
      });
      return;
    }
    published += 1;
    try {
      await deps.store.clearPending(target, key);
      cleared.push({ target, key });
    } catch (error) {
      // Published but still marked pending: the sweeper sends it again, and subscribers dedupe on alertId.
      deps.log.warn('Clearing a published alert failed; it may be sent twice', { alertId: alert.alertId, error: (error as Error).message });
    }
  });
  // Once per pass, after the state writes before it and the clears here: what cached states are checked against.
  await deps.store.commitStateGeneration();
  return { published, failures, cleared };
}

/** The monitors in the fleet config by id. */
export function monitorsById(fleet: FleetConfig): Map<string, ResolvedMonitor> {
  return new Map(fleet.monitors.map((m) => [m.id, m]));
}
