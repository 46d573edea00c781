// The sweeper, each minute in the home region: republishes pending alerts, closes rounds whose grace expired,
// sends due reminders and maintenance-end pages, and pages the fleet when probes go silent or vetoed, or come back,
// each judged over whole minutes so a lossy region does not flap the fleet.
import { pendingKey, type StoredState } from '../shared/adapters/store';
import { homeDepsFromEnv, type HomeDeps } from '../shared/adapters/home-deps';
import { emitCounts } from '../shared/adapters/observability';
import { observeFleet } from '../shared/domain/observation';
import { roundPartitions } from '../shared/domain/record';
import { graceMs, instantsInMinute, MINUTE_MS, roundInstant } from '../shared/domain/rounds';
import { initialFleetState, nextFleet, type FleetObservation, type FleetState, type MonitorState } from '../shared/domain/verdict';
import type { Claim } from '../shared/adapters/store';
import { evaluateMonitors, type EvaluationSummary } from '../shared/evaluation/evaluate';
import { applyOutboxChanges, claimFor, publishAll, publishDeadline, type PendingPublish, type PublishOutcome } from '../shared/evaluation/publish';
import { enqueue } from '../shared/evaluation/outbox';
import { RoundCache } from '../shared/evaluation/round-cache';
import { reportHistoryFailures } from '../shared/evaluation/history';
import { alertFields } from '../shared/domain/history';
import { historyOf, StatusPagePublisher } from '../shared/evaluation/status-page';
import { S3StatusPage } from '../shared/adapters/status-bucket';
import { ENV, FUNCTION_TIMEOUT_SECONDS } from '../shared/deployment';
import { StateCache } from '../shared/evaluation/state-cache';

/**
 * How long a sweep may spend evaluating monitors before it carries the rest to the next sweep: 35 s of the sweeper's
 * 50 s timeout, leaving the fleet check, the heartbeat and the status page their time.
 */
export const SWEEP_DEADLINE_MS = (FUNCTION_TIMEOUT_SECONDS.sweeper - 15) * 1000;
/** Monitors evaluated between two looks at the deadline. */
const SWEEP_CHUNK = 500;

export interface SweeperDeps extends HomeDeps {
  /** @default Date.now */
  now?: () => number;
  /**
   * An unclaimed pending alert written longer ago than this is published again (a claimed one only once its lease
   * has ended). @default 15000
   */
  republishAfterMs?: number;
  /**
   * Fleet hysteresis: a probe is out (silent: no round item; vetoed: its canary failed in most of its rounds) only
   * after this many whole minutes so, and back only after as many healthy ones. @default 2
   */
  fleetMinutes?: number;
  /** No silence is reported this long after the first sweep, while probe stacks deploy. @default 600000 */
  startupGraceMs?: number;
  /** Keeps the fleet's status page current after each sweep. @default none (the fleet declares no statusPage) */
  statusPage?: StatusPagePublisher;
  /** How long a warm sweeper keeps unchanged monitor states between sweeps before reading them anyway. @default STATE_CACHE_MAX_AGE_MS */
  stateCacheMaxAgeMs?: number;
  /**
   * Time (ms from the sweep's start) after which no further monitors are evaluated: the rest are carried to the next
   * sweep, which starts where this one stopped. @default SWEEP_DEADLINE_MS (35 s)
   */
  deadlineMs?: number;
  /** Monitors evaluated between two looks at the deadline. @default 500 */
  evaluationChunk?: number;
  /** When a sweep that started at `startedAt` stops publishing (the rest is carried). @default publishDeadline('sweeper', startedAt) */
  publishDeadline?: (startedAt: number) => number;
}

export interface SweepSummary {
  republished: number;
  republishFailures: number;
  /** Alerts left pending at the publish deadline (claims given back), for the next sweep: republished, raised and fleet alerts. */
  alertsCarried: number;
  evaluation: EvaluationSummary;
  /** Monitors left for the next sweep when the deadline came (the next sweep starts with them). */
  carried: number;
  /** State shards read from the table (the others were cached and unchanged). */
  stateShardsRead: number;
  silent: string[];
  vetoed: string[];
  fleetAlerts: string[];
  /** States that could not be read or written in this sweep (the rest of the sweep went on). */
  stateFailures: number;
  /** History events that could not be written (each logged; the pages went on). */
  historyFailures: number;
  /** Whether the heartbeat the probe regions' watchdogs read was written. */
  heartbeat: 'written' | 'failed';
  /** What became of the status page (absent without one). */
  statusPage?: 'written' | 'unchanged' | 'failed';
}

export type SweeperHandler = (event?: unknown) => Promise<SweepSummary>;

export function createSweeperHandler(deps: SweeperDeps): SweeperHandler {
  const now = deps.now ?? Date.now;
  // Lives as long as the warm function: a sweep reads the generation and only the state shards that changed since the
  // last one (a cold start reads them all once).
  const stateCache = new StateCache(deps.store, deps.stateCacheMaxAgeMs);
  // Where the next sweep starts evaluating: after the last monitor a sweep cut short by its deadline reached.
  let offset = 0;

  return async () => {
    const at = now();
    const { store, log } = deps;
    const claim = claimFor('sweeper', at);
    // Publishing stops before the timeout: what is left stays pending, claims given back, for the next sweep.
    const deadline = (deps.publishDeadline ?? ((startedAt) => publishDeadline('sweeper', startedAt)))(at);
    // A state that cannot be read or written is counted and logged, and the sweep goes on: one monitor's item never
    // stops the others, nor the fleet check that says when probes went silent.
    let stateFailures = 0;
    const failed = (message: string, error: unknown, extra: Record<string, unknown> = {}) => {
      stateFailures += 1;
      log.error(message, { ...extra, error: (error as Error).message });
    };
    let stateShardsRead = 0;
    const states = await stateCache.get(at).then(({ states: read, read: shards }) => {
      stateShardsRead = shards.length;
      return read;
    }, (error: unknown) => {
      failed('Reading the monitor states failed; the monitors wait for the next sweep, the fleet check goes on', error);
      return undefined;
    });
    const fleetRead = await store.readFleetState().then((stored) => ({ stored }), (error: unknown) => {
      failed('Reading the fleet state failed; the fleet waits for the next sweep', error);
      return undefined;
    });
    const fleetStored = fleetRead?.stored;

    // 1. Alerts recorded but never published (publish failed, or the function died in between).
    const again = await republishAbandoned(deps, states ?? new Map(), fleetStored, at, deps.republishAfterMs ?? 15_000, claim, now, deadline);

    // 2. Every monitor at its latest round whose grace has expired: missing regions are now silent, reminders
    //    and maintenance ends are due even when no result arrives. Bounded in time: from where the last sweep
    //    stopped, chunk by chunk until the deadline; the rest is carried to the next sweep.
    const rounds = new RoundCache(store, log, roundPartitions(deps.fleet));
    const monitors = deps.fleet.monitors;
    const start = monitors.length === 0 ? 0 : offset % monitors.length;
    const targets = [...monitors.slice(start), ...monitors.slice(0, start)].map((monitor) => ({ monitor, instant: roundInstant(at - graceMs(monitor.interval), monitor.interval) }));
    const silences = states ? await store.readSilences().catch((error: unknown) => {
      failed('Reading the silences failed; the monitors wait for the next sweep, the fleet check goes on', error);
      return undefined;
    }) : undefined;
    const evaluation: EvaluationSummary = { evaluated: 0, writes: 0, transitions: 0, conflicts: 0, alerts: 0, published: 0, publishFailures: 0, alertsCarried: 0, dropped: 0, failures: [] };
    let carried = 0;
    if (states && silences) {
      const chunk = Math.max(1, deps.evaluationChunk ?? SWEEP_CHUNK);
      const evaluateUntil = at + (deps.deadlineMs ?? SWEEP_DEADLINE_MS);
      let done = 0;
      // At least one chunk a sweep, so every monitor is reached however short the deadline.
      while (done < targets.length && (done === 0 || now() < evaluateUntil)) {
        const part = await evaluateMonitors(deps, targets.slice(done, done + chunk), at, { states, rounds, claim, clock: now, silences, deadline });
        for (const key of ['evaluated', 'writes', 'transitions', 'conflicts', 'alerts', 'published', 'publishFailures', 'alertsCarried', 'dropped'] as const) evaluation[key] += part[key];
        evaluation.failures.push(...part.failures);
        done = Math.min(targets.length, done + chunk);
      }
      carried = targets.length - done;
      offset = start + done;
      if (carried > 0) log.warn('Sweep deadline reached; the remaining monitors are evaluated first by the next sweep', { evaluated: done, carried });
    }
    // States this sweep failed on are read afresh by the next one.
    if (evaluation.failures.length > 0) stateCache.invalidate();
    stateFailures += evaluation.failures.length;

    // 3. The fleet: which probes wrote nothing lately, and whose canary fails.
    const fleetAlerts: string[] = [];
    let fleetPublishFailures = 0;
    let fleetCarried = 0;
    let observation: FleetObservation = { instant: 0, silent: [], vetoed: [], unknownMonitors: [] };
    if (fleetRead) {
      try {
        // Whole minutes, closed (every round of the latest written, with its grace): a probe is judged by all its
        // rounds of each, so one lost packet in a lossy region's canary round never pages the fleet.
        const latestMinute = roundInstant(at - graceMs(60), 60);
        const count = deps.fleetMinutes ?? 2;
        const minutes = Array.from({ length: count }, (_, k) => latestMinute - k * MINUTE_MS);
        const instants = minutes.flatMap((minute) => instantsInMinute(minute, deps.fleet.monitors));
        const createdAt = fleetStored?.state.createdAt ?? at;
        observation = observeFleet(deps.fleet, {
          instant: latestMinute,
          records: (await Promise.all(instants.map((instant) => rounds.get(instant)))).flat(),
          starting: at - createdAt < (deps.startupGraceMs ?? 600_000),
          minutes: count,
          out: fleetStored?.state.notified ?? {},
        });
        const step = nextFleet(fleetStored?.state ?? initialFleetState(createdAt), observation, at);
        if (step.changed || !fleetStored) {
          const writtenAt = now();
          const { pending, dropped } = enqueue(fleetStored?.pending ?? {}, step.alerts, writtenAt, claim);
          for (const { alert, why } of dropped) log.error(`Undelivered fleet alert dropped (${why})`, { alertId: alert.alertId, kind: alert.kind });
          const history = [
            ...step.alerts.map((alert) => ({ fields: alertFields(alert, 'pending'), monitor: 'fleet', at: writtenAt })),
            ...dropped.map(({ alert }) => ({ fields: alertFields(alert, 'dropped'), monitor: 'fleet', at: writtenAt })),
          ];
          const written = await store.writeFleetState(step.state, fleetStored?.state.version ?? 0, pending, history);
          if (written === 'written') {
            for (const alert of step.alerts) {
              fleetAlerts.push(alert.subject);
              log.info('Fleet changed', { kind: alert.kind, alertId: alert.alertId, silent: observation.silent, vetoed: observation.vetoed, unknownMonitors: observation.unknownMonitors.length });
            }
            // Older fleet alerts still pending go first, so none is overtaken.
            const raised = new Set(step.alerts.map(pendingKey));
            const toPublish = raised.size === 0 ? [] : Object.entries(pending).map(([key, entry]) => ({ target: 'fleet' as const, key, entry, claimed: raised.has(key) }));
            const fleetOutcome = await publishAll(deps, toPublish, claim, at, { clock: now, deadline });
            fleetPublishFailures = fleetOutcome.failures;
            fleetCarried = fleetOutcome.carried;
          } else {
            log.warn('Fleet state changed under the sweeper; the next sweep decides again', {});
          }
        }
      } catch (error) {
        failed('Checking the fleet failed; the next sweep checks it again', error);
      }
    }

    // 4. The heartbeat the probe regions' watchdogs read: this sweep ran, so the home pipeline is alive. Written every
    //    sweep, whatever failed above (a failure there is paged or logged by the pipeline itself).
    const heartbeat = await store.writeHeartbeat(at).then(() => 'written' as const, (error: unknown) => {
      log.error('Writing the heartbeat failed; the probe regions may see the home pipeline as stale', { error: (error as Error).message });
      return 'failed' as const;
    });

    const historyFailures = reportHistoryFailures(store, log);
    // 5. The status page, from the states as this sweep left them; a failure is logged and the next sweep tries again.
    let statusPage: SweepSummary['statusPage'];
    if (deps.statusPage) {
      statusPage = await deps.statusPage.update(store, deps.fleet, at, states).catch((error: unknown) => {
        log.error('Updating the status page failed; the next sweep tries again', { error: (error as Error).message });
        return 'failed' as const;
      });
    }

    const { silent, vetoed, unknownMonitors } = observation;
    const alertsCarried = again.carried + evaluation.alertsCarried + fleetCarried;
    const summary: SweepSummary = {
      republished: again.published, republishFailures: again.failures, alertsCarried, evaluation, carried, stateShardsRead, silent, vetoed, fleetAlerts, stateFailures, historyFailures, heartbeat, ...(statusPage ? { statusPage } : {}),
    };
    log.info('Swept', { ...summary, evaluation: { ...evaluation, failures: evaluation.failures.map((f) => f.monitorId) } });
    emitCounts(deps.metrics, 'sweeper', {
      republished: again.published, publishFailures: again.failures + evaluation.publishFailures + fleetPublishFailures,
      transitions: evaluation.transitions, silentProbes: silent.length, vetoedProbes: vetoed.length, unknownMonitors: unknownMonitors.length,
      alertsCarried, stateFailures, historyFailures,
    });
    return summary;
  };
}

/**
 * Publishes every pending alert provably abandoned at `at`: claimed under a lease that has ended, or unclaimed and
 * written more than `afterMs` ago (younger ones may be in the hands of a publisher that is about to claim them).
 * Each is claimed before it is published, so two sweeps or a sweep and an aggregator never both send it.
 * Applies what it changed to `states` and `fleet`.
 */
async function republishAbandoned(
  deps: SweeperDeps,
  states: Map<string, StoredState<MonitorState>>,
  fleet: StoredState<FleetState> | undefined,
  at: number,
  afterMs: number,
  claim: Claim,
  clock: () => number,
  deadline: number,
): Promise<PublishOutcome> {
  // Every pending alert is handed over: publishAll takes each item's in order and stops at the first not abandoned.
  const republish: PendingPublish[] = [];
  for (const [monitorId, stored] of states) for (const [key, entry] of Object.entries(stored.pending)) republish.push({ target: { monitorId }, key, entry });
  for (const [key, entry] of Object.entries(fleet?.pending ?? {})) republish.push({ target: 'fleet', key, entry });
  // The incident book's alerts too (its item alone, not the member pages).
  const book = await deps.store.readIncidentBookItem().catch((error: unknown) => {
    deps.log.error('Reading the incident book failed; its pending alerts wait for the next sweep', { error: (error as Error).message });
    return undefined;
  });
  for (const [key, entry] of Object.entries(book?.pending ?? {})) republish.push({ target: 'incidents', key, entry });
  const outcome = await publishAll(deps, republish, claim, at, { unclaimedAfterMs: afterMs, clock, deadline });
  applyOutboxChanges(states, outcome.changes.filter((c) => typeof c.target !== 'string'));
  if (fleet) {
    const copies = new Map([['fleet', fleet]]);
    applyOutboxChanges(copies, outcome.changes.filter((c) => c.target === 'fleet'));
    Object.assign(fleet, copies.get('fleet'));
  }
  return outcome;
}

/** Deps from the function's environment. */
export function sweeperDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SweeperDeps {
  const bucket = env[ENV.statusBucket];
  const region = env[ENV.tableRegion] ?? env.AWS_REGION;
  const home = homeDepsFromEnv('sweeper', env);
  return {
    ...home,
    ...(bucket ? { statusPage: new StatusPagePublisher(new S3StatusPage(bucket, { ...(region ? { region } : {}) }), historyOf(home.store, home.fleet, { cache: true })) } : {}),
  };
}

let lazy: SweeperHandler | undefined;
export const handler: SweeperHandler = (event) => (lazy ??= createSweeperHandler(sweeperDepsFromEnv()))(event);
