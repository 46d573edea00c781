// The outbox of one state item: which raised alerts stay pending, so an item holds a bounded number whatever the SNS outage.
import type { AlertMessage } from '../domain/alert';
import { pendingKey, type Claim, type PendingAlert } from '../adapters/store';

/**
 * Pending alerts one state item may hold. Reminders never stack (one at most), so only a target that flaps through
 * five DOWN/UP pairs while nothing can be delivered reaches it; the oldest then give way to the newest.
 */
export const MAX_PENDING_ALERTS = 10;
/** What a state item's pending alerts may take, far below DynamoDB's 400 KB item limit. */
export const MAX_PENDING_BYTES = 64 * 1024;

/** Alert kinds that announce a verdict: a newer one makes a pending reminder of the older verdict moot. */
const VERDICT_KINDS: readonly AlertMessage['kind'][] = ['DOWN', 'UP', 'DEGRADED'];

export interface Enqueued {
  pending: Record<string, PendingAlert>;
  /** Older undelivered alerts the new ones replaced (reminders) or pushed out (the bound). */
  dropped: { alert: AlertMessage; why: 'replaced' | 'bound' }[];
}

/**
 * Records `alerts` (raised by one state change, written at `writtenAt` under `claim`) among an item's pending ones:
 * a reminder replaces any older unsent reminder; a verdict page (DOWN, UP, DEGRADED) makes unsent reminders moot;
 * DOWN, UP and the rest stay, in the order they were raised, each delivered — unless the item would then hold more
 * than MAX_PENDING_ALERTS or MAX_PENDING_BYTES, when the oldest go first. Pure.
 */
export function enqueue(before: Readonly<Record<string, PendingAlert>>, alerts: readonly AlertMessage[], writtenAt: number, claim: Claim): Enqueued {
  const pending: Record<string, PendingAlert> = { ...before };
  const dropped: Enqueued['dropped'] = [];
  const drop = (key: string, why: 'replaced' | 'bound') => {
    dropped.push({ alert: pending[key]!.alert, why });
    delete pending[key];
  };
  for (const alert of alerts) {
    if (alert.kind === 'REMINDER' || VERDICT_KINDS.includes(alert.kind)) {
      for (const [key, entry] of Object.entries(pending)) if (entry.alert.kind === 'REMINDER') drop(key, 'replaced');
    }
    pending[pendingKey(alert)] = { alert, since: writtenAt, claim };
  }
  const size = (entry: PendingAlert) => JSON.stringify(entry.alert).length + 100;
  let bytes = Object.values(pending).reduce((sum, entry) => sum + size(entry), 0);
  for (const [key, entry] of inOrder(pending)) {
    if (Object.keys(pending).length <= MAX_PENDING_ALERTS && bytes <= MAX_PENDING_BYTES) break;
    // The newest alert (what the state now says) is never pushed out.
    if (Object.keys(pending).length === 1) break;
    bytes -= size(entry);
    drop(key, 'bound');
  }
  return { pending, dropped };
}

/** Pending alerts in the order they were raised: by when they were written, then by round, reminder sequence and key. */
export function inOrder(pending: Readonly<Record<string, PendingAlert>>): [string, PendingAlert][] {
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return Object.entries(pending).sort(([ka, a], [kb, b]) =>
    a.since - b.since || text(a.alert.round, b.alert.round) || a.alert.sequence - b.alert.sequence || text(ka, kb));
}
