// The sweeper, each minute in the home region: republishes pending alerts, closes rounds whose grace expired,
// sends due reminders and maintenance-end pages, and pages the fleet when probes go silent or come back.
import { pendingKey, type PendingAlert, type StoredState } from '../shared/adapters/store';
import { homeDepsFromEnv, type HomeDeps } from '../shared/adapters/home-deps';
import { emitCounts } from '../shared/adapters/observability';
import { observeFleet } from '../shared/domain/observation';
import { roundPartitions } from '../shared/domain/record';
import { graceMs, MINUTE_MS, roundInstant } from '../shared/domain/rounds';
import { initialFleetState, nextFleet, type FleetState, type MonitorState } from '../shared/domain/verdict';
import { evaluateMonitors, forgetCleared, type EvaluationSummary } from '../shared/evaluation/evaluate';
import { publishAll, type PendingPublish, type PublishOutcome } from '../shared/evaluation/publish';
import { RoundCache } from '../shared/evaluation/round-cache';

export interface SweeperDeps extends HomeDeps {
  /** @default Date.now */
  now?: () => number;
  /** A pending alert older than this is published again (younger ones may still be in the aggregator's hands). @default 15000 */
  republishAfterMs?: number;
  /** A probe is silent after this many whole minutes without a round item. @default 2 */
  silentAfterMinutes?: number;
  /** No silence is reported this long after the first sweep, while probe stacks deploy. @default 600000 */
  startupGraceMs?: number;
}

export interface SweepSummary {
  republished: number;
  republishFailures: number;
  evaluation: EvaluationSummary;
  silent: string[];
  vetoed: string[];
  fleetAlerts: string[];
}

export type SweeperHandler = (event?: unknown) => Promise<SweepSummary>;

export function createSweeperHandler(deps: SweeperDeps): SweeperHandler {
  const now = deps.now ?? Date.now;

  return async () => {
    const at = now();
    const { store, log } = deps;
    const states = await store.readMonitorStates();
    const fleetStored = await store.readFleetState();

    // 1. Alerts recorded but never published (publish failed, or the function died in between).
    const again = await republishStale(deps, states, fleetStored, at - (deps.republishAfterMs ?? 15_000));

    // 2. Every monitor at its latest round whose grace has expired: missing regions are now silent, reminders
    //    and maintenance ends are due even when no result arrives.
    const rounds = new RoundCache(store, log, roundPartitions(deps.fleet));
    const targets = deps.fleet.monitors.map((monitor) => ({ monitor, instant: roundInstant(at - graceMs(monitor.interval), monitor.interval) }));
    const evaluation = await evaluateMonitors(deps, targets, at, { states, rounds });

    // 3. The fleet: which probes wrote nothing lately, and whose canary fails.
    const latestMinute = roundInstant(at - graceMs(60), 60);
    const minutes = Array.from({ length: deps.silentAfterMinutes ?? 2 }, (_, k) => latestMinute - k * MINUTE_MS);
    const createdAt = fleetStored?.state.createdAt ?? at;
    const observation = observeFleet(deps.fleet, {
      instant: latestMinute,
      records: (await Promise.all(minutes.map((minute) => rounds.get(minute)))).flat(),
      starting: at - createdAt < (deps.startupGraceMs ?? 600_000),
    });
    const step = nextFleet(fleetStored?.state ?? initialFleetState(createdAt), observation, at);
    const fleetAlerts: string[] = [];
    let fleetPublishFailures = 0;
    if (step.changed || !fleetStored) {
      const pending = { ...(fleetStored?.pending ?? {}) };
      for (const alert of step.alerts) pending[pendingKey(alert)] = { alert, since: at };
      const written = await store.writeFleetState(step.state, fleetStored?.state.version ?? 0, pending);
      if (written === 'written') {
        for (const alert of step.alerts) {
          fleetAlerts.push(alert.subject);
          log.info('Fleet changed', { kind: alert.kind, alertId: alert.alertId, silent: observation.silent, vetoed: observation.vetoed, unknownMonitors: observation.unknownMonitors.length });
        }
        fleetPublishFailures = (await publishAll(deps, step.alerts.map((alert) => ({ target: 'fleet' as const, key: pendingKey(alert), alert })))).failures;
      } else {
        log.warn('Fleet state changed under the sweeper; the next sweep decides again', {});
      }
    }

    const { silent, vetoed, unknownMonitors } = observation;
    const summary: SweepSummary = { republished: again.published, republishFailures: again.failures, evaluation, silent, vetoed, fleetAlerts };
    log.info('Swept', { ...summary });
    emitCounts(deps.metrics, 'sweeper', {
      republished: again.published, publishFailures: again.failures + evaluation.publishFailures + fleetPublishFailures,
      transitions: evaluation.transitions, silentProbes: silent.length, vetoedProbes: vetoed.length, unknownMonitors: unknownMonitors.length,
    });
    return summary;
  };
}

/** Publishes every pending alert recorded before `before`, and forgets in `states` and `fleet` the ones that went out. */
async function republishStale(
  deps: SweeperDeps,
  states: Map<string, StoredState<MonitorState>>,
  fleet: StoredState<FleetState> | undefined,
  before: number,
): Promise<PublishOutcome> {
  const stale = (pending: Record<string, PendingAlert>) => Object.entries(pending).filter(([, p]) => p.since <= before);
  const republish: PendingPublish[] = [];
  for (const [monitorId, stored] of states) for (const [key, p] of stale(stored.pending)) republish.push({ target: { monitorId }, key, alert: p.alert });
  for (const [key, p] of stale(fleet?.pending ?? {})) republish.push({ target: 'fleet', key, alert: p.alert });
  const outcome = await publishAll(deps, republish);
  for (const { target, key, version } of outcome.cleared) {
    if (target === 'fleet') {
      if (fleet) {
        delete fleet.pending[key];
        fleet.state = { ...fleet.state, version };
      }
    } else forgetCleared(states, target.monitorId, key, version);
  }
  return outcome;
}

/** Deps from the function's environment. */
export function sweeperDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SweeperDeps {
  return homeDepsFromEnv('sweeper', env);
}

let lazy: SweeperHandler | undefined;
export const handler: SweeperHandler = (event) => (lazy ??= createSweeperHandler(sweeperDepsFromEnv()))(event);
