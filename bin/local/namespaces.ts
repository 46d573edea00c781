// The fleet's regions' networks: with --netns one namespace per region (faults and target drops by iptables in it),
// without it none, where a region fault is refused with the reason.
import { execFileSync } from 'node:child_process';
import type { Say } from './events';
import { applyFault, createNamespace, deleteNamespace, dropTargetPackets, namespaceName, removeStaleNamespaces, type RegionFault } from './netns';
import type { Part } from './supervisor';
import type { LocalTarget } from './targets';

export interface RegionNetworks extends Part {
  /** Region → its namespace (empty without netns; an entry goes when its namespace is deleted). */
  readonly namespaces: Readonly<Record<string, string>>;
  /** Region → the fault in force (absent = none). */
  readonly faults: Readonly<Record<string, RegionFault>>;
  /** Applies a fault to one region's network (`clear` removes it). */
  fault(region: string, fault: RegionFault): Promise<void>;
  /** Drops (on) or stops dropping (off) a served target's packets in every region's namespace. */
  dropTarget(target: LocalTarget, on: boolean): Promise<void>;
}

/** Regions sharing this machine's network: nothing to create, and no region can be cut off alone. */
export function sharedNetwork(): RegionNetworks {
  return {
    name: 'the shared network',
    namespaces: {},
    faults: {},
    fault: () => Promise.reject(new Error('region faults need --netns (regions then run in their own network namespaces; that needs root on Linux)')),
    dropTarget: () => Promise.reject(new Error('dropping a target\'s packets needs --netns')),
    stop: async () => undefined,
  };
}

/** One namespace per region, after removing those left by fleets that are gone. */
export async function startNamespaces(regions: readonly string[], say: Say): Promise<RegionNetworks> {
  const removed = await removeStaleNamespaces();
  if (removed.length > 0) say('info', 'local', `removed namespaces left by fleets that are gone: ${removed.join(', ')}`);
  const created = new RegionNamespaces(regions);
  try {
    for (const region of regions) await created.add(region);
  } catch (error) {
    await created.stop().catch(() => undefined);
    throw error;
  }
  return created;
}

class RegionNamespaces implements RegionNetworks {
  readonly name = 'the network namespaces';
  readonly namespaces: Record<string, string> = {};
  readonly faults: Record<string, RegionFault> = {};

  constructor(private readonly regions: readonly string[]) {}

  async add(region: string): Promise<void> {
    const ns = namespaceName(region);
    await createNamespace(ns);
    this.namespaces[region] = ns;
  }

  async fault(region: string, fault: RegionFault): Promise<void> {
    const ns = this.namespaces[region];
    if (!ns) throw new Error(`no region '${region}' in this fleet (regions: ${this.regions.join(', ')})`);
    await applyFault(ns, fault);
    if (fault.kind === 'clear') delete this.faults[region];
    else this.faults[region] = fault;
  }

  async dropTarget(target: LocalTarget, on: boolean): Promise<void> {
    await Promise.all(Object.values(this.namespaces).map((ns) => dropTargetPackets(ns, { host: target.host ?? '127.0.0.1', port: target.port }, on)));
  }

  /** Deletes every namespace (their iptables rules go with them); one that fails does not keep the others. */
  async stop(): Promise<void> {
    const failures: string[] = [];
    for (const [region, ns] of Object.entries(this.namespaces)) {
      try {
        await deleteNamespace(ns);
        delete this.namespaces[region];
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  abandon(): void {
    for (const ns of Object.values(this.namespaces)) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // already gone
      }
    }
  }
}
