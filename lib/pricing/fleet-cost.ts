// The one cost figure of a declared fleet: `cdk synth` (ProbeFleet) and `portquorum cost` both come here, with the
// figures `npm run bench` measured (docs/benchmarks.json, shipped in the package), so they print the same number.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetConfig } from '../../functions/shared/domain';
import { PROJECT_ROOT } from '../bundling';
import { costInputsFromFleet, estimateMonthlyCost, type CostEstimate, type CostInputs, type CostItem } from './cost';
import { parseMeasured, type MeasuredFigures } from './measured';

/** Where `npm run bench` writes its figures; the package ships the file. */
export const MEASURED_FILE = join(PROJECT_ROOT, 'docs', 'benchmarks.json');

/** The measured figures of MEASURED_FILE, or none when it is missing or unreadable (every line is then modelled). */
function shippedFigures(): MeasuredFigures {
  try {
    return parseMeasured(readFileSync(MEASURED_FILE, 'utf8'), 'docs/benchmarks.json').figures;
  } catch {
    return {};
  }
}

/** Options of the fleet that change its bill, as ProbeFleet deploys it (the CLI uses the same defaults). */
export type FleetCostOptions = Omit<CostInputs, 'monitors' | 'regions' | 'intervalSeconds' | 'regionNames' | 'homeRegion'>;

/** The monthly estimate of a declared fleet: the number synth and `portquorum cost` print. */
export function fleetCost(config: FleetConfig, options: FleetCostOptions = {}, measured: MeasuredFigures = shippedFigures()): CostEstimate {
  const probeGroupFunctions = Object.values(config.groups).reduce((n, g) => n + g.regions.length, 0);
  return estimateMonthlyCost(costInputsFromFleet(config, { probeGroupFunctions, ...options }), measured);
}

const label = (i: CostItem) => (i.part ? `${i.service} ${i.part}` : i.service);
const usd = (value: number) => `$${value.toFixed(2)}`;

/** The largest lines that together make two thirds of the bill (at most three): what the total is mostly made of. */
function dominantItems(estimate: CostEstimate): CostItem[] {
  const sorted = estimate.items.filter((i) => i.monthlyUsd > 0).sort((a, b) => b.monthlyUsd - a.monthlyUsd);
  const out: CostItem[] = [];
  let sum = 0;
  for (const item of sorted) {
    if (out.length === 3 || sum >= (estimate.totalUsd * 2) / 3) break;
    out.push(item);
    sum += item.monthlyUsd;
  }
  return out;
}

/** One line: the total, per monitor, and what dominates, e.g. `$5.94 a month ($1.19 per monitor), mostly CloudWatch dashboard $3.00, KMS $1.00`. */
export function costSummary(estimate: CostEstimate): string {
  const most = dominantItems(estimate);
  const perMonitor = estimate.perMonitorUsd >= 0.1 ? usd(estimate.perMonitorUsd) : `$${estimate.perMonitorUsd.toFixed(4)}`;
  return `${usd(estimate.totalUsd)} a month (${perMonitor} per monitor), mostly ${most.map((i) => `${label(i)} ${usd(i.monthlyUsd)}`).join(', ')}`;
}
