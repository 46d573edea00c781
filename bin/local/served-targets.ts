// The targets the fleet serves itself (demo services, localTargets, a loopback canary) and how one is switched:
// once on this machine's loopback, or by every region's worker in its namespace with iptables for a blackhole.
import type { Part } from './supervisor';
import { TargetSet, type LocalTarget, type TargetState } from './targets';

export interface ServedTargets {
  set(name: string, state: TargetState): Promise<void>;
}

/** Serves the targets once on this machine's loopback, where every region's probes reach them. */
export async function serveOnLoopback(targets: readonly LocalTarget[], initial: Record<string, TargetState> = {}): Promise<ServedTargets & Part> {
  if (targets.length === 0) {
    return {
      name: 'the local targets',
      set: (name) => Promise.reject(new Error(`no local target named '${name}' (this fleet serves none)`)),
      stop: async () => undefined,
    };
  }
  const set = new TargetSet([...targets]);
  await set.start(initial);
  return { name: 'the local targets', set: (name, state) => set.set(name, state), stop: () => set.stop() };
}

export interface NamespacedServing {
  /** Switches the target in every region's worker at once. */
  setTarget(name: string, state: TargetState): Promise<void>;
  /** Drops (on) or stops dropping (off) the target's packets in every region's namespace. */
  dropTarget(target: LocalTarget, on: boolean): Promise<void>;
}

/**
 * Targets every region's worker serves in its own namespace (they stop with the workers). Blackholed = the service
 * keeps running and iptables in every namespace drops its packets: the drop goes in before the listener changes and
 * comes out after, so no probe slips through mid-switch.
 */
export function serveInNamespaces(targets: readonly LocalTarget[], regions: NamespacedServing, initial: Record<string, TargetState> = {}): ServedTargets {
  const states = new Map<string, TargetState>(Object.entries(initial));
  return {
    async set(name, state) {
      const target = targets.find((t) => t.name === name);
      if (!target) throw new Error(`no local target named '${name}' (targets: ${targets.map((t) => t.name).join(', ') || 'none'})`);
      const dropping = state === 'blackhole';
      const wasDropping = states.get(name) === 'blackhole';
      if (dropping && !wasDropping) await regions.dropTarget(target, true);
      await regions.setTarget(name, dropping ? 'up' : state);
      if (wasDropping && !dropping) await regions.dropTarget(target, false);
      states.set(name, state);
    },
  };
}
