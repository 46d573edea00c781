// The uptime report: per monitor, time by quorum verdict over a window with the accounting stated (UP and DEGRADED up,
// DOWN down; UNKNOWN, maintenance and silenced time in their own columns, out of the ratio), outages, the longest,
// mean time to recovery, and each region's availability beside the quorum figure. Pure; md, csv and json renderings.
import type { Verdict } from './constants';
import { maintenanceSpans } from './maintenance';
import type { MaintenanceWindow } from './monitor';
import { account, merge, type Span, type VerdictChange } from './uptime';

const REPORT_ACCOUNTING = 'Uptime = (UP + DEGRADED) / (UP + DEGRADED + DOWN), by the quorum verdict. '
  + 'UNKNOWN (too few regions reporting, or no verdict recorded yet), maintenance and silenced time are counted in their own '
  + 'columns and left out of the ratio. An outage is a DOWN spell with time outside maintenance and silences, counted whole '
  + '(clipped to the period); MTTR is the mean length of the outages that ended in the period. A region\'s availability '
  + 'is the share of its results that were up, over the time it reported (silent time left out).';

/** One region's view of a monitor over time: its own up/down changes (as the history keeps them). */
export interface RegionChange {
  at: number;
  status: 'up' | 'down' | 'silent';
}

export interface ReportInput {
  /** [from, to) epoch ms. */
  window: Span;
  monitors: readonly { id: string; maintenance?: readonly MaintenanceWindow[]; regions?: readonly string[] }[];
  /** Each monitor's quorum verdict changes (any order; those before the window tell the verdict at its start). */
  changes: ReadonlyMap<string, readonly VerdictChange[]>;
  /** Each monitor's silences (epoch ms spans). */
  silences: ReadonlyMap<string, readonly Span[]>;
  /** Each monitor's changes per region (absent: the history holds no region figures for it). */
  regions?: ReadonlyMap<string, Readonly<Record<string, readonly RegionChange[]>>>;
}

interface ReportRow {
  monitor: string;
  /** (up + degraded) / (up + degraded + down); null when none of the period counted. */
  uptime: number | null;
  upMs: number;
  degradedMs: number;
  downMs: number;
  unknownMs: number;
  maintenanceMs: number;
  silencedMs: number;
  outages: number;
  longestOutageMs: number;
  /** Mean time to recovery; null when no outage ended in the period. */
  mttrMs: number | null;
  /** Region → share of its reported time that was up (null: it reported nothing in the period). */
  regions: Record<string, number | null>;
}

export interface Report {
  from: string;
  to: string;
  accounting: string;
  monitors: ReportRow[];
}

export function computeReport(input: ReportInput): Report {
  const { window } = input;
  const rows = input.monitors.map((monitor): ReportRow => {
    const maintenance = merge(maintenanceSpans(monitor.maintenance ?? [], window.from, window.to));
    const silences = [...(input.silences.get(monitor.id) ?? [])];
    const a = account(input.changes.get(monitor.id) ?? [], window, [...maintenance, ...silences]);
    const maintenanceMs = maintenance.reduce((n, s) => n + s.to - s.from, 0);
    // What the exclusions covered beyond maintenance was silenced (a silence inside a window counts as maintenance).
    const silencedMs = a.excludedMs - maintenanceMs;
    const regions: Record<string, number | null> = {};
    const byRegion = input.regions?.get(monitor.id);
    for (const region of monitor.regions ?? Object.keys(byRegion ?? {})) regions[region] = regionAvailability(byRegion?.[region] ?? [], window);
    return {
      monitor: monitor.id, uptime: a.uptime,
      upMs: a.upMs, degradedMs: a.degradedMs, downMs: a.downMs, unknownMs: a.unknownMs, maintenanceMs, silencedMs,
      outages: a.outages.length, longestOutageMs: a.longestOutageMs, mttrMs: a.mttrMs, regions,
    };
  });
  return { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), accounting: REPORT_ACCOUNTING, monitors: rows };
}

/** Up share of the time a region reported in the window, from its changes (the status before the window carries in). */
function regionAvailability(changes: readonly RegionChange[], window: Span): number | null {
  // Region statuses map onto verdicts so the one accounting applies: silent is neither up nor down.
  const asVerdicts = changes.map((c): VerdictChange => ({ at: c.at, verdict: (c.status === 'up' ? 'UP' : c.status === 'down' ? 'DOWN' : 'UNKNOWN') satisfies Verdict }));
  return account(asVerdicts, window).uptime;
}

// ——— renderings ———

function pct(ratio: number | null): string {
  return ratio === null ? '-' : `${(Math.floor(ratio * 100_000) / 1000).toFixed(3)} %`;
}

function duration(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', s % 60 || s === 0 ? `${s % 60}s` : ''].filter(Boolean);
  return parts.join(' ');
}

function regionNames(report: Report): string[] {
  return [...new Set(report.monitors.flatMap((m) => Object.keys(m.regions)))];
}

export function reportMarkdown(report: Report): string {
  const regions = regionNames(report);
  const header = ['Monitor', 'Uptime', 'Up', 'Degraded', 'Down', 'Unknown', 'Maintenance', 'Silenced', 'Outages', 'Longest', 'MTTR', ...regions];
  const rows = report.monitors.map((m) => [
    m.monitor, pct(m.uptime), duration(m.upMs), duration(m.degradedMs), duration(m.downMs), duration(m.unknownMs), duration(m.maintenanceMs),
    duration(m.silencedMs), String(m.outages), duration(m.outages ? m.longestOutageMs : null), duration(m.mttrMs), ...regions.map((r) => pct(m.regions[r] ?? null)),
  ]);
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `# Uptime ${report.from} to ${report.to}`,
    '',
    report.accounting,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ].join('\n');
}

export function reportCsv(report: Report): string {
  const regions = regionNames(report);
  const quote = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const num = (n: number | null, digits = 6) => (n === null ? '' : String(Number(n.toFixed(digits))));
  const s = (ms: number | null) => (ms === null ? '' : String(Math.round(ms / 1000)));
  const header = ['monitor', 'uptime', 'up_s', 'degraded_s', 'down_s', 'unknown_s', 'maintenance_s', 'silenced_s', 'outages', 'longest_outage_s', 'mttr_s', ...regions.map((r) => `region_${r}`)];
  return [
    `# ${report.from} to ${report.to}. ${report.accounting}`,
    header.join(','),
    ...report.monitors.map((m) => [
      quote(m.monitor), num(m.uptime), s(m.upMs), s(m.degradedMs), s(m.downMs), s(m.unknownMs), s(m.maintenanceMs), s(m.silencedMs), String(m.outages),
      s(m.longestOutageMs), s(m.mttrMs), ...regions.map((r) => num(m.regions[r] ?? null)),
    ].join(',')),
    '',
  ].join('\n');
}
