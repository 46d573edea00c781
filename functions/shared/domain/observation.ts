// What the sweeper observes of the fleet's own probes: which wrote nothing lately (silent), whose canary fails
// (vetoed), each only when it lasts (hysteresis by whole minutes), and which monitors that leaves short of a quorum.
// Pure: the sweeper reads the rounds, this decides.
import type { FleetConfig, HomeFleetConfig } from './fleet';
import type { RoundRecord } from './record';
import { MINUTE_MS, minuteOf } from './rounds';
import type { FleetObservation } from './verdict';

/** A probe's name in fleet alerts: the region, or `region/group` for a VPC probe group. */
export function probeName(region: string, group: string | undefined): string {
  return group === undefined ? region : `${region}/${group}`;
}

/** Every probe the fleet deploys: each region's public probe, then each group's probe in its regions. */
export function expectedProbes(fleet: Pick<FleetConfig, 'regions' | 'groups'>): string[] {
  return [
    ...fleet.regions.map((r) => probeName(r, undefined)),
    ...Object.entries(fleet.groups).flatMap(([g, { regions }]) => regions.map((r) => probeName(r, g))),
  ];
}

export interface ProbeActivity {
  /** Epoch ms of the start of the latest whole minute looked at (the fleet alert's id derives from it). */
  instant: number;
  /** The round items of the minutes looked at (every round of each, not only the minute's start), in any order. */
  records: readonly RoundRecord[];
  /** While the fleet's stacks deploy, a probe that has written nothing yet is not silent. */
  starting: boolean;
  /** How many whole minutes, ending with `instant`'s, a probe must be out (or healthy) before it is counted so. @default 2 */
  minutes?: number;
  /** The probes counted out so far (the fleet state's `notified`): they stay out until healthy for as long. @default none */
  out?: Readonly<Record<string, 'silent' | 'vetoed'>>;
}

/** How one probe fared in one whole minute. */
export type MinuteHealth = 'silent' | 'vetoed' | 'healthy';

/**
 * One probe's minute from its round items in that minute: silent with none; vetoed when its canary failed in most of
 * the rounds it wrote (more than half of its instants); healthy otherwise — a canary failing a minority of rounds (a
 * lossy network's odd lost packet) is healthy. At one instant each probe shard probed the canary on its own: the
 * round's canary failed when it failed in most of the shards (a shard's items all carry its one result), so fifty
 * shards do not make an odd lost packet fifty times likelier to count.
 */
export function minuteHealth(records: readonly Pick<RoundRecord, 'instant' | 'canary' | 'probeShard'>[]): MinuteHealth {
  const byInstant = new Map<number, Map<number, boolean>>();
  for (const record of records) {
    const shards = byInstant.get(record.instant) ?? new Map<number, boolean>();
    const shard = record.probeShard ?? 0;
    shards.set(shard, (shards.get(shard) ?? false) || record.canary.status === 'down');
    byInstant.set(record.instant, shards);
  }
  if (byInstant.size === 0) return 'silent';
  const failed = [...byInstant.values()].filter((shards) => [...shards.values()].filter(Boolean).length * 2 > shards.size).length;
  return failed * 2 > byInstant.size ? 'vetoed' : 'healthy';
}

/**
 * Which probes count as out for the fleet, with hysteresis, from each whole minute's health (oldest first): a probe goes
 * out only when every minute looked at was bad (silent when it wrote nothing in any of them, else vetoed), and comes
 * back only when every one was healthy; between the two it stays as it was. Pure, so the same minutes always give the
 * same answer however often the sweeper runs.
 */
function probeStanding(previous: 'silent' | 'vetoed' | undefined, minutes: readonly MinuteHealth[]): 'silent' | 'vetoed' | undefined {
  if (minutes.length === 0) return previous;
  if (minutes.every((h) => h === 'healthy')) return undefined;
  if (minutes.every((h) => h === 'silent')) return 'silent';
  if (minutes.every((h) => h !== 'healthy')) return 'vetoed';
  return previous;
}

/**
 * Silent: an expected probe with no round item in any of the minutes looked at. Vetoed: a probe whose canary failed in
 * most of its rounds of each minute looked at (with a silent minute among them). Either lasts until the probe has
 * been healthy in every minute looked at (see probeStanding). A monitor is unknown when the regions left to it, its
 * probes neither silent nor vetoed, are fewer than its quorum.
 */
export function observeFleet(fleet: Pick<HomeFleetConfig, 'regions' | 'groups' | 'monitors'>, activity: ProbeActivity): FleetObservation {
  const count = Math.max(1, activity.minutes ?? 2);
  const minutes = Array.from({ length: count }, (_, k) => activity.instant - (count - 1 - k) * MINUTE_MS);
  const byProbe = new Map<string, Map<number, RoundRecord[]>>();
  for (const record of activity.records) {
    const minute = minuteOf(record.instant);
    if (!minutes.includes(minute)) continue;
    const probe = probeName(record.region, record.group);
    const perMinute = byProbe.get(probe) ?? new Map<number, RoundRecord[]>();
    perMinute.set(minute, [...(perMinute.get(minute) ?? []), record]);
    byProbe.set(probe, perMinute);
  }
  const expected = new Set(expectedProbes(fleet));
  // A probe no longer deployed is never silent, nor one while the fleet's stacks deploy: a minute without items says
  // nothing about them.
  const probes = [...new Set([...expected, ...byProbe.keys()])];
  const silent: string[] = [];
  const vetoed: string[] = [];
  for (const probe of probes) {
    const health = minutes.map((minute) => minuteHealth(byProbe.get(probe)?.get(minute) ?? []))
      .map((h) => (h === 'silent' && (activity.starting || !expected.has(probe)) ? 'healthy' : h));
    const standing = probeStanding(activity.out?.[probe], health);
    if (standing === 'silent') silent.push(probe);
    if (standing === 'vetoed') vetoed.push(probe);
  }
  vetoed.sort();
  const out = new Set([...silent, ...vetoed]);
  const unknownMonitors = fleet.monitors
    .filter((m) => m.regions.filter((r) => !out.has(probeName(r, m.group))).length < m.quorum)
    .map((m) => m.id);
  return { instant: activity.instant, silent, vetoed, unknownMonitors };
}
