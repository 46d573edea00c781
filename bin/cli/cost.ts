// `portquorum cost`: the itemised monthly bill of the declared fleet (or a what-if), against the design goal and the alternatives.
import { readFile } from 'node:fs/promises';
import { compareAlternatives, formatComparison } from '../../lib/pricing/alternatives';
import { costInputsFromFleet, costPerMonitor, designGoal, estimateMonthlyCost, formatCostEstimate, type CostInputs } from '../../lib/pricing/cost';
import { costSummary, MEASURED_FILE } from '../../lib/pricing/fleet-cost';
import { parseMeasured, type MeasuredFigures } from '../../lib/pricing/measured';
import { AWS_PRICES, DEFAULT_REGION_ORDER, PRICES_AS_OF, PRICE_SOURCES, pricesFor } from '../../lib/pricing/prices';
import { loadFleetSpec } from './declarations';
import { UsageError, intFlag, parse } from './usage';

/** Where `npm run bench` writes its figures (the package ships them): the ones `cdk synth`'s line uses too. */
const DEFAULT_MEASURED = MEASURED_FILE;

const HELP = `Usage: portquorum cost [--config FILE | --monitors N [--regions R] [--interval S] [--home REGION] [--watch N]]
                      [--probe-memory MB] [--alerts N] [--free-tier] [--measured FILE | --model-only] [--json]

Itemised monthly AWS cost of the declared fleet (bin/monitors.ts, or --config), or of a what-if fleet:
Lambda (probe, aggregator, sweeper), DynamoDB writes, reads and storage, data transfer between regions,
SNS, schedules, logs, CloudWatch metrics, alarms and dashboard, KMS; in total and per monitor. Each line
says where its number comes from: 'measured' (from docs/benchmarks.json, written by npm run bench),
'modelled' (this model's estimate) or 'counted' (resources × price). Prices are list prices per region
from one dated table (lib/pricing/prices.ts, sources named); a line marked † uses a price that could not be
verified. It leads with the total and the lines that make most of it: the number 'cdk synth' prints
for the same fleet. For the fleet the design goal is stated for (1,000 monitors × 3 regions at 60 s
or 10 s: at most $0.01 / $0.05 per monitor-month) it says whether the goal is met. Also what Route 53
health checks, Checkly and Datadog Synthetics would charge for the same monitors, regions and interval.

Fleet:
  --config FILE       declarations to price: a JSON FleetSpec or a .ts/.js module exporting 'fleet'
                      (default: bin/monitors.ts, the CDK app's monitors)
  --monitors N        price a what-if fleet of N monitors instead (1 to 1000000)
  --regions R         what-if regions: a count (1 to 20; default 3: ${DEFAULT_REGION_ORDER.slice(0, 3).join(', ')} …)
                      or a comma-separated list of region names
  --interval S        what-if seconds between rounds: 10, 12, 15, 20, 30 or a multiple of 60 up to
                      3600 (default 60)
  --home REGION       what-if home region (default: the first region)
  --watch N           what-if monitors in watch mode (watch: true), 0 to N (default 0): at 60 s the
                      probe function then stays up for its minute, priced as the line 'Lambda watch'

Assumptions:
  --probe-memory MB   probe function memory, 128 to 10240 (default 256, as ProbeFleet deploys)
  --alerts N          alerts published a month, 0 to 1000000 (default 100)
  --free-tier         take the account's monthly free tier off (only if nothing else uses it)
  --measured FILE     bench figures to use (default docs/benchmarks.json; lines without a figure
                      there are modelled)
  --model-only        ignore measured figures: every line from the model

Output:
  --json              print JSON: { fleet, estimate: { items, totalUsd, perMonitorUsd, … }, perMonitor,
                      goal, measured, alternatives, prices }
  -h, --help          show this help

Exit status: 0 estimate printed (whether or not the goal is met), 2 bad usage or invalid declarations.`;

const OPTIONS = {
  config: { type: 'string' },
  monitors: { type: 'string' },
  regions: { type: 'string' },
  interval: { type: 'string' },
  home: { type: 'string' },
  watch: { type: 'string' },
  'probe-memory': { type: 'string' },
  alerts: { type: 'string' },
  'free-tier': { type: 'boolean' },
  measured: { type: 'string' },
  'model-only': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const REGION_NAME = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** The fleet size the design goal is stated for. */
const DESIGN_POINT_MONITORS = 1000;

interface MeasuredStatus {
  file: string;
  status: 'used' | 'absent' | 'unreadable' | 'ignored';
  /** Figures the file has that the model uses. */
  used: string[];
  /** Why the file was not used, or which figures it lacks. */
  note: string;
}

export const command = {
  summary: 'itemised monthly AWS cost of the fleet, the design goal and the alternatives',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('cost', args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`cost: unexpected argument '${positionals[0]}' (use --config FILE or --monitors N)`);
    const whatIf = values.monitors !== undefined;
    if (whatIf && values.config !== undefined) throw new UsageError('cost: give either --config FILE (price declared monitors) or --monitors N (a what-if), not both');
    if (!whatIf) {
      for (const flag of ['regions', 'interval', 'home', 'watch'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`cost: --${flag} describes a what-if fleet: add --monitors N (or drop --${flag} to price the declared fleet)`);
      }
    }
    if (values.measured !== undefined && values['model-only']) throw new UsageError('cost: give either --measured FILE or --model-only, not both');
    const probeMemoryMb = intFlag('cost', 'probe-memory', values['probe-memory'], 128, 10240);
    const alertsPerMonth = intFlag('cost', 'alerts', values.alerts, 0, 1_000_000);
    const extra = {
      ...(probeMemoryMb !== undefined ? { probeMemoryMb } : {}),
      ...(alertsPerMonth !== undefined ? { alertsPerMonth } : {}),
      ...(values['free-tier'] ? { freeTier: true } : {}),
    };

    let inputs: CostInputs;
    let fleetLabel: string;
    let monitorsForShare: { id: string; regions: string[]; interval: number }[] | undefined;
    if (whatIf) {
      const monitors = intFlag('cost', 'monitors', values.monitors, 1, 1_000_000)!;
      const regionNames = parseRegions(values.regions);
      const intervalSeconds = parseInterval(values.interval);
      const home = values.home;
      if (home !== undefined && !REGION_NAME.test(home)) throw new UsageError(`cost: --home '${home}' is not a region name (e.g. us-east-1)`);
      const watchedMonitors = intFlag('cost', 'watch', values.watch, 0, monitors);
      inputs = {
        monitors, regions: regionNames.length, intervalSeconds, regionNames, ...(home ? { homeRegion: home } : {}),
        ...(watchedMonitors ? { watchedMonitors } : {}), ...extra,
      };
      fleetLabel = `what-if: ${monitors.toLocaleString('en-US')} monitors × ${regionNames.length} regions every ${intervalSeconds} s${watchedMonitors ? `, ${watchedMonitors.toLocaleString('en-US')} in watch mode` : ''}`;
    } else {
      const { source, config } = await loadFleetSpec(values.config);
      const groupFunctions = Object.values(config.groups).reduce((n, g) => n + g.regions.length, 0);
      // As lib/pricing/fleet-cost.ts's fleetCost, which ProbeFleet uses at synth: the same inputs, the same number.
      inputs = costInputsFromFleet(config, { probeGroupFunctions: groupFunctions, ...extra });
      fleetLabel = `declared fleet (${source}): ${config.monitors.length} monitor${config.monitors.length === 1 ? '' : 's'} × ${config.regions.length} regions`;
      monitorsForShare = config.monitors.map((m) => ({ id: m.id, regions: m.regions, interval: m.interval }));
    }

    const measured = values['model-only']
      ? { figures: {}, status: { file: DEFAULT_MEASURED, status: 'ignored', used: [], note: '--model-only: every line from the model' } satisfies MeasuredStatus }
      : await readMeasured(values.measured);
    const estimate = estimateMonthlyCost(inputs, measured.figures);
    const goal = designGoal(estimate);
    const perMonitor = monitorsForShare ? costPerMonitor(estimate, monitorsForShare) : undefined;
    const comparisonInputs = { monitors: estimate.monitors, regions: estimate.regions.length, intervalSeconds: Math.round(inputs.shortestIntervalSeconds ?? estimate.intervalSeconds) };
    const alternatives = compareAlternatives(comparisonInputs);
    const regionsUsed = [...new Set([estimate.homeRegion, ...estimate.regions])];

    if (values.json) {
      process.stdout.write(`${JSON.stringify({
        fleet: { label: fleetLabel, monitors: estimate.monitors, regions: estimate.regions, homeRegion: estimate.homeRegion, intervalSeconds: estimate.intervalSeconds },
        estimate,
        perMonitor: perMonitor ?? null,
        goal,
        measured: measured.status,
        alternatives,
        prices: { asOf: PRICES_AS_OF, sources: PRICE_SOURCES, regions: Object.fromEntries(regionsUsed.map((r) => [r, pricesFor(r).prices])) },
      }, null, 2)}\n`);
      return 0;
    }

    const out: string[] = [`portquorum cost — ${fleetLabel}`, '', `Total: ${costSummary(estimate)}.`, '', formatCostEstimate(estimate), ''];
    if (perMonitor) {
      const width = Math.max('MONITOR'.length, ...perMonitor.map((m) => m.monitor.length));
      out.push('Per monitor (the bill shared by how many probes each causes: regions ÷ interval):');
      out.push(`  ${'MONITOR'.padEnd(width)}  REGIONS  INTERVAL  USD/MONTH`);
      for (const m of perMonitor) out.push(`  ${m.monitor.padEnd(width)}  ${String(m.regions).padStart(7)}  ${`${m.intervalSeconds} s`.padStart(8)}  ${`$${m.monthlyUsd.toFixed(4)}`.padStart(9)}`);
      out.push('');
    }
    // The goal is about large fleets: a small one is mostly fixed costs, which no per-monitor goal describes.
    if (goal.atStatedPoint) {
      out.push(`Design goal (${goal.statedFor}): $${goal.perMonitorUsd.toFixed(4)} per monitor-month against at most $${goal.targetPerMonitorUsd.toFixed(2)}: ${goal.met ? 'met' : 'NOT met'}`);
    } else if (estimate.monitors < DESIGN_POINT_MONITORS) {
      out.push(`Per monitor the bill falls as monitors are added: the largest lines do not grow with monitors (portquorum cost --monitors ${DESIGN_POINT_MONITORS} prices the fleet the design goal is stated for).`);
    }
    out.push(`Measured figures: ${measured.status.note}`);
    out.push('');
    out.push(formatComparison(estimate.totalUsd, comparisonInputs, alternatives));
    out.push('');
    out.push(`Prices: lib/pricing/prices.ts as of ${PRICES_AS_OF}, regions ${regionsUsed.join(', ')}${regionsUsed.some((r) => !(r in AWS_PRICES)) ? ' (regions not in the table priced as us-east-1)' : ''}; † = a price that could not be verified on that date.`);
    out.push(`Sources: ${[PRICE_SOURCES.lambda, PRICE_SOURCES.dynamodb, PRICE_SOURCES.cloudwatch, PRICE_SOURCES.sns, PRICE_SOURCES.kms, PRICE_SOURCES.dataTransfer, PRICE_SOURCES.eventbridge].join(', ')}; ${PRICE_SOURCES.priceList}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  },
};

function parseRegions(value: string | undefined): string[] {
  if (value === undefined) return DEFAULT_REGION_ORDER.slice(0, 3);
  if (/^\d+$/.test(value)) {
    const n = intFlag('cost', 'regions', value, 1, 20)!;
    const names: string[] = DEFAULT_REGION_ORDER.slice(0, n);
    for (let k = names.length; k < n; k += 1) names.push(`region-${k + 1}`);
    return names;
  }
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = names.filter((n) => !REGION_NAME.test(n));
  if (names.length === 0 || bad.length > 0) {
    throw new UsageError(`cost: --regions '${value}' must be a count from 1 to 20 or region names separated by commas (e.g. us-east-1,eu-west-1)${bad.length > 0 ? `; not a region name: ${bad.map((b) => `'${b}'`).join(', ')}` : ''}`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`cost: --regions names ${dup} twice (list each region once)`);
  if (names.length > 20) throw new UsageError(`cost: --regions lists ${names.length} regions; at most 20`);
  return names;
}

function parseInterval(value: string | undefined): number {
  if (value === undefined) return 60;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 3600 || (n < 60 ? 60 % n !== 0 : n % 60 !== 0)) {
    throw new UsageError(`cost: --interval '${value}' seconds does not align to the minute (use 10, 12, 15, 20, 30 or a multiple of 60 up to 3600)`);
  }
  return n;
}

/** Reads bench figures; a missing default file is normal (nothing measured yet), a missing --measured file is a usage error. */
async function readMeasured(explicit: string | undefined): Promise<{ figures: MeasuredFigures; status: MeasuredStatus }> {
  const file = explicit ?? DEFAULT_MEASURED;
  const label = explicit ?? 'docs/benchmarks.json';
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (explicit !== undefined) throw new UsageError(`cost: cannot read --measured ${explicit}: ${code} (run npm run bench to write docs/benchmarks.json)`);
    return { figures: {}, status: { file, status: 'absent', used: [], note: `${label} not found: every line is modelled (run npm run bench to measure)` } };
  }
  let figures: MeasuredFigures;
  try {
    figures = parseMeasured(text, label).figures;
  } catch (error) {
    if (explicit !== undefined) throw new UsageError(`cost: --measured ${(error as Error).message}`);
    process.stderr.write(`portquorum cost: ignoring ${(error as Error).message}\n`);
    return { figures: {}, status: { file, status: 'unreadable', used: [], note: `${label} could not be read (${(error as Error).message}): every line is modelled` } };
  }
  const wanted = ['probeRoundMs', 'aggregatorMsPerItem', 'dynamoPerRound', 'bundles'] as const;
  const has = (k: (typeof wanted)[number]) => Array.isArray(figures[k]) && figures[k]!.length > 0;
  const used = wanted.filter(has);
  const missing = wanted.filter((k) => !has(k));
  const note = used.length === 0
    ? `${label} has none of ${wanted.join(', ')}: every line is modelled (run npm run bench)`
    : `from ${label}: ${used.join(', ')}${missing.length > 0 ? `; modelled for want of ${missing.join(', ')}` : ''}`;
  return { figures, status: { file, status: used.length > 0 ? 'used' : 'absent', used: [...used], note } };
}
