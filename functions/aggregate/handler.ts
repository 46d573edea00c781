// The aggregator: fed by the table's stream, evaluates the monitors of each round item against every region's results.
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { TABLE_SCHEMA } from '../shared/domain';
import { decodeRoundItem, type RoundRecord } from '../shared/domain/record';
import { homeDepsFromEnv, type HomeDeps } from '../shared/adapters/home-deps';
import { METRIC_NAMES } from '../shared/deployment';
import { StateCache } from './state-cache';
import { evaluateMonitors, monitorsById, RoundCache, type EvaluationTarget } from './evaluate';

export interface AggregateDeps extends HomeDeps {
  /** @default Date.now */
  now?: () => number;
  /** How long a warm aggregator keeps unchanged monitor states before reading them anyway. @default STATE_CACHE_MAX_AGE_MS */
  stateCacheMaxAgeMs?: number;
}

export type AggregateHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export function createAggregateHandler(deps: AggregateDeps): AggregateHandler {
  const now = deps.now ?? Date.now;
  const monitors = monitorsById(deps.fleet);
  // Lives as long as the warm function: the handler is created once per container.
  const stateCache = new StateCache(deps.store, deps.stateCacheMaxAgeMs);

  return async (event) => {
    const started = now();
    const failed = new Set<string>();
    const byInstant = new Map<number, { records: RoundRecord[]; sequenceNumbers: string[] }>();
    let skipped = 0;

    event.Records.forEach((record, position) => {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
      if (record.eventName === 'REMOVE') {
        skipped += 1; // TTL expiry
        return;
      }
      try {
        const image = record.dynamodb?.NewImage;
        if (!image) throw new Error(`${record.eventName} record has no NewImage (the stream view type must be ${TABLE_SCHEMA.streamViewType})`);
        const item = unmarshall(image as Record<string, AttributeValue>);
        if (item[TABLE_SCHEMA.kindAttribute] !== TABLE_SCHEMA.roundItemKind) {
          skipped += 1; // state items: the deployed stream filter drops them, DynamoDB Local does not
          return;
        }
        const round = decodeRoundItem(item);
        const entry = byInstant.get(round.instant) ?? { records: [], sequenceNumbers: [] };
        entry.records.push(round);
        entry.sequenceNumbers.push(sequenceNumber);
        byInstant.set(round.instant, entry);
      } catch (error) {
        failed.add(sequenceNumber);
        deps.log.error('Unreadable stream record reported as a batch item failure', {
          position, batchSize: event.Records.length, sequenceNumber, eventId: record.eventID, error: (error as Error).message,
        });
      }
    });

    const totals = { rounds: 0, evaluated: 0, writes: 0, transitions: 0, alerts: 0, published: 0, publishFailures: 0, conflicts: 0 };
    const rounds = new RoundCache(deps.store, deps.log);
    let states;
    let statesCached = false;
    for (const [instant, entry] of [...byInstant].sort(([a], [b]) => a - b)) {
      try {
        if (!states) ({ states, cached: statesCached } = await stateCache.get(now()));
        const targets = new Map<string, EvaluationTarget>();
        for (const record of entry.records) {
          for (const id of Object.keys(record.results)) {
            const monitor = monitors.get(id);
            // Results for monitors no longer declared (a deploy in progress) are ignored.
            if (monitor && monitor.group === record.group) targets.set(id, { monitor, instant });
          }
        }
        const summary = await evaluateMonitors(deps, [...targets.values()], now(), { states, rounds });
        totals.rounds += 1;
        for (const key of ['evaluated', 'writes', 'transitions', 'alerts', 'published', 'publishFailures', 'conflicts'] as const) totals[key] += summary[key];
      } catch (error) {
        // The store failed (throttling beyond retries, a conflict storm): report the round's records so Lambda retries them.
        for (const s of entry.sequenceNumbers) failed.add(s);
        states = undefined;
        stateCache.invalidate();
        rounds.clear();
        deps.log.error('Evaluating a round failed; its records are reported for retry', {
          round: new Date(instant).toISOString(), records: entry.sequenceNumbers.length, error: (error as Error).message,
        });
      }
    }

    // This invocation's own changes moved the generation; reading afresh next time is simpler than tracking them.
    if (totals.writes > 0 || totals.conflicts > 0 || totals.published > 0) stateCache.invalidate();
    deps.log.info('Batch aggregated', { records: event.Records.length, skipped, failed: failed.size, ...totals, statesCached, ms: now() - started });
    const names = METRIC_NAMES.aggregate;
    deps.metrics.count(names.streamRecords, event.Records.length);
    deps.metrics.count(names.recordFailures, failed.size);
    deps.metrics.count(names.monitorsEvaluated, totals.evaluated);
    deps.metrics.count(names.transitions, totals.transitions);
    deps.metrics.count(names.alertsPublished, totals.published);
    deps.metrics.count(names.publishFailures, totals.publishFailures);
    deps.metrics.flush();
    return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** Deps from the function's environment. */
export function aggregateDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AggregateDeps {
  return homeDepsFromEnv('aggregate', env);
}

let lazy: AggregateHandler | undefined;
export const handler: AggregateHandler = (event) => (lazy ??= createAggregateHandler(aggregateDepsFromEnv()))(event);
