// Bench section "detection": on the real local fleet, time from a target going down (refused, or blackholed) to the
// DOWN alert, and from its return to the UP alert; p50/p95 over trials at phases spread over the round interval.
import { readFileSync } from 'node:fs';
import { RETRY_BACKOFF_MS } from '../../../functions/probe/engine';
import type { ResolvedMonitor } from '../../../functions/shared/domain';
import { graceMs } from '../../../functions/shared/domain/rounds';
import type { BenchSection, SectionReport } from '../lib/section';
import { fmt } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';
import { FAULTS, INTERVAL_SECONDS, QUORUM, REGIONS, runTrials, TRANSITIONS, type Fault, type Transition, type Trial, type TrialPlan, type TrialRun } from './trials';

const PLANS: Record<'quick' | 'full', TrialPlan> = {
  // One round's worth of DOWN trials: start-up (DynamoDB Local, three workers) and a round take most of it.
  quick: { refused: { monitors: 4, seconds: 0, up: false } },
  full: { refused: { monitors: 12, seconds: 35, up: true }, blackhole: { monitors: 12, upSeconds: 110 } },
};

/**
 * The event source mapping gathers records for up to 2 s before invoking the aggregator (maxBatchingWindow in
 * AGGREGATOR_STREAM in functions/shared/deployment.ts, used by lib/home-stack.ts and bin/local/aggregator.ts), and the local poller rests 200 ms between
 * polls of a caught-up stream (bin/local/stream-poller.ts).
 */
const STREAM_MS = 2000 + 200;

/** Percentile by linear interpolation between order statistics (numpy's default). */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

interface Row {
  fault: Fault;
  transition: Transition;
  /** Seconds from the change to the alert, one per trial that alerted. */
  seconds: number[];
  missed: number;
  /** Medians of the parts, in seconds: waiting for the next round, the probe and its write, stream and aggregator. */
  parts: { wait: number; probe: number; stream: number } | undefined;
  /** Trials that ended in the round that was already running at the change (a blackholed probe's SYN retry got through). */
  inFlight: number;
}

function row(trials: Trial[], fault: Fault, transition: Transition): Row {
  const mine = trials.filter((t) => t.fault === fault && t.transition === transition);
  const done = mine.filter((t) => t.alertAt !== undefined);
  const split = done.filter((t) => t.round !== undefined && t.writtenAt !== undefined).map((t) => {
    const roundStart = Math.max(t.round!, t.at);
    return { wait: (roundStart - t.at) / 1000, probe: (t.writtenAt! - roundStart) / 1000, stream: (t.alertAt! - t.writtenAt!) / 1000 };
  });
  const median = (values: number[]) => percentile(values, 50);
  return {
    fault, transition,
    seconds: done.map((t) => (t.alertAt! - t.at) / 1000),
    missed: mine.length - done.length,
    parts: split.length ? { wait: median(split.map((s) => s.wait)), probe: median(split.map((s) => s.probe)), stream: median(split.map((s) => s.stream)) } : undefined,
    inFlight: done.filter((t) => t.round !== undefined && t.round < t.at).length,
  };
}

/** How many SYN retransmissions Linux spaces 1 s apart before backing off (kernels ≥ 6.5), if this kernel says. */
function synLinearTimeouts(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/tcp_syn_linear_timeouts', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** What the monitor's settings let a blackholed probe take: every attempt's connect timeout plus the pauses between. */
function blackholeProbeMs(m: ResolvedMonitor): number {
  const attempts = m.retries + 1;
  const pauses = Array.from({ length: m.retries }, (_, i) => RETRY_BACKOFF_MS[Math.min(i, RETRY_BACKOFF_MS.length - 1)]!).reduce((a, b) => a + b, 0);
  return attempts * Math.min(m.timeoutMs.connect, m.timeoutMs.total) + pauses;
}

/** The longest a change can take to alert when every region is healthy: a full interval to the next round, the probe, the stream. */
function healthyBoundMs(m: ResolvedMonitor, fault: Fault, transition: Transition): number {
  const probe = transition === 'up' ? 0 : fault === 'blackhole' ? blackholeProbeMs(m) : RETRY_BACKOFF_MS[0]! * Math.min(m.retries, 1);
  return INTERVAL_SECONDS * 1000 + probe + STREAM_MS;
}

function report(run: TrialRun, plan: TrialPlan, quick: boolean): SectionReport {
  const m = run.monitor;
  const designBoundMs = INTERVAL_SECONDS * 1000 + graceMs(INTERVAL_SECONDS) + STREAM_MS;
  const rows = FAULTS.flatMap((fault) => TRANSITIONS.map((transition) => row(run.trials, fault, transition))).filter((r) => r.seconds.length + r.missed > 0);
  const s = (value: number) => (Number.isFinite(value) ? `${fmt(value)} s` : 'n/a');

  const table: Table = {
    header: ['fault', 'alert', 'trials', 'p50', 'p95', 'min–max', 'wait for round', 'probe + write', 'stream + aggregator', 'bound, healthy regions', 'bound, design'],
    rows: rows.map((r) => [
      r.fault === 'refused' ? 'refused' : 'blackholed',
      r.transition === 'down' ? 'DOWN' : 'UP',
      `${r.seconds.length}${r.missed ? ` (+${r.missed} missed)` : ''}`,
      s(percentile(r.seconds, 50)),
      s(percentile(r.seconds, 95)),
      r.seconds.length ? `${fmt(Math.min(...r.seconds))}–${fmt(Math.max(...r.seconds))} s` : 'n/a',
      r.parts ? s(r.parts.wait) : 'n/a',
      r.parts ? s(r.parts.probe) : 'n/a',
      r.parts ? s(r.parts.stream) : 'n/a',
      s(healthyBoundMs(m, r.fault, r.transition) / 1000),
      s(designBoundMs / 1000),
    ]),
  };

  const find = (fault: Fault, transition: Transition) => rows.find((r) => r.fault === fault && r.transition === transition);
  const blackholeUp = find('blackhole', 'up');
  const mechanism = run.netns.mode === 'on'
    ? "each region runs in its own network namespace and the target's packets are dropped there with iptables (`raw` table, PREROUTING, `-p tcp --dport PORT -j DROP`) while its listener keeps running — a real blackhole"
    : `regions share this machine's loopback (${run.netns.reason}), so a blackholed target is a listener with a full accept queue: the kernel drops every new SYN, which a TCP connect cannot tell from a dropped packet`;
  const connect = `${m.timeoutMs.connect} ms connect timeout, ${m.retries} retr${m.retries === 1 ? 'y' : 'ies'}`;
  const unexpected = run.unexpected.length
    ? `Alerts no trial caused: ${run.unexpected.length} (${run.unexpected.slice(0, 5).join('; ')}).`
    : 'No alert came that a trial did not cause (no duplicate, no fleet alert).';

  const blackholed = plan.blackhole !== undefined;
  const markdown = [
    '## Detection time on the local fleet',
    '',
    `The fleet \`portquorum local\` runs (\`startLocalFleet\`): DynamoDB Local, ${REGIONS.length} region workers running the real`,
    `probe handler (${REGIONS.join(', ')}), the real aggregator on the table's real stream, the real sweeper.`,
    `Every monitor is a plain TCP connect to a loopback target the fleet serves: interval ${INTERVAL_SECONDS} s, quorum ${QUORUM} of`,
    `${REGIONS.length}, failureThreshold 1, recoveryThreshold 1, and the default ${connect}. A trial runs from the`,
    "moment a change is in force in every region (`fleet.setTarget` resolved) to the moment its alert reaches the sinks.",
    '',
    "- **refused**: the listener is closed (`setTarget(name, 'down')`); every region sees `refused` at once.",
    ...(blackholed ? [`- **blackholed**: \`setTarget(name, 'blackhole')\`: ${mechanism}. Probes end in \`timeout\` in connect.`] : []),
    '',
    `Changes are made at phases spread evenly over the ${INTERVAL_SECONDS} s interval (a golden-ratio sequence per row), so the`,
    'figures average over where in the round a failure happens, as real failures do. Refused trials run on',
    `${plan.refused.monitors} monitors at once${plan.refused.up ? ', each going down and up in turn' : ''}; a refused probe ends in milliseconds, so they do`,
    'not slow each other.',
    ...(blackholed ? [
      'Blackholed trials cannot all overlap: a region writes a round only once its slowest probe has ended, so a target',
      'coming back while another is still blackholed would have its good result held until the other times out. So the',
      'DOWN trials run together (every blackholed probe of a round starts at its instant and times out at the same moment,',
      'so none waits on another); each target is then parked as refused (still DOWN, no alert); and the UP trials run one',
      'at a time: the target is blackholed again before a round instant and restored at its phase.',
    ] : []),
    ...(quick ? ['', '**--quick**: refused targets only, DOWN only, one trial per monitor (start-up and one round take most of the', 'time); no figures are recorded. Run without --quick for UP and for blackholed targets.'] : []),
    '',
    markdownTable(table),
    '',
    'Parts are medians over the trials: **wait for round** = from the change to the start of the round that decided it;',
    '**probe + write** = from then until the quorum-th region had written that round; **stream + aggregator** = from that',
    'write to the alert. **Bound, healthy regions** = one full interval + the longest the probe may take + the stream;',
    `**bound, design** = interval + grace (${graceMs(INTERVAL_SECONDS) / 1000} s, how long after its instant a region's result still counts) + stream: the`,
    `longest the aggregator waits when a region is slow. Start-up (DynamoDB Local, workers, first verdicts: ${fmt(run.startupMs / 1000)} s) is`,
    'not part of any trial.',
    '',
    '### Where the time goes',
    '',
    `- **Waiting for the next round**: rounds are aligned to the wall clock every ${INTERVAL_SECONDS} s, so a change waits 0–${INTERVAL_SECONDS} s`,
    `  (${INTERVAL_SECONDS / 2} s on average) before any region probes again — the largest part for a refused target, and only a`,
    '  shorter interval shortens it.',
    `- **The probe**: a refused connect fails at once and its retry ${RETRY_BACKOFF_MS[0]} ms later too.`,
    ...(blackholed ? [
      `  A blackholed connect waits out its timeout on every attempt (${connect}: ${(blackholeProbeMs(m) / 1000).toFixed(1)} s)`,
      '  before the region can write the round. A lower `timeoutMs.connect` or `retries: 0` buys that back, at the price of',
      '  more false timeouts.',
    ] : []),
    "- **The stream**: the event source mapping gathers records for up to 2 s (so one invocation sees a round from every",
    '  region), and the poller rests 200 ms when caught up; the aggregator and the publish take milliseconds.',
    ...(blackholeUp && blackholeUp.inFlight > 0 ? [
      `- **Blackholed, UP** often beats a full round: ${blackholeUp.inFlight} of ${blackholeUp.seconds.length} trials ended in the round already running when`,
      "  the target came back. That round's probe was still retrying: the kernel resends an unanswered SYN after 1 s (every",
      `  second for the first ${synLinearTimeouts() ?? 'few'} here, \`net.ipv4.tcp_syn_linear_timeouts\`) and the engine retries, so a SYN gets through`,
      '  within a second of the repair. For those trials "wait for round" is 0 and "probe + write" includes that second.',
    ] : []),
    '',
    unexpected,
    '',
  ].join('\n');

  const text = [
    'Detection time on the local fleet (3 regions, 10 s interval, quorum 2, thresholds 1/1)',
    textTable(table),
    '',
    ...(plan.blackhole ? [`Blackholed: ${run.netns.mode === 'on' ? "iptables DROP in every region's namespace" : `full accept queue (${run.netns.reason})`}.`] : []),
    `Start-up ${fmt(run.startupMs / 1000)} s (not in the trials). Bound, design = interval + grace + stream.`,
    ...(quick ? ['--quick: refused DOWN only, one trial per monitor; no figures recorded.'] : []),
    unexpected,
  ].join('\n');

  const figures: NonNullable<SectionReport['figures']>['detection'] = [];
  for (const fault of FAULTS) {
    const down = find(fault, 'down');
    const up = find(fault, 'up');
    if (!down?.seconds.length || !up?.seconds.length) continue;
    const ms = (r: Row) => ({ p50: Math.round(percentile(r.seconds, 50) * 1000), p95: Math.round(percentile(r.seconds, 95) * 1000), trials: r.seconds.length });
    figures.push({ fault, intervalSeconds: INTERVAL_SECONDS, down: ms(down), up: ms(up) });
  }
  return { markdown, text, ...(figures.length ? { figures: { detection: figures } } : {}) };
}

export const detectionSection: BenchSection = {
  name: 'detection',
  title: 'Detection time on the local fleet (refused and blackholed targets)',
  async run(ctx) {
    // The fleet's in-process SDK clients would print the notice that Node 20 support ends into the bench's output.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const plan = ctx.quick ? PLANS.quick : PLANS.full;
    const run = await runTrials(plan, ctx.log);
    return report(run, plan, ctx.quick);
  },
};
