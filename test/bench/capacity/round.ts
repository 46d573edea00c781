// One region's rounds in a child process of their own (bundled and started by the capacity section with a 256 MB heap, and by
// the scale section inside a CPU cgroup): builds the fleet, probes it, prints what that cost.
import { readdirSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { probeRound } from '../../../functions/probe/engine';
import { resolveFleet, type MonitorSpec, type ResolvedMonitor } from '../../../functions/shared/domain';
import { encodeRoundItems, toRoundResult, type RoundResult } from '../../../functions/shared/domain/record';

/** What the parent asks for (argv[2], JSON). */
export interface RoundRequest {
  /** Rounds to run, in order, each over the first `monitors` of one fleet of the largest size. */
  rounds: number[];
  /** Loopback listeners the monitors are spread over, round-robin. */
  targets: Array<[string, number]>;
  maxSockets: number;
  /** The round's budget, as the probe handler passes it (time to the next round). */
  deadlineMs: number;
  /** Monitors in the unmeasured round that warms the JIT first. */
  warmup: number;
  /** Also encode each round's results into its round items after the probing, as the probe handler does, and time it. */
  encode?: boolean;
}

export interface MemorySample {
  heapUsed: number;
  rss: number;
}

export interface RoundReport {
  monitors: number;
  wallMs: number;
  /** CPU (user + system) this process spent in the round, GC helper threads included. */
  cpuMs: number;
  /** Event-loop utilisation during the round: near 1 means the JavaScript thread, not the network, set the pace. */
  elu: number;
  /** Time in V8 garbage collection during the round (pauses reported by perf_hooks): grows as the heap nears its limit. */
  gcMs: number;
  up: number;
  /** Down outcomes by `errorClass/code` (none expected: every target is healthy). */
  down: Record<string, number>;
  /** After a full GC just before the round. */
  before: MemorySample;
  /** Highest seen during the round (sampled every 10 ms) and at its end. */
  peak: MemorySample;
  /** Most descriptors this process held at once during the round (sampled). */
  peakFds: number;
  /** With `encode`: wall time of reducing the outcomes to round results and encoding the round items (after `wallMs`). */
  encodeMs?: number;
  /** With `encode`: CPU of that. */
  encodeCpuMs?: number;
}

export interface ChildReport {
  /** Before the fleet was built (after a full GC). */
  empty: MemorySample;
  /** After resolveFleet for the largest size (after a full GC): what the monitors' config costs. */
  fleetBuilt: MemorySample;
  resolveMs: number;
  rounds: RoundReport[];
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function sample(): MemorySample {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return NaN;
  }
}

/** Plain TCP monitors with the defaults (timeouts, one retry), as a user would declare them. */
function fleetOf(count: number, targets: Array<[string, number]>): ResolvedMonitor[] {
  const monitors: MonitorSpec[] = Array.from({ length: count }, (_, i) => {
    const [host, port] = targets[i % targets.length]!;
    return { id: `m-${String(i).padStart(7, '0')}`, host, port };
  });
  return resolveFleet({ regions: ['eu-west-1'], monitors }).monitors;
}

async function measuredRound(monitors: ResolvedMonitor[], request: RoundRequest): Promise<RoundReport> {
  gc();
  const before = sample();
  const peak = { ...before };
  let peakFds = openFds();
  const sampler = setInterval(() => {
    const s = sample();
    peak.heapUsed = Math.max(peak.heapUsed, s.heapUsed);
    peak.rss = Math.max(peak.rss, s.rss);
    peakFds = Math.max(peakFds, openFds());
  }, 10);
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const outcomes = await probeRound(monitors, { maxSockets: request.maxSockets, deadlineMs: request.deadlineMs });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  clearInterval(sampler);
  // Entries are delivered asynchronously; one turn of the loop hands over the round's last ones.
  await new Promise((resolve) => setImmediate(resolve));
  gcObserver.disconnect();
  // The outcomes are still alive here: the round's memory includes them, as the handler holds them to encode the item.
  const end = sample();
  peak.heapUsed = Math.max(peak.heapUsed, end.heapUsed);
  peak.rss = Math.max(peak.rss, end.rss);

  let encoded: Pick<RoundReport, 'encodeMs' | 'encodeCpuMs'> = {};
  if (request.encode) {
    const encodeCpu0 = process.cpuUsage();
    const e0 = performance.now();
    const results: Record<string, RoundResult> = {};
    for (const [id, outcome] of outcomes) results[id] = toRoundResult(outcome);
    encodeRoundItems({ instant: 0, region: 'eu-west-1', probedAt: 0, canary: { status: 'none' }, results });
    const encodeCpu = process.cpuUsage(encodeCpu0);
    encoded = { encodeMs: performance.now() - e0, encodeCpuMs: (encodeCpu.user + encodeCpu.system) / 1000 };
  }

  let up = 0;
  const down: Record<string, number> = {};
  for (const outcome of outcomes.values()) {
    if (outcome.ok) up += 1;
    else down[`${outcome.errorClass}/${outcome.code}`] = (down[`${outcome.errorClass}/${outcome.code}`] ?? 0) + 1;
  }
  return { monitors: monitors.length, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, elu, gcMs, up, down, before, peak, peakFds, ...encoded };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as RoundRequest;
  gc();
  const empty = sample();
  const t0 = performance.now();
  const fleet = fleetOf(Math.max(...request.rounds, request.warmup), request.targets);
  const resolveMs = performance.now() - t0;
  gc();
  const fleetBuilt = sample();
  if (request.warmup > 0) await probeRound(fleet.slice(0, request.warmup), { maxSockets: request.maxSockets, deadlineMs: request.deadlineMs });
  const rounds: RoundReport[] = [];
  for (const count of request.rounds) rounds.push(await measuredRound(fleet.slice(0, count), request));
  const report: ChildReport = { empty, fleetBuilt, resolveMs, rounds };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
