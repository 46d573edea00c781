// The verdict rules as pure state machines: per monitor (quorum, hysteresis, staleness, maintenance, renotify) and per fleet.
import type { Verdict } from './constants';
import type { HomeMonitor } from './fleet';
import type { CanaryResult, RoundResult } from './record';
import { graceMs, roundInstant, windowLength } from './rounds';
import { watchQuorum, type WatchEvent } from './watch';
import { activeWindow } from './maintenance';
import { alertMonitor, withSubject, type AlertMessage, type DivergenceEvidence, type ExposureEvidence, type ReachEvidence, type FleetEvidence, type FlapEvidence, type RegionEvidence, type SilenceNote } from './alert';
import { openPath, type OpenPath } from './exposure';
import { flipsInWindow, percentStateChange, type Flip, type Side } from './flapping';
import { isBroken, nextBreak, reachCandidate, type ReachBreak, type ReachCandidate, type Vantage } from './reach';

/** What one region reported for one round of one monitor, with its canary for that round. */
interface RegionReport {
  result: RoundResult;
  canary: CanaryResult;
}

/** Everything known about one round of one monitor: the regions that reported so far. */
export interface RoundEvidence {
  /** Epoch ms the round started. */
  instant: number;
  /** By region; a region absent here is pending until the round's grace expires, then silent. */
  reports: Record<string, RegionReport>;
  /** The probe groups `reach` names: by group, then by region (absent or missing regions: as in `reports`). */
  vantages?: Record<string, Record<string, RegionReport>>;
}

/**
 * The monitor and its recent rounds, oldest first and consecutive; the last one is the round being evaluated.
 * Give at least the monitor's window (its longest threshold) plus the rounds that may not have been applied yet.
 */
export interface MonitorEvidence {
  monitor: HomeMonitor;
  rounds: RoundEvidence[];
  /** The silence set on the monitor (silenceFor()); in force while its `until` is after `now`. */
  silence?: SilenceNote;
  /** Recent watch events of the monitor's regions (watch mode): evidence between rounds. @default none */
  watch?: readonly WatchEvent[];
}

/**
 * What a round says on its own. PENDING: not decidable yet (regions may still report). DOWN is decided as soon as
 * a quorum is down; UP and DEGRADED only once no pending region could make it DOWN (or DEGRADED), so a round's
 * candidate never changes after it is decided, however its results are batched.
 */
export type Candidate = 'DOWN' | 'UP' | 'DEGRADED' | 'INCONCLUSIVE' | 'UNKNOWN' | 'PENDING';

interface Tally {
  up: string[];
  /** Up but connecting slower than degradedMs. */
  slow: string[];
  down: string[];
  vetoed: string[];
  silent: string[];
  pending: string[];
}

export interface MonitorState {
  monitorId: string;
  verdict: Verdict;
  /** Epoch ms of the round that began the verdict. */
  since: number;
  /** Round instant of the last change: results from older rounds never move the state. */
  round: number;
  /** The verdict the last page announced (lags the verdict inside maintenance windows). */
  notified: Verdict;
  /** Epoch ms of the last page or reminder. */
  notifiedAt: number;
  /** The last page's alert id; reminders repeat it. */
  alertId?: string;
  /** Reminders sent since the last page. */
  reminders: number;
  /** `warned` once a CERT_EXPIRY page went out, until a quorum sees a renewed certificate. */
  cert: 'ok' | 'warned';
  /** Incremented on every change; the store writes conditionally on it. */
  version: number;
  /** Flap detection (absent when it is off): the side of the last round that had one (see flapping.ts). */
  side?: Side;
  /** Changes of side inside the flap window of the last applied round; absent or empty when steady. */
  flips?: Flip[];
  /** Round the latest flapping spell began. */
  flapSince?: number;
  /** Round that spell settled; absent while the monitor flaps. */
  flapSettled?: number;
  /** The last flap alert sent (FLAPPING, or FLAPPING_SETTLED); inside maintenance windows it lags. */
  flapPaged?: 'FLAPPING' | 'FLAPPING_SETTLED';
  /** Exposure audit (private monitors): round the latest exposure began. */
  exposedSince?: number;
  /** Round that exposure was found closed again; absent while exposed. */
  exposureClosed?: number;
  /** Every region that reached the port during the latest exposure (first sighting each). */
  exposedPaths?: OpenPath[];
  /** The last exposure alert sent. */
  exposurePaged?: 'EXPOSED' | 'EXPOSURE_CLOSED';
  /** Why the verdict page is held (verdict ≠ notified): the page that ends it says `maintenance-ended` or `silence-ended`. */
  heldBy?: 'maintenance' | 'silence';
  /** Reminders stopped for the DOWN paged with this alertId (`portquorum ack`); a new page makes it moot. */
  acked?: { alertId: string; by: string; reason?: string; at: string };
  /** Each region's latest view (certificate, addresses, banner), as its round items last carried one. */
  views?: Record<string, string>;
  /** The current streak of rounds in which a quorum was up but regions saw different things (capped at divergedRounds). */
  diverged?: { since: number; last: number; rounds: number };
  /** The last divergence alert sent, and the round it is about. */
  divergencePaged?: 'DIVERGED' | 'CONVERGED';
  /** Round the regions agreed again after a DIVERGED page. */
  convergedAt?: number;
  /** First round of the divergence the last DIVERGED page was about. */
  divergedSince?: number;
  /** Reachability matrix: by probe group, when its expectation broke and when it held again (see reach.ts). */
  reach?: Record<string, ReachBreak>;
  /** The last reach alert sent per group (REACH_BROKEN, or REACH_RESTORED); inside maintenance windows an `open` one lags. */
  reachPaged?: Record<string, 'REACH_BROKEN' | 'REACH_RESTORED'>;
  /**
   * Epoch ms a quorum of watch events brought DOWN forward (watch mode), while that DOWN lasts: only rounds that
   * started after it confirm or clear it.
   */
  watched?: number;
}

/** A change of verdict, as the history records it. */
export interface Transition {
  from: Verdict;
  to: Verdict;
  /** Epoch ms of the round that decided it. */
  round: number;
  /** Epoch ms the new verdict began. */
  since: number;
  /** Each region's part in that round. */
  regions: RegionEvidence[];
  /** The change was not paged: the monitor was silenced. */
  silenced?: SilenceNote;
  /** The change was not paged: a maintenance window was on. */
  maintenance?: true;
}

export interface Step {
  state: MonitorState;
  alerts: AlertMessage[];
  /** The state differs from the one given (so it must be written). */
  changed: boolean;
  /** The verdict changed in this step. */
  transition?: Transition;
  /** Pages a silence held: recorded in the history, never published (the silence's end pages the verdict then). */
  held: AlertMessage[];
}

function initialState(monitorId: string): MonitorState {
  // `notified: UP` means nothing has been paged: a first UP is not news, a first DOWN is.
  return { monitorId, verdict: 'UNKNOWN', since: 0, round: 0, notified: 'UP', notifiedAt: 0, reminders: 0, cert: 'ok', version: 0 };
}

/** Counts a round's regions; `now` decides whether missing regions are still pending or already silent. */
function tally(monitor: HomeMonitor, round: RoundEvidence, now: number): Tally {
  const t: Tally = { up: [], slow: [], down: [], vetoed: [], silent: [], pending: [] };
  const closed = now >= round.instant + graceMs(monitor.interval);
  for (const region of monitor.regions) {
    const report = round.reports[region];
    if (!report) (closed ? t.silent : t.pending).push(region);
    else if (report.result.status === 'up') {
      t.up.push(region);
      const connectMs = report.result.connectMs;
      if (monitor.degradedMs !== undefined && connectMs !== undefined && connectMs > monitor.degradedMs) t.slow.push(region);
    } else if (report.canary.status === 'down') t.vetoed.push(region);
    else t.down.push(region);
  }
  return t;
}

export function candidateOf(monitor: HomeMonitor, round: RoundEvidence, now: number): Candidate {
  if (monitor.exposure === 'private') return exposureCandidate(monitor, round, now);
  const t = tally(monitor, round, now);
  const q = monitor.quorum;
  const pending = t.pending.length;
  if (t.down.length >= q) return 'DOWN';
  if (t.down.length + pending >= q) return 'PENDING';
  if (t.slow.length >= q) return 'DEGRADED';
  if (t.up.length >= q) return t.slow.length + pending >= q ? 'PENDING' : 'UP';
  if (pending > 0) return 'PENDING';
  return t.up.length + t.down.length < q ? 'UNKNOWN' : 'INCONCLUSIVE';
}

/**
 * A private monitor's round: DOWN as soon as any one region connected (no quorum: one open path is the finding, even
 * from a region whose canary fails), UP once every region reported (or is silent) and none connected.
 */
function exposureCandidate(monitor: HomeMonitor, round: RoundEvidence, now: number): Candidate {
  const regions = monitor.regions.filter((r) => round.reports[r]);
  if (regions.some((r) => openPath(r, round.reports[r]!.result))) return 'DOWN';
  if (regions.length < monitor.regions.length && now < round.instant + graceMs(monitor.interval)) return 'PENDING';
  return regions.length > 0 ? 'UP' : 'UNKNOWN';
}

/** Whether the monitor's port is exposed in this state (a private monitor that some region reached). */
export function isExposed(state: Pick<MonitorState, 'exposedSince' | 'exposureClosed'>): boolean {
  return state.exposedSince !== undefined && state.exposureClosed === undefined;
}

/** Applies one round to the exposure state: exposed on any open path, closed after recoveryThreshold clean rounds. */
function applyExposureRound(monitor: HomeMonitor, state: MonitorState, round: RoundEvidence, window: readonly Candidate[]): void {
  if (monitor.exposure !== 'private') {
    // Declared public again while exposed: the audit ends here, with its one closing alert.
    if (isExposed(state)) state.exposureClosed = round.instant;
    return;
  }
  const paths = monitor.regions.flatMap((r) => {
    const report = round.reports[r];
    const path = report ? openPath(r, report.result) : undefined;
    return path ? [path] : [];
  });
  if (paths.length > 0) {
    if (!isExposed(state)) {
      state.exposedSince = round.instant;
      state.exposureClosed = undefined;
      state.exposedPaths = paths;
    } else {
      const known = new Set((state.exposedPaths ?? []).map((p) => p.region));
      const added = paths.filter((p) => !known.has(p.region));
      if (added.length > 0) state.exposedPaths = [...(state.exposedPaths ?? []), ...added];
    }
    return;
  }
  let clean = 0;
  for (let i = window.length - 1; i >= 0 && window[i] === 'UP'; i -= 1) clean += 1;
  if (isExposed(state) && clean >= monitor.recoveryThreshold) state.exposureClosed = round.instant;
}

/**
 * Applies one round to the views: records the views its up regions carried, then — when a quorum is up — counts a
 * round in which those regions' latest views differ, or ends the streak when they agree. Replays count nothing twice.
 */
function applyViewRound(monitor: HomeMonitor, state: MonitorState, round: RoundEvidence, candidate: Candidate): void {
  for (const region of monitor.regions) {
    const result = round.reports[region]?.result;
    if (result?.status === 'up' && result.view !== undefined && state.views?.[region] !== result.view) state.views = { ...state.views, [region]: result.view };
  }
  const threshold = monitor.exposure === 'private' ? 0 : monitor.divergedRounds ?? 0;
  if (threshold === 0) {
    // Turned off (or never on): a streak ends, and a DIVERGED page gets its CONVERGED.
    if (state.diverged) state.diverged = undefined;
    if (state.divergencePaged === 'DIVERGED' && state.convergedAt === undefined) state.convergedAt = round.instant;
    return;
  }
  if (candidate !== 'UP' && candidate !== 'DEGRADED') return;
  const seen = monitor.regions.filter((r) => round.reports[r]?.result.status === 'up' && state.views?.[r] !== undefined);
  const differ = new Set(seen.map((r) => state.views![r])).size > 1;
  if (differ) {
    const streak = state.diverged;
    if (streak && round.instant <= streak.last) return;
    // Capped: a lasting divergence (paged once) costs no state write per round.
    if (streak && streak.rounds >= threshold) return;
    state.diverged = { since: streak?.since ?? round.instant, last: round.instant, rounds: (streak?.rounds ?? 0) + 1 };
  } else if (seen.length > 0) {
    if (state.diverged) state.diverged = undefined;
    if (state.divergencePaged === 'DIVERGED' && state.convergedAt === undefined) state.convergedAt = round.instant;
  }
}

/** The verdict after the last round, from the recent candidates (oldest first) and the verdict before. */
export function verdictAfter(monitor: HomeMonitor, candidates: readonly Candidate[], previous: Verdict): Verdict {
  const last = candidates[candidates.length - 1];
  if (last === undefined || last === 'PENDING') return previous;
  if (last === 'UNKNOWN') return 'UNKNOWN';
  const streak = (...kinds: Candidate[]): number => {
    let n = 0;
    for (let i = candidates.length - 1; i >= 0 && kinds.includes(candidates[i]!); i -= 1) n += 1;
    return n;
  };
  if (streak('DOWN') >= monitor.failureThreshold) return 'DOWN';
  switch (previous) {
    case 'UP':
      return streak('DEGRADED') >= monitor.failureThreshold ? 'DEGRADED' : 'UP';
    case 'DEGRADED':
      return streak('UP') >= monitor.recoveryThreshold ? 'UP' : 'DEGRADED';
    case 'DOWN':
    case 'UNKNOWN':
      if (streak('UP', 'DEGRADED') < monitor.recoveryThreshold) return previous;
      // The same test as from UP, so applying a round twice gives what applying it once did.
      return streak('DEGRADED') >= monitor.failureThreshold ? 'DEGRADED' : 'UP';
  }
}

/** Whether the monitor flaps in this state. */
export function isFlapping(state: Pick<MonitorState, 'flapSince' | 'flapSettled'>): boolean {
  return state.flapSince !== undefined && state.flapSettled === undefined;
}

/** A round's side for flap detection: its quorum's, or none (inconclusive, unknown). */
function sideOf(candidate: Candidate): Side | undefined {
  if (candidate === 'DOWN') return 'down';
  return candidate === 'UP' || candidate === 'DEGRADED' ? 'up' : undefined;
}

/** Applies one round to the flap state: records a change of side, then enters or leaves FLAPPING by the percent. */
function applyFlapRound(monitor: HomeMonitor, state: MonitorState, instant: number, candidate: Candidate): void {
  const thresholds = monitor.flapping;
  if (!thresholds || monitor.exposure === 'private') {
    // Flap detection turned off mid-spell (a new declaration): the spell ends here, with its one settling alert.
    if (isFlapping(state)) state.flapSettled = instant;
    return;
  }
  const intervalMs = monitor.interval * 1000;
  const side = sideOf(candidate);
  const lastFlip = state.flips?.[state.flips.length - 1]?.round ?? -Infinity;
  if (side !== undefined && side !== state.side) {
    // The first side is no change; a round already recorded (a replay) is not one again.
    if (state.side !== undefined && instant > lastFlip) state.flips = [...flipsInWindow(state.flips ?? [], instant, intervalMs), { round: instant, to: side }];
    state.side = side;
  }
  if (!state.flips?.length) return;
  const percent = percentStateChange(state.flips, instant, intervalMs);
  if (!isFlapping(state) && percent >= thresholds.enterPercent) {
    state.flapSince = instant;
    state.flapSettled = undefined;
  } else if (isFlapping(state) && percent < thresholds.leavePercent) {
    state.flapSettled = instant;
  }
  // Flips that left the window stay until the state is written for another reason (see next()).
}

/**
 * One step of a monitor's state machine. Evaluates the last round of the evidence (rounds older than the state's
 * last change are ignored, so replayed or reordered results never move it backwards), then decides the pages:
 * none inside a maintenance window; a page whenever the verdict differs from the last one paged; a CERT_EXPIRY
 * page once; a REMINDER every renotifyMinutes while DOWN; a REACH_BROKEN or REACH_RESTORED whenever a `reach`
 * group's expectation differs from the last one paged. Deterministic in (state, evidence, now).
 */
export function next(previous: MonitorState | undefined, evidence: MonitorEvidence, now: number): Step {
  const { monitor, rounds } = evidence;
  const before = previous ?? initialState(monitor.id);
  const state: MonitorState = { ...before };
  const last = rounds[rounds.length - 1];
  const alerts: AlertMessage[] = [];
  const held: AlertMessage[] = [];
  // The silence's own end is checked here: its item outlives it until TTL deletes it.
  const silenced = evidence.silence !== undefined && Date.parse(evidence.silence.until) > now ? evidence.silence : undefined;

  // Apply the rounds in order from the last change on (re-applying one is a no-op), so rounds that were decided
  // without being evaluated (closed by time, or behind another region) still count, and in the right order.
  // A round older than the last change is history: shown, never acted on. A window that still has an undecided
  // round waits for it, so no round is judged before the ones it follows.
  const length = windowLength(monitor);
  const candidates = rounds.map((r) => candidateOf(monitor, r, now));
  const vantages = monitor.vantages ?? [];
  const reachCandidates = vantages.map((v) => rounds.map((r) => reachCandidate(v, r.vantages?.[v.group], now >= r.instant + graceMs(monitor.interval))));
  let applied: RoundEvidence | undefined;
  for (let i = 0; i < rounds.length; i += 1) {
    const round = rounds[i]!;
    if (round.instant < before.round) continue;
    let from = Math.max(0, i - length + 1);
    // After a DOWN that watch events brought forward, rounds that started before it say nothing about it.
    while (state.watched !== undefined && from < i && rounds[from]!.instant <= state.watched) from += 1;
    const window = candidates.slice(from, i + 1);
    // A group still to report holds the round back as a region would: no round is judged before the ones it follows.
    if (window.includes('PENDING') || reachCandidates.some((c) => c.slice(from, i + 1).includes('PENDING'))) break;
    const verdict = verdictAfter(monitor, window, state.verdict);
    if (verdict !== state.verdict) {
      state.verdict = verdict;
      state.since = round.instant;
      delete state.watched;
    }
    applyFlapRound(monitor, state, round.instant, candidates[i]!);
    applyExposureRound(monitor, state, round, window);
    applyViewRound(monitor, state, round, candidates[i]!);
    applyReachRound(monitor, state, round.instant, reachCandidates.map((c) => c.slice(from, i + 1)));
    applied = round;
  }

  // Watch mode: a quorum of regions whose held connection closed and whose re-probe failed, after the last round
  // applied, brings DOWN forward. Only from UP or DEGRADED (a monitor not yet seen up has no held connection), and
  // never while it flaps (its pages are held anyway): the rounds then confirm or clear it as usual.
  const watched = monitor.watch === true && monitor.exposure !== 'private' && (state.verdict === 'UP' || state.verdict === 'DEGRADED') && !isFlapping(state)
    ? watchQuorum(monitor, evidence.watch ?? [], Math.max(before.round, applied?.instant ?? 0), now)
    : undefined;
  if (watched) {
    state.verdict = 'DOWN';
    state.since = Math.floor(watched.at / 1000) * 1000;
    state.watched = watched.at;
  }

  const evidenceRound = watched
    ? { instant: roundInstant(watched.at, monitor.interval), reports: {} }
    : applied ?? last ?? { instant: state.since, reports: {} };
  const regions = watched ? watchEvidence(monitor, watched.events, applied ?? last, now) : regionEvidence(monitor, evidenceRound, now);
  const base = {
    at: new Date(now).toISOString(),
    round: new Date(evidenceRound.instant).toISOString(),
    monitor: alertMonitor(monitor),
    since: new Date(state.since).toISOString(),
    regions,
    quorum: monitor.quorum,
    ...(monitor.degradedMs !== undefined ? { degradedMs: monitor.degradedMs } : {}),
  };
  // An exposure is a finding, not an outage: it pages inside maintenance windows too, always at severity critical.
  const exposed = isExposed(state);
  if (exposed !== (state.exposurePaged === 'EXPOSED')) {
    const kind = exposed ? 'EXPOSED' : 'EXPOSURE_CLOSED';
    const exposure: ExposureEvidence = {
      since: new Date(state.exposedSince!).toISOString(),
      ...(state.exposureClosed !== undefined ? { closed: new Date(state.exposureClosed).toISOString() } : {}),
      paths: state.exposedPaths ?? [],
    };
    alerts.push(withSubject({
      schemaVersion: 1, alertId: `${monitor.id}:${kind}:${(exposed ? state.exposedSince! : state.exposureClosed!) / 1000}`, sequence: 0, kind, cause: 'transition',
      verdict: state.verdict, previousVerdict: state.notified, ...base, since: new Date(state.exposedSince!).toISOString(), monitor: { ...base.monitor, severity: 'critical' },
      exposure, ...(silenced ? { silenced } : {}),
    }));
    state.exposurePaged = kind;
  }

  const inWindow = activeWindow(monitor.maintenance, now) !== undefined;
  const heldBy = inWindow ? 'maintenance' : silenced ? 'silence' : undefined;
  // Each vantage point's break and restoration: a `closed` one (an open path) pages like EXPOSED, whatever the window
  // or silence; an `open` one waits for them to end, as DOWN does.
  for (const group of Object.keys(state.reach ?? {}).sort()) {
    const broken = isBroken(state.reach![group]);
    if (broken === (state.reachPaged?.[group] === 'REACH_BROKEN')) continue;
    const vantage = vantages.find((v) => v.group === group);
    if (heldBy !== undefined && vantage?.expect !== 'closed') continue;
    const kind = broken ? 'REACH_BROKEN' : 'REACH_RESTORED';
    const entry = state.reach![group]!;
    const reach = reachEvidence(vantage ?? { group, expect: 'open', regions: [], quorum: 0 }, entry, evidenceRound, now, monitor.interval);
    alerts.push(withSubject({
      schemaVersion: 1, alertId: `${monitor.id}:${kind}:${group}:${(broken ? entry.since : entry.restored!) / 1000}`, sequence: 0, kind, cause: 'transition',
      verdict: state.verdict, previousVerdict: state.verdict, ...base, since: reach.since, reach, ...(silenced ? { silenced } : {}),
    }));
    state.reachPaged = { ...state.reachPaged, [group]: kind };
  }
  if (heldBy !== undefined) {
    // Verdicts go on, pages wait: the page that ends the hold says why it comes late.
    const pageHeld = state.verdict !== 'UNKNOWN' && state.verdict !== state.notified && !isFlapping(state) && monitor.exposure !== 'private';
    if (pageHeld && state.heldBy !== heldBy) state.heldBy = heldBy;
    if (!pageHeld && state.verdict === state.notified && state.heldBy !== undefined) delete state.heldBy;
    if (pageHeld && silenced && state.verdict !== before.verdict) {
      // The page this change would have been, recorded with the silence (same alertId as the page its end sends).
      held.push(withSubject({
        schemaVersion: 1, alertId: `${monitor.id}:${state.verdict}:${state.since / 1000}`, sequence: 0, kind: state.verdict as Exclude<Verdict, 'UNKNOWN'>,
        cause: 'transition', verdict: state.verdict, previousVerdict: state.notified, ...base, silenced,
      }));
    }
  } else {
    const flapping = isFlapping(state);
    if (flapping && state.flapPaged !== 'FLAPPING') {
      alerts.push(withSubject({
        schemaVersion: 1, alertId: `${monitor.id}:FLAPPING:${state.flapSince! / 1000}`, sequence: 0, kind: 'FLAPPING', cause: 'transition',
        verdict: state.verdict, previousVerdict: state.notified, flapping: flapEvidence(monitor, state, evidenceRound.instant), ...base,
      }));
      state.flapPaged = 'FLAPPING';
    } else if (!flapping && state.flapPaged === 'FLAPPING') {
      // The one alert of the settling: it pages the verdict settled on, so no DOWN/UP page follows it.
      const alertId = `${monitor.id}:FLAPPING_SETTLED:${state.flapSettled! / 1000}`;
      alerts.push(withSubject({
        schemaVersion: 1, alertId, sequence: 0, kind: 'FLAPPING_SETTLED', cause: 'transition',
        verdict: state.verdict, previousVerdict: state.notified, flapping: flapEvidence(monitor, state, evidenceRound.instant), ...base,
      }));
      state.flapPaged = 'FLAPPING_SETTLED';
      if (state.verdict !== 'UNKNOWN') {
        state.notified = state.verdict;
        state.notifiedAt = now;
        state.alertId = alertId;
        state.reminders = 0;
      }
    }
    if (flapping || monitor.exposure === 'private') {
      // DOWN/UP pages and reminders are held while the monitor flaps (the settling pages the verdict); a private
      // monitor pages EXPOSED and EXPOSURE_CLOSED instead.
    } else if (state.verdict !== 'UNKNOWN' && state.verdict !== state.notified) {
      // Paging UP after an UNKNOWN spell that followed an UP page would be noise; `notified` already says UP then.
      const alertId = `${monitor.id}:${state.verdict}:${state.since / 1000}`;
      const cause = state.verdict === before.verdict ? (state.heldBy === 'silence' ? 'silence-ended' : 'maintenance-ended') : watched ? 'watch' : 'transition';
      alerts.push(withSubject({
        schemaVersion: 1, alertId, sequence: 0, kind: state.verdict, cause, verdict: state.verdict, previousVerdict: state.notified, ...base,
      }));
      state.notified = state.verdict;
      state.notifiedAt = now;
      state.alertId = alertId;
      state.reminders = 0;
      delete state.heldBy;
      delete state.acked;
    } else if (
      state.verdict === 'DOWN' && state.notified === 'DOWN' && monitor.renotifyMinutes > 0 && state.alertId !== undefined &&
      state.acked?.alertId !== state.alertId && now >= state.notifiedAt + monitor.renotifyMinutes * 60_000
    ) {
      state.reminders += 1;
      state.notifiedAt = now;
      alerts.push(withSubject({
        schemaVersion: 1, alertId: state.alertId, sequence: state.reminders, kind: 'REMINDER', cause: 'reminder',
        verdict: 'DOWN', previousVerdict: 'DOWN', ...base,
      }));
    }
    const divergedRounds = monitor.exposure === 'private' ? 0 : monitor.divergedRounds ?? 0;
    if (state.diverged && divergedRounds > 0 && state.diverged.rounds >= divergedRounds && state.divergencePaged !== 'DIVERGED') {
      alerts.push(withSubject({
        schemaVersion: 1, alertId: `${monitor.id}:DIVERGED:${state.diverged.since / 1000}`, sequence: 0, kind: 'DIVERGED', cause: 'transition',
        verdict: state.verdict, previousVerdict: state.verdict, ...base, divergence: divergenceEvidence(monitor, state),
      }));
      state.divergencePaged = 'DIVERGED';
      state.divergedSince = state.diverged.since;
      state.convergedAt = undefined;
    } else if (state.divergencePaged === 'DIVERGED' && state.convergedAt !== undefined) {
      alerts.push(withSubject({
        schemaVersion: 1, alertId: `${monitor.id}:CONVERGED:${state.convergedAt / 1000}`, sequence: 0, kind: 'CONVERGED', cause: 'transition',
        verdict: state.verdict, previousVerdict: state.verdict, ...base, divergence: divergenceEvidence(monitor, state),
      }));
      state.divergencePaged = 'CONVERGED';
    }
    if (monitor.tls && applied) {
      const days = regions.filter((r) => (r.status === 'up' || r.status === 'down') && r.certDays !== undefined).map((r) => r.certDays!);
      const expiring = days.filter((d) => d < monitor.tls!.minDaysValid);
      if (state.cert === 'ok' && expiring.length >= monitor.quorum) {
        state.cert = 'warned';
        const daysLeft = Math.min(...expiring);
        alerts.push(withSubject({
          schemaVersion: 1, alertId: `${monitor.id}:CERT_EXPIRY:${applied.instant / 1000}`, sequence: 0, kind: 'CERT_EXPIRY', cause: 'transition',
          verdict: state.verdict, previousVerdict: state.verdict, cert: { minDaysValid: monitor.tls.minDaysValid, daysLeft }, ...base,
        }));
      } else if (state.cert === 'warned' && days.length - expiring.length >= monitor.quorum) {
        state.cert = 'ok';
      }
    }
  }

  const changed = ([...new Set([...Object.keys(state), ...Object.keys(before)])] as (keyof MonitorState)[]).some((k) => state[k] !== before[k]);
  if (changed) {
    state.version = before.version + 1;
    if (applied) state.round = Math.max(before.round, applied.instant);
    // Rounds that started before the watch DOWN (their probes may predate the failure) never move it again.
    if (watched) state.round = Math.max(state.round, roundInstant(watched.at, monitor.interval) + monitor.interval * 1000);
    // The item is written anyway: flips that left the flap window go with it (alone they would cost a write).
    if (state.flips && monitor.flapping) {
      const kept = flipsInWindow(state.flips, state.round, monitor.interval * 1000);
      if (kept.length !== state.flips.length) state.flips = kept.length > 0 ? kept : undefined;
    }
  }
  const transition: Transition | undefined = state.verdict !== before.verdict
    ? {
      from: before.verdict, to: state.verdict, round: evidenceRound.instant, since: state.since, regions,
      ...(heldBy === 'maintenance' ? { maintenance: true as const } : silenced ? { silenced } : {}),
    }
    : undefined;
  return { state: changed ? state : before, alerts, changed, held, ...(transition ? { transition } : {}) };
}

/**
 * Applies one round to each vantage point's entry (the windows are its candidates, by vantage); a group no longer in
 * `reach` while broken is restored here, so its break gets its one closing alert.
 */
function applyReachRound(monitor: HomeMonitor, state: MonitorState, instant: number, windows: readonly (readonly ReachCandidate[])[]): void {
  const vantages = monitor.vantages ?? [];
  vantages.forEach((vantage, k) => {
    const window = windows[k]!;
    const last = window[window.length - 1];
    if (last === undefined || last === 'PENDING' || last === 'UNKNOWN') return;
    const entry = state.reach?.[vantage.group];
    const after = nextBreak(entry, window, instant, { breakAfter: vantage.expect === 'closed' ? 1 : monitor.failureThreshold, restoreAfter: monitor.recoveryThreshold });
    if (after !== entry) state.reach = { ...state.reach, [vantage.group]: after! };
  });
  for (const [group, entry] of Object.entries(state.reach ?? {})) {
    if (isBroken(entry) && !vantages.some((v) => v.group === group) && instant > entry.since) state.reach = { ...state.reach, [group]: { ...entry, restored: instant } };
  }
}

/** What a REACH_BROKEN or REACH_RESTORED alert says: the vantage point, what it found, and its regions in the round. */
function reachEvidence(vantage: Vantage, entry: ReachBreak, round: RoundEvidence, now: number, interval: number): ReachEvidence {
  const closed = now >= round.instant + graceMs(interval);
  const reports = round.vantages?.[vantage.group] ?? {};
  const regions = vantage.regions.map((region): RegionEvidence => {
    const report = reports[region];
    if (!report) return { region, status: closed ? 'silent' : 'pending' };
    const r = report.result;
    const latencyMs = r.connectMs ?? r.totalMs;
    if (r.status === 'up') return { region, status: 'up', latencyMs };
    return { region, status: report.canary.status === 'down' && vantage.expect === 'open' ? 'vetoed' : 'down', class: r.errorClass, phase: r.phase, latencyMs, code: r.code, message: r.message };
  });
  return {
    group: vantage.group, expect: vantage.expect, found: vantage.expect === 'open' ? 'closed' : 'open',
    quorum: vantage.expect === 'closed' ? 1 : vantage.quorum,
    since: new Date(entry.since).toISOString(),
    ...(entry.restored !== undefined ? { restored: new Date(entry.restored).toISOString() } : {}),
    regions,
  };
}

/** What a DIVERGED or CONVERGED alert says: each region's latest view, side by side. */
function divergenceEvidence(monitor: HomeMonitor, state: MonitorState): DivergenceEvidence {
  return {
    since: new Date(state.diverged?.since ?? state.divergedSince ?? state.since).toISOString(),
    rounds: monitor.divergedRounds ?? 0,
    views: monitor.regions.map((region) => ({ region, view: state.views?.[region] ?? '(none)' })),
    ...(state.divergencePaged === 'DIVERGED' && state.convergedAt !== undefined ? { converged: new Date(state.convergedAt).toISOString() } : {}),
  };
}

/** What a FLAPPING or FLAPPING_SETTLED alert says about the flapping. */
function flapEvidence(monitor: HomeMonitor, state: MonitorState, instant: number): FlapEvidence {
  const thresholds = monitor.flapping || { enterPercent: 0, leavePercent: 0 };
  const flips = flipsInWindow(state.flips ?? [], instant, monitor.interval * 1000);
  return {
    percent: percentStateChange(flips, instant, monitor.interval * 1000),
    enterPercent: thresholds.enterPercent,
    leavePercent: thresholds.leavePercent,
    since: new Date(state.flapSince!).toISOString(),
    ...(state.flapSettled !== undefined ? { settled: new Date(state.flapSettled).toISOString() } : {}),
    transitions: flips.map((f) => ({ round: new Date(f.round).toISOString(), to: f.to })),
  };
}

/**
 * Each region's part in a DOWN that watch events brought forward: the counted regions' failed re-probes, and the
 * others as the last round saw them.
 */
function watchEvidence(monitor: HomeMonitor, events: readonly WatchEvent[], round: RoundEvidence | undefined, now: number): RegionEvidence[] {
  const others = round ? regionEvidence(monitor, round, now) : [];
  return monitor.regions.map((region): RegionEvidence => {
    const event = events.find((e) => e.region === region);
    if (!event) return others.find((r) => r.region === region) ?? { region, status: 'pending' };
    const r = event.result;
    return {
      region, status: 'down', class: r.errorClass, phase: r.phase, latencyMs: r.connectMs ?? r.totalMs, code: r.code,
      message: `watch: held connection closed, re-probe failed: ${r.message}`,
    };
  });
}

/** Each region's part in a round, for the alert body. */
function regionEvidence(monitor: HomeMonitor, round: RoundEvidence, now: number): RegionEvidence[] {
  const t = tally(monitor, round, now);
  return monitor.regions.map((region): RegionEvidence => {
    const report = round.reports[region];
    if (!report) return { region, status: t.silent.includes(region) ? 'silent' : 'pending' };
    const r = report.result;
    const latencyMs = r.connectMs ?? r.totalMs;
    const certDays = r.certDays !== undefined ? { certDays: r.certDays } : {};
    if (r.status === 'up') return { region, status: 'up', latencyMs, ...certDays };
    return {
      region, status: t.vetoed.includes(region) ? 'vetoed' : 'down', class: r.errorClass, phase: r.phase, latencyMs, code: r.code, message: r.message, ...certDays,
    };
  });
}

// ---- The fleet: probes (a region, or region/group) that went silent or whose canary fails. ----

export interface FleetState {
  /** Probes the last FLEET_DEGRADED page named, with why. */
  notified: Record<string, 'silent' | 'vetoed'>;
  version: number;
  /** Epoch ms of the first sweep: probes deployed after the home stack are not silent while they start. */
  createdAt: number;
}

export interface FleetObservation {
  /** Epoch ms of the latest round the observation is about (alert ids derive from it). */
  instant: number;
  silent: string[];
  vetoed: string[];
  /** Monitors that cannot reach quorum while these probes are out. */
  unknownMonitors: string[];
}

export function initialFleetState(now: number): FleetState {
  return { notified: {}, version: 0, createdAt: now };
}

/** Pages once when probes go silent (or their canary fails) and once when they come back. */
export function nextFleet(previous: FleetState | undefined, observation: FleetObservation, now: number): { state: FleetState; alerts: AlertMessage[]; changed: boolean } {
  const before = previous ?? initialFleetState(now);
  const current: Record<string, 'silent' | 'vetoed'> = {};
  for (const probe of [...observation.vetoed].sort()) current[probe] = 'vetoed';
  for (const probe of [...observation.silent].sort()) current[probe] = 'silent';
  const recovered = Object.keys(before.notified).filter((p) => !(p in current)).sort();
  const worse = Object.keys(current).filter((p) => before.notified[p] !== current[p]);
  const alerts: AlertMessage[] = [];
  const fleet = (): FleetEvidence => ({
    silentRegions: Object.keys(current).filter((p) => current[p] === 'silent').sort(),
    vetoedRegions: Object.keys(current).filter((p) => current[p] === 'vetoed').sort(),
    recoveredRegions: recovered,
    unknownMonitors: observation.unknownMonitors.slice(0, 50),
  });
  const base = {
    schemaVersion: 1 as const, sequence: 0, cause: 'fleet' as const, at: new Date(now).toISOString(),
    round: new Date(observation.instant).toISOString(), since: new Date(observation.instant).toISOString(), regions: [],
  };
  if (worse.length > 0) {
    alerts.push(withSubject({
      ...base, alertId: `fleet:FLEET_DEGRADED:${observation.instant / 1000}`, kind: 'FLEET_DEGRADED', verdict: 'DEGRADED',
      previousVerdict: Object.keys(before.notified).length > 0 ? 'DEGRADED' : 'UP', fleet: fleet(),
    }));
  }
  if (recovered.length > 0) {
    const stillOut = Object.keys(current).length > 0;
    alerts.push(withSubject({
      ...base, alertId: `fleet:FLEET_RECOVERED:${observation.instant / 1000}`, kind: 'FLEET_RECOVERED', verdict: stillOut ? 'DEGRADED' : 'UP',
      previousVerdict: 'DEGRADED', fleet: fleet(),
    }));
  }
  const changed = worse.length > 0 || recovered.length > 0;
  return { state: changed ? { ...before, notified: current, version: before.version + 1 } : before, alerts, changed };
}
