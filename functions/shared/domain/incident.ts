// Correlated outages: monitors going DOWN together with a shared cause the evidence shows (or a declared dependsOn)
// become one INCIDENT instead of one page each. Pure: the incident book is kept in the table by the evaluation.
import type { Severity } from './constants';
import type { AlertMessage, AlertMonitor, IncidentEvidence, IncidentMemberEvidence } from './alert';
import { withSubject } from './alert';
import { isIP } from './net';

/**
 * A DOWN joins an open incident sharing its fact only this long after the incident's first DOWN. Long enough for the
 * monitors behind one cause to cross their thresholds in different rounds and aggregator batches (a minute's rounds
 * plus stream lag), short enough that a later, unrelated outage of the same host still pages on its own. The cost: a
 * second failure behind the same address within these 5 minutes is an INCIDENT_UPDATED, not a page.
 */
export const INCIDENT_WINDOW_MS = 5 * 60_000;
/** Members an incident alert lists (the count says how many more there are): SNS bodies are at most 256 KB. */
const MAX_LISTED_MEMBERS = 50;

/** The shared facts, strongest first: a group forms on the first kind whose value two or more new DOWNs share. */
const FACT_KINDS = ['address', 'host', 'group', 'errors'] as const;
type FactKind = (typeof FACT_KINDS)[number] | 'dependsOn';

export interface SharedFact {
  kind: FactKind;
  /** The resolved address, the host name, the probe group, `class@region,region`, or the monitor depended on. */
  value: string;
}

interface IncidentMember {
  monitorId: string;
  /** Round (epoch ms) its DOWN began. */
  down: number;
  /** Round (epoch ms) of the step that found it back (UP or DEGRADED); absent while it is down. */
  up?: number;
  /** It no longer is in the fleet's declarations (counted as back: nothing will ever say so otherwise). */
  undeclared?: boolean;
  /** opened: its own DOWN page opened the incident; fact: it shares the incident's fact; dependsOn: it depends on a member. */
  via: 'opened' | 'fact' | 'dependsOn';
  /** For via dependsOn: the monitor it depends on. */
  dependsOn?: string;
  /** What its DOWN showed, e.g. `refused in 3/3 regions` (for the alerts). */
  evidence: string;
}

export interface Incident {
  /** `incident:<first monitor>:<round epoch s>`: the alert id of its INCIDENT page and of every update (by sequence). */
  id: string;
  fact: SharedFact;
  /** Round (epoch ms) of its first DOWN. */
  opened: number;
  /** INCIDENT: one INCIDENT alert paged it; DOWN: it began as one monitor's own DOWN page, joined later. */
  page: 'INCIDENT' | 'DOWN';
  /** Updates sent so far (INCIDENT_UPDATED, INCIDENT_RESOLVED take the next sequence). */
  updates: number;
  members: IncidentMember[];
}

/** Every open incident, and every lone DOWN that others may still join; one table item, written conditionally. */
export interface IncidentBook {
  incidents: Incident[];
  version: number;
}

/** A monitor's DOWN page, as the verdict machine raised it. */
export interface DownEvent {
  kind: 'down';
  monitorId: string;
  /** Round (epoch ms) its DOWN began. */
  round: number;
  facts: SharedFact[];
  dependsOn: readonly string[];
  evidence: string;
}

/** A monitor found back (its verdict went UP or DEGRADED) at this round. */
export interface UpEvent {
  kind: 'up';
  monitorId: string;
  round: number;
}

export interface CorrelationContext {
  /** ISO instants and alert bodies are stamped with this. */
  now: number;
  /** Whether the monitor's verdict is DOWN now (a dependency's, for dependsOn). */
  isDown(monitorId: string): boolean;
  /** The monitor's alert identity, or undefined when it is no longer declared. */
  describe(monitorId: string): AlertMonitor | undefined;
}

export interface Correlation {
  book: IncidentBook;
  changed: boolean;
  /** Incident alerts to record with the book (INCIDENT, INCIDENT_UPDATED, INCIDENT_RESOLVED). */
  alerts: AlertMessage[];
  /** Per event's monitor: page (its own DOWN/UP page goes out as raised) or absorbed (an incident alert carries it). */
  decisions: Map<string, 'page' | 'absorbed'>;
}

export function emptyBook(): IncidentBook {
  return { incidents: [], version: 0 };
}

/** The address a down result connected (or tried) to: probe messages name it as `address:port` (see probe/engine). */
function addressIn(message: string | undefined): string | undefined {
  const match = /(\[[0-9a-fA-F:.]+(?:%[\w.-]+)?\]|\b\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}\b/.exec(message ?? '');
  if (!match) return undefined;
  const address = match[1]!.replace(/^\[|\]$/g, '');
  return isIP(address) !== 0 ? address : undefined;
}

/**
 * The facts a monitor's DOWN shows: the address its down regions connected to (when they agree), its host name, its
 * probe group, and its error classes with the regions that saw them.
 */
export function factsOf(monitor: { host: string; group?: string }, down: readonly { region: string; class?: string; message?: string }[]): SharedFact[] {
  const facts: SharedFact[] = [];
  const literal = isIP(monitor.host.replace(/^\[|\]$/g, '')) !== 0;
  const addresses = new Set(down.map((r) => addressIn(r.message) ?? (literal ? monitor.host.replace(/^\[|\]$/g, '') : undefined)));
  const [address] = addresses;
  if (addresses.size === 1 && address !== undefined) facts.push({ kind: 'address', value: address.toLowerCase() });
  if (!literal) facts.push({ kind: 'host', value: monitor.host.toLowerCase().replace(/\.$/, '') });
  if (monitor.group !== undefined) facts.push({ kind: 'group', value: monitor.group });
  if (down.length > 0) {
    const classes = [...new Set(down.map((r) => r.class ?? 'down'))].sort().join('+');
    facts.push({ kind: 'errors', value: `${classes}@${down.map((r) => r.region).sort().join(',')}` });
  }
  return facts;
}

/** How an alert says a fact. */
function factText(fact: SharedFact): string {
  switch (fact.kind) {
    case 'address': return `same address ${fact.value}`;
    case 'host': return `same host ${fact.value}`;
    case 'group': return `same probe group ${fact.value}`;
    case 'errors': {
      const [classes, regions] = fact.value.split('@');
      return `same error (${classes!.replace(/\+/g, ', ')}) in the same regions (${regions!.replace(/,/g, ', ')})`;
    }
    case 'dependsOn': return `depends on ${fact.value}`;
  }
}

const isOpen = (incident: Incident) => incident.members.some((m) => m.up === undefined);
const sameFact = (a: SharedFact, b: SharedFact) => a.kind === b.kind && a.value === b.value;
const clone = (book: IncidentBook): IncidentBook => ({ version: book.version, incidents: book.incidents.map((i) => ({ ...i, fact: { ...i.fact }, members: i.members.map((m) => ({ ...m })) })) });

/** The incident a monitor is down in, if any. */
export function incidentOf(book: IncidentBook, monitorId: string): Incident | undefined {
  return book.incidents.find((i) => i.members.some((m) => m.monitorId === monitorId && m.up === undefined));
}

/**
 * Applies a pass's DOWN and UP events to the book. Recoveries first: a member found back is marked so (an
 * INCIDENT_UPDATED naming it, or INCIDENT_RESOLVED when it was the last; a lone DOWN's own UP pages as usual). Then
 * each DOWN, in this order: already in (a replay: nothing new); its dependency is DOWN (it joins the dependency's
 * incident); it shares the fact of an open incident opened within the window (it joins); it shares a fact with other
 * new DOWNs of the pass (one INCIDENT for them, grouped by the strongest fact they share); else it pages alone and
 * opens a book entry others may join. Deterministic in (book, events, context).
 */
export function correlate(before: IncidentBook, events: readonly (DownEvent | UpEvent)[], context: CorrelationContext): Correlation {
  const book = clone(before);
  const decisions = new Map<string, 'page' | 'absorbed'>();
  const joined = new Map<Incident, string[]>();
  const recovered = new Map<Incident, string[]>();
  const opened: Incident[] = [];
  const note = (map: Map<Incident, string[]>, incident: Incident, id: string) => map.set(incident, [...(map.get(incident) ?? []), id]);

  // A member no longer declared will never report back: it counts as back, said so in the next alert.
  for (const incident of book.incidents) {
    for (const member of incident.members) {
      if (member.up === undefined && context.describe(member.monitorId) === undefined) {
        member.up = context.now;
        member.undeclared = true;
        note(recovered, incident, member.monitorId);
      }
    }
  }

  for (const event of events) {
    if (event.kind !== 'up') continue;
    const incident = incidentOf(book, event.monitorId);
    if (!incident) {
      decisions.set(event.monitorId, 'page');
      continue;
    }
    incident.members.find((m) => m.monitorId === event.monitorId && m.up === undefined)!.up = event.round;
    // A lone DOWN's recovery is its own UP page; a member of a joined incident's is an update.
    decisions.set(event.monitorId, incident.members.length === 1 ? 'page' : 'absorbed');
    if (incident.members.length > 1) note(recovered, incident, event.monitorId);
  }

  const downs = events.filter((e): e is DownEvent => e.kind === 'down');
  const placed = new Set<string>();
  const join = (incident: Incident, event: DownEvent, via: IncidentMember['via'], dependsOn?: string) => {
    const member = incident.members.find((m) => m.monitorId === event.monitorId);
    const fresh: IncidentMember = { monitorId: event.monitorId, down: event.round, via, ...(dependsOn !== undefined ? { dependsOn } : {}), evidence: event.evidence };
    if (member) Object.assign(member, fresh, { up: undefined, undeclared: undefined });
    else incident.members.push(fresh);
    decisions.set(event.monitorId, 'absorbed');
    placed.add(event.monitorId);
    if (!opened.includes(incident)) note(joined, incident, event.monitorId);
  };
  const dependencyIncident = (event: DownEvent): { incident: Incident; on: string } | undefined => {
    for (const on of event.dependsOn) {
      const incident = incidentOf(book, on);
      if (incident) return { incident, on };
    }
    return undefined;
  };

  // Replays, dependencies and open incidents first.
  const deferred: DownEvent[] = [];
  for (const event of downs) {
    const current = book.incidents.find((i) => i.members.some((m) => m.monitorId === event.monitorId && m.down === event.round));
    if (current) {
      // The same DOWN again (a replayed batch, a retried write): decided already.
      const member = current.members.find((m) => m.monitorId === event.monitorId)!;
      decisions.set(event.monitorId, member.via === 'opened' && current.page === 'DOWN' ? 'page' : 'absorbed');
      placed.add(event.monitorId);
      continue;
    }
    const dependency = dependencyIncident(event);
    if (dependency) {
      join(dependency.incident, event, 'dependsOn', dependency.on);
      continue;
    }
    if (event.dependsOn.some((on) => context.isDown(on) || downs.some((d) => d.monitorId === on))) {
      // Its dependency is DOWN but in no incident yet (it goes DOWN in this pass, or paged before incidents were kept).
      deferred.push(event);
      continue;
    }
    const open = book.incidents.find((i) => isOpen(i) && i.fact.kind !== 'dependsOn' && event.round - i.opened <= INCIDENT_WINDOW_MS && event.facts.some((f) => sameFact(f, i.fact)));
    if (open) join(open, event, 'fact');
  }

  // New DOWNs sharing a fact: one INCIDENT for each group, on the strongest fact its members share.
  let rest = downs.filter((e) => !placed.has(e.monitorId) && !deferred.includes(e));
  for (const kind of FACT_KINDS) {
    const byValue = new Map<string, DownEvent[]>();
    for (const event of rest) {
      const fact = event.facts.find((f) => f.kind === kind);
      if (fact) byValue.set(fact.value, [...(byValue.get(fact.value) ?? []), event]);
    }
    for (const [value, group] of [...byValue].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (group.length < 2) continue;
      const members = [...group].sort((a, b) => (a.monitorId < b.monitorId ? -1 : 1));
      const first = Math.min(...members.map((e) => e.round));
      const incident: Incident = {
        id: `incident:${members[0]!.monitorId}:${first / 1000}`, fact: { kind, value }, opened: first, page: 'INCIDENT', updates: 0,
        members: members.map((e) => ({ monitorId: e.monitorId, down: e.round, via: 'fact' as const, evidence: e.evidence })),
      };
      book.incidents.push(incident);
      opened.push(incident);
      for (const e of members) {
        decisions.set(e.monitorId, 'absorbed');
        placed.add(e.monitorId);
      }
    }
    rest = rest.filter((e) => !placed.has(e.monitorId));
  }
  // The rest page alone; each opens an entry that DOWNs sharing a fact (or depending on it) may join.
  for (const event of rest) {
    const fact = event.facts[0] ?? { kind: 'host' as const, value: event.monitorId };
    book.incidents.push({
      id: `incident:${event.monitorId}:${event.round / 1000}`, fact, opened: event.round, page: 'DOWN', updates: 0,
      members: [{ monitorId: event.monitorId, down: event.round, via: 'opened', evidence: event.evidence }],
    });
    decisions.set(event.monitorId, 'page');
    placed.add(event.monitorId);
  }
  // Dependents whose dependency went DOWN in this pass (now in an incident), or was DOWN with none.
  for (const event of deferred) {
    const dependency = dependencyIncident(event);
    if (dependency) {
      join(dependency.incident, event, 'dependsOn', dependency.on);
      continue;
    }
    const on = event.dependsOn.find((id) => context.isDown(id))!;
    const incident: Incident = {
      id: `incident:${on}:${event.round / 1000}`, fact: { kind: 'dependsOn', value: on }, opened: event.round, page: 'DOWN', updates: 0,
      members: [{ monitorId: on, down: event.round, via: 'opened', evidence: 'DOWN (paged before this incident)' }],
    };
    book.incidents.push(incident);
    join(incident, event, 'dependsOn', on);
  }

  // The alerts: one INCIDENT per new group, one update per incident that changed, RESOLVED when all are back.
  const alerts: AlertMessage[] = [];
  for (const incident of opened) alerts.push(incidentAlert(incident, 'INCIDENT', context, { joined: [], recovered: [] }));
  for (const incident of book.incidents) {
    if (opened.includes(incident)) continue;
    const j = joined.get(incident) ?? [];
    const r = recovered.get(incident) ?? [];
    if (j.length === 0 && r.length === 0) continue;
    incident.updates += 1;
    alerts.push(incidentAlert(incident, isOpen(incident) ? 'INCIDENT_UPDATED' : 'INCIDENT_RESOLVED', context, { joined: j, recovered: r }));
  }
  // Closed incidents leave the book (their last alert said everything); so do lone DOWNs that recovered.
  book.incidents = book.incidents.filter(isOpen);
  const changed = JSON.stringify(book.incidents) !== JSON.stringify(before.incidents);
  if (changed) book.version = before.version + 1;
  return { book: changed ? book : before, changed, alerts, decisions };
}

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

function incidentAlert(
  incident: Incident, kind: 'INCIDENT' | 'INCIDENT_UPDATED' | 'INCIDENT_RESOLVED', context: CorrelationContext, change: { joined: string[]; recovered: string[] },
): AlertMessage {
  const members: IncidentMemberEvidence[] = incident.members.map((m) => {
    const monitor = context.describe(m.monitorId);
    return {
      monitor: m.monitorId, ...(monitor ? { target: monitor.target } : {}), status: m.up === undefined ? 'down' : 'up',
      since: new Date(m.down).toISOString(), ...(m.up !== undefined ? { recovered: new Date(m.up).toISOString() } : {}),
      via: m.via, ...(m.dependsOn !== undefined ? { dependsOn: m.dependsOn } : {}), ...(m.undeclared ? { undeclared: true } : {}), evidence: m.evidence,
    };
  });
  const severities = incident.members.map((m) => context.describe(m.monitorId)?.severity).filter((s): s is Severity => s !== undefined);
  const severity = SEVERITY_ORDER.find((s) => severities.includes(s)) ?? 'critical';
  const stillDown = members.filter((m) => m.status === 'down').map((m) => m.monitor);
  const evidence: IncidentEvidence = {
    id: incident.id, fact: { ...incident.fact, text: factText(incident.fact) }, opened: new Date(incident.opened).toISOString(), severity,
    memberCount: members.length, members: members.slice(0, MAX_LISTED_MEMBERS), joined: change.joined, recovered: change.recovered, stillDown,
  };
  const latest = Math.max(...incident.members.map((m) => Math.max(m.down, m.up ?? 0)));
  return withSubject({
    schemaVersion: 1, alertId: incident.id, sequence: kind === 'INCIDENT' ? 0 : incident.updates, kind, cause: 'transition',
    at: new Date(context.now).toISOString(), round: new Date(latest).toISOString(), since: new Date(incident.opened).toISOString(),
    verdict: kind === 'INCIDENT_RESOLVED' ? 'UP' : 'DOWN', previousVerdict: kind === 'INCIDENT' ? 'UP' : 'DOWN', regions: [], incident: evidence,
  });
}
