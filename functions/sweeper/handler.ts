// The sweeper, each minute in the home region: republishes pending alerts, closes rounds whose grace expired,
// sends due reminders and maintenance-end pages, and pages the fleet when probes go silent or come back.
import { graceMs, roundInstant } from '../shared/domain/rounds';
import { nextFleet, type FleetObservation } from '../shared/domain/verdict';
import { homeDepsFromEnv, type HomeDeps } from '../shared/adapters/home-deps';
import { METRIC_NAMES } from '../shared/deployment';
import { pendingKey, type PendingAlert } from '../shared/adapters/store';
import type { AlertMessage } from '../shared/domain/alert';
import { evaluateMonitors, publishAll, RoundCache, type EvaluationSummary } from '../aggregate/evaluate';

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

/** A probe's name in fleet alerts: the region, or `region/group` for a VPC probe group. */
export function probeName(region: string, group: string | undefined): string {
  return group === undefined ? region : `${region}/${group}`;
}

export function createSweeperHandler(deps: SweeperDeps): SweeperHandler {
  const now = deps.now ?? Date.now;
  const expected = [
    ...deps.fleet.regions.map((r) => probeName(r, undefined)),
    ...Object.entries(deps.fleet.groups).flatMap(([g, { regions }]) => regions.map((r) => probeName(r, g))),
  ];

  return async () => {
    const at = now();
    const { store, log } = deps;
    const states = await store.readMonitorStates();

    // 1. Alerts recorded but never published (publish failed, or the function died in between).
    const stale = (pending: Record<string, PendingAlert>) =>
      Object.entries(pending).filter(([, p]) => p.since <= at - (deps.republishAfterMs ?? 15_000));
    const republish: { target: { monitorId: string } | 'fleet'; key: string; alert: AlertMessage }[] = [];
    for (const [monitorId, stored] of states) for (const [key, p] of stale(stored.pending)) republish.push({ target: { monitorId }, key, alert: p.alert });
    const fleetStored = await store.readFleetState();
    for (const [key, p] of stale(fleetStored?.pending ?? {})) republish.push({ target: 'fleet', key, alert: p.alert });
    const again = await publishAll(deps, republish);
    for (const { target, key } of again.cleared) {
      if (target === 'fleet') delete fleetStored?.pending[key];
      else delete states.get(target.monitorId)?.pending[key];
    }

    // 2. Every monitor at its latest round whose grace has expired: missing regions are now silent, reminders
    //    and maintenance ends are due even when no result arrives.
    const rounds = new RoundCache(store, log);
    const targets = deps.fleet.monitors.map((monitor) => ({ monitor, instant: roundInstant(at - graceMs(monitor.interval), monitor.interval) }));
    const evaluation = await evaluateMonitors(deps, targets, at, { states, rounds });

    // 3. The fleet: which probes wrote nothing lately, and whose canary fails.
    const latestMinute = roundInstant(at - graceMs(60), 60);
    const minutes = Array.from({ length: deps.silentAfterMinutes ?? 2 }, (_, k) => latestMinute - k * 60_000);
    const seen = new Set<string>();
    const vetoed = new Set<string>();
    const latestCanary = new Map<string, { instant: number; down: boolean }>();
    for (const minute of minutes) {
      for (const record of await rounds.get(minute)) {
        const probe = probeName(record.region, record.group);
        seen.add(probe);
        const known = latestCanary.get(probe);
        if (!known || known.instant < record.instant || (known.instant === record.instant && record.canary.status === 'down')) {
          latestCanary.set(probe, { instant: record.instant, down: record.canary.status === 'down' });
        }
      }
    }
    for (const [probe, canary] of latestCanary) if (canary.down) vetoed.add(probe);
    const createdAt = fleetStored?.state.createdAt ?? at;
    const starting = at - createdAt < (deps.startupGraceMs ?? 600_000);
    const silent = starting ? [] : expected.filter((p) => !seen.has(p));
    const out = new Set([...silent, ...vetoed]);
    const unknownMonitors = deps.fleet.monitors
      .filter((m) => m.regions.filter((r) => !out.has(probeName(r, m.group))).length < m.quorum)
      .map((m) => m.id);
    const observation: FleetObservation = { instant: latestMinute, silent, vetoed: [...vetoed], unknownMonitors };
    const step = nextFleet(fleetStored?.state ?? { notified: {}, version: 0, createdAt }, observation, at);
    const fleetAlerts: string[] = [];
    if (step.changed || !fleetStored) {
      const pending = { ...(fleetStored?.pending ?? {}) };
      for (const alert of step.alerts) pending[pendingKey(alert)] = { alert, since: at };
      const written = await store.writeFleetState(step.state, fleetStored?.state.version ?? 0, pending);
      if (written === 'written') {
        for (const alert of step.alerts) {
          fleetAlerts.push(alert.subject);
          log.info('Fleet changed', { kind: alert.kind, alertId: alert.alertId, silent, vetoed: [...vetoed], unknownMonitors: unknownMonitors.length });
        }
        await publishAll(deps, step.alerts.map((alert) => ({ target: 'fleet' as const, key: pendingKey(alert), alert })));
      } else {
        log.warn('Fleet state changed under the sweeper; the next sweep decides again', {});
      }
    }

    const summary: SweepSummary = {
      republished: again.published, republishFailures: again.failures, evaluation, silent, vetoed: [...vetoed], fleetAlerts,
    };
    log.info('Swept', { ...summary });
    const names = METRIC_NAMES.sweeper;
    deps.metrics.count(names.republished, again.published);
    deps.metrics.count(names.publishFailures, again.failures + evaluation.publishFailures);
    deps.metrics.count(names.transitions, evaluation.transitions);
    deps.metrics.count(names.silentProbes, silent.length);
    deps.metrics.count(names.vetoedProbes, vetoed.size);
    deps.metrics.count(names.unknownMonitors, unknownMonitors.length);
    deps.metrics.flush();
    return summary;
  };
}

/** Deps from the function's environment. */
export function sweeperDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SweeperDeps {
  return homeDepsFromEnv('sweeper', env);
}

let lazy: SweeperHandler | undefined;
export const handler: SweeperHandler = (event) => (lazy ??= createSweeperHandler(sweeperDepsFromEnv()))(event);
