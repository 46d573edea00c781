// Each region's own up/down changes for a monitor, round by round, whatever the quorum decided: the history keeps
// them so the uptime report can give each region's availability beside the quorum's (a region that fails alone for
// an hour changes no verdict, yet it is what its users in that region saw).
import type { RoundEvidence } from './verdict';

export interface RegionFlip {
  region: string;
  status: 'up' | 'down';
  /** Epoch ms of the round the new status was first seen in. */
  round: number;
  class?: string;
}

/**
 * The changes between consecutive counted rounds of each region in `rounds` (oldest first). A round a region did not
 * report in, or reported down while its canary failed too (vetoed: its network, not the target), is not counted: the
 * next counted round is compared with the one before. The first counted round of the window is no change.
 */
export function regionFlips(rounds: readonly RoundEvidence[]): RegionFlip[] {
  const last = new Map<string, 'up' | 'down'>();
  const flips: RegionFlip[] = [];
  for (const round of rounds) {
    for (const [region, report] of Object.entries(round.reports)) {
      const result = report.result;
      if (result.status !== 'up' && report.canary.status === 'down') continue;
      const status = result.status === 'up' ? 'up' : 'down';
      const before = last.get(region);
      if (before !== undefined && before !== status) {
        flips.push({ region, status, round: round.instant, ...(result.status === 'down' ? { class: result.errorClass } : {}) });
      }
      last.set(region, status);
    }
  }
  return flips;
}
