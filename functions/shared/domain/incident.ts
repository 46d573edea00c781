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
/**
 * Members an incident alert lists, and monitors each of its lists (joined, recovered, still down) names; the counts say
 * how many more there are. Bounded so an alert about any number of monitors stays a few KB (SNS bodies are at most 256 KB).
 */
export const MAX_LISTED_MEMBERS = 20;

/** The shared facts, strongest first: a group forms on the first kind whose value two or more new DOWNs share. */
const FACT_KINDS = ['address', 'host', 'group', 'errors'] as const;
type FactKind = (typeof FACT_KINDS)[number] | 'dependsOn';

export interface SharedFact {
  kind: FactKind;
  /** The resolved address, the host name, the probe group, `class@region,region`, or the monitor depended on. */
  value: string;
}

export interface IncidentMember {
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
  /**
   * The book version each of its member pages was last written at, when its members are in pages (more than
   * INLINE_MEMBERS): a reader checks each page against it, so it never mixes pages of two writes.
   */
  pageVersions?: number[];
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
  /** Per event's monitor: the incident (or lone DOWN's entry) its event went to. */
  placedIn: Map<string, string>;
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

const sameFact = (a: SharedFact, b: SharedFact) => a.kind === b.kind && a.value === b.value;
const factKey = (fact: SharedFact) => `${fact.kind}\u0000${fact.value}`;
const cloneIncident = (i: Incident): Incident => ({
  ...i, fact: { ...i.fact }, members: i.members.map((m) => ({ ...m })), ...(i.pageVersions ? { pageVersions: [...i.pageVersions] } : {}),
});
const clone = (book: IncidentBook): IncidentBook => ({ version: book.version, incidents: book.incidents.map(cloneIncident) });
const isOpen = (incident: Incident) => incident.members.some((m) => m.up === undefined);
const earliest = (values: readonly number[]) => values.reduce((a, b) => (b < a ? b : a), Infinity);
const latest = (values: readonly number[]) => values.reduce((a, b) => (b > a ? b : a), -Infinity);

/**
 * The book with indexes, so a pass over 100,000 members stays linear: which incident each monitor is down in, each
 * member by monitor, how many of each incident's members are down, the open incidents by fact.
 */
class Workspace {
  readonly downIn = new Map<string, Incident>();
  readonly membersOf = new Map<Incident, Map<string, IncidentMember>>();
  readonly downCount = new Map<Incident, number>();
  readonly byFact = new Map<string, Incident[]>();
  /** Every incident a monitor is a member of (down or back). */
  readonly memberships = new Map<string, Incident[]>();
  changed = false;

  constructor(readonly book: IncidentBook) {
    for (const incident of book.incidents) this.index(incident);
  }

  index(incident: Incident): void {
    const members = new Map<string, IncidentMember>();
    let down = 0;
    for (const m of incident.members) {
      members.set(m.monitorId, m);
      this.noteMembership(m.monitorId, incident);
      if (m.up === undefined) {
        this.downIn.set(m.monitorId, incident);
        down += 1;
      }
    }
    this.membersOf.set(incident, members);
    this.downCount.set(incident, down);
    const key = factKey(incident.fact);
    this.byFact.set(key, [...(this.byFact.get(key) ?? []), incident]);
  }

  private noteMembership(monitorId: string, incident: Incident): void {
    const list = this.memberships.get(monitorId);
    if (!list) this.memberships.set(monitorId, [incident]);
    else if (!list.includes(incident)) list.push(incident);
  }

  add(incident: Incident): void {
    this.book.incidents.push(incident);
    this.index(incident);
    this.changed = true;
  }

  markUp(incident: Incident, member: IncidentMember, at: number, undeclared = false): void {
    member.up = at;
    if (undeclared) member.undeclared = true;
    if (this.downIn.get(member.monitorId) === incident) this.downIn.delete(member.monitorId);
    this.downCount.set(incident, this.downCount.get(incident)! - 1);
    this.changed = true;
  }

  /** Adds (or re-adds, when it was back) a member down. */
  putDown(incident: Incident, fresh: IncidentMember): void {
    const members = this.membersOf.get(incident)!;
    const member = members.get(fresh.monitorId);
    if (member) {
      const wasUp = member.up !== undefined;
      for (const key of Object.keys(member) as (keyof IncidentMember)[]) delete member[key];
      Object.assign(member, fresh);
      if (wasUp) this.downCount.set(incident, this.downCount.get(incident)! + 1);
    } else {
      incident.members.push(fresh);
      members.set(fresh.monitorId, fresh);
      this.noteMembership(fresh.monitorId, incident);
      this.downCount.set(incident, this.downCount.get(incident)! + 1);
    }
    this.downIn.set(fresh.monitorId, incident);
    this.changed = true;
  }

  isOpen(incident: Incident): boolean {
    return this.downCount.get(incident)! > 0;
  }
}

/** A lone DOWN's entry is kept this long after its round, for DOWNs sharing its fact to join (then its UP is its own page). */
const LONE_ENTRY_MS = 2 * INCIDENT_WINDOW_MS;

/**
 * Applies a pass's DOWN and UP events to the book. Recoveries first: a member found back is marked so (an
 * INCIDENT_UPDATED naming it, or INCIDENT_RESOLVED when it was the last; a lone DOWN's own UP pages as usual). Then
 * each DOWN, in this order: already in (a replay: nothing new); its dependency is DOWN (it joins the dependency's
 * incident); it shares the fact of an open incident opened within the window (it joins); it shares a fact with other
 * new DOWNs of the pass (one INCIDENT for them, grouped by the strongest fact they share); else it pages alone and
 * opens a book entry others may join (kept for twice the window: after that nobody can join it, and its UP pages
 * alone either way). Deterministic in (book, events, context); linear in the book and the events.
 */
export function correlate(before: IncidentBook, events: readonly (DownEvent | UpEvent)[], context: CorrelationContext): Correlation {
  const book = clone(before);
  const work = new Workspace(book);
  const decisions = new Map<string, 'page' | 'absorbed'>();
  const placedIn = new Map<string, string>();
  const joined = new Map<Incident, string[]>();
  const recovered = new Map<Incident, string[]>();
  const opened = new Set<Incident>();
  const note = (map: Map<Incident, string[]>, incident: Incident, id: string) => {
    const list = map.get(incident);
    if (list) list.push(id);
    else map.set(incident, [id]);
  };

  // A member no longer declared will never report back: it counts as back, said so in the next alert.
  for (const incident of book.incidents) {
    for (const member of incident.members) {
      if (member.up === undefined && context.describe(member.monitorId) === undefined) {
        work.markUp(incident, member, context.now, true);
        note(recovered, incident, member.monitorId);
      }
    }
  }

  for (const event of events) {
    if (event.kind !== 'up') continue;
    const incident = work.downIn.get(event.monitorId);
    if (!incident) {
      decisions.set(event.monitorId, 'page');
      continue;
    }
    work.markUp(incident, work.membersOf.get(incident)!.get(event.monitorId)!, event.round);
    placedIn.set(event.monitorId, incident.id);
    // A lone DOWN's recovery is its own UP page; a member of a joined incident's is an update.
    decisions.set(event.monitorId, incident.members.length === 1 ? 'page' : 'absorbed');
    if (incident.members.length > 1) note(recovered, incident, event.monitorId);
  }

  const downs = events.filter((e): e is DownEvent => e.kind === 'down');
  const downIds = new Set(downs.map((d) => d.monitorId));
  const placed = new Set<string>();
  const join = (incident: Incident, event: DownEvent, via: IncidentMember['via'], dependsOn?: string) => {
    work.putDown(incident, { monitorId: event.monitorId, down: event.round, via, ...(dependsOn !== undefined ? { dependsOn } : {}), evidence: event.evidence });
    decisions.set(event.monitorId, 'absorbed');
    placedIn.set(event.monitorId, incident.id);
    placed.add(event.monitorId);
    if (!opened.has(incident)) note(joined, incident, event.monitorId);
  };
  const dependencyIncident = (event: DownEvent): { incident: Incident; on: string } | undefined => {
    for (const on of event.dependsOn) {
      const incident = work.downIn.get(on);
      if (incident) return { incident, on };
    }
    return undefined;
  };

  // Replays, dependencies and open incidents first.
  const deferred = new Set<DownEvent>();
  for (const event of downs) {
    const current = (work.memberships.get(event.monitorId) ?? []).find((i) => work.membersOf.get(i)!.get(event.monitorId)?.down === event.round);
    if (current) {
      // The same DOWN again (a replayed batch, a retried write): decided already.
      const member = work.membersOf.get(current)!.get(event.monitorId)!;
      decisions.set(event.monitorId, member.via === 'opened' && current.page === 'DOWN' ? 'page' : 'absorbed');
      placedIn.set(event.monitorId, current.id);
      placed.add(event.monitorId);
      continue;
    }
    const dependency = dependencyIncident(event);
    if (dependency) {
      join(dependency.incident, event, 'dependsOn', dependency.on);
      continue;
    }
    if (event.dependsOn.some((on) => context.isDown(on) || downIds.has(on))) {
      // Its dependency is DOWN but in no incident yet (it goes DOWN in this pass, or paged before incidents were kept).
      deferred.add(event);
      continue;
    }
    const open = event.facts
      .flatMap((f) => work.byFact.get(factKey(f)) ?? [])
      .find((i) => i.fact.kind !== 'dependsOn' && work.isOpen(i) && event.round - i.opened <= INCIDENT_WINDOW_MS && event.facts.some((f) => sameFact(f, i.fact)));
    if (open) join(open, event, 'fact');
  }

  // New DOWNs sharing a fact: one INCIDENT for each group, on the strongest fact its members share.
  let rest = downs.filter((e) => !placed.has(e.monitorId) && !deferred.has(e));
  for (const kind of FACT_KINDS) {
    const byValue = new Map<string, DownEvent[]>();
    for (const event of rest) {
      const fact = event.facts.find((f) => f.kind === kind);
      if (!fact) continue;
      const group = byValue.get(fact.value);
      if (group) group.push(event);
      else byValue.set(fact.value, [event]);
    }
    for (const [value, group] of [...byValue].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (group.length < 2) continue;
      const members = [...group].sort((a, b) => (a.monitorId < b.monitorId ? -1 : 1));
      const first = earliest(members.map((e) => e.round));
      const incident: Incident = {
        id: `incident:${members[0]!.monitorId}:${first / 1000}`, fact: { kind, value }, opened: first, page: 'INCIDENT', updates: 0,
        members: members.map((e) => ({ monitorId: e.monitorId, down: e.round, via: 'fact' as const, evidence: e.evidence })),
      };
      work.add(incident);
      opened.add(incident);
      for (const e of members) {
        decisions.set(e.monitorId, 'absorbed');
        placedIn.set(e.monitorId, incident.id);
        placed.add(e.monitorId);
      }
    }
    rest = rest.filter((e) => !placed.has(e.monitorId));
  }
  // The rest page alone; each opens an entry that DOWNs sharing a fact (or depending on it) may join.
  for (const event of rest) {
    const fact = event.facts[0] ?? { kind: 'host' as const, value: event.monitorId };
    work.add({
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
    work.add(incident);
    join(incident, event, 'dependsOn', on);
  }

  // The alerts: one INCIDENT per new group, one update per incident that changed, RESOLVED when all are back.
  const alerts: AlertMessage[] = [];
  for (const incident of opened) alerts.push(incidentAlert(incident, 'INCIDENT', context, work, { joined: [], recovered: [] }));
  for (const incident of book.incidents) {
    if (opened.has(incident)) continue;
    const j = joined.get(incident) ?? [];
    const r = recovered.get(incident) ?? [];
    if (j.length === 0 && r.length === 0) continue;
    incident.updates += 1;
    alerts.push(incidentAlert(incident, work.isOpen(incident) ? 'INCIDENT_UPDATED' : 'INCIDENT_RESOLVED', context, work, { joined: j, recovered: r }));
  }
  // Closed incidents leave the book (their last alert said everything); so do lone DOWNs that recovered, and lone
  // DOWNs nobody can join any more.
  const kept = book.incidents.filter((i) => work.isOpen(i) && !(i.page === 'DOWN' && i.members.length === 1 && context.now - i.opened > LONE_ENTRY_MS));
  if (kept.length !== book.incidents.length) work.changed = true;
  book.incidents = kept;
  const changed = work.changed;
  if (changed) book.version = before.version + 1;
  return { book: changed ? book : before, changed, alerts, decisions, placedIn };
}

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

/** Where an incident alert says the full member list is (its body names at most MAX_LISTED_MEMBERS per list). */
export const INCIDENT_FULL_LIST = "every member: 'portquorum status' (INCIDENT beside each one down) and 'portquorum history' (each member's DOWN, absorbed by this incident)";

function incidentAlert(
  incident: Incident, kind: 'INCIDENT' | 'INCIDENT_UPDATED' | 'INCIDENT_RESOLVED', context: CorrelationContext, work: Workspace,
  change: { joined: string[]; recovered: string[] },
): AlertMessage {
  const members = work.membersOf.get(incident)!;
  const evidenceOf = (m: IncidentMember): IncidentMemberEvidence => {
    const monitor = context.describe(m.monitorId);
    return {
      monitor: m.monitorId, ...(monitor ? { target: monitor.target } : {}), status: m.up === undefined ? 'down' : 'up',
      since: new Date(m.down).toISOString(), ...(m.up !== undefined ? { recovered: new Date(m.up).toISOString() } : {}),
      via: m.via, ...(m.dependsOn !== undefined ? { dependsOn: m.dependsOn } : {}), ...(m.undeclared ? { undeclared: true } : {}), evidence: m.evidence,
    };
  };
  // Bounded whatever the incident's size (an SNS message is at most 256 KB): what this alert changes first, then who is
  // still down, then the rest (listed in the incident's order); the counts say how many each list leaves out.
  const stillDown: string[] = [];
  let downCount = 0;
  let severity: Severity | undefined;
  for (const m of incident.members) {
    if (m.up === undefined) {
      downCount += 1;
      if (stillDown.length < MAX_LISTED_MEMBERS) stillDown.push(m.monitorId);
    }
    const s = context.describe(m.monitorId)?.severity;
    if (s !== undefined && (severity === undefined || SEVERITY_ORDER.indexOf(s) < SEVERITY_ORDER.indexOf(severity))) severity = s;
  }
  const listed = new Set<string>();
  for (const id of [...change.joined.slice(0, MAX_LISTED_MEMBERS), ...change.recovered.slice(0, MAX_LISTED_MEMBERS), ...stillDown]) {
    if (listed.size >= MAX_LISTED_MEMBERS) break;
    listed.add(id);
  }
  for (const m of incident.members) {
    if (listed.size >= MAX_LISTED_MEMBERS) break;
    listed.add(m.monitorId);
  }
  const evidence: IncidentEvidence = {
    id: incident.id, fact: { ...incident.fact, text: factText(incident.fact) }, opened: new Date(incident.opened).toISOString(), severity: severity ?? 'critical',
    memberCount: incident.members.length, downCount, members: incident.members.filter((m) => listed.has(m.monitorId)).map(evidenceOf),
    joined: change.joined.slice(0, MAX_LISTED_MEMBERS), joinedCount: change.joined.length,
    recovered: change.recovered.slice(0, MAX_LISTED_MEMBERS), recoveredCount: change.recovered.length, stillDown,
    ...(incident.members.length > listed.size ? { unlisted: incident.members.length - listed.size, fullList: INCIDENT_FULL_LIST } : {}),
  };
  const last = latest(incident.members.map((m) => Math.max(m.down, m.up ?? 0)));
  return withSubject({
    schemaVersion: 1, alertId: incident.id, sequence: kind === 'INCIDENT' ? 0 : incident.updates, kind, cause: 'transition',
    at: new Date(context.now).toISOString(), round: new Date(last).toISOString(), since: new Date(incident.opened).toISOString(),
    verdict: kind === 'INCIDENT_RESOLVED' ? 'UP' : 'DOWN', previousVerdict: kind === 'INCIDENT' ? 'UP' : 'DOWN', regions: [], incident: evidence,
  });
}

// Storage. The book is one item while it is small; an incident of more than INLINE_MEMBERS keeps its members in member
// pages (PAGE_MEMBERS each), written in the same transaction as the book's item, which holds only the incident, its
// counts and the book version of each page. So neither item nears DynamoDB's 400 KB, whatever the incident's size.

/** An incident with this many members or fewer keeps them in the book's item; a bigger one keeps them all in pages. */
const INLINE_MEMBERS = 5;
/** Members per member page: at most ~300 B each (64-character ids), so a page stays under 120 KB. */
export const PAGE_MEMBERS = 400;

/** An incident as the book's item holds it. */
interface IncidentHeader extends Omit<Incident, 'members'> {
  /** Its members, when it has INLINE_MEMBERS or fewer (else they are in its member pages). */
  members?: IncidentMember[];
  memberCount: number;
  downCount: number;
}

/** The book's item. */
export interface BookHeader {
  incidents: IncidentHeader[];
  version: number;
}

/** One member page: `key` is `<incident id>#<page index>`; `version` the book version that wrote it. */
interface MemberPage {
  key: string;
  version: number;
  members: IncidentMember[];
}

/** What one conditional write of the book puts and deletes (in one transaction), and about how many bytes it puts. */
export interface BookWrite {
  header: BookHeader;
  puts: MemberPage[];
  deletes: string[];
  bytes: number;
}

function memberPageKey(incidentId: string, index: number): string {
  return `${incidentId}#${index}`;
}

function pagesOf(incident: Incident | undefined): IncidentMember[][] {
  if (!incident || incident.members.length <= INLINE_MEMBERS) return [];
  const pages: IncidentMember[][] = [];
  for (let k = 0; k < incident.members.length; k += PAGE_MEMBERS) pages.push(incident.members.slice(k, k + PAGE_MEMBERS));
  return pages;
}

/** Member pages of an incident as the table holds them. */
function storedPageKeys(incident: Incident): string[] {
  return (incident.pageVersions ?? []).map((_, k) => memberPageKey(incident.id, k));
}

/**
 * The write that takes the stored book `before` to `after`: the book's item, the member pages that changed (a page
 * whose members are unchanged keeps its version), and pages to delete — those of incidents that left the book, and
 * `orphans` a reader found (left by an earlier write that could delete only `maxDeletes`).
 */
export function planBookWrite(before: IncidentBook, after: IncidentBook, orphans: readonly string[] = [], maxDeletes = 20): BookWrite {
  const previous = new Map(before.incidents.map((i) => [i.id, i]));
  const puts: MemberPage[] = [];
  const incidents = after.incidents.map((incident): IncidentHeader => {
    const { members, pageVersions: _versions, ...rest } = incident;
    const counts = { memberCount: members.length, downCount: members.filter((m) => m.up === undefined).length };
    const pages = pagesOf(incident);
    if (pages.length === 0) return { ...rest, members, ...counts };
    const old = previous.get(incident.id);
    const oldPages = pagesOf(old);
    const pageVersions = pages.map((page, k) => {
      const kept = old?.pageVersions?.[k];
      if (kept !== undefined && oldPages[k] !== undefined && JSON.stringify(oldPages[k]) === JSON.stringify(page)) return kept;
      puts.push({ key: memberPageKey(incident.id, k), version: after.version, members: page });
      return after.version;
    });
    return { ...rest, ...counts, pageVersions };
  });
  const kept = new Set(after.incidents.map((i) => i.id));
  const written = new Set(puts.map((p) => p.key));
  const gone = [...before.incidents.filter((i) => !kept.has(i.id)).flatMap(storedPageKeys), ...orphans].filter((key) => !written.has(key));
  const header: BookHeader = { incidents, version: after.version };
  const bytes = JSON.stringify(header).length + puts.reduce((sum, p) => sum + JSON.stringify(p.members).length + p.key.length + 64, 0);
  return { header, puts, deletes: [...new Set(gone)].slice(0, maxDeletes), bytes };
}

/**
 * The book from its item and the member pages read with it, or `undefined` when a page is missing or of another
 * write than the item says (the reader caught a write half-way: read again). `orphans`: pages no incident refers to.
 */
export function assembleBook(header: BookHeader, pages: ReadonlyMap<string, { version: number; members: IncidentMember[] }>): { book: IncidentBook; orphans: string[] } | undefined {
  const used = new Set<string>();
  const incidents: Incident[] = [];
  for (const h of header.incidents) {
    const { members: inline, memberCount: _count, downCount: _down, ...rest } = h;
    if (h.pageVersions === undefined) {
      incidents.push({ ...rest, members: inline ?? [] });
      continue;
    }
    const members: IncidentMember[] = [];
    for (const [k, version] of h.pageVersions.entries()) {
      const key = memberPageKey(h.id, k);
      const page = pages.get(key);
      if (!page || page.version !== version) return undefined;
      used.add(key);
      for (const m of page.members) members.push(m);
    }
    incidents.push({ ...rest, members });
  }
  return { book: { incidents, version: header.version }, orphans: [...pages.keys()].filter((key) => !used.has(key)) };
}

/** The book as the table holds it after `write`: each incident with the page versions written. */
export function bookAfter(book: IncidentBook, write: BookWrite): IncidentBook {
  const versions = new Map(write.header.incidents.map((h) => [h.id, h.pageVersions]));
  return {
    version: book.version,
    incidents: book.incidents.map((i) => {
      const { pageVersions: _old, ...rest } = i;
      const pageVersions = versions.get(i.id);
      return pageVersions ? { ...rest, pageVersions } : rest;
    }),
  };
}
