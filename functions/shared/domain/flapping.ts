// Flap detection, after Nagios: the weighted percent of state change over a monitor's last 21 rounds.
//
// A round's *side* is what its quorum says: `down` (a DOWN candidate) or `up` (UP or DEGRADED); inconclusive,
// unknown and silent rounds keep the side before them. Every change of side is a *flip*, kept in the monitor's state
// as the round instant it happened in (only while it is inside the window, so a steady monitor stores none). Of the
// 20 changes 21 rounds can hold, the newest weighs 1.25 and the oldest 0.75 (linearly between, as Nagios weighs
// them), and the percent is their weighted sum over 20. A monitor starts FLAPPING at `enterPercent` or more and
// settles below `leavePercent`.

/** Rounds the percent looks at (so 20 changes between them). */
export const FLAP_WINDOW_ROUNDS = 21;
const CHANGES = FLAP_WINDOW_ROUNDS - 1;
const LOW_WEIGHT = 0.75;
const HIGH_WEIGHT = 1.25;

export type Side = 'up' | 'down';

/** A flip: the round (epoch ms) whose side differs from the one before it, and the side it turned to. */
export interface Flip {
  round: number;
  to: Side;
}

/** Weight of the change `age` rounds back (0: the change into the newest round). */
function weight(age: number): number {
  const position = CHANGES - 1 - age; // 0 = oldest change in the window
  return LOW_WEIGHT + (position * (HIGH_WEIGHT - LOW_WEIGHT)) / (CHANGES - 1);
}

/** The flips still inside the window that ends at round `instant`. */
export function flipsInWindow(flips: readonly Flip[], instant: number, intervalMs: number): Flip[] {
  return flips.filter((f) => f.round <= instant && (instant - f.round) / intervalMs < CHANGES);
}

/** The weighted percent of state change (0–100) over the window ending at round `instant`. */
export function percentStateChange(flips: readonly Flip[], instant: number, intervalMs: number): number {
  let sum = 0;
  for (const f of flipsInWindow(flips, instant, intervalMs)) sum += weight(Math.round((instant - f.round) / intervalMs));
  // Rounded to a tenth: the percent is shown in alerts, and 29.999… must not settle a 30 % threshold.
  return Math.round((sum * 1000) / CHANGES) / 10;
}

/**
 * Rounds after its last flip by which a flapping monitor has settled, whatever came before: the fewest steady rounds
 * such that even every older change still in the window weighs in below `leavePercent`. A DOWN that stays down is
 * therefore paged (by the FLAPPING_SETTLED alert) at most this many rounds after its first DOWN round.
 */
export function settleRounds(leavePercent: number): number {
  for (let steady = 0; steady <= CHANGES; steady += 1) {
    let sum = 0;
    for (let age = steady; age < CHANGES; age += 1) sum += weight(age);
    if (Math.round((sum * 1000) / CHANGES) / 10 < leavePercent) return steady;
  }
  return CHANGES;
}
