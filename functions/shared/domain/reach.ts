// Reachability matrix: what a monitor expects from each probe group (`reach: { vpc: 'open', public: 'closed' }`),
// each group judged on its own. The public probes' part is the monitor's own verdict (open) or its exposure audit
// (closed); this file judges the probe groups `reach` names.
import { PUBLIC_VANTAGE, type ReachExpectation } from './constants';
import { openPath } from './exposure';
import type { CanaryResult, RoundResult } from './record';

/** One probe group a monitor's `reach` names, as resolved: its regions and the quorum that judges them. */
export interface Vantage {
  group: string;
  expect: ReachExpectation;
  regions: string[];
  /** For `open`: regions that must agree; `closed` is broken by any one region (see reachCandidate). */
  quorum: number;
}

/** What a group's round says of its expectation. BROKEN and HELD are decided; PENDING waits for regions; UNKNOWN too few. */
export type ReachCandidate = 'BROKEN' | 'HELD' | 'PENDING' | 'UNKNOWN';

/** One region's result for a round of the group, with its canary. */
interface Report {
  result: RoundResult;
  canary: CanaryResult;
}

/**
 * A group's quorum: the monitor's declared quorum capped by the group's region count, or — undeclared — a majority
 * of the group's regions (the rule every monitor's default follows, see majority()).
 */
export function groupQuorum(regionCount: number, declared: number | undefined): number {
  return declared === undefined ? Math.floor(regionCount / 2) + 1 : Math.max(1, Math.min(declared, regionCount));
}

/** The vantages of a `reach` declaration (every key but `public`), by group name. */
export function vantagesOf(
  reach: Readonly<Record<string, ReachExpectation>> | undefined,
  groups: Readonly<Record<string, { regions: readonly string[] }>>,
  quorum: number | undefined,
): Vantage[] {
  if (reach === undefined) return [];
  return Object.keys(reach)
    .filter((group) => group !== PUBLIC_VANTAGE && Object.hasOwn(groups, group))
    .sort()
    .map((group) => {
      const regions = [...groups[group]!.regions];
      return { group, expect: reach[group]!, regions, quorum: groupQuorum(regions.length, quorum) };
    });
}

/** Whether a region found the port open: an `open` vantage's probe passed, a `closed` vantage's probe connected. */
function foundOpen(vantage: Pick<Vantage, 'expect'>, region: string, result: RoundResult): boolean {
  return vantage.expect === 'open' ? result.status === 'up' : openPath(region, result) !== undefined;
}

/**
 * A group's round. `closed`: BROKEN as soon as any one region connected (one open path is the finding, as in the
 * exposure audit), HELD once every region reported (or the round closed) and none did. `open`: BROKEN when the
 * group's quorum could not connect, HELD when its quorum did; a down from a region whose canary fails does not count.
 * `closed` is true once the round's grace has passed (missing regions are silent, not pending).
 */
export function reachCandidate(vantage: Vantage, reports: Readonly<Record<string, Report>> | undefined, closed: boolean): ReachCandidate {
  const present = vantage.regions.filter((r) => reports?.[r] !== undefined);
  const pending = closed ? 0 : vantage.regions.length - present.length;
  if (vantage.expect === 'closed') {
    if (present.some((r) => foundOpen(vantage, r, reports![r]!.result))) return 'BROKEN';
    if (pending > 0) return 'PENDING';
    return present.length > 0 ? 'HELD' : 'UNKNOWN';
  }
  let open = 0;
  let shut = 0;
  for (const r of present) {
    const report = reports![r]!;
    if (report.result.status === 'up') open += 1;
    else if (report.canary.status !== 'down') shut += 1;
  }
  const q = vantage.quorum;
  if (shut >= q) return 'BROKEN';
  if (shut + pending >= q) return 'PENDING';
  if (open >= q) return 'HELD';
  return pending > 0 ? 'PENDING' : 'UNKNOWN';
}

/** A group's expectation in a monitor's state: broken since a round, restored at a later one (absent while broken). */
export interface ReachBreak {
  since: number;
  restored?: number;
}

/** Whether the expectation is broken in this state. */
export function isBroken(entry: ReachBreak | undefined): boolean {
  return entry !== undefined && entry.restored === undefined;
}

/**
 * The group's entry after one round, from its recent candidates (oldest first; the last is the round's): broken after
 * `breakAfter` BROKEN rounds in a row (1 for `closed`: one open path; failureThreshold for `open`), restored after
 * recoveryThreshold HELD rounds in a row. Applying a round twice gives what applying it once did.
 */
export function nextBreak(
  entry: ReachBreak | undefined,
  window: readonly ReachCandidate[],
  instant: number,
  thresholds: { breakAfter: number; restoreAfter: number },
): ReachBreak | undefined {
  const streak = (kind: ReachCandidate): number => {
    let n = 0;
    for (let i = window.length - 1; i >= 0 && window[i] === kind; i -= 1) n += 1;
    return n;
  };
  if (!isBroken(entry)) {
    return streak('BROKEN') >= thresholds.breakAfter && instant > (entry?.restored ?? -Infinity) ? { since: instant } : entry;
  }
  return streak('HELD') >= thresholds.restoreAfter && instant > entry!.since ? { since: entry!.since, restored: instant } : entry;
}

/** What a group found, said as the issue puts it: `closed from vpc`, `open from vpc`. */
function brokenWording(vantage: Pick<Vantage, 'group' | 'expect'>): string {
  return `${vantage.expect === 'open' ? 'closed' : 'open'} from ${vantage.group}`;
}

/** Each vantage point whose expectation is broken in this state, worded (`closed from vpc`), by group name. */
export function brokenVantages(vantages: readonly Vantage[] | undefined, reach: Readonly<Record<string, ReachBreak>> | undefined): string[] {
  return Object.keys(reach ?? {}).sort().filter((group) => isBroken(reach![group])).map((group) => {
    const vantage = vantages?.find((v) => v.group === group);
    return vantage ? brokenWording(vantage) : `broken from ${group}`;
  });
}
