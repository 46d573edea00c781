// The status page: from the states, the verdict history, maintenance windows and silences to its JSON
// (statusPageData) and to one static HTML page (renderStatusPage). One renderer for the sweeper's S3 page,
// `portquorum local`'s loopback page and `portquorum status --html`. Pure: the clock is `at`.
import type { Verdict } from './constants';
import { maintenanceSpans } from './maintenance';
import type { MaintenanceWindow } from './monitor';
import type { StatusPageSpec } from './schema';
import { account, DAY_MS, dayOf, merge, segments, startOfDay, verdictAt, type Span, type VerdictChange } from './uptime';

/** A silence as the page shows it: who muted which monitors until when, and why. */
export interface PageSilence {
  monitors: string[];
  /** Epoch ms. */
  from: number;
  /** Epoch ms. */
  until: number;
  by?: string;
  reason?: string;
}

export interface StatusPageInput {
  spec: StatusPageSpec;
  /** Epoch ms the page is rendered for. */
  at: number;
  /** The fleet's monitors (id, maintenance windows, exposure). */
  monitors: readonly { id: string; maintenance?: readonly MaintenanceWindow[]; exposure?: string }[];
  /** Each monitor's current state (absent before its first verdict). */
  states: ReadonlyMap<string, { verdict: Verdict; since: number }>;
  /** Each monitor's verdict changes from the history, any order (missing: none recorded). */
  changes: ReadonlyMap<string, readonly VerdictChange[]>;
  /** Silences that overlap the page's 90 days (past ones too: their time is left out of the bars' uptime). */
  silences: readonly PageSilence[];
}

/** Bar level of a day: the worst verdict seen in it, or maintenance when all of its counted time was excluded. */
const DAY_LEVELS = ['up', 'degraded', 'down', 'unknown', 'maintenance'] as const;
type DayLevel = (typeof DAY_LEVELS)[number];

interface PageDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  level: DayLevel;
  /** Up share of the day's counted time (UP and DEGRADED up, DOWN down; unknown and excluded time left out); null when none counted. */
  uptime: number | null;
  downMinutes: number;
}

interface PageRow {
  kind: 'monitor' | 'group';
  /** The monitor id or the group name. */
  name: string;
  /** The monitors it stands for (a monitor row: itself). */
  monitors: string[];
  verdict: Verdict;
  /** ISO instant the verdict began (a group: its latest member change that made it). */
  since?: string;
  /** Uptime over the 90 days, by the same accounting as the bars; null when none counted. */
  uptime: number | null;
  /** Oldest first; the last is today so far. */
  days: PageDay[];
  /** In a maintenance window now, until this ISO instant. */
  maintenanceUntil?: string;
  /** Silenced now, until this ISO instant. */
  silencedUntil?: string;
}

interface PageIncident {
  monitor: string;
  /** The group row the monitor is shown in, if any. */
  group?: string;
  /** ISO instants. */
  from: string;
  to?: string;
  ongoing: boolean;
  minutes: number;
}

export interface StatusPageData {
  schemaVersion: 1;
  title: string;
  /** ISO instant it was rendered for. */
  generatedAt: string;
  /** The worst verdict of the rows. */
  overall: Verdict;
  rows: PageRow[];
  /** Ongoing DOWN spells, and those that ended in the last RECENT_DAYS days, newest first. */
  incidents: PageIncident[];
  /** Maintenance windows running now or starting within a week, soonest first. */
  maintenance: { monitor: string; from: string; to: string; now: boolean }[];
  /** Silences in force now. */
  silences: { monitors: string[]; until: string; by?: string; reason?: string }[];
  /** How the bars and figures count, in words. */
  accounting: string;
}

export const PAGE_DAYS = 90;
const RECENT_DAYS = 14;
const MAX_INCIDENTS = 50;
const SOON_MS = 7 * DAY_MS;
/** Worst first: what a group row shows when its members differ. */
const SEVERITY: readonly Verdict[] = ['DOWN', 'DEGRADED', 'UNKNOWN', 'UP'];
const ACCOUNTING = 'UP and DEGRADED count as up, DOWN as down, by the quorum verdict; UNKNOWN time (too few regions reporting, '
  + 'or before the first verdict) and time in maintenance windows or silences are left out of the uptime.';

/** The page's data: rows with their verdict and 90 daily bars, incidents, maintenance and silences. */
export function statusPageData(input: StatusPageInput): StatusPageData {
  const { spec, at } = input;
  const known = new Map(input.monitors.map((m) => [m.id, m]));
  const grouped = new Set(Object.values(spec.groups ?? {}).flat());
  const singles = spec.monitors ?? input.monitors.filter((m) => !grouped.has(m.id) && m.exposure !== 'private').map((m) => m.id);
  const firstDay = startOfDay(at) - (PAGE_DAYS - 1) * DAY_MS;
  const window: Span = { from: firstDay, to: at };

  const timeline = (id: string): VerdictChange[] => {
    const changes = [...(input.changes.get(id) ?? [])];
    const state = input.states.get(id);
    // The state is the latest change, whether or not the history has kept it.
    if (state && state.since > 0 && !changes.some((c) => c.at === state.since)) changes.push({ at: state.since, verdict: state.verdict });
    return changes.sort((a, b) => a.at - b.at);
  };
  const exclusions = (id: string): Span[] => [
    ...maintenanceSpans(known.get(id)?.maintenance ?? [], window.from, window.to + SOON_MS),
    ...input.silences.filter((s) => s.monitors.includes(id)).map((s) => ({ from: s.from, to: s.until })),
  ];

  const row = (kind: PageRow['kind'], name: string, members: string[]): PageRow => {
    const changes = kind === 'monitor' ? timeline(members[0]!) : worstOf(members.map(timeline));
    const excluded = kind === 'monitor' ? exclusions(members[0]!) : intersectAll(members.map(exclusions));
    const verdict = kind === 'monitor' ? input.states.get(name)?.verdict ?? 'UNKNOWN' : worst(members.map((m) => input.states.get(m)?.verdict ?? 'UNKNOWN'));
    const latest = changes.filter((c) => c.at <= at).at(-1);
    const since = kind === 'monitor' ? input.states.get(name)?.since : latest?.verdict === verdict ? latest.at : undefined;
    const days: PageDay[] = [];
    for (let day = firstDay; day < at; day += DAY_MS) {
      const span = { from: day, to: Math.min(day + DAY_MS, at) };
      const a = account(changes, span, excluded);
      const counted = a.upMs + a.degradedMs + a.downMs;
      const level: DayLevel = a.downMs > 0 ? 'down' : a.degradedMs > 0 ? 'degraded' : a.upMs > 0 ? 'up' : a.excludedMs > 0 && a.unknownMs === 0 ? 'maintenance' : 'unknown';
      days.push({ day: dayOf(day), level, uptime: counted === 0 ? null : a.uptime, downMinutes: Math.round(a.downMs / 60_000) });
    }
    const now = excluded.find((s) => s.from <= at && at < s.to);
    const silenced = input.silences.filter((s) => members.every((m) => s.monitors.includes(m)) && s.from <= at && at < s.until).sort((a, b) => b.until - a.until)[0];
    return {
      kind, name, monitors: members, verdict,
      ...(since !== undefined && since > 0 ? { since: iso(since) } : {}),
      uptime: account(changes, window, excluded).uptime,
      days,
      ...(now && !silenced ? { maintenanceUntil: iso(merge(excluded).find((s) => s.from <= at && at < s.to)!.to) } : {}),
      ...(silenced ? { silencedUntil: iso(silenced.until) } : {}),
    };
  };

  const rows = [
    ...Object.entries(spec.groups ?? {}).map(([name, members]) => row('group', name, members.filter((m) => known.has(m)))),
    ...singles.filter((id) => known.has(id)).map((id) => row('monitor', id, [id])),
  ];
  const shown = new Map<string, string | undefined>();
  for (const r of rows) for (const m of r.monitors) if (!shown.has(m)) shown.set(m, r.kind === 'group' ? r.name : undefined);

  const incidents: PageIncident[] = [];
  for (const [monitor, group] of shown) {
    for (const { span, verdict } of segments(timeline(monitor), window)) {
      if (verdict !== 'DOWN') continue;
      const ongoing = span.to >= at;
      if (!ongoing && span.to < at - RECENT_DAYS * DAY_MS) continue;
      incidents.push({
        monitor, ...(group !== undefined ? { group } : {}), from: iso(span.from), ...(ongoing ? {} : { to: iso(span.to) }), ongoing,
        minutes: Math.round((span.to - span.from) / 60_000),
      });
    }
  }
  incidents.sort((a, b) => Number(b.ongoing) - Number(a.ongoing) || Date.parse(b.from) - Date.parse(a.from));

  const maintenance: StatusPageData['maintenance'] = [];
  for (const monitor of shown.keys()) {
    // From a week back, so a window running now shows when it began.
    const next = merge(maintenanceSpans(known.get(monitor)?.maintenance ?? [], at - SOON_MS, at + SOON_MS)).find((s) => s.to > at);
    if (next) maintenance.push({ monitor, from: iso(next.from), to: iso(next.to), now: next.from <= at });
  }
  maintenance.sort((a, b) => Date.parse(a.from) - Date.parse(b.from) || a.monitor.localeCompare(b.monitor));

  const silences = input.silences
    .filter((s) => s.from <= at && at < s.until && s.monitors.some((m) => shown.has(m)))
    .map((s) => ({ monitors: s.monitors.filter((m) => shown.has(m)), until: iso(s.until), ...(s.by ? { by: s.by } : {}), ...(s.reason ? { reason: s.reason } : {}) }));

  return {
    schemaVersion: 1, title: spec.title, generatedAt: iso(at),
    overall: worst(rows.map((r) => r.verdict)),
    rows, incidents: incidents.slice(0, MAX_INCIDENTS), maintenance, silences, accounting: ACCOUNTING,
  };
}

/** What changes the page: everything but the instant it was rendered at (the sweeper uploads only when this differs). */
export function pageContent(data: StatusPageData): string {
  const { generatedAt: _at, ...content } = data;
  return JSON.stringify(content);
}

function worst(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return 'UNKNOWN';
  return SEVERITY.find((v) => verdicts.includes(v)) ?? 'UNKNOWN';
}

/** A group's timeline: at every member's change, the worst of the members' verdicts then. */
function worstOf(timelines: readonly VerdictChange[][]): VerdictChange[] {
  const instants = [...new Set(timelines.flatMap((t) => t.map((c) => c.at)))].sort((a, b) => a - b);
  const out: VerdictChange[] = [];
  for (const at of instants) {
    const verdict = worst(timelines.map((t) => verdictAt(t, at)));
    if (out.at(-1)?.verdict !== verdict) out.push({ at, verdict, previous: out.at(-1)?.verdict ?? worst(timelines.map((t) => verdictAt(t, at - 1))) });
  }
  return out;
}

/** Time excluded for every member at once (a group is in maintenance only when all of it is). */
function intersectAll(lists: readonly Span[][]): Span[] {
  if (lists.length === 0) return [];
  return lists.map(merge).reduce((acc, spans) => {
    const out: Span[] = [];
    for (const a of acc) {
      for (const b of spans) {
        const from = Math.max(a.from, b.from);
        const to = Math.min(a.to, b.to);
        if (to > from) out.push({ from, to });
      }
    }
    return out;
  });
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

// ——— HTML ———

/** Text and attribute values made inert: every monitor id, group name, title and reason is user text. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const LABEL: Record<Verdict, string> = { UP: 'Operational', DEGRADED: 'Degraded', DOWN: 'Down', UNKNOWN: 'Unknown' };
const OVERALL: Record<Verdict, string> = {
  UP: 'All systems operational', DEGRADED: 'Some systems degraded', DOWN: 'Some systems down', UNKNOWN: 'Status unknown for some systems',
};

function when(isoText: string): string {
  return `${isoText.slice(0, 10)} ${isoText.slice(11, 16)} UTC`;
}

function minutes(n: number): string {
  if (n < 60) return `${n} min`;
  const h = Math.floor(n / 60);
  if (h < 48) return `${h} h${n % 60 ? ` ${n % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function percent(ratio: number | null): string {
  return ratio === null ? 'no data' : `${(Math.floor(ratio * 10000) / 100).toFixed(2)} %`;
}

function dayTitle(d: PageDay): string {
  const what = d.level === 'maintenance' ? 'maintenance' : d.uptime === null ? 'no data' : `${percent(d.uptime)} up${d.downMinutes > 0 ? `, ${minutes(d.downMinutes)} down` : ''}`;
  return `${d.day}: ${what}`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5c6670;--line:#d8dde3;--up:#1f883d;--degraded:#bf8700;--down:#cf222e;--unknown:#8c959f;--maintenance:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--up:#3fb950;--degraded:#d29922;--down:#f85149;--unknown:#6e7681;--maintenance:#4493f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:56rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.overall{padding:.75rem 1rem;border-radius:.5rem;color:#fff;font-weight:600}
.overall.UP{background:var(--up)}.overall.DEGRADED{background:var(--degraded)}.overall.DOWN{background:var(--down)}.overall.UNKNOWN{background:var(--unknown)}
ul{list-style:none;margin:0;padding:0}
.row{border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}
.head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem}
.name{font-weight:600;overflow-wrap:anywhere;min-width:0}
.verdict{font-weight:600}
.verdict.UP{color:var(--up)}.verdict.DEGRADED{color:var(--degraded)}.verdict.DOWN{color:var(--down)}.verdict.UNKNOWN{color:var(--unknown)}
.note,.meta,footer{color:var(--muted);font-size:.875rem}
.bars{display:flex;gap:1px;height:2rem;margin:.5rem 0 .25rem}
.bars span{flex:1 1 0;min-width:0;border-radius:1px;background:var(--unknown)}
.bars .up{background:var(--up)}.bars .degraded{background:var(--degraded)}.bars .down{background:var(--down)}.bars .maintenance{background:var(--maintenance)}
.scale{display:flex;justify-content:space-between;color:var(--muted);font-size:.75rem}
.days30{display:none}
@media (max-width:40rem){.bars span:nth-child(-n+60){display:none}.days90{display:none}.days30{display:inline}}
.incident{border-left:4px solid var(--down);padding:.25rem .75rem;margin:.5rem 0;overflow-wrap:anywhere}
.incident.resolved{border-left-color:var(--line)}
footer{margin:2rem 0 1rem;overflow-wrap:anywhere}
`;

/** The static page: no script, no external resource; every piece of user text escaped. */
export function renderStatusPage(data: StatusPageData): string {
  const e = escapeHtml;
  const rows = data.rows.map((r) => {
    const notes = [
      r.since ? `since ${when(r.since)}` : '',
      r.kind === 'group' ? `${r.monitors.length} monitor${r.monitors.length === 1 ? '' : 's'}` : '',
      r.maintenanceUntil ? `in maintenance until ${when(r.maintenanceUntil)}` : '',
      r.silencedUntil ? `alerts silenced until ${when(r.silencedUntil)}` : '',
    ].filter(Boolean).map(e).join(' · ');
    const bars = r.days.map((d) => `<span class="${d.level}" title="${e(dayTitle(d))}"></span>`).join('');
    return `<li class="row" data-${r.kind}="${e(r.name)}" data-verdict="${r.verdict}">
<div class="head"><span class="name">${e(r.name)}</span><span class="verdict ${r.verdict}">${LABEL[r.verdict]}</span></div>
${notes ? `<div class="note">${notes}</div>` : ''}
<div class="bars" role="img" aria-label="${e(`Daily uptime of ${r.name} over ${PAGE_DAYS} days: ${percent(r.uptime)}`)}">${bars}</div>
<div class="scale"><span><span class="days90">${PAGE_DAYS} days ago</span><span class="days30">30 days ago</span></span><span>${e(percent(r.uptime))} uptime</span><span>today</span></div>
</li>`;
  }).join('\n');
  const incidents = data.incidents.length === 0
    ? `<p class="note">No incidents in the last ${RECENT_DAYS} days.</p>`
    : `<ul>${data.incidents.map((i) => `<li class="incident${i.ongoing ? '' : ' resolved'}" data-incident="${e(i.monitor)}"><strong>${e(i.group ? `${i.group}: ${i.monitor}` : i.monitor)}</strong> ${i.ongoing ? 'is down' : 'was down'}<br><span class="meta">${e(`from ${when(i.from)}${i.to ? ` to ${when(i.to)}` : ''} (${minutes(i.minutes)}${i.ongoing ? ' so far' : ''})`)}</span></li>`).join('')}</ul>`;
  const maintenance = data.maintenance.length === 0 ? '' : `<h2>Maintenance</h2><ul>${data.maintenance.map((m) =>
    `<li class="note">${e(`${m.monitor}: ${m.now ? 'now, ' : ''}${when(m.from)} to ${when(m.to)}`)}</li>`).join('')}</ul>`;
  const silences = data.silences.length === 0 ? '' : `<h2>Alerts silenced</h2><ul>${data.silences.map((s) =>
    `<li class="note">${e(`${s.monitors.join(', ')} until ${when(s.until)}${s.reason ? `: ${s.reason}` : ''}${s.by ? ` (${s.by})` : ''}`)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="portquorum">
<title>${e(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${e(data.title)}</h1>
<p class="overall ${data.overall}" data-overall="${data.overall}">${OVERALL[data.overall]}</p>
<ul>
${rows}
</ul>
<h2>Incidents</h2>
${incidents}
${maintenance}
${silences}
<footer>Checked ${e(when(data.generatedAt))}; the page is rewritten when something changes. ${e(data.accounting)} Bars are UTC days. <a href="status.json">JSON</a></footer>
</main>
</body>
</html>
`;
}
