// The history: one table item per event (a transition, an alert raised, a delivery, a silence, an ack), kept by UTC day
// with a TTL, so `portquorum history`, `report` and the status page can tell what happened and when.
import type { AlertMessage, RegionEvidence, SilenceNote } from './alert';
import type { Verdict } from './constants';
import { probeShardOf } from './probe-shards';

/** A UTC day's key: `history#YYYY-MM-DD` (its events before history shards are stored under it: the legacy partition). */
const HISTORY_PK_PREFIX = 'history#';
/**
 * How many partition keys a day's events spread over: `history#YYYY-MM-DD#<k>`, k = historyShardOf(monitor). Fixed
 * for every fleet (a fleet's growth never moves a monitor's events to another key), as state shards are.
 *
 * The model, at 100,000 monitors (bench section `scale`, docs/benchmarks.md): a whole-fleet outage writes ~133,000
 * history write units in its round (each DOWN's region changes, transition, alert and delivery), which the
 * aggregator's WRITE_CONCURRENCY (32) writes at ~10 ms each send over ~31 s in AWS: ~4,300 WCU/s, four times one
 * partition's 1,000 WCU/s when one key a day took them all. Over 16 keys: ~8,300 write units a key, ~270 WCU/s (the
 * hash's spread at 6,250 monitors a shard is about ±1 %), so even three invocations at once (one per region's round
 * key) stay under 1,000 WCU/s a key. The readers' cost: a day is at most 17 Queries (16 shards and the legacy key), a 30-day
 * `portquorum report` about 650 small Queries, 16 at a time (HISTORY_READ_CONCURRENCY in the store); 64 keys would
 * have made that 2,500 for a load no outage reaches.
 */
export const HISTORY_SHARDS = 16;
/** The item kind (TABLE_SCHEMA.kindAttribute) of history items. */
const HISTORY_KIND = 'history';
/** Days a history item is kept by default (the construct prop `historyDays`). */
export const DEFAULT_HISTORY_DAYS = 400;
/** Bounds of `historyDays`. */
export const HISTORY_DAYS_BOUNDS = { min: 1, max: 3650 } as const;

const DAY_MS = 86_400_000;

/** A region's part in a transition's round (what the report's per-region figures and the status page read). */
export interface RegionPart {
  region: string;
  status: RegionEvidence['status'];
  class?: string;
  latencyMs?: number;
}

/** What a verdict change records. */
interface TransitionFields {
  event: 'transition';
  from: Verdict;
  to: Verdict;
  /** ISO instant of the round that decided it. */
  round: string;
  /** ISO instant the new verdict began (the round it was first seen in; hysteresis may have waited a few rounds). */
  since: string;
  regions: RegionPart[];
  /** The monitor was silenced: the change was not paged then. */
  silenced?: SilenceNote;
  /** The monitor was inside a maintenance window: the change was not paged then. */
  maintenance?: true;
}

/**
 * What raising an alert records. `disposition`: `pending` (written to the outbox, to be published), `held` (raised
 * inside a silence: recorded, never published; the silence's end pages what it held, under the same alertId),
 * `dropped` (an undelivered alert a newer one replaced, or the outbox's bound pushed out), `absorbed` (a DOWN or UP
 * page an incident's alerts carried instead: the monitor's history names the incident, whatever its size).
 */
export interface AlertFields {
  event: 'alert';
  alertId: string;
  sequence: number;
  alertKind: AlertMessage['kind'];
  cause: AlertMessage['cause'];
  verdict: Verdict;
  previousVerdict: Verdict;
  subject: string;
  round: string;
  disposition: 'pending' | 'held' | 'dropped' | 'absorbed';
  silenced?: SilenceNote;
  /** For `absorbed`: the incident whose alerts carried this page instead (INCIDENT, INCIDENT_UPDATED, INCIDENT_RESOLVED). */
  incident?: string;
}

/** What a delivery attempt records: published (by whom, republished when not by the pass that raised it) or failed. */
interface DeliveryFields {
  event: 'delivery';
  alertId: string;
  sequence: number;
  alertKind: AlertMessage['kind'];
  outcome: 'published' | 'failed';
  /** The function that published: the aggregator or the sweeper (`cli` for notify-test). */
  by: 'aggregate' | 'sweeper' | 'cli';
  /** Published by a pass that took the alert over (it was left pending: a failed publish, or its publisher died). */
  republished: boolean;
  error?: string;
}

/** A silence set (or replaced) or ended early, by monitor or by tag. */
interface SilenceFields {
  event: 'silence' | 'unsilence';
  /** `monitor:<id>` or `tag:<key>=<value>`. */
  target: string;
  by: string;
  reason?: string;
  /** ISO instant the silence ends (silence only). */
  until?: string;
}

/**
 * One region's own result for the monitor changed (up ↔ down) from its previous counted round, whatever the quorum
 * decided: what the report's per-region availability counts, so a region that fails alone shows. Stored at the
 * round's instant (its key does not depend on when it was written, so a rewrite is the same item).
 */
interface RegionFields {
  event: 'region';
  region: string;
  status: 'up' | 'down';
  /** ISO instant of the round the change was first seen in. */
  round: string;
  /** The error class when it went down. */
  class?: string;
}

/** Reminders stopped for one DOWN (keyed on its alertId). */
interface AckFields {
  event: 'ack';
  alertId: string;
  by: string;
  reason?: string;
}

export type HistoryFields = TransitionFields | RegionFields | AlertFields | DeliveryFields | SilenceFields | AckFields;
type HistoryEventName = HistoryFields['event'];

/** One history event as stored (less the keys and the TTL) and as `portquorum history --json` prints it. */
export type HistoryEvent = HistoryFields & {
  /** ISO instant of the event. */
  at: string;
  /** The monitor's id, `fleet` for fleet alerts, or the silence's target for a silence by tag. */
  monitor: string;
};

/** The stored item: keys, kind, TTL and the event. */
export type HistoryItem = HistoryEvent & { pk: string; sk: string; kind: typeof HISTORY_KIND; v: 1; ttl: number };

/** The UTC day of an instant, `YYYY-MM-DD`. */
function historyDay(atMs: number): string {
  return new Date(atMs).toISOString().slice(0, 10);
}

/**
 * The history shard (0 … HISTORY_SHARDS-1) of a monitor's events (or of `fleet`, `incident`, a silence's tag target):
 * the same jump consistent hash of its id as probe and state shards.
 */
function historyShardOf(monitor: string): number {
  return probeShardOf(monitor, HISTORY_SHARDS);
}

/** The key of the UTC day of an instant: `history#YYYY-MM-DD`. Its events live in its shards (historyPartitions). */
export function historyDayKey(atMs: number): string {
  return `${HISTORY_PK_PREFIX}${historyDay(atMs)}`;
}

/** The partition key of an event of `monitor` at `atMs`: `history#YYYY-MM-DD#<k>`. Every history writer goes through here. */
export function historyPk(atMs: number, monitor: string): string {
  return `${historyDayKey(atMs)}#${historyShardOf(monitor)}`;
}

/**
 * The partitions holding a day's events (`day` a historyDays() key): every shard, or with `monitors` only theirs, and
 * always the day's legacy partition (events stored before history shards, kept until their TTL).
 */
export function historyPartitions(day: string, monitors?: Iterable<string>): string[] {
  const shards = monitors === undefined
    ? Array.from({ length: HISTORY_SHARDS }, (_, k) => k)
    : [...new Set([...monitors].map(historyShardOf))].sort((a, b) => a - b);
  return [day, ...shards.map((k) => `${day}#${k}`)];
}

/** The keys of the UTC days that cover [fromMs, toMs], oldest first. */
export function historyDays(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day <= toMs; day += DAY_MS) days.push(historyDayKey(day));
  return days;
}

/** What makes an event's sort key unique beyond its instant and monitor. */
function discriminator(fields: HistoryFields, unique: string | undefined): string {
  switch (fields.event) {
    case 'transition':
      return `transition#${fields.to}#${Date.parse(fields.round) / 1000}`;
    case 'region':
      return `region#${fields.region}#${Date.parse(fields.round) / 1000}`;
    case 'alert':
      return `alert#${fields.alertId}#${fields.sequence}`;
    case 'delivery':
      return `delivery#${fields.alertId}#${fields.sequence}#${unique ?? ''}`;
    case 'silence':
    case 'unsilence':
      return `${fields.event}#${fields.target}#${unique ?? ''}`;
    case 'ack':
      return `ack#${fields.alertId}#${unique ?? ''}`;
  }
}

/**
 * The item for an event at `atMs`: sorted by time, then monitor, then what happened (`unique` tells apart events
 * that could otherwise share a key: two deliveries of one alert, two silences of one target in one millisecond).
 * Expires `days` after the event.
 */
export function historyItem(fields: HistoryFields, monitor: string, atMs: number, days: number, unique?: string): HistoryItem {
  const at = new Date(atMs).toISOString();
  return {
    pk: historyPk(atMs, monitor), sk: `${at}#${monitor}#${discriminator(fields, unique)}`, kind: HISTORY_KIND, v: 1,
    ttl: Math.ceil(atMs / 1000) + days * 86_400, at, monitor, ...fields,
  };
}

/** The record of raising `alert`. */
export function alertFields(alert: AlertMessage, disposition: AlertFields['disposition'], incident?: string): AlertFields {
  return {
    event: 'alert', alertId: alert.alertId, sequence: alert.sequence, alertKind: alert.kind, cause: alert.cause, verdict: alert.verdict,
    previousVerdict: alert.previousVerdict, subject: alert.subject, round: alert.round, disposition,
    ...(alert.silenced ? { silenced: alert.silenced } : {}), ...(incident !== undefined ? { incident } : {}),
  };
}

/** The event of an item read back (keys and TTL dropped). */
export function historyEventOf(item: Record<string, unknown>): HistoryEvent {
  const { pk: _pk, sk: _sk, kind: _kind, v: _v, ttl: _ttl, ...event } = item;
  return event as unknown as HistoryEvent;
}

const EVENT_ORDER: readonly HistoryEventName[] = ['region', 'transition', 'alert', 'delivery', 'silence', 'unsilence', 'ack'];

/** Events oldest first: by time, then monitor, then what happened (a transition, the alert it raised, its delivery). */
export function sortHistory(events: HistoryEvent[]): HistoryEvent[] {
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return events.sort((a, b) => text(a.at, b.at) || text(a.monitor, b.monitor) || EVENT_ORDER.indexOf(a.event) - EVENT_ORDER.indexOf(b.event));
}
