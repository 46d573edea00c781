// Watch events (watch mode): a region's held connection to a monitor closed and the re-probe at once failed. Their
// item codec, and the pure rule that turns a quorum of them into evidence between rounds.
import type { HomeMonitor } from './fleet';
import { decodeResult, encodeResult, RecordError, type RoundPartition, type RoundResult } from './record';
import { TABLE_SCHEMA } from './table';

/** A failed re-probe, as the region's probe saw it. */
export type WatchResult = Extract<RoundResult, { status: 'down' }>;

/** One region's failed re-probe of one watched monitor. */
export interface WatchEvent {
  monitor: string;
  region: string;
  /** The probe group; absent for the public probes. */
  group?: string;
  /** Epoch ms the re-probe failed. */
  at: number;
  result: WatchResult;
}

/** A watch event as stored: one small item in the region's own watch partition of that monitor. */
export interface WatchItem {
  pk: string;
  sk: string;
  kind: typeof TABLE_SCHEMA.watchItemKind;
  v: number;
  region: string;
  grp?: string;
  mon: string;
  at: number;
  /** The re-probe's result, encoded as a round result is. */
  r: string;
  ttl: number;
}

const WATCH_SCHEMA_VERSION = 1;
/** A watch event is evidence for seconds; a day is plenty to explain it afterwards. */
const WATCH_TTL_SECONDS = 86_400;
/** Failed re-probes of different regions count together when they fall within this of each other. */
export const WATCH_WINDOW_MS = 10_000;
/** A quorum of events older than this (a batch retried late) is left to the rounds, which have seen it by then. */
export const WATCH_MAX_AGE_MS = 60_000;

/** The leading part of a probe's watch partitions (region and group): what its IAM role may write besides its rounds. */
function watchPartitionPrefix(partition: RoundPartition): string {
  return `watch#${partition.region}#${partition.group ?? '-'}#`;
}

/** The IAM `dynamodb:LeadingKeys` pattern (StringLike) of one probe's watch partitions. */
export function watchKeyPattern(partition: RoundPartition): string {
  return `${watchPartitionPrefix(partition)}*`;
}

/** The partition of one probe's watch events about one monitor; the sort key is the event's epoch ms. */
export function watchPk(partition: RoundPartition, monitorId: string): string {
  return `${watchPartitionPrefix(partition)}${monitorId}`;
}

/** Zero-padded, so the sort key orders as time does (a string key, as the table's sort key is). */
export function watchSk(at: number): string {
  return String(at).padStart(15, '0');
}

export function encodeWatchItem(event: WatchEvent): WatchItem {
  const partition = { region: event.region, ...(event.group !== undefined ? { group: event.group } : {}) };
  return {
    pk: watchPk(partition, event.monitor), sk: watchSk(event.at), kind: TABLE_SCHEMA.watchItemKind, v: WATCH_SCHEMA_VERSION,
    region: event.region, ...(event.group !== undefined ? { grp: event.group } : {}), mon: event.monitor, at: event.at,
    r: encodeResult(event.result), ttl: Math.floor(event.at / 1000) + WATCH_TTL_SECONDS,
  };
}

/** Reads a stored watch item back; throws RecordError naming what is wrong (and the item's key) otherwise. */
export function decodeWatchItem(item: Record<string, unknown>): WatchEvent {
  const fail = (what: string): never => {
    throw new RecordError(`watch item ${String(item.pk ?? '?')} / ${String(item.sk ?? '?')}: ${what}`);
  };
  if (item.kind !== TABLE_SCHEMA.watchItemKind) fail(`kind is ${JSON.stringify(item.kind)}, not '${TABLE_SCHEMA.watchItemKind}'`);
  if (item.v !== WATCH_SCHEMA_VERSION) fail(`schema version ${JSON.stringify(item.v)} is not one this aggregator reads (${WATCH_SCHEMA_VERSION}); deploy the same version to every region`);
  const str = (name: string): string => {
    const value = item[name];
    if (typeof value !== 'string' || value === '') fail(`${name} is ${JSON.stringify(value)}, not a non-empty string`);
    return value as string;
  };
  const region = str('region');
  const monitor = str('mon');
  const group = item.grp === undefined ? undefined : str('grp');
  const at = item.at;
  if (typeof at !== 'number' || !Number.isInteger(at) || at < 0) fail(`at is ${JSON.stringify(at)}, not a whole number of epoch ms`);
  // The key must say what the item says: a probe allowed to write only its own partitions cannot speak for another.
  const pk = watchPk({ region, ...(group !== undefined ? { group } : {}) }, monitor);
  if (item.pk !== pk) fail(`pk is not ${pk}, the watch partition of region ${region}, ${group === undefined ? 'the public probes' : `group ${group}`} and monitor ${monitor}`);
  if (item.sk !== watchSk(at as number)) fail(`sk is not '${watchSk(at as number)}', the key of the event's time`);
  const result = decodeResult(str('r'), (what) => fail(`result: ${what}`));
  if (result.status !== 'down') fail('result is up: a watch event is a failed re-probe');
  return { monitor, region, ...(group !== undefined ? { group } : {}), at: at as number, result: result as WatchResult };
}

/** Where a quorum of watch events came together: the moment, and each counted region's latest event by then. */
export interface WatchQuorum {
  at: number;
  events: WatchEvent[];
}

/**
 * The earliest moment at which `quorum` distinct regions of the monitor have a failed re-probe within WATCH_WINDOW_MS
 * of it, counting only events after `after` (the last round applied: what came before it, its probes saw) and none
 * later than `now`, and no moment older than WATCH_MAX_AGE_MS; undefined when there is none. Events of other monitors,
 * regions or groups do not count: a lone region, however often it reports, is never a quorum.
 */
export function watchQuorum(monitor: Pick<HomeMonitor, 'id' | 'regions' | 'quorum' | 'group'>, events: readonly WatchEvent[], after: number, now: number): WatchQuorum | undefined {
  const counted = events
    .filter((e) => e.monitor === monitor.id && e.group === monitor.group && monitor.regions.includes(e.region) && e.at > after && e.at <= now)
    .sort((a, b) => a.at - b.at || a.region.localeCompare(b.region));
  for (const event of counted) {
    const byRegion = new Map<string, WatchEvent>();
    for (const e of counted) if (e.at > event.at - WATCH_WINDOW_MS && e.at <= event.at) byRegion.set(e.region, e);
    if (byRegion.size >= Math.max(1, monitor.quorum)) {
      if (now - event.at > WATCH_MAX_AGE_MS) continue;
      return { at: event.at, events: [...byRegion.values()].sort((a, b) => a.region.localeCompare(b.region)) };
    }
  }
  return undefined;
}
