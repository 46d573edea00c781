// What `portquorum local` runs: the demo or the user's declarations (with their localTargets), and in which network mode.
import { isIP } from 'node:net';
import { hostPort, resolveFleet, type FleetConfig, type FleetSpec } from '../../functions/shared/domain';
import { DEFAULT_DEMO, DEMOS, isDemoName, type DemoName } from '../local/demos';
import type { NetnsMode } from '../local/fleet';
import { netnsSupport } from '../local/netns';
import { TARGET_KINDS, type LocalTarget } from '../local/targets';
import { loadFleetSpec } from './declarations';
import { UsageError } from './usage';

/** What the user asked for on the command line about namespaces. */
export type NetnsChoice = 'on' | 'off' | 'default';

export interface LocalRunPlan {
  /** No --config: the demo with its timeline. */
  demo: boolean;
  /** Which demo (--demo NAME; `outage` without it). */
  demoName?: DemoName;
  title: string;
  config: FleetConfig;
  targets: LocalTarget[];
  canary?: LocalTarget;
  netns: NetnsMode;
  /** Whether namespaces could be used here (why not, when not). */
  support: ReturnType<typeof netnsSupport>;
}

/** Loads the declarations (or makes the demo's) and settles the network mode. */
export async function planLocalRun(configPath: string | undefined, choice: NetnsChoice, demoName?: string): Promise<LocalRunPlan> {
  if (demoName !== undefined && configPath !== undefined) throw new UsageError('local: --demo runs its own declarations; it cannot be combined with --config');
  if (demoName !== undefined && !isDemoName(demoName)) throw new UsageError(`local: --demo '${demoName}' is not a demo (use one of ${Object.keys(DEMOS).join(', ')})`);
  const demo = configPath === undefined;
  const name: DemoName = (demoName as DemoName | undefined) ?? DEFAULT_DEMO;
  const what = demo ? await DEMOS[name].plan() : await declaredPlan(configPath);
  const config = resolveFleet(what.spec);
  const support = netnsSupport();
  if (choice === 'on' && !support.supported) throw new UsageError(`local: --netns: ${support.reason}`);
  const netns: NetnsMode = choice === 'on' || (choice === 'default' && demo && support.supported) ? 'on' : 'off';
  if (netns === 'on') refuseUnreachable(config, what.targets);
  let canary = what.canary;
  // A namespace's loopback has nothing on it: a loopback canary must be served there, or every region is vetoed.
  if (netns === 'on' && config.canary && isLoopback(config.canary.host) && !what.targets.some((t) => t.port === config.canary!.port) && !canary) {
    canary = { name: 'canary', kind: 'tcp', port: config.canary.port };
  }
  return { demo, ...(demo ? { demoName: name } : {}), title: what.title, config, targets: what.targets, ...(canary ? { canary } : {}), netns, support };
}

interface Declared {
  spec: FleetSpec;
  targets: LocalTarget[];
  canary?: LocalTarget;
  title: string;
}

async function declaredPlan(configPath: string): Promise<Declared> {
  const loaded = await loadFleetSpec(configPath);
  return { ...splitLocalTargets(loaded.spec as FleetSpec & { localTargets?: unknown }, loaded.source), title: `portquorum local — ${loaded.source}` };
}

/** A declaration file may name loopback services the local fleet serves itself; the key never reaches validation. */
function splitLocalTargets(spec: FleetSpec & { localTargets?: unknown }, source: string): { spec: FleetSpec; targets: LocalTarget[] } {
  const { localTargets, ...rest } = spec;
  if (localTargets === undefined) return { spec: rest, targets: [] };
  if (!Array.isArray(localTargets)) throw new UsageError(`local: localTargets in ${source} must be a list of { name, kind, port }`);
  const targets = localTargets.map((t: Partial<LocalTarget>, i): LocalTarget => {
    const where = `localTargets[${i}] in ${source}`;
    if (typeof t?.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(t.name)) throw new UsageError(`local: ${where}: name must be lowercase letters, digits, '.', '_' or '-'`);
    if (!TARGET_KINDS.includes(t.kind as never)) throw new UsageError(`local: ${where} ('${t.name}'): kind must be one of ${TARGET_KINDS.join(', ')}`);
    if (!Number.isInteger(t.port) || t.port! < 1 || t.port! > 65535) throw new UsageError(`local: ${where} ('${t.name}'): port must be a whole number from 1 to 65535`);
    if (t.host !== undefined && !['127.0.0.1', '::1'].includes(t.host)) throw new UsageError(`local: ${where} ('${t.name}'): host must be 127.0.0.1 or ::1 (served targets live on loopback)`);
    return { name: t.name, kind: t.kind!, port: t.port!, ...(t.host ? { host: t.host } : {}) };
  });
  return { spec: rest, targets };
}

/**
 * In namespaces, each region has only its own loopback, where the fleet serves its localTargets: any other target
 * (this machine's own services on 127.0.0.1 included) is unreachable there, and would be paged DOWN in every region.
 * Refuse such a run at start, naming the monitors, rather than page falsely.
 */
function refuseUnreachable(config: FleetConfig, targets: readonly LocalTarget[]): void {
  const served = (host: string, port: number) => isLoopback(host) && targets.some((t) => t.port === port);
  const unreachable = config.monitors.filter((m) => !served(m.host, m.port));
  if (unreachable.length === 0) return;
  const named = unreachable.slice(0, 5).map((m) => `'${m.id}' (${hostPort(m.host, m.port)})`).join(', ') + (unreachable.length > 5 ? ` and ${unreachable.length - 5} more` : '');
  throw new UsageError(`local: --netns: ${unreachable.length === 1 ? 'monitor' : 'monitors'} ${named} cannot be reached from the regions' network namespaces, `
    + `which have only their own loopback (not this machine's), so every region would report ${unreachable.length === 1 ? 'it' : 'them'} down. Run without --netns to probe ${unreachable.length === 1 ? 'it' : 'them'} from `
    + 'this machine, or declare loopback services the fleet serves in every namespace as "localTargets" (see portquorum local --help)');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}
