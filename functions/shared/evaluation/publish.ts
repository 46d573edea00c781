// Publishing alerts recorded as pending: under a claim (a lease written before publishing), cleared once each went out.
import { randomUUID } from 'node:crypto';
import type { HomeDeps } from '../adapters/home-deps';
import type { Claim, PendingAlert, PendingTarget, StoredState } from '../adapters/store';
import { FUNCTION_TIMEOUT_SECONDS } from '../deployment';
import { forEachConcurrently, PUBLISH_CONCURRENCY } from './concurrency';
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
  /** Every write made to the pending alerts, in order, for callers to apply to the copies they keep. */
  changes: OutboxChange[];
}

/**
 * Publishes alerts recorded as pending, under `claim`, each item's in the order they were raised (items side by
 * side): an alert the caller did not write with its claim is claimed first, if it is abandoned — its lease ended, or
 * unclaimed and written `unclaimedAfterMs` or more before `now`; each is cleared once it went out. An item's alerts
 * stop at the first that cannot go now (someone else's running claim, a failed publish): the rest wait, claims given
 * back, so no alert ever overtakes an older one of the same monitor.
 */
export async function publishAll(
  deps: Pick<HomeDeps, 'publisher' | 'store' | 'log'>,
  alerts: readonly PendingPublish[],
  claim: Claim,
  now: number,
  options: { unclaimedAfterMs?: number; /** The time of each delivery, as the history records it. @default () => now */ clock?: () => number } = {},
): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: 0, failures: 0, deferred: 0, changes: [] };
  const items = new Map<string, PendingPublish[]>();
  for (const a of alerts) {
    const id = typeof a.target === 'string' ? a.target : `monitor#${a.target.monitorId}`;
    items.set(id, [...(items.get(id) ?? []), a]);
  }
  const ordered = [...items.values()].map((list) => {
    const byKey = new Map(list.map((a) => [a.key, a]));
    return inOrder(Object.fromEntries(list.map((a) => [a.key, a.entry]))).map(([key]) => byKey.get(key)!);
  });
  await forEachConcurrently(ordered, PUBLISH_CONCURRENCY, async (list) => {
    for (const [index, item] of list.entries()) {
      if (!(await publishOne(deps, item, claim, now, options.unclaimedAfterMs ?? 0, outcome, options.clock ?? (() => now)))) {
        // Later alerts of this item wait for the sweeper, in order; the ones this caller wrote are given back.
        const rest = list.slice(index + 1);
        outcome.deferred += rest.length;
        for (const later of rest) if (later.claimed) await release(deps, later, claim, outcome);
        return;
      }
    }
  });
  // Once per pass, after the state writes before it and the clears here: what cached states are checked against.
  await deps.store.commitStateGeneration();
  return outcome;
}

/** Claims (unless the caller wrote the claim), publishes and clears one alert; false when it could not go now. */
async function publishOne(
  deps: Pick<HomeDeps, 'publisher' | 'store' | 'log'>, item: PendingPublish, claim: Claim, now: number, unclaimedAfterMs: number, outcome: PublishOutcome,
  clock: () => number,
): Promise<boolean> {
  const { target, key, entry } = item;
  const { alert } = entry;
  const { claim: _held, ...unclaimed } = entry;
  if (!item.claimed && entry.claim?.owner !== claim.owner) {
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
      deps.log.error('Claiming a pending alert failed; it stays pending for the sweeper', { alertId: alert.alertId, sequence: alert.sequence, error: (error as Error).message });
      return false;
    }
    if (version === undefined) {
      outcome.deferred += 1;
      return false;
    }
    outcome.changes.push({ target, key, version, entry: { ...unclaimed, claim } });
  }
  // Taken over from a pass that raised it and could not publish it (or died): the history says republished.
  const republished = !item.claimed;
  try {
    await deps.publisher.publish(alert);
  } catch (error) {
    outcome.failures += 1;
    deps.log.error('Alert publish failed; it stays pending for the sweeper', {
      alertId: alert.alertId, sequence: alert.sequence, kind: alert.kind, monitor: alert.monitor?.id ?? (alert.incident ? 'incident' : 'fleet'), error: (error as Error).message,
    });
    await release(deps, item, claim, outcome);
    await deps.store.recordHistory([deliveryRecord(alert, claim, clock(), { republished, error: (error as Error).message })]);
    return false;
  }
  const publishedAt = clock();
  outcome.published += 1;
  try {
    const version = await deps.store.clearPending(target, key);
    if (version !== undefined) outcome.changes.push({ target, key, version, entry: undefined });
  } catch (error) {
    // Published but still pending under our claim: the sweeper sends it again after the lease, and subscribers dedupe on alertId.
    deps.log.warn('Clearing a published alert failed; it may be sent twice', { alertId: alert.alertId, error: (error as Error).message });
  }
  // After the clear: the record of a delivery never delays the next alert's, and a failure to write it is reported.
  await deps.store.recordHistory([deliveryRecord(alert, claim, publishedAt, { republished })]);
  return true;
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
