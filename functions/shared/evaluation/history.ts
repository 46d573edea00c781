// History records the aggregator and the sweeper write: transitions with their regions, deliveries of alerts.
import type { AlertMessage } from '../domain/alert';
import type { RegionPart } from '../domain/history';
import type { RegionFlip } from '../domain/region-flips';
import type { Transition } from '../domain/verdict';
import type { Claim, HistoryRecord } from '../adapters/store';
import type { Log } from '../adapters/observability';
import type { TableStore } from '../adapters/store';

/** The record of a verdict change of `monitorId`, written at `at`. */
export function transitionRecord(monitorId: string, transition: Transition, at: number): HistoryRecord {
  const regions = transition.regions.map((r): RegionPart => ({
    region: r.region, status: r.status, ...(r.class !== undefined ? { class: r.class } : {}), ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
  }));
  return {
    monitor: monitorId, at,
    fields: {
      event: 'transition', from: transition.from, to: transition.to, round: new Date(transition.round).toISOString(),
      since: new Date(transition.since).toISOString(), regions,
      ...(transition.silenced ? { silenced: transition.silenced } : {}), ...(transition.maintenance ? { maintenance: true as const } : {}),
    },
  };
}

/** The records of regions' own changes: each at its round's instant, so writing one again is the same item. */
export function regionFlipRecords(monitorId: string, flips: readonly RegionFlip[]): HistoryRecord[] {
  return flips.map((f) => ({
    monitor: monitorId, at: f.round,
    fields: { event: 'region', region: f.region, status: f.status, round: new Date(f.round).toISOString(), ...(f.class !== undefined ? { class: f.class } : {}) },
  }));
}

/** The record of one delivery attempt of `alert` by the holder of `claim`. */
export function deliveryRecord(alert: AlertMessage, claim: Claim, at: number, outcome: { republished: boolean; error?: string }): HistoryRecord {
  const by = claim.owner.startsWith('sweeper:') ? 'sweeper' : 'aggregate';
  return {
    monitor: alert.monitor?.id ?? (alert.incident ? 'incident' : 'fleet'), at, unique: claim.owner.slice(claim.owner.indexOf(':') + 1),
    fields: {
      event: 'delivery', alertId: alert.alertId, sequence: alert.sequence, alertKind: alert.kind, outcome: outcome.error === undefined ? 'published' : 'failed',
      by, republished: outcome.republished, ...(outcome.error !== undefined ? { error: outcome.error.slice(0, 500) } : {}),
    },
  };
}

/** Logs each history event the store could not write since it was last asked; returns how many (for the metric). */
export function reportHistoryFailures(store: TableStore, log: Log): number {
  const failures = store.takeHistoryFailures();
  for (const f of failures) log.error('History event not written (the page went on without it)', { monitor: f.monitor, event: f.event, error: f.error });
  return failures.length;
}
