// Publishing alerts recorded as pending: under a claim (a lease written before publishing), cleared once each went out.
import { randomUUID } from 'node:crypto';
import type { AlertMessage } from '../domain/alert';
import type { HomeDeps } from '../adapters/home-deps';
import type { Claim, PendingAlert, PendingTarget, StoredState } from '../adapters/store';
import { FUNCTION_TIMEOUT_SECONDS } from '../deployment';
import { forEachConcurrently, PUBLISH_CONCURRENCY } from './concurrency';

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
  /** Alerts left alone because another publisher holds a running claim on them (or they were gone). */
  skipped: number;
  /** Every write made to the pending alerts, in order, for callers to apply to the copies they keep. */
  changes: OutboxChange[];
}

/**
 * Publishes alerts already recorded as pending, each under `claim`: claims it first unless the caller wrote the claim
 * with the state, clears it once it went out, and gives the claim back when the publish failed (the sweeper retries).
 */
export async function publishAll(
  deps: Pick<HomeDeps, 'publisher' | 'store' | 'log'>,
  alerts: readonly PendingPublish[],
  claim: Claim,
  now: number,
): Promise<PublishOutcome> {
  const changes: OutboxChange[] = [];
  let published = 0;
  let failures = 0;
  let skipped = 0;
  await forEachConcurrently(alerts, PUBLISH_CONCURRENCY, async ({ target, key, entry, claimed }) => {
    const { alert } = entry;
    const { claim: _previous, ...unclaimed } = entry;
    if (!claimed) {
      let version;
      try {
        version = await deps.store.claimPending(target, key, claim, now);
      } catch (error) {
        failures += 1;
        deps.log.error('Claiming a pending alert failed; it stays pending for the sweeper', { alertId: alert.alertId, sequence: alert.sequence, error: (error as Error).message });
        return;
      }
      if (version === undefined) {
        skipped += 1;
        return;
      }
      changes.push({ target, key, version, entry: { ...unclaimed, claim } });
    }
    try {
      await deps.publisher.publish(alert);
    } catch (error) {
      failures += 1;
      deps.log.error('Alert publish failed; it stays pending for the sweeper', {
        alertId: alert.alertId, sequence: alert.sequence, kind: alert.kind, monitor: alert.monitor?.id ?? 'fleet', error: (error as Error).message,
      });
      try {
        const version = await deps.store.releaseClaim(target, key, claim.owner);
        if (version !== undefined) changes.push({ target, key, version, entry: unclaimed });
      } catch (releaseError) {
        deps.log.warn('Releasing the claim on an unpublished alert failed; the sweeper retries it once the lease ends', { alertId: alert.alertId, error: (releaseError as Error).message });
      }
      return;
    }
    published += 1;
    try {
      const version = await deps.store.clearPending(target, key);
      if (version !== undefined) changes.push({ target, key, version, entry: undefined });
    } catch (error) {
      // Published but still pending under our claim: the sweeper sends it again after the lease, and subscribers dedupe on alertId.
      deps.log.warn('Clearing a published alert failed; it may be sent twice', { alertId: alert.alertId, error: (error as Error).message });
    }
  });
  // Once per pass, after the state writes before it and the clears here: what cached states are checked against.
  await deps.store.commitStateGeneration();
  return { published, failures, skipped, changes };
}

/**
 * Applies publishAll's changes to in-memory copies of state items (by monitor id, or 'fleet'): each item's version
 * moved, and each entry is cleared or carries its claim as now stored, so a later write in the same pass from the
 * copy neither loses its condition to these writes nor undoes them.
 */
export function applyOutboxChanges<S extends { version: number }>(copies: Map<string, StoredState<S>>, changes: readonly OutboxChange[]): void {
  for (const change of changes) {
    const id = change.target === 'fleet' ? 'fleet' : change.target.monitorId;
    const stored = copies.get(id);
    if (!stored) continue;
    const { [change.key]: _old, ...pending } = stored.pending;
    if (change.entry) pending[change.key] = change.entry;
    copies.set(id, { state: { ...stored.state, version: Math.max(stored.state.version, change.version) }, pending });
  }
}
