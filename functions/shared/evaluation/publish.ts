// Publishing alerts recorded as pending, and clearing each one that went out.
import type { AlertMessage } from '../domain/alert';
import type { HomeDeps } from '../adapters/home-deps';
import type { PendingTarget } from '../adapters/store';
import { forEachConcurrently, PUBLISH_CONCURRENCY } from './concurrency';

/** An alert to publish and where it is recorded as pending. */
export interface PendingPublish {
  target: PendingTarget;
  /** Its key among the target's pending alerts (pendingKey). */
  key: string;
  alert: AlertMessage;
}

export interface PublishOutcome {
  published: number;
  failures: number;
  /** The pending entries cleared after their publish, with the item's version the clear moved it to. */
  cleared: (Omit<PendingPublish, 'alert'> & { version: number })[];
}

/** Publishes alerts already recorded as pending and clears each one that went out; a failure leaves it for the sweeper. */
export async function publishAll(
  deps: Pick<HomeDeps, 'publisher' | 'store' | 'log'>,
  alerts: readonly PendingPublish[],
): Promise<PublishOutcome> {
  const cleared: PublishOutcome['cleared'] = [];
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
      const version = await deps.store.clearPending(target, key);
      if (version !== undefined) cleared.push({ target, key, version });
    } catch (error) {
      // Published but still marked pending: the sweeper sends it again, and subscribers dedupe on alertId.
      deps.log.warn('Clearing a published alert failed; it may be sent twice', { alertId: alert.alertId, error: (error as Error).message });
    }
  });
  // Once per pass, after the state writes before it and the clears here: what cached states are checked against.
  await deps.store.commitStateGeneration();
  return { published, failures, cleared };
}
