// Reads what `portquorum status` shows from a results table: each monitor's state, every region's latest result, the fleet.
import type { FleetConfig } from '../../functions/shared/domain';
import type { AlertMessage, SilenceNote } from '../../functions/shared/domain/alert';
import { silenceFor, targetText } from '../../functions/shared/domain/silence';
import { historyDayKey } from '../../functions/shared/domain/history';
import { hostPort } from '../../functions/shared/domain/net';
import { roundPartitions, type RoundRecord } from '../../functions/shared/domain/record';
import { roundInstant } from '../../functions/shared/domain/rounds';
import { isExposed, isFlapping } from '../../functions/shared/domain/verdict';
import { brokenVantages } from '../../functions/shared/domain/reach';
import type { IncidentBook } from '../../functions/shared/domain/incident';
import type { TableStore } from '../../functions/shared/adapters/store';

export interface RegionStatus {
  /** up, down (with class), vetoed (down while the region's canary failed), or none (no result in the rounds read). */
  status: 'up' | 'down' | 'vetoed' | 'none';
  class?: string;
  code?: string;
  latencyMs?: number;
  /** ISO instant of the round the result is from. */
  round?: string;
}

interface MonitorStatus {
  monitor: string;
  target: string;
  verdict: string;
  /** ISO instant the verdict began (absent before the first decision). */
  since?: string;
  /** The verdict the last page announced. */
  notified?: string;
  lastAlertId?: string;
  /** ISO instant of the round the monitor began flapping, while it flaps (its DOWN/UP pages are held). */
  flappingSince?: string;
  /** A private monitor some public region reached: the regions that did (EXPOSED paged). */
  exposedFrom?: string[];
  /** The silence in force (its pages held until `until`). */
  silenced?: SilenceNote;
  /** The current DOWN was acknowledged: its reminders stopped. */
  acked?: { alertId: string; by: string; reason?: string; at: string };
  /** The incident it is down in with other monitors (its DOWN was paged by that incident's alerts). */
  incident?: string;
  /** Regions see different things (DIVERGED paged, no CONVERGED yet): each region's latest view. */
  divergedViews?: Record<string, string>;
  /** Vantage points (`reach` groups) whose expectation is broken, worded: `closed from vpc`, `open from office`. */
  reachBroken?: string[];
  pendingAlerts: number;
  regions: Record<string, RegionStatus>;
}

export interface FleetStatus {
  at: string;
  table: string;
  /** Probes the last fleet alert named as out, with why. */
  fleetOut: Record<string, 'silent' | 'vetoed'>;
  fleetPendingAlerts: number;
  /** Silences in force, by target (`monitor:<id>`, `tag:<key>=<value>`). */
  silences: Array<{ target: string; by: string; reason?: string; until: string }>;
  monitors: MonitorStatus[];
  /** The latest pages raised (transitions, reminders, fleet alerts), newest first, from the history in the table. */
  transitions: Array<Pick<AlertMessage, 'at' | 'kind' | 'verdict' | 'previousVerdict' | 'subject' | 'round'> & { monitor: string }>;
}

function reachField(broken: string[]): { reachBroken?: string[] } {
  return broken.length > 0 ? { reachBroken: broken } : {};
}

function silencedField(note: SilenceNote | undefined): { silenced?: SilenceNote } {
  return note ? { silenced: note } : {};
}

/** How many of a monitor's latest round instants are read looking for each region's last result. */
const ROUNDS_BACK = 4;

export async function readStatus(store: TableStore, fleet: FleetConfig, options: { now: number; transitions?: number }): Promise<FleetStatus> {
  const [states, fleetState, allSilences, book] = await Promise.all([store.readMonitorStates(), store.readFleetState(), store.readSilences(), store.readIncidentBook()]);
  const silences = allSilences.filter((x) => x.until > options.now);
  const incidents = incidentIndex(book?.state);
  const rounds = new Map<number, Promise<RoundRecord[]>>();
  const partitions = roundPartitions(fleet);
  const roundAt = (instant: number) => {
    let r = rounds.get(instant);
    if (!r) {
      r = store.readRound(instant, partitions).then((x) => x.records);
      rounds.set(instant, r);
    }
    return r;
  };

  const monitors: MonitorStatus[] = [];
  for (const monitor of fleet.monitors) {
    const regions: Record<string, RegionStatus> = Object.fromEntries(monitor.regions.map((r) => [r, { status: 'none' } as RegionStatus]));
    const latest = roundInstant(options.now, monitor.interval);
    for (let k = 0; k < ROUNDS_BACK && Object.values(regions).some((r) => r.status === 'none'); k += 1) {
      const instant = latest - k * monitor.interval * 1000;
      for (const record of await roundAt(instant)) {
        if (record.group !== monitor.group || regions[record.region]?.status !== 'none') continue;
        const result = record.results[monitor.id];
        if (!result) continue;
        const round = new Date(instant).toISOString();
        regions[record.region] = result.status === 'up'
          ? { status: 'up', latencyMs: result.connectMs ?? result.totalMs, round }
          : { status: record.canary.status === 'down' ? 'vetoed' : 'down', class: result.errorClass, code: result.code, latencyMs: result.totalMs, round };
      }
    }
    const stored = states.get(monitor.id);
    monitors.push({
      monitor: monitor.id,
      target: hostPort(monitor.host, monitor.port),
      verdict: stored?.state.verdict ?? 'UNKNOWN',
      ...(stored && stored.state.since > 0 ? { since: new Date(stored.state.since).toISOString() } : {}),
      ...(stored ? { notified: stored.state.notified } : {}),
      ...(stored?.state.alertId ? { lastAlertId: stored.state.alertId } : {}),
      ...(stored && isFlapping(stored.state) ? { flappingSince: new Date(stored.state.flapSince!).toISOString() } : {}),
      ...(stored && isExposed(stored.state) ? { exposedFrom: (stored.state.exposedPaths ?? []).map((p) => p.region) } : {}),
      ...silencedField(silenceFor(monitor, silences, options.now)),
      ...(stored?.state.acked && stored.state.acked.alertId === stored.state.alertId && stored.state.verdict === 'DOWN' ? { acked: stored.state.acked } : {}),
      ...(incidents.has(monitor.id) ? { incident: incidents.get(monitor.id)! } : {}),
      ...(stored?.state.divergencePaged === 'DIVERGED' ? { divergedViews: { ...stored.state.views } } : {}),
      ...reachField(brokenVantages(monitor.vantages, stored?.state.reach)),
      pendingAlerts: Object.keys(stored?.pending ?? {}).length,
      regions,
    });
  }

  return {
    at: new Date(options.now).toISOString(),
    table: store.tableName,
    fleetOut: { ...(fleetState?.state.notified ?? {}) },
    fleetPendingAlerts: Object.keys(fleetState?.pending ?? {}).length,
    silences: silences.map((x) => ({ target: targetText(x.target), by: x.by, ...(x.reason !== undefined ? { reason: x.reason } : {}), until: new Date(x.until).toISOString() })),
    monitors,
    transitions: await lastPages(store, options.now, options.transitions ?? 10),
  };
}

/** The incident each monitor is down in with others, by monitor (a lone DOWN's book entry is no incident yet). */
function incidentIndex(book: IncidentBook | undefined): Map<string, string> {
  const index = new Map<string, string>();
  for (const incident of book?.incidents ?? []) {
    if (incident.members.length < 2) continue;
    for (const m of incident.members) if (m.up === undefined && !index.has(m.monitorId)) index.set(m.monitorId, incident.id);
  }
  return index;
}

const DAY_MS = 86_400_000;
/** Days of history looked through for the latest pages. */
const PAGES_DAYS_BACK = 7;

/** The newest pages raised (alerts written to the outbox, not those a silence held), a day's partitions at a time. */
async function lastPages(store: TableStore, now: number, count: number): Promise<FleetStatus['transitions']> {
  const out: FleetStatus['transitions'] = [];
  for (let day = 0; day < PAGES_DAYS_BACK && out.length < count; day += 1) {
    const events = await store.readHistory([historyDayKey(now - day * DAY_MS)]);
    for (const e of events.reverse()) {
      if (out.length >= count) break;
      if (e.event !== 'alert' || e.disposition !== 'pending' || e.at > new Date(now).toISOString()) continue;
      out.push({ at: e.at, kind: e.alertKind, verdict: e.verdict, previousVerdict: e.previousVerdict, subject: e.subject, round: e.round, monitor: e.monitor });
    }
  }
  return out;
}
