// Publishing alerts recorded as pending: under a claim (a lease written before publishing), cleared once each went out.
import { randomUUID } from 'node:crypto';
import type { HomeDeps } from '../adapters/home-deps';
import type { Claim, HistoryRecord, PendingAlert, PendingTarget, StoredState } from '../adapters/store';
import { batchBytes, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, type BatchEntryResult } from '../adapters/publisher';
import { FUNCTION_TIMEOUT_SECONDS, PUBLISH_DEADLINE_MARGIN_MS } from '../deployment';
import { PUBLISH_CONCURRENCY } from './concurrency';
import { inOrder } from './outbox';
import { deliveryRecord } from './history';

/**
 * How far a claim's lease runs past the end of its owner's invocation: room for clock differences between function
 * instances (NTP keeps them within milliseconds) and for a publish the SDK had already sent when the function ended.
 */
const CLAIM_MARGIN_MS = 30_000;

/**
 * The claim a pass started at `startedAt` writes on the alerts it raises or takes over. Its lease ends after the
 * function's timeout (and a margin), counted from the invocation's start or later, so when it has expired the
 * owner's invocation has ended: the alert is provably abandoned and the sweeper may publish it.
 */
export function claimFor(kind: 'aggregate' | 'sweeper', startedAt: number): Claim {
  return { owner: `${kind}:${randomUUID()}`, until: startedAt + FUNCTION_TIMEOUT_SECONDS[kind] * 1000 + CLAIM_MARGIN_MS };
}

/** An alert to publish and where it is recorded as pending. */
export interface PendingPublish {
  target: PendingTarget;
  /** Its key among the target's pending alerts (pendingKey). */
  key: string;
  /** The pending entry as the caller knows it. */
  entry: PendingAlert;
  /** Claimed by this caller already (written with the state that raised it); otherwise publishAll claims it first. */
  claimed?: boolean;
}

/** One change publishAll made to a pending alert: the item's new version, and the entry now (undefined: cleared). */
export interface OutboxChange {
  target: PendingTarget;
  key: string;
  version: number;
  entry: PendingAlert | undefined;
}

export interface PublishOutcome {
  published: number;
  failures: number;
  /** Alerts left for later: another publisher holds a running claim on an older alert of the same item, or took this one. */
  deferred: number;
  /** Alerts left pending at the deadline, this caller's claims on them given back: the next sweep publishes them at once. */
  carried: number;
  /** Every write made to the pending alerts, in order, for callers to apply to the copies they keep. */
  changes: OutboxChange[];
}

/** When a pass that started at `startedAt` stops publishing: its function's timeout less PUBLISH_DEADLINE_MARGIN_MS. */
export function publishDeadline(kind: 'aggregate' | 'sweeper', startedAt: number): number {
  return startedAt + FUNCTION_TIMEOUT_SECONDS[kind] * 1000 - PUBLISH_DEADLINE_MARGIN_MS;
}

type Deps = Pick<HomeDeps, 'publisher' | 'publishLimiter' | 'store' | 'log'>;

/** An item's alerts in the order they were raised, and the next one to go. */
interface Cursor {
  list: PendingPublish[];
  index: number;
}

/**
 * Publishes alerts recorded as pending, under `claim`, each item's in the order they were raised: an alert the caller
 * did not write with its claim is claimed first, if it is abandoned — its lease ended, or unclaimed and written
 * `unclaimedAfterMs` or more before `now`; each is cleared once it went out. An item's alerts stop at the first that
 * cannot go now (someone else's running claim, a failed publish): the rest wait, claims given back, so no alert ever
 * overtakes an older one of the same monitor.
 *
 * Items go side by side: the next alert of each goes in batches of up to MAX_BATCH_ENTRIES (one SNS PublishBatch,
 * never two alerts of one item, since an item's next alert is queued only once the one before it went), paced by
 * `deps.publishLimiter`. At `deadline` (by `clock`) no further batch starts: what is left is carried, pending with
 * this caller's claims given back.
 */
export async function publishAll(
  deps: Deps,
  alerts: readonly PendingPublish[],
  claim: Claim,
  now: number,
  options: {
    unclaimedAfterMs?: number;
    /** The time of each delivery, as the history records it, and what the deadline is checked against. @default () => now */
    clock?: () => number;
    /** No batch starts at or after this time (epoch ms, by `clock`). @default none */
    deadline?: number;
  } = {},
): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: 0, failures: 0, deferred: 0, carried: 0, changes: [] };
  const clock = options.clock ?? (() => now);
  const unclaimedAfterMs = options.unclaimedAfterMs ?? 0;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const items = new Map<string, PendingPublish[]>();
  for (const a of alerts) {
    const id = typeof a.target === 'string' ? a.target : `monitor#${a.target.monitorId}`;
    items.set(id, [...(items.get(id) ?? []), a]);
  }
  const queue: Cursor[] = [...items.values()].map((list) => {
    const byKey = new Map(list.map((a) => [a.key, a]));
    return { list: inOrder(Object.fromEntries(list.map((a) => [a.key, a.entry]))).map(([key]) => byKey.get(key)!), index: 0 };
  });
  let carrying = false;
  /** Leaves an item's alerts from `index` on pending for the next sweep, this caller's claims given back. */
  const carry = async (cursor: Cursor, heldHere: boolean) => {
    for (const [k, item] of cursor.list.slice(cursor.index).entries()) {
      outcome.carried += 1;
      if (item.claimed || (k === 0 && heldHere)) await release(deps, item, claim, outcome);
    }
  };

  const worker = async () => {
    while (queue.length > 0 && !carrying) {
      if (clock() >= deadline) {
        carrying = true;
        break;
      }
      const heads = queue.splice(0, MAX_BATCH_ENTRIES);
      // Each head claimed unless written with this claim; one that cannot be claimed stops its item.
      const held = await Promise.all(heads.map(async (cursor) => {
        if (await claimIfAbandoned(deps, cursor.list[cursor.index]!, claim, now, unclaimedAfterMs, outcome)) return true;
        await stopAfter(deps, cursor, claim, outcome);
        return false;
      }));
      for (const group of byPayload(heads.filter((_, k) => held[k]))) {
        const maxWaitMs = deadline - clock();
        if (carrying || maxWaitMs <= 0 || !(await (deps.publishLimiter?.acquire(group.length, maxWaitMs) ?? true))) {
          carrying = true;
          for (const cursor of group) await carry(cursor, true);
          continue;
        }
        const next = await publishGroup(deps, group, claim, clock, outcome);
        queue.push(...next);
      }
    }
  };
  // Workers that find the queue empty end while others may still queue an item's next alert: run again until done.
  while (queue.length > 0 && !carrying) await Promise.all(Array.from({ length: Math.min(PUBLISH_CONCURRENCY, queue.length) }, worker));
  for (const cursor of queue.splice(0)) await carry(cursor, false);
  // Once per pass, after the state writes before it and the clears here: what cached states are checked against.
  await deps.store.commitStateGeneration();
  return outcome;
}

/** Splits items' next alerts into batches of at most MAX_BATCH_ENTRIES and MAX_BATCH_BYTES. */
function byPayload(cursors: readonly Cursor[]): Cursor[][] {
  const groups: Cursor[][] = [];
  let group: Cursor[] = [];
  let bytes = 0;
  for (const cursor of cursors) {
    const size = batchBytes(cursor.list[cursor.index]!.entry.alert);
    if (group.length > 0 && (group.length >= MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(cursor);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * Claims an alert unless the caller wrote it with its claim; true when the caller holds it now. Counts a deferral
 * (someone else's running claim, or taken first) or a failure otherwise.
 */
async function claimIfAbandoned(deps: Deps, item: PendingPublish, claim: Claim, now: number, unclaimedAfterMs: number, outcome: PublishOutcome): Promise<boolean> {
  const { target, key, entry } = item;
  if (item.claimed || entry.claim?.owner === claim.owner) return true;
  const abandoned = entry.claim ? entry.claim.until < now : entry.since <= now - unclaimedAfterMs;
  if (!abandoned) {
    outcome.deferred += 1;
    return false;
  }
  let version;
  try {
    version = await deps.store.claimPending(target, key, claim, now);
  } catch (error) {
    outcome.failures += 1;
    deps.log.error('Claiming a pending alert failed; it stays pending for the sweeper', { alertId: entry.alert.alertId, sequence: entry.alert.sequence, error: (error as Error).message });
    return false;
  }
  if (version === undefined) {
    outcome.deferred += 1;
    return false;
  }
  const { claim: _held, ...unclaimed } = entry;
  outcome.changes.push({ target, key, version, entry: { ...unclaimed, claim } });
  return true;
}

/**
 * Publishes one alert of each item in `group` (one request: Publish for one, PublishBatch for more), clears the ones
 * that went and gives back the claims on the ones that did not (their items stop). Returns the items with an alert
 * still to go.
 */
async function publishGroup(deps: Deps, group: readonly Cursor[], claim: Claim, clock: () => number, outcome: PublishOutcome): Promise<Cursor[]> {
  const alerts = group.map((cursor) => cursor.list[cursor.index]!.entry.alert);
  let results: BatchEntryResult[];
  if (group.length > 1 && deps.publisher.publishBatch) {
    results = await deps.publisher.publishBatch(alerts).catch((error: unknown) => alerts.map(() => ({ ok: false as const, error: (error as Error).message })));
  } else {
    // One at a time, as a publisher without batches (the local sinks) was always called: PUBLISH_CONCURRENCY in all.
    results = [];
    for (const alert of alerts) {
      results.push(await deps.publisher.publish(alert).then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error: (error as Error).message }),
      ));
    }
  }
  const publishedAt = clock();
  const history: HistoryRecord[] = [];
  const next: Cursor[] = [];
  await Promise.all(group.map(async (cursor, k) => {
    const item = cursor.list[cursor.index]!;
    const { alert } = item.entry;
    const result = results[k]!;
    // Taken over from a pass that raised it and could not publish it (or died): the history says republished.
    const republished = !item.claimed;
    if (!result.ok) {
      outcome.failures += 1;
      deps.log.error('Alert publish failed; it stays pending for the sweeper', {
        alertId: alert.alertId, sequence: alert.sequence, kind: alert.kind, monitor: alert.monitor?.id ?? (alert.incident ? 'incident' : 'fleet'), error: result.error,
        ...(group.length > 1 ? { batch: group.length } : {}),
      });
      await release(deps, item, claim, outcome);
      history.push(deliveryRecord(alert, claim, publishedAt, { republished, error: result.error }));
      await stopAfter(deps, cursor, claim, outcome);
      return;
    }
    outcome.published += 1;
    try {
      const version = await deps.store.clearPending(item.target, item.key);
      if (version !== undefined) outcome.changes.push({ target: item.target, key: item.key, version, entry: undefined });
    } catch (error) {
      // Published but still pending under our claim: the sweeper sends it again after the lease, and subscribers dedupe on alertId.
      deps.log.warn('Clearing a published alert failed; it may be sent twice', { alertId: alert.alertId, error: (error as Error).message });
    }
    history.push(deliveryRecord(alert, claim, publishedAt, { republished }));
    if (cursor.index + 1 < cursor.list.length) next.push({ list: cursor.list, index: cursor.index + 1 });
  }));
  // After the clears: the record of a delivery never delays the next alert's, and a failure to write it is reported.
  if (history.length > 0) await deps.store.recordHistory(history);
  return next;
}

/** The alerts of an item after one that failed: they wait for the sweeper, in order; the ones this caller wrote are given back. */
async function stopAfter(deps: Deps, cursor: Cursor, claim: Claim, outcome: PublishOutcome): Promise<void> {
  const rest = cursor.list.slice(cursor.index + 1);
  outcome.deferred += rest.length;
  for (const later of rest) if (later.claimed) await release(deps, later, claim, outcome);
}

/** Gives this caller's claim on an alert back, so the sweeper may take it without waiting out the lease. */
async function release(deps: Pick<HomeDeps, 'store' | 'log'>, item: PendingPublish, claim: Claim, outcome: PublishOutcome): Promise<void> {
  const { claim: _held, ...unclaimed } = item.entry;
  try {
    const version = await deps.store.releaseClaim(item.target, item.key, claim.owner);
    if (version !== undefined) outcome.changes.push({ target: item.target, key: item.key, version, entry: unclaimed });
  } catch (error) {
    deps.log.warn('Releasing the claim on an unpublished alert failed; the sweeper retries it once the lease ends', { alertId: item.entry.alert.alertId, error: (error as Error).message });
  }
}

/**
 * Applies publishAll's changes to in-memory copies of state items (by monitor id, 'fleet' or 'incidents'): each item's version
 * moved, and each entry is cleared or carries its claim as now stored, so a later write in the same pass from the
 * copy neither loses its condition to these writes nor undoes them.
 */
export function applyOutboxChanges<S extends { version: number }>(copies: Map<string, StoredState<S>>, changes: readonly OutboxChange[]): void {
  for (const change of changes) {
    const id = typeof change.target === 'string' ? change.target : change.target.monitorId;
    const stored = copies.get(id);
    if (!stored) continue;
    const { [change.key]: _old, ...pending } = stored.pending;
    if (change.entry) pending[change.key] = change.entry;
    copies.set(id, { state: { ...stored.state, version: Math.max(stored.state.version, change.version) }, pending });
  }
}
