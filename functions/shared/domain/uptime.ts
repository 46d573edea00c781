// Time by quorum verdict: a monitor's verdict changes laid out over a window, with maintenance and silences apart.
// The one accounting the status page's daily bars and `portquorum report` share (pure; instants are epoch ms).
import type { Verdict } from './constants';

export const DAY_MS = 86_400_000;

/** A monitor's verdict from an instant on: a transition as the history keeps it. */
export interface VerdictChange {
  /** Epoch ms the verdict began (the round that decided it). */
  at: number;
  verdict: Verdict;
  /** The verdict before it, when known (it tells the verdict at the start of a window the change falls in). */
  previous?: Verdict;
}

/** A half-open interval [from, to) of epoch ms. */
export interface Span {
  from: number;
  to: number;
}

/**
 * How a window's time was spent. UP and DEGRADED count as up, DOWN as down; UNKNOWN (too few regions fresh, or no
 * verdict recorded yet) and excluded time (maintenance windows, silences) are counted apart and left out of the ratio.
 */
export interface Accounting {
  upMs: number;
  degradedMs: number;
  downMs: number;
  unknownMs: number;
  /** Inside a maintenance window or a silence, whatever the verdict. */
  excludedMs: number;
  /** (up + degraded) / (up + degraded + down); null when none of the window counts. */
  uptime: number | null;
  /** DOWN spells with some time outside exclusions, clipped to the window, oldest first. */
  outages: Outage[];
  /** Milliseconds of the longest outage (0 when none). */
  longestOutageMs: number;
  /** Mean duration of the outages that ended inside the window (mean time to recovery); null when none ended. */
  mttrMs: number | null;
}

interface Outage extends Span {
  /** Still DOWN at the end of the window. */
  ongoing: boolean;
}

/** The verdict changes inside [from, to) with the verdict in force at `from`, as consecutive segments. */
export function segments(changes: readonly VerdictChange[], window: Span): { span: Span; verdict: Verdict }[] {
  const sorted = [...changes].sort((a, b) => a.at - b.at);
  let current = verdictAt(sorted, window.from);
  let start = window.from;
  const out: { span: Span; verdict: Verdict }[] = [];
  for (const change of sorted) {
    if (change.at <= window.from) continue;
    if (change.at >= window.to) break;
    if (change.verdict === current) continue;
    out.push({ span: { from: start, to: change.at }, verdict: current });
    start = change.at;
    current = change.verdict;
  }
  if (window.to > start) out.push({ span: { from: start, to: window.to }, verdict: current });
  return out.filter((s) => s.span.to > s.span.from);
}

/**
 * The verdict in force at `at`: the latest change at or before it; failing that, what the first later change says it
 * followed; failing that, UNKNOWN (nothing recorded).
 */
export function verdictAt(sorted: readonly VerdictChange[], at: number): Verdict {
  let found: Verdict | undefined;
  for (const change of sorted) {
    if (change.at <= at) found = change.verdict;
    else return found ?? change.previous ?? 'UNKNOWN';
  }
  return found ?? 'UNKNOWN';
}

/** Accounts a window: time per verdict, excluded time apart, outages, longest outage and MTTR. */
export function account(changes: readonly VerdictChange[], window: Span, exclusions: readonly Span[] = []): Accounting {
  const excluded = merge(exclusions.map((s) => clip(s, window)).filter((s): s is Span => s !== undefined));
  const totals = { UP: 0, DEGRADED: 0, DOWN: 0, UNKNOWN: 0 } satisfies Record<Verdict, number>;
  let excludedMs = 0;
  const outages: Outage[] = [];
  for (const { span, verdict } of segments(changes, window)) {
    const inside = overlapMs(span, excluded);
    excludedMs += inside;
    totals[verdict] += span.to - span.from - inside;
    if (verdict === 'DOWN' && span.to - span.from > inside) outages.push({ ...span, ongoing: false });
  }
  // A DOWN spell running into the window's end is ongoing (it has not recovered by then).
  const last = outages.at(-1);
  if (last && last.to === window.to) last.ongoing = true;
  const counted = totals.UP + totals.DEGRADED + totals.DOWN;
  const ended = outages.filter((o) => !o.ongoing);
  return {
    upMs: totals.UP, degradedMs: totals.DEGRADED, downMs: totals.DOWN, unknownMs: totals.UNKNOWN, excludedMs,
    uptime: counted === 0 ? null : (totals.UP + totals.DEGRADED) / counted,
    outages,
    longestOutageMs: Math.max(0, ...outages.map((o) => o.to - o.from)),
    mttrMs: ended.length === 0 ? null : ended.reduce((sum, o) => sum + o.to - o.from, 0) / ended.length,
  };
}

/** The UTC day (YYYY-MM-DD) of an instant. */
export function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The UTC midnight (epoch ms) starting the day of an instant. */
export function startOfDay(at: number): number {
  return Math.floor(at / DAY_MS) * DAY_MS;
}

function clip(span: Span, window: Span): Span | undefined {
  const from = Math.max(span.from, window.from);
  const to = Math.min(span.to, window.to);
  return to > from ? { from, to } : undefined;
}

/** Overlapping or touching spans joined, sorted. */
export function merge(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

/** Milliseconds of `span` covered by the (merged) spans. */
function overlapMs(span: Span, merged: readonly Span[]): number {
  let ms = 0;
  for (const s of merged) {
    const c = clip(s, span);
    if (c) ms += c.to - c.from;
  }
  return ms;
}
