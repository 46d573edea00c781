// Bench section "scale", probe part: how many healthy monitors one probe invocation (a probe shard) checks within its
// round budget when the round runs under a Lambda-like CPU share — a cgroup v1 CPU quota matching the function's memory
// setting — at 10 s and 60 s intervals. The default monitorsPerProbe is taken from this table (probe-shards.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTION_MEMORY_MB, PROBE_MAX_SOCKETS } from '../../../functions/shared/deployment';
import type { MeasuredFigures } from '../../../lib/pricing/measured';
import { bundleRunner, startTargets } from '../capacity';
import type { ChildReport, RoundReport, RoundRequest } from '../capacity/round';
import { runChild } from '../lib/child';
import type { BenchContext } from '../lib/section';
import { fmt, fmtSpread, spread } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';

const CGROUP_CPU = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;
/** Lambda gives one full vCPU at 1,769 MB and CPU in proportion to memory below it (AWS's documented allocation). */
const FULL_VCPU_MB = 1769;
/** The probe function's memory setting (ProbeFleet's probeMemorySize default). */
const PROBE_MEMORY_MB = FUNCTION_MEMORY_MB.probe;
/**
 * Time the handler spends writing a round's item(s) to the home table after probing and encoding, before it can start
 * the next round: not measurable here (no DynamoDB), taken as the cost model's 250 ms. The round's budget is what is
 * left of the interval.
 */
const WRITE_MS = 250;
const INTERVALS = [10, 60] as const;
/** Monitors in the unmeasured round each child runs first (JIT warm-up, as in a warm Lambda). */
const WARMUP = 1000;
const MB = 1024 * 1024;

interface Plan {
  memories: number[];
  /** Round sizes timed in one warm child per memory setting, `runs` times each. */
  sizes: number[];
  runs: number;
  /** The 10 s search: at most this many trials at the probe's memory setting (`maxTrialsOther` at the others); stop when pass and fail are this close. */
  maxTrials: number;
  maxTrialsOther: number;
  resolution: number;
  /** Quick: take the first passing 10 s trial (a lower bound). */
  stopAtFirstPass: boolean;
  /** A failing size is tried again and fails only if that fails too (others on the shared machine may take the core). */
  confirmFails: boolean;
  /** Memory settings whose 60 s capacity is measured (one confirming trial each: a 60 s trial takes a minute). */
  sixtyFor: number[];
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { memories: [PROBE_MEMORY_MB], sizes: [1000, 2000], runs: 1, maxTrials: 2, maxTrialsOther: 2, resolution: 1, stopAtFirstPass: true, confirmFails: false, sixtyFor: [] },
  full: { memories: [PROBE_MEMORY_MB, 512, FULL_VCPU_MB], sizes: [1000, 2000, 4000], runs: 3, maxTrials: 5, maxTrialsOther: 3, resolution: 0.1, stopAtFirstPass: false, confirmFails: true, sixtyFor: [PROBE_MEMORY_MB, 512] },
};

/** The quota that gives a process `memoryMb`'s share of a core: 256 MB → 14,471 µs of every 100,000 µs. */
function quotaUs(memoryMb: number): number {
  return Math.round((PERIOD_US * Math.min(memoryMb, FULL_VCPU_MB)) / FULL_VCPU_MB);
}

/** Why the quota cannot be applied here, or undefined when it can (cgroup v1 cpu controller, root). */
function cgroupUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (!existsSync(join(CGROUP_CPU, 'cpu.cfs_quota_us'))) return `no cgroup v1 cpu controller at ${CGROUP_CPU}`;
  if (process.getuid?.() !== 0) return 'not root (creating a cgroup needs it)';
  return undefined;
}

/**
 * A cgroup v1 CPU group for the measured child only (never this process): created at start, emptied (any process left
 * in it moved back to the root group) and removed at the end, and at exit should the bench be interrupted.
 */
class CpuShare {
  readonly dir = join(CGROUP_CPU, `pq-scale-${process.pid}`);
  private readonly cleanup = (): void => this.remove();

  constructor() {
    mkdirSync(this.dir);
    process.once('exit', this.cleanup);
    writeFileSync(join(this.dir, 'cpu.cfs_period_us'), String(PERIOD_US));
  }

  setMemory(memoryMb: number): void {
    writeFileSync(join(this.dir, 'cpu.cfs_quota_us'), String(quotaUs(memoryMb)));
  }

  add(pid: number): void {
    if (pid === process.pid) throw new Error('the bench must not put itself into the CPU cgroup');
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** Periods the group ran in and was throttled in, so far (cpu.stat). */
  stat(): { periods: number; throttled: number } {
    const text = readFileSync(join(this.dir, 'cpu.stat'), 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { periods: field('nr_periods'), throttled: field('nr_throttled') };
  }

  remove(): void {
    process.off('exit', this.cleanup);
    if (!existsSync(this.dir)) return;
    for (const pid of readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(CGROUP_CPU, 'cgroup.procs'), pid);
      } catch {
        // gone meanwhile
      }
    }
    rmdirSync(this.dir);
  }
}

type ChildResult = { ok: true; report: ChildReport; throttledShare: number } | { ok: false; reason: 'heap' | 'crash' | 'timeout'; detail: string };

interface Ctx {
  runner: string;
  share: CpuShare;
  targets: Array<[string, number]>;
}

async function runInShare(c: Ctx, memoryMb: number, request: RoundRequest, timeoutMs: number): Promise<ChildResult> {
  c.share.setMemory(memoryMb);
  const before = c.share.stat();
  const run = await runChild([`--max-old-space-size=${memoryMb}`, '--expose-gc', c.runner, JSON.stringify(request)], { timeoutMs, onSpawn: (pid) => c.share.add(pid) });
  const after = c.share.stat();
  const throttledShare = (after.throttled - before.throttled) / Math.max(1, after.periods - before.periods);
  if (run.code === 0) return { ok: true, report: JSON.parse(run.stdout) as ChildReport, throttledShare };
  if (run.timedOut) return { ok: false, reason: 'timeout', detail: `no report within ${timeoutMs / 1000} s` };
  if (/heap out of memory|Allocation failed/i.test(run.stderr)) return { ok: false, reason: 'heap', detail: `ran out of its ${memoryMb} MB heap` };
  return { ok: false, reason: 'crash', detail: `exited with ${run.signal ?? run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}` };
}

/** What a round may take at this interval: the interval, less encoding and writing its items before the next round. */
function probeBudgetMs(intervalSeconds: number, encodeMs: number): number {
  return intervalSeconds * 1000 - encodeMs - WRITE_MS;
}

interface Trial {
  memoryMb: number;
  intervalSeconds: number;
  monitors: number;
  result: ChildResult;
  pass: boolean;
  load: number;
}

function trialRound(t: Trial): RoundReport | undefined {
  return t.result.ok ? t.result.report.rounds[0] : undefined;
}

async function trial(ctx: BenchContext, c: Ctx, memoryMb: number, intervalSeconds: number, monitors: number): Promise<Trial> {
  ctx.log(`scale: ${memoryMb} MB (${(quotaUs(memoryMb) / 1000).toFixed(1)}% of a core), ${intervalSeconds} s round, ${monitors.toLocaleString('en-US')} monitors (load ${os.loadavg()[0]!.toFixed(2)})`);
  const load = os.loadavg()[0]!;
  // The handler gives probeRound the time to the next round as its deadline.
  const request: RoundRequest = { rounds: [monitors], targets: c.targets, maxSockets: PROBE_MAX_SOCKETS, deadlineMs: intervalSeconds * 1000, warmup: WARMUP, encode: true };
  const result = await runInShare(c, memoryMb, request, intervalSeconds * 1000 + 120_000);
  const round = result.ok ? result.report.rounds[0] : undefined;
  const pass = round !== undefined && round.up === monitors && round.wallMs <= probeBudgetMs(intervalSeconds, round.encodeMs ?? 0);
  return { memoryMb, intervalSeconds, monitors, result, pass, load };
}

/** Two significant figures, at least 100: the sizes trials are run at. */
function nice(n: number): number {
  const step = 10 ** Math.max(2, Math.floor(Math.log10(Math.max(1, n))) - 1);
  return Math.max(100, Math.round(n / step) * step);
}

/** Largest passing and smallest never-passing size of a memory setting and interval. */
function edgeOf(trials: Trial[]): { passing?: Trial; failing?: Trial } {
  const passing = trials.filter((t) => t.pass).sort((a, b) => b.monitors - a.monitors)[0];
  const failing = trials
    .filter((t) => !t.pass && !trials.some((u) => u.pass && u.monitors >= t.monitors))
    .sort((a, b) => a.monitors - b.monitors)[0];
  return { ...(passing ? { passing } : {}), ...(failing ? { failing } : {}) };
}

/** The 10 s search: start under what the warm rounds' pace predicts, step until bracketed, then bisect. */
async function search10(ctx: BenchContext, c: Ctx, plan: Plan, memoryMb: number, estimate: number): Promise<Trial[]> {
  const trials: Trial[] = [];
  const maxTrials = memoryMb === PROBE_MEMORY_MB ? plan.maxTrials : plan.maxTrialsOther;
  let next = nice(estimate * 0.9);
  while (trials.length < maxTrials) {
    let t = await trial(ctx, c, memoryMb, 10, next);
    trials.push(t);
    if (!t.pass && plan.confirmFails && t.result.ok && trials.length < maxTrials) {
      t = await trial(ctx, c, memoryMb, 10, next);
      trials.push(t);
    }
    if (t.pass && plan.stopAtFirstPass) break;
    const { passing, failing } = edgeOf(trials);
    if (passing && failing) {
      if ((failing.monitors - passing.monitors) / passing.monitors <= plan.resolution) break;
      next = nice((passing.monitors + failing.monitors) / 2);
      if (next <= passing.monitors || next >= failing.monitors) break;
    } else next = nice(passing ? next * 1.25 : next * 0.8);
  }
  return trials;
}

/**
 * The 60 s capacity: one trial at 90% of what the 10 s capacity's pace predicts for 60 s (capped where the heap would
 * hold about 80% full, from the heap the rounds grew per monitor), and a second at 75% of it should that fail. A pass
 * is a lower bound the machine demonstrably did; bracketing it would cost a minute a trial.
 */
async function search60(ctx: BenchContext, c: Ctx, memoryMb: number, capacity10: number, heapPerMonitor: number): Promise<Trial[]> {
  const byPace = (capacity10 * probeBudgetMs(60, 0)) / probeBudgetMs(10, 0);
  const byHeap = Number.isFinite(heapPerMonitor) && heapPerMonitor > 0 ? (0.8 * memoryMb * MB) / heapPerMonitor : Infinity;
  const first = await trial(ctx, c, memoryMb, 60, nice(0.9 * Math.min(byPace, byHeap)));
  if (first.pass || !first.result.ok && first.result.reason === 'timeout') return [first];
  return [first, await trial(ctx, c, memoryMb, 60, nice(0.75 * first.monitors))];
}

interface MemoryMeasure {
  memoryMb: number;
  sizes: Array<{ monitors: number; rounds: RoundReport[]; throttledShare: number }>;
  trials: Trial[];
  loadBefore: number;
  loadAfter: number;
}

interface ProbeShareMeasure {
  status: 'measured';
  memories: MemoryMeasure[];
  targetCount: number;
  elapsedS: number;
}

export type ProbeShareResult = ProbeShareMeasure | { status: 'not measured'; why: string };

export async function measureProbeShare(ctx: BenchContext): Promise<ProbeShareResult> {
  const why = cgroupUnavailable();
  if (why) return { status: 'not measured', why };
  const plan = ctx.quick ? PLANS.quick : PLANS.full;
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'pq-bench-scale-'));
  const targets = await startTargets();
  let share: CpuShare | undefined;
  try {
    share = new CpuShare();
    const c: Ctx = { runner: await bundleRunner(dir), share, targets: targets.targets };
    const memories: MemoryMeasure[] = [];
    for (const memoryMb of plan.memories) {
      const loadBefore = os.loadavg()[0]!;
      ctx.log(`scale: ${memoryMb} MB: rounds of ${plan.sizes.join(', ')} monitors × ${plan.runs} in one child at ${(quotaUs(memoryMb) / 1000).toFixed(1)}% of a core (load ${loadBefore.toFixed(2)})`);
      const rounds = plan.sizes.flatMap((n) => Array.from({ length: plan.runs }, () => n));
      const warm = await runInShare(c, memoryMb, { rounds, targets: c.targets, maxSockets: PROBE_MAX_SOCKETS, deadlineMs: 60_000, warmup: WARMUP, encode: true }, 300_000);
      if (!warm.ok) throw new Error(`scale bench: the ${memoryMb} MB round-size child failed (${warm.reason}: ${warm.detail})`);
      const failed = warm.report.rounds.find((r) => r.up !== r.monitors);
      if (failed) throw new Error(`scale bench: a ${memoryMb} MB round of ${failed.monitors} healthy loopback monitors had downs ${JSON.stringify(failed.down)} (the machine is overloaded, or the targets are not answering)`);
      const sizes = plan.sizes.map((monitors) => ({ monitors, rounds: warm.report.rounds.filter((r) => r.monitors === monitors), throttledShare: warm.throttledShare }));
      const largest = sizes[sizes.length - 1]!;
      const msPerMonitor = spread(largest.rounds.map((r) => (r.wallMs + (r.encodeMs ?? 0)) / r.monitors)).median;
      // Heap a monitor adds: the slope between the smallest and largest rounds' peaks (a small round's peak is mostly fixed cost).
      const peakOf = (s: { rounds: RoundReport[] }): number => spread(s.rounds.map((r) => r.peak.heapUsed)).median;
      const heapPerMonitor = (peakOf(largest) - peakOf(sizes[0]!)) / (largest.monitors - sizes[0]!.monitors);
      const trials = await search10(ctx, c, plan, memoryMb, (10_000 - WRITE_MS) / msPerMonitor);
      const capacity10 = edgeOf(trials).passing?.monitors;
      if (capacity10 !== undefined && plan.sixtyFor.includes(memoryMb)) trials.push(...(await search60(ctx, c, memoryMb, capacity10, heapPerMonitor)));
      memories.push({ memoryMb, sizes, trials, loadBefore, loadAfter: os.loadavg()[0]! });
    }
    return { status: 'measured', memories, targetCount: targets.targets.length, elapsedS: (performance.now() - t0) / 1000 };
  } finally {
    share?.remove();
    await targets.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a';
}

function downText(round: RoundReport): string {
  const codes = Object.entries(round.down).sort((a, b) => b[1] - a[1]);
  return codes.length ? codes.map(([code, n]) => `${n.toLocaleString('en-US')} ${code}`).join(', ') : '0';
}

/** CPU the round got as a share of its wall time: at the quota when the quota, not others on the machine, set the pace. */
function cpuShareUsed(r: RoundReport): number {
  return r.cpuMs / r.wallMs;
}

export interface ProbeShareReport {
  markdown: string;
  text: string;
  figures: MeasuredFigures;
}

export function probeShareReport(m: ProbeShareResult, quick: boolean): ProbeShareReport {
  const heading = '## Probe shard capacity under a Lambda-like CPU share';
  if (m.status === 'not measured') {
    const table: Table = { header: ['memory', 'CPU share', 'interval', 'monitors'], rows: [[`${PROBE_MEMORY_MB} MB`, pct(quotaUs(PROBE_MEMORY_MB) / PERIOD_US), '10 s, 60 s', `not measured: ${m.why}`]] };
    return {
      markdown: [heading, '', `Not measured on this machine: ${m.why}. The section needs Linux, root and the cgroup v1 cpu controller (${CGROUP_CPU}).`, '', markdownTable(table)].join('\n'),
      text: `Probe shard capacity under a Lambda-like CPU share: not measured (${m.why})\n${textTable(table)}`,
      figures: {},
    };
  }
  const plan = quick ? PLANS.quick : PLANS.full;
  const capacityRows: string[][] = [];
  const capacityFigures: NonNullable<MeasuredFigures['probeShareCapacity']> = [];
  for (const mem of m.memories) {
    for (const intervalSeconds of INTERVALS) {
      const trials = mem.trials.filter((t) => t.intervalSeconds === intervalSeconds);
      const share = quotaUs(mem.memoryMb) / PERIOD_US;
      if (trials.length === 0) {
        capacityRows.push([`${fmt(mem.memoryMb)} MB`, pct(share), `${intervalSeconds} s`, 'not measured', intervalSeconds === 60 ? (quick ? 'a 60 s trial takes a minute: the full run measures it' : 'not in this run\'s plan (a 60 s trial takes a minute; the full run measures 256 and 512 MB)') : 'no trial', '', '', '']);
        continue;
      }
      const { passing, failing } = edgeOf(trials);
      const r = passing ? trialRound(passing) : undefined;
      const bracketed = passing !== undefined && failing !== undefined;
      // A size tried twice (a fail repeated) says how near the edge it is: "passed 1 of 2".
      const tally = (size: number): string => {
        const at = trials.filter((t) => t.monitors === size);
        return at.length > 1 ? `passed ${at.filter((t) => t.pass).length} of ${at.length}` : at[0]!.pass ? 'passed' : 'failed';
      };
      const how = bracketed
        ? `between ${passing.monitors.toLocaleString('en-US')} (${tally(passing.monitors)}) and ${failing.monitors.toLocaleString('en-US')} (${tally(failing.monitors)})`
        : passing
        ? `at least: the largest size tried (${tally(passing.monitors)}; ${trials.length} trial${trials.length === 1 ? '' : 's'})`
        : `none passed (smallest tried ${Math.min(...trials.map((t) => t.monitors)).toLocaleString('en-US')})`;
      // The quota binds when the child got (nearly) all of it; less means others on the machine took the core first.
      const paced = r && cpuShareUsed(r) < 0.9 * share ? `; paced by the machine's load, not the quota: a lower bound` : '';
      capacityRows.push([
        `${fmt(mem.memoryMb)} MB`,
        pct(share),
        `${intervalSeconds} s`,
        passing ? passing.monitors.toLocaleString('en-US') : '0',
        how + paced,
        r ? `${fmt(r.wallMs)} + ${fmt(r.encodeMs ?? NaN)}` : 'n/a',
        r ? pct(cpuShareUsed(r)) : 'n/a',
        r ? fmt(r.peak.heapUsed / MB) : 'n/a',
      ]);
      capacityFigures.push({ memoryMb: mem.memoryMb, cpuShare: Math.round(share * 1000) / 1000, intervalSeconds, monitors: passing?.monitors ?? 0, bracketed, ...(paced ? { pacedByMachine: true } : {}) });
    }
  }
  const capacityTable: Table = {
    header: ['memory', 'CPU quota', 'interval', 'monitors', 'how found', 'round + encode ms', 'CPU share used', 'peak heap MB'],
    rows: capacityRows,
  };

  const roundFigures: NonNullable<MeasuredFigures['probeShareRoundMs']> = [];
  const sizesTable: Table = {
    header: ['memory', 'monitors', 'round ms', 'encode ms', 'CPU ms', 'CPU µs per monitor', 'CPU share used', 'periods throttled'],
    rows: m.memories.flatMap((mem) => mem.sizes.map(({ monitors, rounds, throttledShare }) => {
      const ms = spread(rounds.map((r) => r.wallMs));
      const encode = spread(rounds.map((r) => r.encodeMs ?? NaN));
      const cpu = spread(rounds.map((r) => r.cpuMs));
      roundFigures.push({ memoryMb: mem.memoryMb, monitors, ms: { min: round1(ms.min), median: round1(ms.median), max: round1(ms.max), runs: ms.runs }, encodeMs: round1(encode.median) });
      return [`${fmt(mem.memoryMb)} MB`, monitors.toLocaleString('en-US'), fmtSpread(ms), fmt(encode.median), fmt(cpu.median), fmt((cpu.median * 1000) / monitors), pct(spread(rounds.map(cpuShareUsed)).median), pct(throttledShare)];
    })),
  };

  const trialsTable: Table = {
    header: ['memory', 'interval', 'monitors', 'round ms', 'encode ms', 'budget ms', 'up', 'down', 'CPU share used', 'GC ms', 'load', 'within budget'],
    rows: m.memories.flatMap((mem) => mem.trials.map((t) => {
      const r = trialRound(t);
      return [
        `${fmt(mem.memoryMb)} MB`,
        `${t.intervalSeconds} s`,
        t.monitors.toLocaleString('en-US'),
        r ? fmt(r.wallMs) : 'n/a',
        r ? fmt(r.encodeMs ?? NaN) : 'n/a',
        r ? fmt(probeBudgetMs(t.intervalSeconds, r.encodeMs ?? 0)) : 'n/a',
        r ? r.up.toLocaleString('en-US') : 'n/a',
        r ? downText(r) : t.result.ok ? '' : `${t.result.reason}: ${t.result.detail}`,
        r ? pct(cpuShareUsed(r)) : 'n/a',
        r ? fmt(r.gcMs) : 'n/a',
        t.load.toFixed(2),
        t.pass ? 'yes' : 'no',
      ];
    })),
  };

  const loads = m.memories.flatMap((mem) => [mem.loadBefore, mem.loadAfter, ...mem.trials.map((t) => t.load)]);
  const maxLoad = Math.max(...loads);
  const cores = os.cpus().length;
  const underLoad = maxLoad >= 1;
  const loadText = `Load average (1 min) during the section: ${Math.min(...loads).toFixed(2)}–${maxLoad.toFixed(2)} on ${cores} cores${underLoad
    ? ': **measured under load** (other processes were running on this shared machine). The quota caps the child\'s CPU, and the "CPU share used" column (CPU ÷ wall time of the round) shows whether it got its quota; within it, others still slow it down (they share the cores\' caches and execution units), so figures measured under load are lower than a quiet machine would give.'
    : '.'}`;
  const probe10 = capacityFigures.find((f) => f.memoryMb === PROBE_MEMORY_MB && f.intervalSeconds === 10);

  const markdown = [
    heading,
    '',
    'How many healthy monitors one probe invocation (one probe shard) checks within its round budget when it gets the CPU a',
    'Lambda function of that memory size gets. The real round (`probeRound` over `resolveFleet` monitors: plain TCP connect with the',
    `monitor defaults, the handler's cap of ${PROBE_MAX_SOCKETS} sockets, the capacity section's child test/bench/capacity/round.ts and its`,
    `${m.targetCount} loopback listeners from targets.py) runs in a child \`node --max-old-space-size=<memory>\` placed in a cgroup v1 CPU group`,
    `(\`${CGROUP_CPU}/pq-scale-<pid>\`, \`cpu.cfs_period_us\` ${PERIOD_US.toLocaleString('en-US')}, \`cpu.cfs_quota_us\` = round(${PERIOD_US.toLocaleString('en-US')} × memory ÷ ${FULL_VCPU_MB.toLocaleString('en-US')}):`,
    `${PROBE_MEMORY_MB} MB → ${quotaUs(PROBE_MEMORY_MB).toLocaleString('en-US')} µs, ${pct(quotaUs(PROBE_MEMORY_MB) / PERIOD_US)} of a core; ${FULL_VCPU_MB.toLocaleString('en-US')} MB → one core, as Lambda allocates CPU). Only the child is in the group.`,
    `Each child first runs an unmeasured ${WARMUP.toLocaleString('en-US')}-monitor round (a warm Lambda's JIT). After the probing it encodes`,
    'the round items as the handler does ("encode ms").',
    '',
    '**The round budget.** The probe handler runs every round of its minute in one invocation and gives each round the time to',
    'the next round as its deadline (`min(next round, invocation end − 3 s write reserve)`; the invocation\'s 75 s timeout is past',
    'the minute, so the next round binds). After probing it encodes and writes the round\'s items, and the next round starts only',
    `then, so a round keeps pace when probing + encoding + the write fit the interval. A trial passes when every monitor is up and`,
    `round ms ≤ interval − encode ms − ${WRITE_MS} ms (the write to the home table, not measurable here: the cost model's figure).`,
    '',
    quick
      ? `Quick mode: ${plan.memories.map((x) => `${x} MB`).join(', ')} only, one 10 s trial at 90% of what the warm rounds' pace predicts (a lower one if it fails): a lower bound, not a search; no 60 s trials.`
      : `Search (10 s): start at 90% of what the largest warm round's pace predicts, step ×1.25 up / ×0.8 down, then bisect until pass and fail are within ${plan.resolution * 100}% (at most ${plan.maxTrials} trials at ${PROBE_MEMORY_MB} MB, ${plan.maxTrialsOther} at the others); a failing size is tried again and fails only if that fails too. 60 s (${plan.sixtyFor.map((x) => `${x} MB`).join(', ')}): one trial at 90% of what the 10 s capacity's pace predicts for 60 s (capped where the heap would be about 80% full), a second at 75% of it if that fails: a lower bound the machine did, not bracketed (a trial takes a minute).`,
    '',
    probe10
      ? `At the probe function's ${PROBE_MEMORY_MB} MB a 10 s round holds **${probe10.monitors.toLocaleString('en-US')} monitors**; the default \`monitorsPerProbe\` is set from it (see the README's Performance section).`
      : `No 10 s figure at the probe function's ${PROBE_MEMORY_MB} MB.`,
    '',
    loadText,
    '',
    '### Capacity by memory setting and interval',
    '',
    '"round + encode ms" and "CPU share used" are of the largest passing trial. A row whose "CPU share used" is well under its quota',
    'was paced by the rest of the machine\'s load, not by the quota: a lower bound for that memory setting.',
    '',
    markdownTable(capacityTable),
    '',
    '### Round time by size under the quota',
    '',
    `\`median (min–max)\` over ${plan.runs} round(s) per size in one warm child per memory setting; "periods throttled": the share of the`,
    'cgroup\'s 100 ms periods in which the quota stopped the child, over the whole child (near 100% = CPU-bound at its quota).',
    '',
    markdownTable(sizesTable),
    '',
    '### Trials (a fresh child each)',
    '',
    markdownTable(trialsTable),
    '',
  ].join('\n');

  const text = [
    `Probe shard capacity under a Lambda-like CPU share (${maxLoad >= 1 ? `under load, up to ${maxLoad.toFixed(2)}` : `load ${maxLoad.toFixed(2)}`} on ${cores} cores)`,
    textTable(capacityTable),
    '',
    'Round time by size under the quota',
    textTable(sizesTable),
    '',
    'Trials',
    textTable(trialsTable),
  ].join('\n');

  return { markdown, text, figures: { probeShareCapacity: capacityFigures, probeShareRoundMs: roundFigures } };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
