// Bench section "probe": our engine vs blackbox_exporter and check_tcp on the same loopback targets, same run.
import type { BenchContext, BenchSection, SectionReport } from '../lib/section';
import { fmtRatio, fmtSpread, spread } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';
import { blackboxExporter, checkTcp, CONNECT_TIMEOUT_MS, ourEngine, type Prober } from './probers';
import { EXPECTED, startTargets, TARGET_KINDS, type TargetKind } from './targets';

interface Plan {
  concurrency: number[];
  runs: number;
  /** Probes per cell for open/refused targets; check_tcp forks a process per probe, so it gets fewer. */
  probes: Record<'fast' | 'forking', number>;
  /** Silent probes all wait the full timeout: waves of `concurrency` probes. */
  silentWaves: number;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { concurrency: [64], runs: 2, probes: { fast: 500, forking: 100 }, silentWaves: 1 },
  full: { concurrency: [16, 64, 256], runs: 5, probes: { fast: 2500, forking: 400 }, silentWaves: 1 },
};

const TARGET_COUNTS: Record<TargetKind, number> = { open: 200, refused: 200, silent: 64 };

interface CellKey {
  prober: string;
  kind: TargetKind;
  concurrency: number;
}

interface CellRuns {
  key: CellKey;
  probesPerSecond: number[];
  cpuSecondsPer1000: number[];
  /** Probes per CPU-second: the per-core rate, what the ≥ 2× goal is about. */
  probesPerCpuSecond: number[];
  expected: number;
  total: number;
}

/** Target ports for one cell: `count` probes spread round-robin over that kind's ports. */
function portsFor(ports: number[], count: number): number[] {
  return Array.from({ length: count }, (_, i) => ports[i % ports.length]!);
}

async function measure(ctx: BenchContext, plan: Plan): Promise<{ cells: CellRuns[]; versions: Record<string, string> }> {
  const targets = await startTargets(TARGET_COUNTS);
  const probers: Prober[] = [];
  try {
    const blackbox = await blackboxExporter();
    probers.push(ourEngine(), blackbox);
    const nagios = await checkTcp();
    probers.push(nagios);
    const versions = { blackbox_exporter: blackbox.version, check_tcp: nagios.version };

    // Warm-up: JIT, the exporter's first requests, page cache for check_tcp. Not measured.
    for (const prober of probers) await prober.probe(portsFor(targets.ports.open, 200), 32);

    const cells = new Map<string, CellRuns>();
    for (let run = 1; run <= plan.runs; run++) {
      ctx.log(`probe bench: run ${run}/${plan.runs}`);
      for (const concurrency of plan.concurrency) {
        for (const kind of TARGET_KINDS) {
          // Probers take turns inside a run, so drift on a shared machine hits all of them alike.
          for (const prober of probers) {
            const count =
              kind === 'silent'
                ? concurrency * plan.silentWaves
                : plan.probes[prober.name === 'check_tcp' ? 'forking' : 'fast'];
            const ports = portsFor(targets.ports[kind], count);
            const result = await prober.probe(ports, concurrency);
            const id = `${prober.name}/${kind}/${concurrency}`;
            const cell = cells.get(id) ?? {
              key: { prober: prober.name, kind, concurrency },
              probesPerSecond: [], cpuSecondsPer1000: [], probesPerCpuSecond: [], expected: 0, total: 0,
            };
            cell.probesPerSecond.push(count / (result.wallMs / 1000));
            cell.cpuSecondsPer1000.push(result.cpuMs / count); // ms per probe = s per 1,000 probes
            cell.probesPerCpuSecond.push(result.cpuMs > 0 ? count / (result.cpuMs / 1000) : Infinity);
            cell.expected += result.verdicts.filter((v) => v === EXPECTED[kind]).length;
            cell.total += count;
            cells.set(id, cell);
          }
        }
      }
    }
    return { cells: [...cells.values()], versions };
  } finally {
    for (const prober of probers) await prober.stop();
    await targets.stop();
  }
}

function median(values: number[]): number {
  return spread(values).median;
}

/** CPU seconds per 1,000 probes over all of a cell's runs (each run probes as many, so the mean of the runs). */
function pooledCpuPer1000(cell: CellRuns): number {
  return cell.cpuSecondsPer1000.reduce((a, b) => a + b, 0) / Math.max(1, cell.cpuSecondsPer1000.length);
}

function report(cells: CellRuns[], plan: Plan, versions: Record<string, string>): SectionReport {
  const find = (prober: string, kind: TargetKind, concurrency: number): CellRuns | undefined =>
    cells.find((c) => c.key.prober === prober && c.key.kind === kind && c.key.concurrency === concurrency);

  const detail: Table = {
    header: ['target', 'concurrency', 'prober', 'probes/s', 'CPU s per 1,000 probes', 'probes per CPU-second', 'expected verdict'],
    rows: cells
      .slice()
      .sort((a, b) => TARGET_KINDS.indexOf(a.key.kind) - TARGET_KINDS.indexOf(b.key.kind) || a.key.concurrency - b.key.concurrency)
      .map((c) => [
        c.key.kind,
        String(c.key.concurrency),
        c.key.prober,
        fmtSpread(spread(c.probesPerSecond)),
        fmtSpread(spread(c.cpuSecondsPer1000)),
        fmtSpread(spread(c.probesPerCpuSecond)),
        `${c.expected}/${c.total} (${((100 * c.expected) / c.total).toFixed(1)}%)`,
      ]),
  };

  // Ratios from medians: ours ÷ theirs, per kind and concurrency.
  const ratioRows: string[][] = [];
  const perCoreVsBlackbox: number[] = [];
  const unmeasured: string[] = [];
  for (const kind of TARGET_KINDS) {
    for (const concurrency of plan.concurrency) {
      const ours = find('portquorum', kind, concurrency);
      const bb = find('blackbox_exporter', kind, concurrency);
      const nagios = find('check_tcp', kind, concurrency);
      if (!ours || !bb || !nagios) continue;
      // CPU pooled over the runs (every run probes as many): a few-tick cell can read 0 in one run, not over five.
      const perCoreBb = pooledCpuPer1000(bb) > 0 ? pooledCpuPer1000(bb) / pooledCpuPer1000(ours) : NaN;
      if (Number.isFinite(perCoreBb)) perCoreVsBlackbox.push(perCoreBb);
      else unmeasured.push(`${kind} at ${concurrency}`);
      ratioRows.push([
        kind,
        String(concurrency),
        fmtRatio(median(ours.probesPerSecond) / median(bb.probesPerSecond)),
        fmtRatio(perCoreBb),
        fmtRatio(median(ours.probesPerSecond) / median(nagios.probesPerSecond)),
        fmtRatio(pooledCpuPer1000(nagios) / pooledCpuPer1000(ours)),
      ]);
    }
  }
  const ratios: Table = {
    header: ['target', 'concurrency', 'probes/s vs blackbox', 'per core vs blackbox', 'probes/s vs check_tcp', 'per core vs check_tcp'],
    rows: ratioRows,
  };
  const worst = perCoreVsBlackbox.length ? Math.min(...perCoreVsBlackbox) : NaN;
  const goal = `Goal: at least 2× blackbox_exporter's probes per CPU-second (per core). Lowest measured ratio across cells: ${fmtRatio(worst)} — ${worst >= 2 ? 'met' : 'NOT met'}.` +
    (unmeasured.length ? ` Not measurable (blackbox_exporter's CPU below one 10 ms tick over all runs): ${unmeasured.join(', ')}.` : '');

  const disagreements = cells.filter((c) => c.expected !== c.total);
  const agreement = disagreements.length
    ? `Verdicts: ${disagreements.map((c) => `${c.key.prober} on ${c.key.kind} at ${c.key.concurrency}: ${c.total - c.expected} of ${c.total} unexpected`).join('; ')}.`
    : 'Verdicts: all three probers agreed on every probe (open → up, refused → down, silent → down).';

  const markdown = [
    '## Probe engine vs blackbox_exporter and check_tcp',
    '',
    'Same loopback targets, same run, probers taking turns inside each run. Figures are `median (min–max)` over',
    `${plan.runs} runs. Concurrency levels: ${plan.concurrency.join(', ')}.`,
    '',
    '- **open**: a listener (a separate Python process, so no prober is charged for it) that accepts and closes when the client does.',
    '- **refused**: a loopback port bound by the target process but not listening (the kernel answers RST; holding the bind',
    '  keeps other processes from taking the port mid-run).',
    `- **silent**: a listener with a full accept queue (\`listen(0)\`, one connection parked, never accepted): the kernel drops further SYNs,`,
    `  so the TCP connect itself never completes and every prober ends in a connect timeout of ${CONNECT_TIMEOUT_MS} ms. This makes all three`,
    '  compare on the same thing (a blackholed port); an accept-and-never-answer server would look *up* to a plain TCP check.',
    '  Silent probes/s is bounded by concurrency ÷ timeout for every prober; its CPU figure is the interesting one.',
    '',
    '- **portquorum**: `probeRound()` in the bench process, one round over all probes with `maxSockets` = concurrency, `retries: 0`;',
    '  CPU = `process.cpuUsage()` of that process over the round.',
    `- **blackbox_exporter** ${versions.blackbox_exporter}: \`tcp\` module (\`prober: tcp\`, timeout ${CONNECT_TIMEOUT_MS} ms), driven as Prometheus drives it,`,
    '  `GET /probe?module=tcp&target=127.0.0.1:PORT` with `concurrency` requests in flight over keep-alive connections;',
    '  CPU = utime+stime of the exporter from `/proc/PID/stat` (10 ms ticks: the small silent cells are only a few ticks, so read',
    '  their blackbox CPU figures as coarse). HTTP serving is part of its cost, as it is in production.',
    `- **check_tcp** ${versions.check_tcp}: \`check_tcp -H 127.0.0.1 -p PORT -t 1\`, one process per probe, \`concurrency\` processes at a time`,
    '  (as a Nagios/Icinga scheduler runs it); CPU = reaped children\'s utime+stime (cutime+cstime of the bench process); the',
    '  scheduler\'s own fork/exec cost is not counted. It gets fewer probes per cell because every probe is a process.',
    '',
    '"Per core" = probes per CPU-second = 1,000 ÷ (CPU s per 1,000 probes): how many probes one fully used core sustains.',
    '',
    markdownTable(detail),
    '',
    '### Ratios (portquorum ÷ other, probes/s from medians, per core from CPU pooled over the runs)',
    '',
    markdownTable(ratios),
    '',
    goal,
    '',
    agreement,
    '',
  ].join('\n');

  const text = [
    'Probe engine vs blackbox_exporter and check_tcp — median (min–max)',
    textTable(detail),
    '',
    'Ratios (portquorum ÷ other, probes/s from medians, per core from pooled CPU)',
    textTable(ratios),
    '',
    goal,
    agreement,
  ].join('\n');
  return { markdown, text, versions, figures: Number.isFinite(worst) ? { probeVsBlackboxPerCoreMin: Math.round(worst * 10) / 10 } : {} };
}

export const probeSection: BenchSection = {
  name: 'probe',
  title: 'Probe engine vs blackbox_exporter and check_tcp',
  async run(ctx) {
    const plan = ctx.quick ? PLANS.quick : PLANS.full;
    const { cells, versions } = await measure(ctx, plan);
    return report(cells, plan, versions);
  },
};
