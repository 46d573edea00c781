// Probe shards: a region's monitors (of one probe group) split over several scheduled invocations of its probe
// function, so a round's work per invocation stays bounded however many monitors the fleet has.
//
// A monitor's shard is a jump consistent hash of its id (Lamping & Veach, 2014): every region and every invocation
// computes the same shard without talking, shards hold a near-equal share, and growing from n to n+1 shards moves only
// about 1/(n+1) of the monitors (adding a monitor moves none).
import type { ResolvedMonitor } from './schema';

/**
 * Monitors one probe invocation checks at most (on average; a shard may hold a few percent more) unless the fleet
 * says otherwise (`monitorsPerProbe`). Measured (bench section `scale`, docs/benchmarks.json `probeShareCapacity`):
 * the real round in a cgroup whose CPU quota is a 256 MB Lambda's share of a core (14.5%) holds 7,200 healthy plain
 * TCP monitors within a 10 s round's budget on a quiet machine, 5,300 to 6,400 in four runs under load. The default is
 * at most half of the lowest of these, rounded down to a thousand: the edge moves by a tenth or more between runs, TLS and
 * expect/send checks cost more CPU than a connect, the handler's canary, views and logs are not in the measured round,
 * and slow or silent targets hold sockets. test/domain/probe-shards-default.test.ts fails if it exceeds that half.
 */
export const DEFAULT_MONITORS_PER_PROBE = 2_000;
/** The most shards one probe function may have: EventBridge holds 300 rules a region by default, five targets each. */
export const MAX_PROBE_SHARDS = 200;

/** FNV-1a, 64 bits, of the id's UTF-16 code units: stable across Node versions and platforms. */
function hash64(id: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < id.length; i += 1) {
    h ^= BigInt(id.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** The shard (0 … count-1) a monitor belongs to; 0 whenever there is one shard. */
export function probeShardOf(monitorId: string, count: number): number {
  if (count <= 1) return 0;
  let key = hash64(monitorId);
  let b = -1;
  let j = 0;
  while (j < count) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & 0xffffffffffffffffn;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(key >> 33n) + 1)));
  }
  return b;
}

/** How many shards a probe function of `monitors` monitors runs as. */
export function probeShardCount(monitors: number, monitorsPerProbe: number = DEFAULT_MONITORS_PER_PROBE): number {
  return Math.max(1, Math.ceil(monitors / Math.max(1, monitorsPerProbe)));
}

/**
 * The monitors one probe function (region and group) checks: its own (public, or its group's), and — in a probe
 * group — every monitor whose `reach` names the group, probed as that expectation needs: `closed` as a private port
 * (connecting is the finding, with what answered), `open` as an ordinary check. The probe handler, the local fleet and
 * the CDK count its shards from this one list, so a function and its schedules always agree.
 */
export function probeFunctionMonitors<M extends ShardedMonitor>(monitors: readonly M[], region: string, group: string | undefined): M[] {
  const here: M[] = [];
  for (const m of monitors) {
    if (m.regions.includes(region) && m.group === group) here.push(m);
    else if (group !== undefined) {
      const vantage = m.vantages?.find((v) => v.group === group && v.regions.includes(region));
      // A vantage's probes judge reach only: watch mode belongs to the monitor's own probes (its events are their evidence).
      if (vantage) here.push({ ...m, exposure: vantage.expect === 'closed' ? 'private' : 'public', expectClosed: vantage.expect === 'closed', watch: false });
    }
  }
  return here;
}

/** What choosing a probe function's monitors reads of each. */
type ShardedMonitor = Pick<ResolvedMonitor, 'regions'> & Partial<Pick<ResolvedMonitor, 'group' | 'vantages' | 'exposure' | 'expectClosed' | 'watch'>>;

/** The shard count of each probe function of a fleet: by region, then by group ('' for the public probes). */
export function fleetProbeShards(fleet: {
  regions: readonly string[];
  groups: Readonly<Record<string, { regions: readonly string[] }>>;
  monitors: readonly ShardedMonitor[];
  monitorsPerProbe?: number;
}): { region: string; group?: string; monitors: number; shards: number }[] {
  const out: { region: string; group?: string; monitors: number; shards: number }[] = [];
  const add = (region: string, group: string | undefined) => {
    const monitors = probeFunctionMonitors(fleet.monitors, region, group).length;
    out.push({ region, ...(group !== undefined ? { group } : {}), monitors, shards: probeShardCount(monitors, fleet.monitorsPerProbe) });
  };
  for (const region of fleet.regions) add(region, undefined);
  for (const [group, { regions }] of Object.entries(fleet.groups)) for (const region of regions) add(region, group);
  return out;
}
