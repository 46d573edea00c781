// From the history (domain/history.ts) to what the report and the status page count: each monitor's verdict changes,
// its silences as spans, and each region's results at the transitions the history recorded.
import type { HomeFleetConfig } from './fleet';
import type { HistoryEvent } from './history';
import type { RegionChange } from './report';
import type { Span, VerdictChange } from './uptime';

export interface Timelines {
  changes: Map<string, VerdictChange[]>;
  silences: Map<string, Span[]>;
  regions: Map<string, Record<string, RegionChange[]>>;
}

/** The silence targets of a monitor's tags, `tag:<key>=<value>`. */
function tagTargets(monitor: { tags?: Record<string, string> }): string[] {
  return Object.entries(monitor.tags ?? {}).map(([k, v]) => `tag:${k}=${v}`);
}

/**
 * The names whose history events the timelines of `fleet` read (each monitor's id: its transitions, region changes and
 * silences by monitor; each tag target: silences by tag), for a history read of only their shards.
 */
export function timelineSubjects(fleet: Pick<HomeFleetConfig, 'monitors'>): string[] {
  return [...new Set(fleet.monitors.flatMap((m) => [m.id, ...tagTargets(m)]))];
}

/**
 * Verdict changes at the instant each new verdict began (`since`), silences from each `silence` to its `until` or the
 * `unsilence` that ended it early (a tag silence applies to every monitor carrying the tag), and each region's status
 * in the round of each transition (vetoed and silent regions count as not reporting) and at each of its own changes.
 */
export function timelinesFromHistory(events: readonly HistoryEvent[], fleet: Pick<HomeFleetConfig, 'monitors'>): Timelines {
  const changes = new Map<string, VerdictChange[]>();
  const regions = new Map<string, Record<string, RegionChange[]>>();
  const open = new Map<string, { from: number; until: number }>();
  const silenceSpans: { target: string; span: Span }[] = [];
  for (const e of events) {
    if (e.event === 'transition') {
      const list = changes.get(e.monitor) ?? [];
      list.push({ at: Date.parse(e.since), verdict: e.to, previous: e.from });
      changes.set(e.monitor, list);
      const byRegion = regions.get(e.monitor) ?? {};
      const round = Date.parse(e.round);
      for (const part of e.regions) {
        if (part.status === 'pending') continue;
        (byRegion[part.region] ??= []).push({ at: round, status: part.status === 'up' ? 'up' : part.status === 'down' ? 'down' : 'silent' });
      }
      regions.set(e.monitor, byRegion);
    } else if (e.event === 'region') {
      const byRegion = regions.get(e.monitor) ?? {};
      (byRegion[e.region] ??= []).push({ at: Date.parse(e.round), status: e.status });
      regions.set(e.monitor, byRegion);
    } else if (e.event === 'silence' && e.until) {
      const earlier = open.get(e.target);
      if (earlier) silenceSpans.push({ target: e.target, span: { from: earlier.from, to: Math.min(earlier.until, Date.parse(e.at)) } });
      open.set(e.target, { from: Date.parse(e.at), until: Date.parse(e.until) });
    } else if (e.event === 'unsilence') {
      const earlier = open.get(e.target);
      if (earlier) silenceSpans.push({ target: e.target, span: { from: earlier.from, to: Math.min(earlier.until, Date.parse(e.at)) } });
      open.delete(e.target);
    }
  }
  // Region changes and transitions interleave by round; the events came sorted by when they were written.
  for (const byRegion of regions.values()) for (const list of Object.values(byRegion)) list.sort((a, b) => a.at - b.at);
  for (const [target, { from, until }] of open) silenceSpans.push({ target, span: { from, to: until } });
  const silences = new Map<string, Span[]>();
  for (const monitor of fleet.monitors) {
    const targets = new Set([`monitor:${monitor.id}`, ...tagTargets(monitor)]);
    const spans = silenceSpans.filter((s) => targets.has(s.target) && s.span.to > s.span.from).map((s) => s.span);
    if (spans.length > 0) silences.set(monitor.id, spans);
  }
  return { changes, silences, regions };
}
