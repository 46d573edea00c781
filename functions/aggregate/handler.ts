// The aggregator: fed by the table's stream, evaluates the monitors of each round item against every region's results.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { StoreError } from '../shared/domain';
import { roundPartitions, type RoundRecord } from '../shared/domain/record';
import { homeDepsFromEnv, type HomeDeps } from '../shared/adapters/home-deps';
import { recordFailedRecords } from '../shared/adapters/failed-records';
import { readStreamRecord, type StreamItem } from '../shared/adapters/stream-record';
import { emitCounts } from '../shared/adapters/observability';
import { evaluateMonitors, monitorsById, probedBy, type EvaluationSummary, type EvaluationTarget } from '../shared/evaluation/evaluate';
import { claimFor, publishDeadline } from '../shared/evaluation/publish';
import { RoundCache } from '../shared/evaluation/round-cache';
import { instantText, roundItemProblem } from './round-check';
import { StateCache } from '../shared/evaluation/state-cache';
import { stateShardsOf } from '../shared/domain/state-shards';
import type { StoredState } from '../shared/adapters/store';
import type { MonitorState } from '../shared/domain/verdict';
import { reportHistoryFailures } from '../shared/evaluation/history';
import type { Silence } from '../shared/domain/silence';
import { roundInstant } from '../shared/domain/rounds';
import type { WatchEvent } from '../shared/domain/watch';

export interface AggregateDeps extends HomeDeps {
  /** @default Date.now */
  now?: () => number;
  /** How long a warm aggregator keeps unchanged monitor states before reading them anyway. @default STATE_CACHE_MAX_AGE_MS */
  stateCacheMaxAgeMs?: number;
  /** When an invocation that started at `startedAt` stops publishing (the rest is carried). @default publishDeadline('aggregate', startedAt) */
  publishDeadline?: (startedAt: number) => number;
}

export type AggregateHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * Records are grouped by round: each round is evaluated once, oldest first, for every monitor any of its records
 * names. Powertools' batch processor reports the failures — a malformed record alone, every record of a round whose
 * evaluation failed — so Lambda retries those and never the rest.
 */
export function createAggregateHandler(deps: AggregateDeps): AggregateHandler {
  const now = deps.now ?? Date.now;
  const monitors = monitorsById(deps.fleet);
  // Lives as long as the warm function: the handler is created once per container.
  const stateCache = new StateCache(deps.store, deps.stateCacheMaxAgeMs);

  return async (event) => {
    const started = now();
    // Written with every alert this invocation raises, before it publishes it: the sweeper leaves it alone until the lease ends.
    const claim = claimFor('aggregate', started);
    // Publishing stops before the timeout: what is left stays pending, claims given back, for the next sweep.
    const deadline = (deps.publishDeadline ?? ((at) => publishDeadline('aggregate', at)))(started);
    const items = new Map<DynamoDBRecord, StreamItem>();
    const byInstant = new Map<number, RoundRecord[]>();
    const watchEvents: WatchEvent[] = [];
    const receivedAt = now();
    event.Records.forEach((record, position) => {
      let item = readStreamRecord(record);
      const where = { position, batchSize: event.Records.length, item: itemKey(record), sequenceNumber: record.dynamodb?.SequenceNumber, eventId: record.eventID };
      if (item.kind === 'round') {
        // A poison item (foreign, far ahead, out of range) is reported alone, before it can reach any evaluation.
        const problem = roundItemProblem(item.round, deps.fleet, receivedAt);
        if (problem !== undefined) {
          deps.log.error('Round item rejected and reported as a batch item failure', {
            ...where, region: item.round.region, group: item.round.group, round: instantText(item.round.instant), error: problem,
          });
          item = { kind: 'unreadable', error: new Error(`${where.item}: ${problem}`) };
        }
      } else if (item.kind === 'unreadable') {
        deps.log.error('Unreadable stream record reported as a batch item failure', { ...where, error: item.error.message });
      }
      items.set(record, item);
      if (item.kind === 'round') byInstant.set(item.round.instant, [...(byInstant.get(item.round.instant) ?? []), item.round]);
      if (item.kind === 'watch') watchEvents.push(item.event);
    });

    const totals: Omit<EvaluationSummary, 'failures'> & { rounds: number } = {
      rounds: 0, evaluated: 0, writes: 0, transitions: 0, alerts: 0, published: 0, publishFailures: 0, alertsCarried: 0, conflicts: 0, dropped: 0,
    };
    const rounds = new RoundCache(deps.store, deps.log, roundPartitions(deps.fleet));
    // The states of the state shards this invocation needed so far (each shard read once, from the cache when its
    // counter did not move), kept up to date by the evaluations themselves.
    const states = new Map<string, StoredState<MonitorState>>();
    const loaded = new Set<number>();
    let statesCached = true;
    let stateShardsRead = 0;
    let silences: Silence[] | undefined;
    /**
     * Evaluates targets with the invocation's states and silences (each read once). Only the state shards of the
     * targets (and of the monitors they depend on, which the incident gate looks at) are read. The other monitors'
     * changes are written and their alerts sent; a failure (the store throttling beyond retries, a conflict storm)
     * forgets what was read and is thrown, so the caller's records are reported for retry.
     */
    const evaluate = async (targets: readonly EvaluationTarget[], what: 'monitor(s) of the round' | 'watched monitor(s)'): Promise<void> => {
      try {
        const needed = stateShardsOf(targets.flatMap((t) => [t.monitor.id, ...(t.monitor.dependsOn ?? [])])).filter((k) => !loaded.has(k));
        if (needed.length > 0) {
          const got = await stateCache.get(now(), needed);
          for (const [id, stored] of got.states) states.set(id, stored);
          for (const k of needed) loaded.add(k);
          statesCached &&= got.cached;
          stateShardsRead += got.read.length;
        }
        // Once per invocation: a silence set a moment ago holds pages from the next batch on.
        silences ??= await deps.store.readSilences();
        const summary = await evaluateMonitors(deps, [...targets], now(), { states, rounds, claim, clock: now, silences, deadline });
        if (what === 'monitor(s) of the round') totals.rounds += 1;
        for (const key of ['evaluated', 'writes', 'transitions', 'alerts', 'published', 'publishFailures', 'alertsCarried', 'conflicts', 'dropped'] as const) totals[key] += summary[key];
        if (summary.failures.length > 0) {
          const [first] = summary.failures;
          throw new StoreError(`${summary.failures.length} ${what} could not be evaluated, first '${first!.monitorId}': ${first!.error.message}`, { cause: first!.error });
        }
      } catch (error) {
        stateCache.invalidate([...loaded]);
        states.clear();
        loaded.clear();
        silences = undefined;
        rounds.clear();
        throw error;
      }
    };
    const evaluateRound = async (instant: number, records: readonly RoundRecord[]): Promise<void> => {
      const targets = new Map<string, EvaluationTarget>();
      for (const record of records) {
        for (const id of Object.keys(record.results)) {
          const monitor = monitors.get(id);
          // Results for monitors no longer declared (a deploy in progress) are ignored.
          if (monitor && probedBy(monitor, record.group)) targets.set(id, { monitor, instant });
        }
      }
      try {
        await evaluate([...targets.values()], 'monitor(s) of the round');
      } catch (error) {
        // This line must not throw itself, whatever was thrown or whatever the round.
        deps.log.error('Evaluating a round failed; its records are reported for retry', {
          round: instantText(instant), records: records.length, error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      }
    };
    const evaluations = oneAfterAnother([...byInstant].sort(([a], [b]) => a - b), evaluateRound);
    // Watch events (watch mode), after the batch's rounds: each watched monitor they name is evaluated once, at its
    // latest round, with its regions' recent watch events read from the table (the other regions' may be in the table
    // already, or in this batch).
    const watchEvaluation = watchEvents.length === 0 ? undefined : Promise.allSettled([...evaluations.values()]).then(async () => {
      const targets = new Map<string, EvaluationTarget>();
      for (const event of watchEvents) {
        const monitor = monitors.get(event.monitor);
        if (monitor?.watch === true && monitor.group === event.group) targets.set(monitor.id, { monitor, instant: roundInstant(Math.min(event.at, now()), monitor.interval), watch: true });
      }
      if (targets.size === 0) return;
      try {
        await evaluate([...targets.values()], 'watched monitor(s)');
      } catch (error) {
        deps.log.error('Evaluating watch events failed; their records are reported for retry', { events: watchEvents.length, error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    });
    watchEvaluation?.catch(() => undefined);

    const errors = new Map<string, string>();
    const response = await processPartialResponse(event, async (record: DynamoDBRecord) => {
      try {
        const item = items.get(record);
        if (item === undefined) throw new Error('the batch processor handed over a record the aggregator did not read');
        if (item.kind === 'unreadable') throw item.error;
        if (item.kind === 'round') await evaluations.get(item.round.instant);
        if (item.kind === 'watch') await watchEvaluation;
      } catch (error) {
        errors.set(record.dynamodb?.SequenceNumber ?? '', (error as Error).message);
        throw error;
      }
    }, new BatchProcessor(EventType.DynamoDBStreams), { throwOnFullBatchFailure: false });
    // Kept beyond the stream's 24 h: what failed, why and how often, with the image to redrive it from.
    const failedRecords = event.Records
      .filter((r) => response.batchItemFailures.some((f) => f.itemIdentifier === r.dynamodb?.SequenceNumber))
      .map((record) => ({ record, error: errors.get(record.dynamodb?.SequenceNumber ?? '') ?? 'reported failed' }));
    if (failedRecords.length > 0) {
      for (const error of await recordFailedRecords(deps.store.client, deps.store.tableName, failedRecords, now())) deps.log.error(error);
    }

    // This invocation's own changes moved the counters of their shards (publishAll commits them): the next get re-reads
    // those shards only. Were that move to fail, the cache ages out, and conditional writes guard every change meanwhile.
    const failed = response.batchItemFailures.length;
    const skipped = [...items.values()].filter((item) => item.kind === 'skip').length;
    const olderLayout = [...items.values()].filter((item) => item.kind === 'skip' && item.reason === 'older-layout').length;
    if (olderLayout > 0) deps.log.warn('Round items of the layout before version 3 skipped: a probe region still runs the previous version', { records: olderLayout });
    const historyFailures = reportHistoryFailures(deps.store, deps.log);
    deps.log.info('Batch aggregated', { records: event.Records.length, skipped, failed, ...totals, historyFailures, statesCached: statesCached && loaded.size > 0, stateShardsRead, ms: now() - started });
    emitCounts(deps.metrics, 'aggregate', {
      streamRecords: event.Records.length, recordFailures: failed, monitorsEvaluated: totals.evaluated,
      transitions: totals.transitions, alertsPublished: totals.published, publishFailures: totals.publishFailures, alertsCarried: totals.alertsCarried, historyFailures,
    });
    return response;
  };
}

/** The item's table key as logs show it (`round#… / region#group#shard`), or '?' where the record has none. */
function itemKey(record: DynamoDBRecord): string {
  const image = record.dynamodb?.NewImage ?? record.dynamodb?.Keys;
  return `${image?.pk?.S ?? '?'} / ${image?.sk?.S ?? '?'}`;
}

/**
 * Runs `work` on each entry, each after the previous one settled; a failure does not stop the next. Returns each
 * key's own outcome (handled here, so a rejection is the business of whoever awaits it).
 */
function oneAfterAnother<K, V>(entries: readonly (readonly [K, V])[], work: (key: K, value: V) => Promise<void>): Map<K, Promise<void>> {
  const outcomes = new Map<K, Promise<void>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const [key, value] of entries) {
    const outcome = previous.then(() => work(key, value));
    previous = outcome.catch(() => undefined);
    outcomes.set(key, outcome);
  }
  return outcomes;
}

/** Deps from the function's environment. */
export function aggregateDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AggregateDeps {
  return homeDepsFromEnv('aggregate', env);
}

let lazy: AggregateHandler | undefined;
export const handler: AggregateHandler = (event) => (lazy ??= createAggregateHandler(aggregateDepsFromEnv()))(event);
