// Whether a round item that decoded may be evaluated: from this fleet's regions and groups, at a round that can exist now.
import type { FleetConfig } from '../shared/domain';
import { ROUND_TTL_SECONDS, type RoundRecord } from '../shared/domain/record';

/**
 * How far a round may lie ahead of the aggregator's clock. Probes start their rounds on their own clocks, a few
 * seconds off at worst; an item further ahead is forged or from a broken clock, and evaluating it would hold the
 * monitor's state in the future (results of older rounds never move a state).
 */
export const MAX_ROUND_AHEAD_MS = 30_000;
/** Rounds older than this are gone from the table (their TTL), so no item for them can be genuine. */
const MAX_ROUND_AGE_MS = ROUND_TTL_SECONDS * 1000;
/** The latest instant a JavaScript Date can hold (ECMAScript's time range). */
const MAX_DATE_MS = 8.64e15;

/** Why the round item must not be evaluated, or undefined when it may. */
export function roundItemProblem(round: RoundRecord, fleet: Pick<FleetConfig, 'regions' | 'groups'>, now: number): string | undefined {
  const { instant, region, group } = round;
  if (!Number.isSafeInteger(instant) || instant < 0 || instant > MAX_DATE_MS) return `round ${instant / 1000} is not an instant a clock can show`;
  if (group !== undefined && !Object.hasOwn(fleet.groups, group)) {
    return `probe group '${group}' is not one of this fleet's groups (an item written by another fleet, or forged)`;
  }
  const regions = group === undefined ? fleet.regions : fleet.groups[group]!.regions;
  if (!regions.includes(region)) {
    return `region '${region}' does not probe ${group === undefined ? 'this fleet' : `group '${group}'`} (an item written by another fleet, or forged)`;
  }
  if (instant > now + MAX_ROUND_AHEAD_MS) {
    return `round ${new Date(instant).toISOString()} is ${Math.round((instant - now) / 1000)} s ahead of the aggregator's clock (more than ${MAX_ROUND_AHEAD_MS / 1000} s: a probe clock far off, or a forged item)`;
  }
  if (instant < now - MAX_ROUND_AGE_MS) {
    return `round ${new Date(instant).toISOString()} is older than the ${ROUND_TTL_SECONDS / 86_400} days the table keeps rounds`;
  }
  return undefined;
}

/** An instant as a log line shows it: ISO 8601, or the raw number when no date can hold it (never throws). */
export function instantText(instant: number): string {
  return Number.isFinite(instant) && Math.abs(instant) <= MAX_DATE_MS ? new Date(instant).toISOString() : `${instant} (not a date)`;
}
