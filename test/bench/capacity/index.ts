// Bench section "capacity": how many healthy loopback monitors one region's round finishes within 5 s, round times by size, memory per monitor.
import { spawn } from 'node:child_process';
import { runChild } from '../lib/child';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BenchContext, BenchSection, SectionReport } from '../lib/section';
import { fmt, fmtSpread, spread, type Spread } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';
import type { ChildReport, RoundReport, RoundRequest } from './round';

/** The round budget the question is about, the probe handler's default socket cap, and the probe function's memory. */
const WINDOW_MS = 5000;
const MAX_SOCKETS = 256;
const HEAP_LIMIT_MB = 256;
/** Lambda's descriptor limit: the cap a user could raise maxSockets to, tried once to see whether the cap is what binds. */
const LAMBDA_FD_LIMIT = 1024;
/** 8 addresses × 64 ports = 512 destinations (see targets.py for why so many). */
const TARGET_ADDRESSES = 8;
const PORTS_PER_ADDRESS = 64;
/** Monitors in the unmeasured round each child runs first, so the measured rounds run JIT-compiled code as a warm Lambda does. */
const WARMUP = 2000;
/** GC above this share of the round's wall time counts as the heap limit slowing the thread, not the probing itself. */
const GC_BOUND_SHARE = 0.3;
/** The higher-cap trial runs at this multiple of the smallest failing size. */
const HIGHER_CAP_STEP = 1.25;
/** The first trial, as a fraction of what the largest warm round's pace predicts for the window. */
const START_FRACTION = 0.7;
/** A child that has not reported by then is killed (a round is bounded by its 5 s deadline; this is the backstop). */
const CHILD_TIMEOUT_MS = 60_000;

interface Plan {
  /** Round sizes for `probeRoundMs`, each run `runs` times in one warm child. */
  sizes: number[];
  runs: number;
  /** Capacity search: at most this many trials (one fresh child each) and this much time; stop when pass/fail are this close. */
  maxTrials: number;
  budgetMs: number;
  resolution: number;
  /** Quick mode: take the first passing trial (a lower bound) instead of bracketing. */
  stopAtFirstPass: boolean;
  /**
   * Repeat a failing size once and count it failed only if the repeat fails too. A pass is proof the machine did it;
   * a fail on a shared machine may be another process taking the core for those 5 s.
   */
  confirmFails: boolean;
  /** Re-run the smallest failing size with the cap at Lambda's descriptor limit, to tell "socket cap" from "CPU". */
  tryHigherCap: boolean;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { sizes: [100, 1000, 10_000], runs: 1, maxTrials: 2, budgetMs: 8000, resolution: 1, stopAtFirstPass: true, confirmFails: false, tryHigherCap: false },
  full: { sizes: [100, 1000, 10_000], runs: 5, maxTrials: 12, budgetMs: 100_000, resolution: 0.05, stopAtFirstPass: false, confirmFails: true, tryHigherCap: true },
};

const ROUND_SOURCE = fileURLToPath(new URL('./round.ts', import.meta.url));
const TARGETS_SCRIPT = fileURLToPath(new URL('./targets.py', import.meta.url));

interface Targets {
  targets: Array<[string, number]>;
  pid: number;
  stop(): Promise<void>;
}

/** The healthy loopback listeners (targets.py in a process of its own); the scale section probes them too. */
export async function startTargets(): Promise<Targets> {
  const child = spawn('/usr/bin/python3', ['-u', TARGETS_SCRIPT, String(TARGET_ADDRESSES), String(PORTS_PER_ADDRESS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async (): Promise<void> => {
    child.stdin.end(); // the script exits when stdin closes
    const timer = setTimeout(kill, 3000);
    await exited;
    clearTimeout(timer);
    process.off('exit', kill);
  };
  const lines = createInterface({ input: child.stdout });
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000))),
  ]);
  clearTimeout(timer);
  if (first === 'exited' || first === 'timeout') {
    await stop();
    throw new Error(`the capacity bench's target process (${TARGETS_SCRIPT}) did not start: ${first === 'timeout' ? 'no answer in 30 s' : 'it exited'}\n${stderr}`);
  }
  const { targets } = JSON.parse(first) as { targets: Array<[string, number]> };
  return { targets, pid: child.pid!, stop };
}

/** The round runner as one ESM file, so each child starts in tens of ms instead of compiling TypeScript first. */
export async function bundleRunner(dir: string): Promise<string> {
  const outfile = join(dir, 'round.mjs');
  await build({ entryPoints: [ROUND_SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning' });
  return outfile;
}

type ChildResult = { ok: true; report: ChildReport } | { ok: false; reason: 'heap' | 'crash' | 'timeout'; detail: string };

async function runRound(runner: string, request: RoundRequest): Promise<ChildResult> {
  const run = await runChild([`--max-old-space-size=${HEAP_LIMIT_MB}`, '--expose-gc', runner, JSON.stringify(request)], { timeoutMs: CHILD_TIMEOUT_MS });
  if (run.code === 0) return { ok: true, report: JSON.parse(run.stdout) as ChildReport };
  if (run.timedOut) return { ok: false, reason: 'timeout', detail: `no report within ${CHILD_TIMEOUT_MS / 1000} s` };
  if (/heap out of memory|Allocation failed/i.test(run.stderr)) return { ok: false, reason: 'heap', detail: `ran out of its ${HEAP_LIMIT_MB} MB heap` };
  return { ok: false, reason: 'crash', detail: `exited with ${run.signal ?? run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}` };
}

/** TIME_WAIT sockets in this network namespace (/proc/net/sockstat), to show ephemeral ports were not the limit. */
function timeWaitSockets(): number {
  try {
    return Number(/^TCP:.*\btw (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

interface Trial {
  monitors: number;
  maxSockets: number;
  result: ChildResult;
  /** Within the window, every monitor up. */
  pass: boolean;
}

function trialRound(t: Trial): RoundReport | undefined {
  return t.result.ok ? t.result.report.rounds[0] : undefined;
}

/** Runs single-round trials (a fresh child each) to find the largest round that passes, bounded in trials and time. */
async function searchCapacity(ctx: BenchContext, plan: Plan, runner: string, targets: Array<[string, number]>, estimate: number): Promise<Trial[]> {
  const trials: Trial[] = [];
  const started = performance.now();
  const trial = async (monitors: number, maxSockets: number): Promise<Trial> => {
    ctx.log(`capacity: trial at ${monitors.toLocaleString('en-US')} monitors, maxSockets ${maxSockets}`);
    const result = await runRound(runner, { rounds: [monitors], targets, maxSockets, deadlineMs: WINDOW_MS, warmup: WARMUP });
    const round = result.ok ? result.report.rounds[0] : undefined;
    const pass = round !== undefined && round.up === monitors && round.wallMs <= WINDOW_MS;
    return { monitors, maxSockets, result, pass };
  };
  const nice = (n: number): number => Math.max(100, Math.round(n / 100) * 100);
  let lo: number | undefined; // largest passing
  let hi: number | undefined; // smallest failing
  // Start under the rate the warm rounds showed: larger rounds cost more per monitor (a bigger heap to collect), and a
  // pass costs less time than a fail, which runs to the deadline.
  let next = nice(estimate * START_FRACTION);
  while (trials.length < plan.maxTrials && performance.now() - started < plan.budgetMs) {
    let t = await trial(next, MAX_SOCKETS);
    trials.push(t);
    if (!t.pass && plan.confirmFails && t.result.ok && trials.length < plan.maxTrials) {
      t = await trial(next, MAX_SOCKETS);
      trials.push(t);
    }
    if (t.pass) lo = Math.max(lo ?? 0, t.monitors);
    if (t.pass && plan.stopAtFirstPass) break;
    if (!t.pass) hi = Math.min(hi ?? Infinity, t.monitors);
    if (lo !== undefined && hi !== undefined) {
      if ((hi - lo) / lo <= plan.resolution) break;
      next = nice((lo + hi) / 2);
      if (next <= lo || next >= hi) break;
    } else next = nice(lo !== undefined ? next * 1.25 : next * 0.75);
  }
  // Well past the edge, so one noisy trial cannot decide it: if the cap were what binds, 4× the sockets would carry 4× the round.
  if (plan.tryHigherCap && hi !== undefined) trials.push(await trial(nice(hi * HIGHER_CAP_STEP), LAMBDA_FD_LIMIT));
  return trials;
}

interface Measured {
  sizes: Array<{ monitors: number; rounds: RoundReport[] }>;
  trials: Trial[];
  timeWait: number;
  targetCount: number;
}

async function measure(ctx: BenchContext, plan: Plan): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'pq-bench-capacity-'));
  const targets = await startTargets();
  try {
    const runner = await bundleRunner(dir);
    ctx.log(`capacity: rounds of ${plan.sizes.join(', ')} monitors × ${plan.runs} in one child (${targets.targets.length} loopback listeners)`);
    const rounds = plan.sizes.flatMap((n) => Array.from({ length: plan.runs }, () => n));
    const warm = await runRound(runner, { rounds, targets: targets.targets, maxSockets: MAX_SOCKETS, deadlineMs: WINDOW_MS, warmup: WARMUP });
    if (!warm.ok) throw new Error(`capacity bench: the round-size child failed (${warm.reason}: ${warm.detail})`);
    const sizes = plan.sizes.map((monitors) => ({ monitors, rounds: warm.report.rounds.filter((r) => r.monitors === monitors) }));
    const failed = warm.report.rounds.find((r) => r.up !== r.monitors);
    if (failed) throw new Error(`capacity bench: a round of ${failed.monitors} healthy loopback monitors had downs ${JSON.stringify(failed.down)} (the machine is overloaded, or the targets are not answering)`);
    // Monitors per second of the largest warm round predict where 5 s runs out.
    const largest = sizes[sizes.length - 1]!;
    const rate = largest.monitors / (spread(largest.rounds.map((r) => r.wallMs)).median / 1000);
    const trials = await searchCapacity(ctx, plan, runner, targets.targets, rate * (WINDOW_MS / 1000));
    return { sizes, trials, timeWait: timeWaitSockets(), targetCount: targets.targets.length };
  } finally {
    await targets.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const MB = 1024 * 1024;

function downText(round: RoundReport): string {
  const codes = Object.entries(round.down).sort((a, b) => b[1] - a[1]);
  return codes.length ? codes.map(([code, n]) => `${n.toLocaleString('en-US')} ${code}`).join(', ') : '0';
}

/**
 * The capacity's edge at the default cap: the largest size that passed (the machine demonstrably did it) and the
 * smallest larger size that never passed (its last trial stands for it).
 */
function edgeOf(trials: Trial[]): { passing?: Trial; failing?: Trial } {
  const atCap = trials.filter((t) => t.maxSockets === MAX_SOCKETS);
  const passing = atCap.filter((t) => t.pass).sort((a, b) => b.monitors - a.monitors)[0];
  const neverPassed = atCap.filter((t) => !atCap.some((u) => u.pass && u.monitors === t.monitors) && t.monitors > (passing?.monitors ?? 0));
  const failing = neverPassed.sort((a, b) => a.monitors - b.monitors || trials.indexOf(b) - trials.indexOf(a))[0];
  return { ...(passing ? { passing } : {}), ...(failing ? { failing } : {}) };
}

/** What bounded the capacity, from the smallest failing trial(s): the evidence, in words. */
function boundOf(trials: Trial[], plan: Plan): { bound: string; evidence: string } {
  const { failing } = edgeOf(trials);
  if (!failing) {
    return plan.stopAtFirstPass
      ? { bound: 'not searched', evidence: 'quick mode stops at the first passing trial, so the capacity is at least that size; the full run finds what bounds it' }
      : { bound: 'not reached', evidence: 'every trial passed within the search budget; the capacity is at least the largest size tried' };
  }
  if (!failing.result.ok) {
    return failing.result.reason === 'heap'
      ? { bound: 'heap', evidence: `the ${failing.monitors.toLocaleString('en-US')}-monitor round ran out of its ${HEAP_LIMIT_MB} MB heap` }
      : { bound: 'unknown', evidence: `the ${failing.monitors.toLocaleString('en-US')}-monitor child ${failing.result.detail}` };
  }
  const round = failing.result.report.rounds[0]!;
  const timeouts = Object.entries(round.down).filter(([code]) => code.startsWith('timeout/')).reduce((s, [, n]) => s + n, 0);
  const other = Object.entries(round.down).filter(([code]) => !code.startsWith('timeout/'));
  const higher = trials.find((t) => t.maxSockets !== MAX_SOCKETS);
  const higherText = higher
    ? ` With maxSockets ${higher.maxSockets} (Lambda's descriptor limit) a round of ${higher.monitors.toLocaleString('en-US')} monitors ${higher.pass ? 'passed' : 'failed too'} (${trialRound(higher) ? `${fmt(trialRound(higher)!.wallMs)} ms, ${downText(trialRound(higher)!)} down` : higher.result.ok ? '' : higher.result.detail}).`
    : '';
  const where = `at ${failing.monitors.toLocaleString('en-US')} monitors the round took ${fmt(round.wallMs)} ms (${fmt(round.cpuMs)} ms CPU, ${fmt(round.gcMs)} ms of it in GC, peak heap ${fmt(round.peak.heapUsed / MB)} of ${HEAP_LIMIT_MB} MB) with the prober's event loop ${(round.elu * 100).toFixed(0)}% busy and ${downText(round)} down`;
  if (other.length > 0) return { bound: 'kernel', evidence: `${where}: errors other than timeouts mean the kernel refused sockets or connections.${higherText}` };
  // A socket cap that binds leaves the thread idle, waiting on the network; a saturated thread means CPU, whatever the cap.
  const saturated = round.elu >= 0.85 && timeouts > 0;
  if (saturated && !higher?.pass) {
    // CPU (with GC helper threads) under wall time with a busy loop: the thread was runnable but waiting for a core others held.
    const starved = round.cpuMs < 0.9 * round.wallMs ? ' (part of that time waiting for a core: other processes on this shared machine took the rest)' : '';
    // GC taking a large share of the round means the heap limit is what made the thread slow.
    const gcBound = round.gcMs > GC_BOUND_SHARE * round.wallMs;
    return {
      bound: gcBound ? 'CPU (garbage collection near the heap limit)' : 'CPU',
      evidence: `${where} (timeouts at the round deadline, no connection errors): the one JavaScript thread was saturated${gcBound ? `, ${((100 * round.gcMs) / round.wallMs).toFixed(0)}% of the round in GC as the heap neared its limit` : ''}${starved}.${higherText}`,
    };
  }
  if (!saturated && higher?.pass) return { bound: 'socket cap', evidence: `${where}: the thread had idle time while monitors waited for a socket.${higherText}` };
  return { bound: 'unclear', evidence: `${where}: the evidence disagrees (${saturated ? 'a saturated thread, yet more sockets helped' : 'an idle thread, yet more sockets did not help'}), likely the shared machine's noise.${higherText}` };
}

function report(m: Measured, plan: Plan): SectionReport {
  const sizeRows = m.sizes.map(({ monitors, rounds }) => {
    const ms = spread(rounds.map((r) => r.wallMs));
    return {
      monitors,
      ms,
      row: [
        monitors.toLocaleString('en-US'),
        fmtSpread(ms),
        fmt(monitors / (ms.median / 1000)),
        fmt(spread(rounds.map((r) => r.cpuMs / monitors)).median * 1000),
        `${(spread(rounds.map((r) => r.elu)).median * 100).toFixed(0)}%`,
      ],
    };
  });
  const sizesTable: Table = {
    header: ['monitors', 'round ms', 'monitors/s', 'CPU µs per monitor', 'event loop busy'],
    rows: sizeRows.map((r) => r.row),
  };

  const trialsTable: Table = {
    header: ['trial', 'monitors', 'maxSockets', 'round ms', 'up', 'down', 'event loop busy', 'GC ms', 'peak heap MB', 'peak RSS MB', `within ${WINDOW_MS / 1000} s`],
    rows: m.trials.map((t, i) => {
      const r = trialRound(t);
      return [
        String(i + 1),
        t.monitors.toLocaleString('en-US'),
        String(t.maxSockets),
        r ? fmt(r.wallMs) : 'n/a',
        r ? r.up.toLocaleString('en-US') : 'n/a',
        r ? downText(r) : t.result.ok ? '' : `${t.result.reason}: ${t.result.detail}`,
        r ? `${(r.elu * 100).toFixed(0)}%` : 'n/a',
        r ? fmt(r.gcMs) : 'n/a',
        r ? fmt(r.peak.heapUsed / MB) : 'n/a',
        r ? fmt(r.peak.rss / MB) : 'n/a',
        t.pass ? 'yes' : 'no',
      ];
    }),
  };

  const { passing, failing } = edgeOf(m.trials);
  const { bound, evidence } = boundOf(m.trials, plan);
  const capacity = passing?.monitors ?? 0;
  const searched = failing && passing ? `between ${passing.monitors.toLocaleString('en-US')} (passed) and ${failing.monitors.toLocaleString('en-US')} (failed)` : 'not bracketed';

  // Memory per monitor, from the largest passing trial: a fresh child, so growth is the monitors' and the round's own.
  const memory = passing?.result.ok ? passing.result.report : undefined;
  const memRound = memory?.rounds[0];
  const perMonitor = memory && memRound
    ? {
      configHeap: (memory.fleetBuilt.heapUsed - memory.empty.heapUsed) / memRound.monitors,
      roundHeap: (memRound.peak.heapUsed - memRound.before.heapUsed) / memRound.monitors,
      heap: (memRound.peak.heapUsed - memory.empty.heapUsed) / memRound.monitors,
      rss: (memRound.peak.rss - memory.empty.rss) / memRound.monitors,
      peakRssMb: memRound.peak.rss / MB,
    }
    : undefined;
  const memoryTable: Table = {
    header: ['', 'bytes per monitor'],
    rows: perMonitor
      ? [
        ['heap: resolved monitor config (after GC)', fmt(perMonitor.configHeap)],
        ['heap: round (peak during the round − before it)', fmt(perMonitor.roundHeap)],
        ['heap: total (peak − empty process)', fmt(perMonitor.heap)],
        ['RSS: total (peak − empty process)', fmt(perMonitor.rss)],
      ]
      : [['(no passing trial)', 'n/a']],
  };

  const headline = passing
    ? `Round capacity: **${capacity.toLocaleString('en-US')} monitors** in ${WINDOW_MS / 1000} s (maxSockets ${MAX_SOCKETS}, ${HEAP_LIMIT_MB} MB heap), ${searched}. Bound: **${bound}** — ${evidence}`
    : `Round capacity: no trial passed (${searched}). Bound: ${bound} — ${evidence}`;
  const mode = plan.stopAtFirstPass
    ? `Quick mode: one trial at ${START_FRACTION * 100}% of what the warm 10,000-monitor rounds predict (a second, lower, if it fails): a lower bound, not a search; the full run brackets the capacity to ${PLANS.full.resolution * 100}%.`
    : `Search: start at ${START_FRACTION * 100}% of what the warm 10,000-monitor rounds predict, step ×1.25 up / ×0.75 down, then bisect until pass and fail are within ${plan.resolution * 100}% (at most ${plan.maxTrials} trials, ${plan.budgetMs / 1000} s); a failing size is tried a second time and fails only if that fails too (a pass proves the machine did it, a fail may be another process taking the core). Then one trial at ${HIGHER_CAP_STEP}× the smallest failing size with maxSockets ${LAMBDA_FD_LIMIT}, to tell a binding socket cap from a saturated CPU.`;

  const markdown = [
    '## Round capacity',
    '',
    `How many healthy monitors one region's round probes within ${WINDOW_MS / 1000} s. Each round is the real \`probeRound\``,
    `(functions/probe/engine) over monitors from \`resolveFleet\` (plain TCP connect, the monitor defaults: 3 s connect timeout, one retry), with the probe handler's`,
    `default cap of ${MAX_SOCKETS} open sockets and a round deadline of ${WINDOW_MS} ms, in a child \`node --max-old-space-size=${HEAP_LIMIT_MB} --expose-gc\``,
    '(the round code bundled with esbuild so the child starts fast; `--expose-gc` only to take memory baselines after a full GC).',
    `Each child first runs an unmeasured round of ${WARMUP.toLocaleString('en-US')} monitors (JIT warm-up, as in a warm Lambda). A trial passes when`,
    `every monitor is up and the round took at most ${WINDOW_MS} ms.`,
    '',
    `Targets: ${m.targetCount} listeners (${TARGET_ADDRESSES} addresses 127.0.0.1–127.0.0.${TARGET_ADDRESSES}, ${PORTS_PER_ADDRESS} ports each) in a separate Python`,
    'process (so the prober is not charged for serving them) that accepts every connection and closes it when the prober does.',
    'Spreading the monitors over hundreds of destinations keeps ephemeral ports and TIME_WAIT from capping the result: a source',
    `port is reusable per destination, and \`tcp_tw_reuse\` is on for loopback (after the search, ${Number.isFinite(m.timeWait) ? m.timeWait.toLocaleString('en-US') : 'n/a'} sockets were in`,
    'TIME_WAIT in this network namespace, shared with whatever else ran on the machine).',
    '',
    headline,
    '',
    mode,
    '',
    '### Round wall time by size',
    '',
    `\`median (min–max)\` over ${plan.runs} round(s) per size in one warm child; "event loop busy" is the child's event-loop utilisation during the round`,
    '(near 100% = the JavaScript thread, not the network, sets the pace); CPU includes V8\'s GC helper threads, so it can exceed the wall time.',
    '',
    markdownTable(sizesTable),
    '',
    '### Capacity trials (a fresh child each)',
    '',
    '"GC ms": V8\'s garbage-collection pauses during the round (perf_hooks `gc` entries); it grows as the heap nears its limit.',
    '',
    markdownTable(trialsTable),
    '',
    '### Memory per monitor',
    '',
    passing
      ? `From the largest passing trial (${capacity.toLocaleString('en-US')} monitors, a fresh child; heap and RSS sampled every 10 ms during the round, outcomes still held at its end as the handler holds them to encode the item).`
      : 'No passing trial to measure.',
    '',
    markdownTable(memoryTable),
    '',
    perMonitor
      ? `At ${fmt(perMonitor.heap)} heap bytes per monitor the ${HEAP_LIMIT_MB} MB heap alone would hold about ${fmt((HEAP_LIMIT_MB * MB) / perMonitor.heap)} monitors per round. Peak RSS of the passing trial was ${fmt(perMonitor.peakRssMb)} MB${perMonitor.peakRssMb > HEAP_LIMIT_MB ? `, more than the probe function's ${HEAP_LIMIT_MB} MB of memory: a Lambda of that size holds about ${fmt((HEAP_LIMIT_MB * MB - memory!.empty.rss) / perMonitor.rss)} monitors by RSS (256 MB − the empty process's ${fmt(memory!.empty.rss / MB)} MB, ÷ RSS per monitor)` : ''}.`
      : '',
    '',
    'Reading it for Lambda: this machine gives the child a whole core. Lambda allocates CPU in proportion to memory (one vCPU at',
    '1,769 MB), so a CPU-bound round on the default 256 MB probe function runs at roughly a seventh of that pace — a capacity',
    'several times lower than here unless `probeMemorySize` is raised. This is an inference from AWS\'s documented allocation, not',
    'measured here. Lambda\'s 256 MB is also the whole process (RSS), not only the V8 heap limited here.',
    '',
  ].join('\n');

  const text = [
    `Round capacity (${WINDOW_MS / 1000} s, maxSockets ${MAX_SOCKETS}, ${HEAP_LIMIT_MB} MB heap): ${passing ? capacity.toLocaleString('en-US') : 'none passed'} monitors, ${searched}; bound: ${bound}`,
    `  ${evidence}`,
    '',
    'Round wall time by size — median (min–max)',
    textTable(sizesTable),
    '',
    'Capacity trials',
    textTable(trialsTable),
    '',
    'Memory per monitor',
    textTable(memoryTable),
  ].join('\n');

  const msSpread = (s: Spread) => ({ min: round1(s.min), median: round1(s.median), max: round1(s.max), runs: s.runs });
  return {
    markdown,
    text,
    figures: {
      probeRoundMs: sizeRows.map((r) => ({ monitors: r.monitors, ms: msSpread(r.ms) })),
      roundCapacity5s: { monitors: capacity, maxSockets: MAX_SOCKETS, heapLimitMb: HEAP_LIMIT_MB },
      ...(perMonitor ? { bytesPerMonitor: { heap: Math.round(perMonitor.heap), rss: Math.round(perMonitor.rss) } } : {}),
    },
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export const capacitySection: BenchSection = {
  name: 'capacity',
  title: `Round capacity within ${WINDOW_MS / 1000} s, round times, memory per monitor`,
  async run(ctx) {
    const plan = ctx.quick ? PLANS.quick : PLANS.full;
    return report(await measure(ctx, plan), plan);
  },
};
