// What the sweeper observes of the fleet's own probes: which wrote nothing lately (silent), whose canary fails
// (vetoed), and which monitors that leaves short of a quorum. Pure: the sweeper reads the rounds, this decides.
import type { FleetConfig, HomeFleetConfig } from './fleet';
import type { RoundRecord } from './record';
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
  /** Epoch ms of the latest minute looked at (the fleet alert's id derives from it). */
  instant: number;
  /** The round items of the minutes looked at, in any order. */
  records: readonly RoundRecord[];
  /** While the fleet's stacks deploy, a probe that has written nothing yet is not silent. */
  starting: boolean;
}

/**
 * Silent: an expected probe with no round item in the minutes looked at. Vetoed: a probe whose latest round says its
 * canary was down (at one instant, a down canary in any shard wins). A monitor is unknown when the regions left to
 * it, its probes neither silent nor vetoed, are fewer than its quorum.
 */
export function observeFleet(fleet: Pick<HomeFleetConfig, 'regions' | 'groups' | 'monitors'>, activity: ProbeActivity): FleetObservation {
  const latestCanary = new Map<string, { instant: number; down: boolean }>();
  for (const record of activity.records) {
    const probe = probeName(record.region, record.group);
    const down = record.canary.status === 'down';
    const known = latestCanary.get(probe);
    if (!known || known.instant < record.instant || (known.instant === record.instant && down)) latestCanary.set(probe, { instant: record.instant, down });
  }
  const vetoed = [...latestCanary].filter(([, canary]) => canary.down).map(([probe]) => probe).sort();
  const silent = activity.starting ? [] : expectedProbes(fleet).filter((probe) => !latestCanary.has(probe));
  const out = new Set([...silent, ...vetoed]);
  const unknownMonitors = fleet.monitors
    .filter((m) => m.regions.filter((r) => !out.has(probeName(r, m.group))).length < m.quorum)
    .map((m) => m.id);
  return { instant: activity.instant, silent, vetoed, unknownMonitors };
}
