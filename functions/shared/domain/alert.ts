// Alert messages: one per transition, with a short subject, a versioned JSON body and attributes for filter policies.
import type { AlertKind, ErrorClass, Phase, ReachExpectation, Severity, Verdict } from './constants';
import type { HomeMonitor } from './fleet';
import { OPEN_CODE, type OpenPath } from './exposure';
import { hostPort } from './net';

const ALERT_SCHEMA_VERSION = 1;
/** SNS delivers subjects under 100 characters. */
const MAX_SUBJECT = 99;

/** What one region contributed to the round an alert is about. */
export interface RegionEvidence {
  region: string;
  /** `silent`: no result in time; `vetoed`: a down while the region's canary failed; `pending`: may still report. */
  status: 'up' | 'down' | 'silent' | 'vetoed' | 'pending';
  class?: ErrorClass;
  phase?: Phase;
  /** Connect time when known, else the whole attempt. */
  latencyMs?: number;
  code?: string;
  message?: string;
  certDays?: number;
}

export interface AlertMonitor {
  id: string;
  host: string;
  port: number;
  /** `host:port` (IPv6 literals in brackets). */
  target: string;
  tags: Record<string, string>;
  severity: Severity;
  /** The monitor's runbook link, so the page says what to do; absent when none is declared. */
  runbook?: string;
}

export interface FleetEvidence {
  /** Probes (region, or `region/group`) with no results in time. */
  silentRegions: string[];
  /** Probes whose canary fails: their downs do not count. */
  vetoedRegions: string[];
  /** Probes that came back (FLEET_RECOVERED). */
  recoveredRegions: string[];
  /** Monitors that cannot reach quorum while these regions are out (first 50). */
  unknownMonitors: string[];
}

/** What HOME_DOWN and HOME_RECOVERED say (the watchdog the probe regions keep on the home pipeline's heartbeat). */
export interface HomeEvidence {
  /** The home region: table, aggregator, sweeper, alert topic. */
  homeRegion: string;
  /** ISO instant of the newest heartbeat the votes saw (absent: none could be read). */
  lastHeartbeat?: string;
  /** A heartbeat older than this is stale. */
  staleAfterSeconds: number;
  /** Probe regions whose current vote says stale (each with its own canary fine). */
  staleRegions: string[];
  /** Probe regions whose current vote saw a fresh heartbeat. */
  freshRegions: string[];
  /** Stale votes needed for HOME_DOWN. */
  quorum: number;
  /** HOME_RECOVERED: ISO instant HOME_DOWN was paged. */
  downSince?: string;
}

/** What FLAPPING and FLAPPING_SETTLED alerts say: the percent of state change and the changes behind it. */
export interface FlapEvidence {
  /** Weighted percent of state change over the last 21 rounds (0–100, one decimal). */
  percent: number;
  enterPercent: number;
  leavePercent: number;
  /** ISO instant of the round the flapping began. */
  since: string;
  /** ISO instant of the round it settled (FLAPPING_SETTLED). */
  settled?: string;
  /** The changes of the round's quorum side inside the window, oldest first. */
  transitions: { round: string; to: 'up' | 'down' }[];
}

/** What EXPOSED and EXPOSURE_CLOSED alerts say: since when, until when, and every region that reached the port. */
export interface ExposureEvidence {
  /** ISO instant of the round the exposure was first seen. */
  since: string;
  /** ISO instant of the round it was found closed again (EXPOSURE_CLOSED). */
  closed?: string;
  /** Each region that connected, the address it reached and what answered there (first sighting each). */
  paths: OpenPath[];
}

/** Who silenced a monitor, why, until when: carried by alerts raised while it is silenced, and by its history. */
export interface SilenceNote {
  /** The caller's identity (an IAM ARN deployed; the OS user locally). */
  by: string;
  reason?: string;
  /** ISO instant the silence ends. */
  until: string;
}

/** What DIVERGED and CONVERGED alerts say: each region's view side by side. */
export interface DivergenceEvidence {
  /** ISO instant of the first round of the streak in which regions saw different things. */
  since: string;
  /** Rounds in a row it lasted before the alert (the monitor's divergedRounds). */
  rounds: number;
  /** Each region's latest view (certificate, resolved addresses, server version); `(none)` where it has not reported one. */
  views: { region: string; view: string }[];
  /** CONVERGED: the round every region's view agreed again. */
  converged?: string;
}

/** What REACH_BROKEN and REACH_RESTORED alerts say: the vantage point, what it expects and found, and its regions. */
export interface ReachEvidence {
  /** The probe group (the vantage point). */
  group: string;
  expect: ReachExpectation;
  /** What the group found when it broke the expectation (REACH_RESTORED: the same, as it was). */
  found: ReachExpectation;
  /** Regions of the group that must agree: its quorum for `open`, 1 for `closed` (any one region connecting). */
  quorum: number;
  /** ISO instant of the round the expectation broke. */
  since: string;
  /** ISO instant of the round it held again (REACH_RESTORED). */
  restored?: string;
  /** Each region of the group in the round the alert is about (for `closed`: a `down` with code EXPECTED_CLOSED connected; its message says what answered). */
  regions: RegionEvidence[];
}

/** One monitor of an incident, as its alerts list it. */
export interface IncidentMemberEvidence {
  monitor: string;
  /** `host:port`; absent once the monitor is no longer declared. */
  target?: string;
  status: 'down' | 'up';
  /** ISO instant of the round its DOWN began. */
  since: string;
  /** ISO instant of the round it was found back. */
  recovered?: string;
  /** opened: its own DOWN page opened the incident; fact: it shares the incident's fact; dependsOn: it depends on a member. */
  via: 'opened' | 'fact' | 'dependsOn';
  dependsOn?: string;
  /** No longer declared: counted as back. */
  undeclared?: boolean;
  /** What its DOWN showed, e.g. `refused in 3/3 regions`. */
  evidence: string;
}

/**
 * What INCIDENT, INCIDENT_UPDATED and INCIDENT_RESOLVED alerts say: the shared fact, the counts, and at most 20
 * monitors per list (the counts say how many each leaves out; `fullList` where to read every member).
 */
export interface IncidentEvidence {
  /** The incident's id (also the alertId of all its alerts; `sequence` counts the updates). */
  id: string;
  /** What the members share: `address`, `host`, `group`, `errors` (the same error classes in the same regions) or `dependsOn`. */
  fact: { kind: string; value: string; text: string };
  /** ISO instant of the round of its first DOWN. */
  opened: string;
  /** The highest severity among its monitors. */
  severity: Severity;
  /** Monitors in it, down or back. */
  memberCount: number;
  /** Monitors in it still down. */
  downCount: number;
  /** Monitors in it (at most 20): those this alert adds or finds back first, then those still down, then the rest. */
  members: IncidentMemberEvidence[];
  /** Monitors this alert adds (INCIDENT_UPDATED), at most 20; `joinedCount` of them in all. */
  joined: string[];
  joinedCount: number;
  /** Monitors this alert finds back (INCIDENT_UPDATED, INCIDENT_RESOLVED), at most 20; `recoveredCount` in all. */
  recovered: string[];
  recoveredCount: number;
  /** Monitors still down, at most 20 (`downCount` in all). */
  stillDown: string[];
  /** Members not in `members` ("and K more"), when there are any. */
  unlisted?: number;
  /** Where every member is listed, when `members` leaves some out. */
  fullList?: string;
}

export interface AlertMessage {
  schemaVersion: typeof ALERT_SCHEMA_VERSION;
  /** Stable across retries and republishing: subscribers dedupe on it (plus `sequence` for reminders). */
  alertId: string;
  /** 0 for the page itself, n for the nth reminder. */
  sequence: number;
  kind: AlertKind;
  /**
   * Why this page now: a verdict change, a maintenance window or a silence that ended on a verdict other than the one
   * last paged, a reminder, the fleet, or (a DOWN) watch mode: a quorum of regions' held connections closed and their
   * re-probes failed, between rounds.
   */
  cause: 'transition' | 'watch' | 'maintenance-ended' | 'silence-ended' | 'reminder' | 'fleet' | 'test';
  subject: string;
  /** ISO instant the alert was raised. */
  at: string;
  /** ISO instant of the round that decided it. */
  round: string;
  /** Absent for fleet alerts. */
  monitor?: AlertMonitor;
  verdict: Verdict;
  previousVerdict: Verdict;
  /** ISO instant the verdict began. */
  since: string;
  regions: RegionEvidence[];
  quorum?: number;
  degradedMs?: number;
  cert?: { minDaysValid: number; daysLeft: number };
  fleet?: FleetEvidence;
  /** HOME_DOWN, HOME_RECOVERED: published on the fallback topic in another region. */
  home?: HomeEvidence;
  flapping?: FlapEvidence;
  exposure?: ExposureEvidence;
  /** The monitor was silenced when this alert was raised (only EXPOSED and EXPOSURE_CLOSED are still paged then). */
  silenced?: SilenceNote;
  /** A TEST alert (`portquorum notify-test`): the kind it stands in for (its `kind` attribute) and who sent it. */
  test?: { kind: Exclude<AlertKind, 'TEST'>; by: string };
  incident?: IncidentEvidence;
  divergence?: DivergenceEvidence;
  reach?: ReachEvidence;
}


export function alertMonitor(monitor: HomeMonitor): AlertMonitor {
  return {
    id: monitor.id, host: monitor.host, port: monitor.port, target: hostPort(monitor.host, monitor.port), tags: { ...monitor.tags }, severity: monitor.severity,
    ...(monitor.runbook !== undefined ? { runbook: monitor.runbook } : {}),
  };
}

/** The subject line: kind, monitor, target and the gist of the evidence, cut to fit. */
function subjectOf(alert: Omit<AlertMessage, 'subject'>): string {
  const counted = alert.regions.length;
  const count = (status: RegionEvidence['status']): number => alert.regions.filter((r) => r.status === status).length;
  let gist: string;
  switch (alert.kind) {
    case 'DOWN': {
      const classes = [...new Set(alert.regions.filter((r) => r.status === 'down').map((r) => r.class))].join(', ');
      gist = `${classes || 'down'} in ${count('down')}/${counted} regions${alert.cause === 'watch' ? ' (watch)' : ''}`;
      break;
    }
    case 'UP':
      gist = `up in ${count('up')}/${counted} regions`;
      break;
    case 'DEGRADED': {
      const slow = alert.regions.filter((r) => r.status === 'up' && (r.latencyMs ?? 0) > (alert.degradedMs ?? Infinity));
      gist = `connect over ${alert.degradedMs} ms in ${slow.length}/${counted} regions`;
      break;
    }
    case 'CERT_EXPIRY':
      gist = `certificate expires in ${alert.cert?.daysLeft} days`;
      break;
    case 'FLAPPING':
      gist = `${alert.flapping?.transitions.length} changes in 21 rounds (${alert.flapping?.percent} %), pages held`;
      break;
    case 'FLAPPING_SETTLED':
      gist = `settled ${alert.verdict} (${alert.flapping?.percent} % change)`;
      break;
    case 'EXPOSED': {
      const paths = alert.exposure?.paths ?? [];
      const answered = paths.find((p) => p.answered !== undefined)?.answered;
      gist = `open from ${paths.map((p) => p.region).join(', ')}${answered !== undefined ? ` (answered '${answered}')` : ''}`;
      break;
    }
    case 'EXPOSURE_CLOSED':
      gist = `closed again (was open from ${(alert.exposure?.paths ?? []).map((p) => p.region).join(', ')})`;
      break;
    case 'REACH_BROKEN':
      gist = reachGist(alert.reach);
      break;
    case 'REACH_RESTORED':
      gist = alert.reach ? `${alert.reach.expect} from ${alert.reach.group} again, as expected` : 'as expected again';
      break;
    case 'INCIDENT':
    case 'INCIDENT_UPDATED':
    case 'INCIDENT_RESOLVED':
      return fit(`${alert.kind} — ${incidentGist(alert)}`);
    case 'DIVERGED': {
      const groups = viewGroups(alert.divergence?.views ?? []);
      gist = `regions see ${groups.length} different things: ${groups.map((g) => g.join(', ')).join(' | ')}`;
      break;
    }
    case 'CONVERGED':
      gist = 'every region sees the same again';
      break;
    case 'REMINDER':
      gist = `still ${alert.verdict} since ${alert.since.slice(0, 16).replace('T', ' ')} UTC (reminder ${alert.sequence})`;
      break;
    case 'FLEET_DEGRADED': {
      const parts = [];
      if (alert.fleet?.silentRegions.length) parts.push(`silent: ${alert.fleet.silentRegions.join(', ')}`);
      if (alert.fleet?.vetoedRegions.length) parts.push(`canary failing: ${alert.fleet.vetoedRegions.join(', ')}`);
      return fit(`FLEET_DEGRADED — ${parts.join('; ')}`);
    }
    case 'FLEET_RECOVERED':
      return fit(`FLEET_RECOVERED — back: ${alert.fleet?.recoveredRegions.join(', ')}`);
    case 'HOME_DOWN': {
      const h = alert.home;
      const last = h?.lastHeartbeat ? `no heartbeat since ${h.lastHeartbeat.slice(11, 16)} UTC` : 'no heartbeat readable';
      return fit(`HOME_DOWN — home region ${h?.homeRegion}: ${last} (stale in ${h?.staleRegions.join(', ')})`);
    }
    case 'HOME_RECOVERED':
      return fit(`HOME_RECOVERED — home region ${alert.home?.homeRegion}: heartbeat back (HOME_DOWN since ${alert.home?.downSince?.slice(11, 16)} UTC)`);
    case 'TEST':
      if (!alert.monitor) return fit(`TEST — test of a ${alert.test?.kind} page (portquorum notify-test)`);
      gist = `test of a ${alert.test?.kind} page (portquorum notify-test)`;
      break;
  }
  const monitor = alert.monitor!;
  const head = `${alert.kind} ${monitor.id}`;
  const full = `${head} ${monitor.target} — ${gist}`;
  // Drop the target before cutting the gist: the id already names the monitor.
  return full.length <= MAX_SUBJECT ? full : fit(`${head} — ${gist}`);
}

/** `closed from vpc (refused in 2/2 regions; expected open)`, `open from vpc (eu-west-1 connected; expected closed)`. */
function reachGist(reach: ReachEvidence | undefined): string {
  if (!reach) return 'a vantage point broke its expectation';
  const total = reach.regions.length;
  let what: string;
  if (reach.found === 'closed') {
    const down = reach.regions.filter((r) => r.status === 'down');
    const classes = [...new Set(down.map((r) => r.class))].join(', ');
    what = `${classes || 'closed'} in ${down.length}/${total} regions`;
  } else {
    const open = reach.regions.filter((r) => (reach.expect === 'closed' ? r.code === OPEN_CODE : r.status === 'up')).map((r) => r.region);
    what = `${open.join(', ') || 'a region'} connected`;
  }
  return `${reach.found} from ${reach.group} (${what}; expected ${reach.expect})`;
}

/** Regions grouped by the view they report (the largest group first). */
function viewGroups(views: readonly { region: string; view: string }[]): string[][] {
  const byView = new Map<string, string[]>();
  for (const v of views) byView.set(v.view, [...(byView.get(v.view) ?? []), v.region]);
  return [...byView.values()].sort((a, b) => b.length - a.length);
}

/** An incident's subject after its kind: what changed, the shared fact, then who is down. */
function incidentGist(alert: Omit<AlertMessage, 'subject'>): string {
  const i = alert.incident!;
  const names = (ids: string[], count: number) => (count <= 3 ? ids.slice(0, 3).join(', ') : `${ids.slice(0, 3).join(', ')} +${count - 3}`);
  switch (alert.kind) {
    case 'INCIDENT':
      return `${i.memberCount} monitors down, ${i.fact.text}: ${names(i.stillDown, i.downCount)}`;
    case 'INCIDENT_RESOLVED':
      return `all ${i.memberCount} monitors back (${i.fact.text})`;
    default: {
      const parts = [...(i.joinedCount ? [`joined: ${names(i.joined, i.joinedCount)}`] : []), ...(i.recoveredCount ? [`back: ${names(i.recovered, i.recoveredCount)}`] : [])];
      return `${parts.join('; ')}; ${i.downCount} of ${i.memberCount} still down (${i.fact.text})`;
    }
  }
}

function fit(text: string): string {
  return text.length <= MAX_SUBJECT ? text : `${text.slice(0, MAX_SUBJECT - 1)}…`;
}

export function withSubject(alert: Omit<AlertMessage, 'subject'>): AlertMessage {
  return { ...alert, subject: subjectOf(alert) };
}

export interface MessageAttribute {
  DataType: 'String';
  StringValue: string;
}

/** Attributes for subscription filter policies: kind, severity, monitor, verdict and each tag as `tag.<key>` (≤ 10 in all). */
export function alertAttributes(alert: AlertMessage): Record<string, MessageAttribute> {
  const attribute = (value: string): MessageAttribute => ({ DataType: 'String', StringValue: value });
  // A TEST alert carries the attributes of the kind it stands in for, so the filter policies it checks match it as they
  // would the real one, and `test: "true"` besides (a policy can refuse tests with {"test": [{"exists": false}]}).
  const attributes: Record<string, MessageAttribute> = {
    kind: attribute(alert.test?.kind ?? alert.kind),
    severity: attribute(alert.monitor?.severity ?? alert.incident?.severity ?? FLEET_SEVERITY),
    // An incident is about several monitors: filter on kind INCIDENT* (its body lists them).
    monitor: attribute(alert.monitor?.id ?? (alert.incident ? 'incident' : 'fleet')),
    verdict: attribute(alert.verdict),
    ...(alert.test ? { test: attribute('true') } : {}),
  };
  // The validator allows 6 tags; slicing keeps SNS's limit of 10 even if a config slipped past it (a test alert's
  // own attribute leaves room for 5).
  for (const [key, value] of Object.entries(alert.monitor?.tags ?? {}).slice(0, alert.test ? 5 : 6)) {
    if (value !== '') attributes[`tag.${key}`] = attribute(value);
  }
  return attributes;
}

/** The verdict a real alert of each kind carries (a TEST alert standing in for it carries the same). */
const VERDICT_OF: Record<Exclude<AlertKind, 'TEST'>, Verdict> = {
  DOWN: 'DOWN', UP: 'UP', DEGRADED: 'DEGRADED', CERT_EXPIRY: 'UP', REMINDER: 'DOWN', FLAPPING: 'DOWN', FLAPPING_SETTLED: 'UP',
  EXPOSED: 'UP', EXPOSURE_CLOSED: 'UP', FLEET_DEGRADED: 'DEGRADED', FLEET_RECOVERED: 'UP', HOME_DOWN: 'DOWN', HOME_RECOVERED: 'UP', INCIDENT: 'DOWN', INCIDENT_UPDATED: 'DOWN', INCIDENT_RESOLVED: 'UP', DIVERGED: 'UP', CONVERGED: 'UP',
  REACH_BROKEN: 'UP', REACH_RESTORED: 'UP',
};

/** Kinds about the fleet, not a monitor. */
export const FLEET_KINDS: readonly AlertKind[] = ['FLEET_DEGRADED', 'FLEET_RECOVERED', 'HOME_DOWN', 'HOME_RECOVERED'];

/**
 * A TEST alert standing in for a `kind` alert about `monitor` (or the fleet), sent by `by` at `at` (epoch ms): a body
 * subscribers can tell apart (kind TEST, `test`), with the message attributes of the real kind.
 */
export function testAlert(kind: Exclude<AlertKind, 'TEST'>, monitor: HomeMonitor | undefined, by: string, at: number): AlertMessage {
  const iso = new Date(at).toISOString();
  return withSubject({
    schemaVersion: ALERT_SCHEMA_VERSION, alertId: `${monitor?.id ?? 'fleet'}:TEST:${at}`, sequence: 0, kind: 'TEST', cause: 'test', at: iso, round: iso,
    ...(monitor ? { monitor: alertMonitor(monitor) } : {}), verdict: VERDICT_OF[kind], previousVerdict: VERDICT_OF[kind] === 'UP' ? 'DOWN' : 'UP', since: iso,
    regions: [], test: { kind, by },
  });
}

/** A broken region or pipeline hides outages; it pages like an error, below a monitor's own critical. */
const FLEET_SEVERITY: Severity = 'error';
