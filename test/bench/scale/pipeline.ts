// Bench section "scale", part "pipeline": 100,000 monitors × 3 regions at 60 s through DynamoDB Local's real stream
// (--quick: 10,000). The aggregator section's pipeline (real table and stream, the real poller, the real aggregator and
// sweeper built through their handlers' public deps), with each region's round written by its probe shards, the real
// SNS publisher with its client mocked at the SDK (PublishCommand and PublishBatchCommand), and DynamoDB units counted
// per partition key. Runs alone too: `npx tsx test/bench/scale/pipeline.ts [--quick]`.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '../../../bin/local/dynamodb-local';
import { SnsPublisher } from '../../../functions/shared/adapters/publisher';
import { AGGREGATOR_STREAM } from '../../../functions/shared/deployment';
import { WRITE_CONCURRENCY } from '../../../functions/shared/evaluation/concurrency';
import { HISTORY_SHARDS } from '../../../functions/shared/domain/history';
import type { MeasuredFigures } from '../../../lib/pricing/measured';
import { itemBytes, type Counts, type WrittenItem } from '../aggregator/counting';
import { INTERVAL_SECONDS, openPipeline, REGIONS, type Invocation, type Pipeline } from '../aggregator/pipeline';
import type { BenchContext } from '../lib/section';
import { functionMemoryReport, measureFunctionMemory, type FunctionMemory } from './function-memory';
import { fmt } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';

/** The goals of issue #13 for this part. */
const GOALS = {
  aggregatorShare: 0.2,
  sweepMs: 10_000,
  itemBytes: 100_000,
  keyWcuPerSecond: 1000,
  keyRcuPerSecond: 3000,
} as const;

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:portquorum-bench-scale';
/**
 * The fleet, and how many of its monitors go down in the wide outage. Every DOWN is a conditional state write (with its
 * history, one transaction) in each of the failureThreshold rounds, and DynamoDB Local on these shared cores did about
 * 60 a second (10,000 monitors down: 167 s of aggregator time in the first outage round, 2026-12-03, load ~9): all
 * 100,000 would take about half an hour a round. So the outage takes down part of the fleet, measured, and the report
 * scales the state partition's load to the whole fleet in the model. `--down N` (the CLI) runs another size.
 */
const SIZES = { quick: { monitors: 10_000, down: 500 }, full: { monitors: 100_000, down: 2_000 } } as const;

export interface ScalePipelineOptions {
  /** @default 10,000 (quick) or 100,000 */
  monitors?: number;
  /** Monitors refused in the wide outage. @default 500 (quick) or 2,000 */
  down?: number;
}

export interface ScalePipelineReport {
  /** Markdown: `### ` sub-sections for the scale section's page. */
  markdown: string;
  /** The same for the terminal. */
  text: string;
  /** Goal lines: met, or the shortfall with what bounds it. */
  goals: string[];
  figures: Pick<MeasuredFigures, 'scalePipeline'>;
}

// --- The SNS client mocked at the SDK boundary: every entry counted by alertId#sequence, answered as delivered.

interface Publishes {
  /** Entries published (PublishCommand: one; PublishBatchCommand: each entry). */
  entries: number;
  /** SDK calls by command. */
  calls: Record<string, number>;
  byKey: Map<string, number>;
  byKind: Map<string, number>;
  /** Monitors with a DOWN alert of their own. */
  downMonitors: Set<string>;
  /** Incidents (one page for monitors down together, domain/incident.ts): the most monitors each said were down. */
  incidentDown: Map<string, number>;
  /** performance.now() of the last entry. */
  lastAt: number;
}

function mockedSns(): { client: SNSClient; publishes: Publishes } {
  const publishes: Publishes = { entries: 0, calls: {}, byKey: new Map(), byKind: new Map(), downMonitors: new Set(), incidentDown: new Map(), lastAt: 0 };
  const client = new SNSClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const record = (message: string | undefined): void => {
    const alert = JSON.parse(message ?? '{}') as { alertId?: string; sequence?: number; kind?: string; monitor?: { id: string }; incident?: { id: string; downCount: number } };
    if (alert.kind === 'DOWN' && alert.monitor) publishes.downMonitors.add(alert.monitor.id);
    if (alert.incident) publishes.incidentDown.set(alert.incident.id, Math.max(publishes.incidentDown.get(alert.incident.id) ?? 0, alert.incident.downCount));
    const key = `${alert.alertId}#${alert.sequence}`;
    publishes.entries += 1;
    publishes.byKey.set(key, (publishes.byKey.get(key) ?? 0) + 1);
    publishes.byKind.set(String(alert.kind), (publishes.byKind.get(String(alert.kind)) ?? 0) + 1);
    publishes.lastAt = performance.now();
  };
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const name = context.commandName ?? '?';
      publishes.calls[name] = (publishes.calls[name] ?? 0) + 1;
      const input = args.input as { Message?: string; PublishBatchRequestEntries?: PublishBatchRequestEntry[] };
      if (name === 'PublishCommand') {
        record(input.Message);
        return { output: { MessageId: `m-${publishes.entries}`, $metadata: {} }, response: {} } as never;
      }
      if (name === 'PublishBatchCommand') {
        const entries = input.PublishBatchRequestEntries ?? [];
        for (const entry of entries) record(entry.Message);
        return { output: { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [], $metadata: {} }, response: {} } as never;
      }
      throw new Error(`scale bench: unexpected SNS command ${name}`);
    },
    { step: 'initialize', name: 'portquorumBenchSnsMock' },
  );
  return { client, publishes };
}

// --- Memory: the bench process's peak RSS and heap while a phase runs, sampled every 20 ms.

const gc = (() => {
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
})();

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

class MemoryPeaks {
  rss = 0;
  heap = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    const sample = (): void => {
      const m = process.memoryUsage();
      this.rss = Math.max(this.rss, m.rss);
      this.heap = Math.max(this.heap, m.heapUsed);
    };
    sample();
    this.timer = setInterval(sample, 20);
  }

  stop(): void {
    clearInterval(this.timer);
    const m = process.memoryUsage();
    this.rss = Math.max(this.rss, m.rss);
    this.heap = Math.max(this.heap, m.heapUsed);
  }
}

// --- Per partition key.

/** Units each partition key took, every role together; the span from the first request to it to the last. */
interface KeyLoad {
  pk: string;
  writeUnits: number;
  readUnits: number;
  spanMs: number;
  /** The span its writes are modelled over: the span here, or AWS's (awsWriteSpanMs) when that is shorter. */
  writeSpanMs: number;
}

/**
 * State and history writes in flight at once (functions/shared/evaluation/concurrency.ts WRITE_CONCURRENCY) over a
 * DynamoDB write's latency in AWS (~10 ms, an assumption): how many write requests a second the aggregator can send.
 * DynamoDB Local here is far slower, which would spread a round's writes thin and understate the load on a key.
 */
const AWS_WRITES_PER_SECOND = WRITE_CONCURRENCY / 0.01;

/** How long a round's aggregator and sweeper writes would take in AWS at AWS_WRITES_PER_SECOND (at least 1 s). */
function awsWriteSpanMs(r: { counts: { aggregator: Counts }; sweepCounts: Counts }): number {
  return Math.max(1000, ((r.counts.aggregator.write.requests + r.sweepCounts.write.requests) / AWS_WRITES_PER_SECOND) * 1000);
}

function keyLoads(awsSpanMs: number, ...parts: Counts[]): KeyLoad[] {
  const merged = new Map<string, { writeUnits: number; readUnits: number; firstAt: number; lastAt: number }>();
  for (const counts of parts) {
    for (const [pk, k] of Object.entries(counts.byKey)) {
      const m = merged.get(pk);
      if (!m) merged.set(pk, { writeUnits: k.writeUnits, readUnits: k.readUnits, firstAt: k.firstAt, lastAt: k.lastAt });
      else {
        m.writeUnits += k.writeUnits;
        m.readUnits += k.readUnits;
        m.firstAt = Math.min(m.firstAt, k.firstAt);
        m.lastAt = Math.max(m.lastAt, k.lastAt);
      }
    }
  }
  return [...merged].map(([pk, m]) => ({ pk, writeUnits: m.writeUnits, readUnits: m.readUnits, spanMs: m.lastAt - m.firstAt, writeSpanMs: Math.min(m.lastAt - m.firstAt, awsSpanMs) }));
}

/**
 * Units per second a key takes in the model: its units over the time the round's requests to it took here, but never
 * over less than one second (DynamoDB meters a partition per second, and a round's writes arrive within seconds).
 */
const perSecond = (units: number, spanMs: number): number => units / Math.max(1, spanMs / 1000);

/**
 * A key's class for the tables: round partitions by region (instant left out), the rest by their first part
 * (`history#<day>#<k>` and `state#<k>` as `history#…` and `state#…`; the busiest key of a class is reported apart).
 */
function keyClass(pk: string): string {
  if (pk.startsWith('round#')) return pk.replace(/#\d+$/, '#<instant>');
  const parts = pk.split('#');
  return parts.length > 1 ? `${parts[0]}#…` : pk;
}

interface ClassLoad {
  cls: string;
  keys: number;
  writeUnits: number;
  readUnits: number;
  /** The busiest key of the class. */
  maxWrite: KeyLoad;
  maxRead: KeyLoad;
  maxWcuPerSecond: number;
  maxRcuPerSecond: number;
}

function byClass(loads: readonly KeyLoad[]): ClassLoad[] {
  const classes = new Map<string, ClassLoad>();
  for (const load of loads) {
    const cls = keyClass(load.pk);
    const c = classes.get(cls) ?? { cls, keys: 0, writeUnits: 0, readUnits: 0, maxWrite: load, maxRead: load, maxWcuPerSecond: 0, maxRcuPerSecond: 0 };
    c.keys += 1;
    c.writeUnits += load.writeUnits;
    c.readUnits += load.readUnits;
    if (load.writeUnits > c.maxWrite.writeUnits) c.maxWrite = load;
    if (load.readUnits > c.maxRead.readUnits) c.maxRead = load;
    c.maxWcuPerSecond = Math.max(c.maxWcuPerSecond, perSecond(load.writeUnits, load.writeSpanMs));
    c.maxRcuPerSecond = Math.max(c.maxRcuPerSecond, perSecond(load.readUnits, load.spanMs));
    classes.set(cls, c);
  }
  return [...classes.values()].sort((a, b) => b.writeUnits + b.readUnits - (a.writeUnits + a.readUnits));
}

// --- Largest items, by kind.

type ItemKind = 'round item' | 'state item' | 'fleet item' | 'generation item' | 'incident book' | 'history item' | 'other';

function itemKind(pk: string, sk: string): ItemKind {
  if (pk.startsWith('round#')) return 'round item';
  if (sk === 'generation') return 'generation item';
  if (sk === 'fleet') return 'fleet item';
  if (sk === 'incidents' || sk.startsWith('incidents#')) return 'incident book';
  if (pk.startsWith('state') && sk.startsWith('monitor#')) return 'state item';
  if (pk.startsWith('history')) return 'history item';
  return 'other';
}

class LargestItems {
  readonly byKind = new Map<ItemKind, { bytes: number; key: string; items: number; how: string }>();

  see(item: { pk: string; sk: string; bytes: number; command: string }): void {
    const kind = itemKind(item.pk, item.sk);
    const seen = this.byKind.get(kind);
    if (!seen) this.byKind.set(kind, { bytes: item.bytes, key: `${item.pk} / ${item.sk}`, items: 1, how: item.command });
    else {
      seen.items += 1;
      if (item.bytes > seen.bytes) Object.assign(seen, { bytes: item.bytes, key: `${item.pk} / ${item.sk}`, how: item.command });
    }
  }
}

// --- One measured round.

interface RoundMeasure {
  round: number;
  outcome: 'up' | 'refused';
  invocations: Invocation[];
  /** Handler wall time summed over the round's invocations. */
  handlerMs: number;
  /** From the first round item write to the end of the last invocation. */
  elapsedMs: number;
  /** From the first round item write to the last SNS entry (0: nothing published). */
  toLastPublishMs: number;
  sweepMs: number;
  counts: ReturnType<Pipeline['take']>;
  sweepCounts: Counts;
  alerts: number;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} KB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
const mb = (bytes: number): string => `${int(bytes / 2 ** 20)} MiB`;
const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

export async function measureScalePipeline(ctx: BenchContext, options: ScalePipelineOptions = {}): Promise<ScalePipelineReport> {
  const size = ctx.quick ? SIZES.quick : SIZES.full;
  const monitors = options.monitors ?? size.monitors;
  const down = Math.min(monitors, options.down ?? size.down);
  const t0 = performance.now();
  const local = await startDynamoDbLocal();
  ctx.log(`scale pipeline: DynamoDB Local answered after ${sec(performance.now() - t0)} (load ${load()})`);
  const { client: sns, publishes } = mockedSns();
  const largest = new LargestItems();
  const loads: string[] = [];
  const noteLoad = (what: string): void => {
    loads.push(`${what}: ${load()}`);
  };
  try {
    const openedAt = performance.now();
    const pipeline = await openPipeline(local, monitors, {
      probeShards: true,
      publisher: new SnsPublisher(sns, TOPIC),
      onWrite: (item: WrittenItem) => largest.see(item),
      // A wide outage's round writes every monitor's state on DynamoDB Local, which takes minutes at this size.
      drainTimeoutMs: 30 * 60_000,
    });
    try {
      const openMs = performance.now() - openedAt;
      ctx.log(`scale pipeline: ${int(monitors)} monitors × ${REGIONS.length} regions, ${pipeline.probeShards} probe shards a region; warming up (load ${load()})`);
      const warmStarted = performance.now();
      const warm = await pipeline.warmUp();
      const warmMs = performance.now() - warmStarted;
      noteLoad('after the warm-up');
      ctx.log(`scale pipeline: warm-up (round items, ${int(warm.states)} states seeded, first sweep) took ${sec(warmMs)} (load ${load()})`);
      const shape = pipeline.shape();

      const streams = new DynamoDBStreamsClient({ endpoint: local.endpoint, region: pipeline.fleet.homeRegion, credentials: LOCAL_CREDENTIALS });
      const stream = await streams.send(new DescribeStreamCommand({ StreamArn: pipeline.streamArn }));
      streams.destroy();
      const streamShards = stream.StreamDescription?.Shards?.length ?? 0;

      const aggregatorMemory = new MemoryPeaks();
      const sweeperMemory = new MemoryPeaks();
      const heapBefore = heapAfterGc();
      let round = pipeline.firstMeasuredRound;

      const measureRound = async (outcome: 'up' | 'refused'): Promise<RoundMeasure> => {
        pipeline.setOutcome(outcome, down < monitors ? down : undefined);
        const alertsBefore = publishes.entries;
        const lastPublishBefore = publishes.lastAt;
        pipeline.take();
        aggregatorMemory.start();
        const started = performance.now();
        const progress = setInterval(() => {
          ctx.log(`scale pipeline: round ${round} (${outcome}) running for ${sec(performance.now() - started)}: ${pipeline.invocations.length} invocations so far, ${int(publishes.entries - alertsBefore)} alert(s) (load ${load()})`);
        }, 30_000);
        const saturated = await pipeline.saturated(round, 1).finally(() => clearInterval(progress));
        aggregatorMemory.stop();
        const counts = pipeline.take();
        sweeperMemory.start();
        const sweepMs = await pipeline.sweep(round);
        sweeperMemory.stop();
        const sweepCounts = pipeline.take().sweeper;
        const handlerMs = saturated.invocations.reduce((sum, inv) => sum + inv.ms, 0);
        const result: RoundMeasure = {
          round, outcome, invocations: saturated.invocations, handlerMs, elapsedMs: saturated.wallMs,
          toLastPublishMs: publishes.lastAt > lastPublishBefore ? publishes.lastAt - started : 0,
          sweepMs, counts, sweepCounts, alerts: publishes.entries - alertsBefore,
        };
        ctx.log(`scale pipeline: round ${round} (${outcome}): ${saturated.invocations.length} invocation(s), handler ${sec(handlerMs)}, sweep ${sec(sweepMs)}, ${int(result.alerts)} alert(s) (load ${load()})`);
        round += 1;
        return result;
      };

      // The first measured round reads every state into the aggregator's cache; the second is the steady round.
      const cold = await measureRound('up');
      const steady = await measureRound('up');
      const heapAfter = heapAfterGc();
      noteLoad('after the steady rounds');
      const bytesPerState = (heapAfter - heapBefore) / monitors;

      // The wide outage: `down` monitors refused in every region until the quorum's failureThreshold rounds are reached.
      const threshold = Math.max(...pipeline.fleet.monitors.map((m) => m.failureThreshold));
      const outage: RoundMeasure[] = [];
      for (let i = 0; i < threshold; i += 1) outage.push(await measureRound('refused'));
      noteLoad('after the wide outage');
      const doubled = [...publishes.byKey.values()].filter((n) => n > 1).length;

      // Items only ever updated in place (the generation) are sized as stored, by the admin client (not counted).
      const admin = local.client(pipeline.fleet.homeRegion);
      for (const sk of ['generation', 'fleet', 'incidents']) {
        const got = await admin.send(new GetItemCommand({ TableName: pipeline.tableName, Key: marshall({ pk: 'state', sk }), ConsistentRead: true }));
        if (got.Item) largest.see({ pk: 'state', sk, bytes: itemBytes(got.Item as Record<string, AttributeValue>), command: 'stored' });
      }
      admin.destroy();

      // Memory by function: each function in a process of its own for a few more rounds (every monitor up again).
      const functionMemory = await measureFunctionMemory(ctx, local, pipeline, round);
      noteLoad('after the function children');

      return report({
        quick: ctx.quick, monitors, down, pipeline, shape, streamShards, openMs, warmMs, seeded: warm.states, seedWrites: warm.seedWrites,
        cold, steady, outage, doubled, publishes, largest, aggregatorMemory, sweeperMemory, bytesPerState, heapAfter, loads, functionMemory,
      });
    } finally {
      await pipeline.close();
    }
  } finally {
    sns.destroy();
    await local.stop();
  }
}

interface Measured {
  quick: boolean;
  monitors: number;
  down: number;
  pipeline: Pipeline;
  shape: ReturnType<Pipeline['shape']>;
  streamShards: number;
  openMs: number;
  warmMs: number;
  seeded: number;
  seedWrites: Counts;
  cold: RoundMeasure;
  steady: RoundMeasure;
  outage: RoundMeasure[];
  doubled: number;
  publishes: Publishes;
  largest: LargestItems;
  aggregatorMemory: MemoryPeaks;
  sweeperMemory: MemoryPeaks;
  bytesPerState: number;
  heapAfter: number;
  loads: string[];
  functionMemory: FunctionMemory[];
}

function roundUnits(r: RoundMeasure): { write: number; read: number } {
  const parts = [r.counts.probes, r.counts.aggregator, r.sweepCounts];
  return { write: parts.reduce((s, c) => s + c.write.units, 0), read: parts.reduce((s, c) => s + c.read.units, 0) };
}

function report(m: Measured): ScalePipelineReport {
  const { monitors, steady, cold, outage } = m;
  const wide = outage[outage.length - 1]!;
  const regions = REGIONS.length;
  // Items a round (a probe shard's round is split into items of at most 64 KB of results, so some shards write two).
  const roundItems = m.shape.shardsPerRegion * regions;
  const share = steady.handlerMs / (INTERVAL_SECONDS * 1000);
  const steadyLoads = keyLoads(awsWriteSpanMs(steady), steady.counts.probes, steady.counts.aggregator, steady.sweepCounts);
  const wideLoads = keyLoads(awsWriteSpanMs(wide), wide.counts.probes, wide.counts.aggregator, wide.sweepCounts);
  const steadyClasses = byClass(steadyLoads);
  const wideClasses = byClass(wideLoads);
  const largestItem = Math.max(...[...m.largest.byKind.values()].map((v) => v.bytes));
  const maxWcu = (loads: KeyLoad[]) => loads.reduce((best, l) => (perSecond(l.writeUnits, l.writeSpanMs) > perSecond(best.writeUnits, best.writeSpanMs) ? l : best), loads[0]!);
  const maxRcu = (loads: KeyLoad[]) => loads.reduce((best, l) => (perSecond(l.readUnits, l.spanMs) > perSecond(best.readUnits, best.spanMs) ? l : best), loads[0]!);
  // A partial outage's state and history writes scaled to the whole fleet down (round items do not grow with it).
  const scale = monitors / m.down;
  const wideAws = awsWriteSpanMs(wide);
  const wholeFleetLoads = m.down >= monitors ? wideLoads : wideLoads.map((l) => (l.pk.startsWith('round#') ? l : {
    ...l, pk: `${l.pk} (all ${int(monitors)} down, scaled ${scale.toFixed(0)}×)`, writeUnits: l.writeUnits * scale, spanMs: l.spanMs * scale,
    writeSpanMs: Math.min(l.spanMs * scale, Math.max(1000, wideAws === 1000 ? ((wide.counts.aggregator.write.requests + wide.sweepCounts.write.requests) * scale * 1000) / AWS_WRITES_PER_SECOND : wideAws * scale)),
  }));
  const hotWrite = maxWcu([...steadyLoads, ...wholeFleetLoads]);
  const hotRead = maxRcu([...steadyLoads, ...wideLoads]);
  const hotWcu = perSecond(hotWrite.writeUnits, hotWrite.writeSpanMs);
  const hotRcu = perSecond(hotRead.readUnits, hotRead.spanMs);
  const roundKeysPerRound = new Set(steadyLoads.filter((l) => l.pk.startsWith('round#') && l.writeUnits > 0).map((l) => l.pk)).size;
  const probeWritesPerRoundKey = steadyLoads.filter((l) => l.pk.startsWith('round#') && l.writeUnits > 0).map((l) => l.writeUnits);
  const stateReadsSweep = m.steady.sweepCounts.byTarget['Query state'];
  const sweepUnits = m.steady.sweepCounts.read.units;
  const aggregatorPeakRss = m.aggregatorMemory.rss;
  const sweeperPeakRss = m.sweeperMemory.rss;

  const memory = functionMemoryReport(m.functionMemory);

  // --- Goals.
  const goals: string[] = [];
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  goals.push(`Aggregator time per round ≤ ${GOALS.aggregatorShare * 100} % of the ${INTERVAL_SECONDS} s interval: ${met(share <= GOALS.aggregatorShare)} — ` +
    `${(share * 100).toFixed(1)} % (${sec(steady.handlerMs)} of handler time over ${steady.invocations.length} invocation(s) for ${roundItems} round items, steady round, states cached; ` +
    `the round that reads every state: ${sec(cold.handlerMs)}, ${((cold.handlerMs / (INTERVAL_SECONDS * 1000)) * 100).toFixed(1)} %)` +
    (share <= GOALS.aggregatorShare ? '.' : `; bound by each invocation reading every region's round partitions for the verdict window (${int(steady.counts.aggregator.byTarget['Query round']?.units ?? 0)} read units of round items a round) and evaluating the batch's monitors.`));
  goals.push(`Sweeper pass ≤ ${sec(GOALS.sweepMs)}: ${met(steady.sweepMs <= GOALS.sweepMs)} — ${sec(steady.sweepMs)} steady, ${sec(wide.sweepMs)} after the wide-outage round` +
    (steady.sweepMs <= GOALS.sweepMs && wide.sweepMs <= GOALS.sweepMs ? '.' : `; bound by evaluating every one of the ${int(monitors)} monitors at its closed round each sweep (the round items of the verdict window read and decoded; ` +
      `${int(stateReadsSweep?.requests ?? 0)} Query pages, ${fmt(stateReadsSweep?.units ?? 0)} read units of state partitions: the rest of the states came from its cache); ` +
      `the sweep deadline (35 s of evaluation) carries what is left to the next sweep.`));
  goals.push(`Largest item ≤ ${kb(GOALS.itemBytes)}: ${met(largestItem <= GOALS.itemBytes)} — ${kb(largestItem)} (${[...m.largest.byKind].sort((a, b) => b[1].bytes - a[1].bytes)[0]?.[0] ?? '?'}).`);
  const wideWrites = [...wideLoads].sort((a, b) => b.writeUnits - a.writeUnits).filter((l) => l.writeUnits > 0).slice(0, 2);
  const wholeFleet = wideWrites.map((l) => `${l.pk} ~${int(l.writeUnits * scale)} WCU, ≥ ${sec(((l.writeUnits * scale) / GOALS.keyWcuPerSecond) * 1000)} at 1,000 WCU/s`).join('; ');
  goals.push(`No partition key over ${int(GOALS.keyWcuPerSecond)} WCU/s: ${met(hotWcu <= GOALS.keyWcuPerSecond)} — busiest ${hotWrite.pk}: ${int(hotWrite.writeUnits)} write units in a round, ` +
    `over ${sec(hotWrite.writeSpanMs)} (the shorter of ${sec(hotWrite.spanMs)} here and the round's writes at ${int(AWS_WRITES_PER_SECOND)} requests/s in AWS, at least 1 s): ${int(hotWcu)} WCU/s in the model` +
    (hotWcu <= GOALS.keyWcuPerSecond ? '.' : `; bound by one partition taking every ${hotWrite.pk.startsWith('round#') ? 'probe shard\'s round items of a region' : hotWrite.pk.startsWith('history') ? `history event of its day and history shard (domain/history.ts: ${HISTORY_SHARDS} keys a day)` : 'monitor state write (store.ts: one state partition)'}: at 1,000 WCU/s it needs ≥ ${sec((hotWrite.writeUnits / GOALS.keyWcuPerSecond) * 1000)}.`) +
    (m.down < monitors ? ` The wide outage here took ${int(m.down)} of ${int(monitors)} monitors down; all ${int(monitors)} would write ${scale.toFixed(0)}× as much into the same keys: ${wholeFleet}.` : ''));
  goals.push(`No partition key over ${int(GOALS.keyRcuPerSecond)} RCU/s: ${met(hotRcu <= GOALS.keyRcuPerSecond)} — busiest ${hotRead.pk}: ${int(hotRead.readUnits)} read units in a round over ${sec(hotRead.spanMs)} here (at least 1 s): ${int(hotRcu)} RCU/s in the model` +
    (hotRcu <= GOALS.keyRcuPerSecond ? '' : `; bound by ${hotRead.pk.startsWith('round#') ? 'every invocation re-reading the round partition (strongly consistent) for its verdict window' : 'a pass reading the whole partition'}`) +
    `; at 3,000 RCU/s it needs ≥ ${sec((hotRead.readUnits / GOALS.keyRcuPerSecond) * 1000)}, so it stays within the limit only if AWS spreads those reads over at least that long.`);
  const covered = m.publishes.downMonitors.size + [...m.publishes.incidentDown.values()].reduce((a, b) => a + b, 0);
  const kinds = [...m.publishes.byKind].map(([k, n]) => `${k} ${int(n)}`).join(', ') || 'none';
  goals.push(`Wide outage (${m.down < monitors ? `${int(m.down)} of ${int(monitors)}` : `all ${int(monitors)}`} monitors refused in every region, DOWN after ${outage.length} rounds): ` +
    `${sec(wide.toLastPublishMs)} from the first round item write to the last publish (aggregator handler ${sec(wide.handlerMs)}, ${((wide.handlerMs / (INTERVAL_SECONDS * 1000)) * 100).toFixed(0)} % of the interval); ` +
    `alerts ${kinds} covering ${int(covered)} monitor(s) (own DOWN or an incident's down count), ${m.doubled} doubled (by alertId#sequence)` +
    (covered >= m.down && m.doubled === 0 ? '.' : ' — NOT every monitor paged exactly once.') +
    (m.down < monitors ? ` Not run with all ${int(monitors)} down: every DOWN is a conditional state write with its history (a transaction), ${int(wide.counts.aggregator.write.requests)} write requests in this round besides its reads; ` +
      `all ${int(monitors)} would take up to ~${sec(wide.handlerMs * scale)} of aggregator time here (the round's time × ${scale.toFixed(0)}, an upper bound: the round reads do not grow), bound by those writes (and in AWS by the state and history partitions: ${wholeFleet}).` : ''));

  const fits = m.functionMemory.every((f) => f.memory && f.memory.peakRss <= f.memoryMb * 2 ** 20);
  goals.push(`Every function within its memory setting at ${int(monitors)} monitors (peak RSS of its own process): ${met(fits)} — ${memory.lines.join('; ')}.`);

  // --- Tables.
  const summary: Table = {
    header: ['figure', 'measured', 'goal'],
    rows: [
      ['monitors × regions, interval', `${int(monitors)} × ${regions}, ${INTERVAL_SECONDS} s`, ''],
      ['probe shards a region (monitorsPerProbe default)', `${m.pipeline.probeShards} (${int(Math.ceil(monitors / m.pipeline.probeShards))} monitors each)`, ''],
      ['round items a round (all shards, all regions)', `${int(roundItems)}`, ''],
      ['aggregator handler time a round, steady (states cached)', `${sec(steady.handlerMs)} = ${(share * 100).toFixed(1)} % of ${INTERVAL_SECONDS} s (${steady.invocations.length} invocations; first write → last invocation ${sec(steady.elapsedMs)})`, `≤ ${GOALS.aggregatorShare * 100} %`],
      ['aggregator handler time, round that reads every state', `${sec(cold.handlerMs)} = ${((cold.handlerMs / 60_000) * 100).toFixed(1)} % (${cold.invocations.length} invocations)`, ''],
      ['sweeper pass, steady / after the wide outage', `${sec(steady.sweepMs)} / ${sec(wide.sweepMs)}`, `≤ ${sec(GOALS.sweepMs)}`],
      ['largest item written', kb(largestItem), `≤ ${kb(GOALS.itemBytes)}`],
      ['write / read units a steady round (probes + aggregator + sweep)', `${fmt(roundUnits(steady).write)} / ${fmt(roundUnits(steady).read)}`, ''],
      ['write / read units, the wide-outage round', `${fmt(roundUnits(wide).write)} / ${fmt(roundUnits(wide).read)}`, ''],
      ['busiest key, WCU/s in the model', `${int(hotWcu)} (${hotWrite.pk})`, `≤ ${int(GOALS.keyWcuPerSecond)}`],
      ['busiest key, RCU/s in the model', `${int(hotRcu)} (${hotRead.pk})`, `≤ ${int(GOALS.keyRcuPerSecond)}`],
      [`wide outage (${int(m.down)} down): first write → last publish`, `${sec(wide.toLastPublishMs)}; alerts ${kinds}, ${int(covered)} monitors covered, ${m.doubled} doubled; SNS calls ${Object.entries(m.publishes.calls).map(([c, n]) => `${c} ${int(n)}`).join(', ')}`, 'every monitor once'],
      ['peak RSS / heap of the bench process (harness, DynamoDB clients, aggregator and sweeper together), aggregator rounds', `${mb(aggregatorPeakRss)} / ${mb(m.aggregatorMemory.heap)}`, ''],
      ['the same, sweeper passes', `${mb(sweeperPeakRss)} / ${mb(m.sweeperMemory.heap)}`, ''],
      ...m.functionMemory.map((f): string[] => [`peak RSS of the ${f.kind} in its own process (memory by function, below)`, f.memory ? mb(f.memory.peakRss) : 'not measured', `≤ ${f.memoryMb} MB`]),
      ['state per monitor in the aggregator\'s memory (heap growth ÷ monitors, after GC)', `${int(m.bytesPerState)} bytes`, ''],
      ['seeding: warm-up rounds, states, first sweep', `${sec(m.warmMs)} (${int(m.seeded)} states, ${int(m.seedWrites.write.requests)} BatchWriteItem, ${fmt(m.seedWrites.write.units)} units); fleet and table ${sec(m.openMs)}`, ''],
      ['DynamoDB Local stream shards', `${m.streamShards}`, ''],
    ],
  };
  const keyTable = (classes: ClassLoad[]): Table => ({
    header: ['partition key', 'keys', 'write units', 'read units', 'busiest key: write units (WCU/s)', 'busiest key: read units (RCU/s)'],
    rows: classes.map((c) => [
      c.cls, int(c.keys), fmt(c.writeUnits), fmt(c.readUnits),
      `${fmt(c.maxWrite.writeUnits)} (${int(c.maxWcuPerSecond)})`, `${fmt(c.maxRead.readUnits)} (${int(c.maxRcuPerSecond)})`,
    ]),
  });
  const itemsTable: Table = {
    header: ['item', 'largest (bytes)', 'key', 'written by', 'items written'],
    rows: [...m.largest.byKind].sort((a, b) => b[1].bytes - a[1].bytes).map(([kind, v]) => [kind, int(v.bytes), v.key, v.how, int(v.items)]),
  };
  const outageTable: Table = {
    header: ['round', 'invocations', 'handler time', 'first write → last invocation', 'first write → last publish', 'alerts', 'aggregator writes (requests / units)', 'state key write units', 'sweep'],
    rows: [cold, steady, ...outage].map((r, i) => {
      const state = keyLoads(Infinity, r.counts.aggregator, r.sweepCounts).filter((l) => l.pk.startsWith('state')).reduce((s, l) => s + l.writeUnits, 0);
      const label = i === 0 ? 'up (reads every state)' : i === 1 ? 'up (steady)' : `refused ${i - 1}/${outage.length}`;
      return [label, int(r.invocations.length), sec(r.handlerMs), sec(r.elapsedMs), r.toLastPublishMs ? sec(r.toLastPublishMs) : '—', int(r.alerts),
        `${int(r.counts.aggregator.write.requests)} / ${fmt(r.counts.aggregator.write.units)}`, fmt(state), sec(r.sweepMs)];
    }),
  };

  // --- Stream parallelism, modelled.
  const perKeyProbeUnits = probeWritesPerRoundKey.length ? Math.max(...probeWritesPerRoundKey) : 0;
  const recordsPerInvocation = steady.invocations.map((i) => i.records);
  const streamNotes = [
    `DynamoDB Local gave ${m.streamShards} stream shard(s) for the table. A round writes ${int(roundItems)} round items into ${roundKeysPerRound} distinct partition keys`,
    `(one per region: \`round#<region>#-#<instant>\`, the ${m.pipeline.probeShards} probe shards' items under sort keys \`<shard>.<item>\`), ${int(perKeyProbeUnits)} write units per key a round.`,
    `In AWS a stream shard follows a table partition; ${roundKeysPerRound} keys of ${int(perKeyProbeUnits)} WCU each fit in one partition's 1,000 WCU/s, so a round's items may all land in one stream shard.`,
    `Lambda's parallelizationFactor keeps records of one partition key in order in one batch stream, so at most ${roundKeysPerRound} of a round's batches (one per region) can run at once whatever the factor above ${roundKeysPerRound}.`,
    `Measured here (batch size ${AGGREGATOR_STREAM.batchSize}, parallelization ${AGGREGATOR_STREAM.parallelizationFactor}): ${steady.invocations.length} invocations a steady round of ${recordsPerInvocation.join(', ')} records, handler ${sec(steady.handlerMs)} in all.`,
  ];

  const markdown = [
    `### ${int(monitors)} monitors × ${regions} regions through DynamoDB Local's real stream`,
    '',
    `Each region's round written by its ${m.pipeline.probeShards} probe shards (${int(Math.ceil(monitors / m.pipeline.probeShards))} monitors each, default monitorsPerProbe) at once, read from the table's real stream by the local poller`,
    'and handed to the real aggregator; then the real sweeper. SNS mocked at the SDK (PublishCommand and PublishBatchCommand entries counted by alertId#sequence).',
    'DynamoDB units as DynamoDB Local reports them, per partition key (units of a request touching several keys shared by item size). A key\'s rate in the',
    'model: its units over the time its requests took here, never over less than 1 s. Timings are DynamoDB Local\'s (a JVM on the same shared cores).',
    `Load average: ${m.loads.join('; ')}.`,
    '',
    markdownTable(summary),
    '',
    '**Goals**',
    '',
    ...goals.map((g) => `- ${g}`),
    '',
    '**Rounds** (the steady rounds, then the wide outage: every monitor refused in every region until the failure threshold)',
    '',
    markdownTable(outageTable),
    '',
    '**Units per partition key, steady round**',
    '',
    markdownTable(keyTable(steadyClasses)),
    '',
    '**Units per partition key, the wide-outage round** (the DOWN transitions)',
    '',
    markdownTable(keyTable(wideClasses)),
    '',
    '**Largest items written**',
    '',
    markdownTable(itemsTable),
    '',
    memory.markdown,
    '**Stream shards**',
    '',
    ...streamNotes,
    '',
  ].join('\n');
  const text = [
    `Scale: ${int(monitors)} monitors × ${regions} regions through DynamoDB Local's real stream`,
    textTable(summary),
    '',
    ...goals.map((g) => `- ${g}`),
    '',
    'Rounds',
    textTable(outageTable),
    '',
    'Units per partition key, steady round',
    textTable(keyTable(steadyClasses)),
    '',
    'Units per partition key, wide-outage round',
    textTable(keyTable(wideClasses)),
    '',
    'Largest items written',
    textTable(itemsTable),
    '',
    memory.text,
    ...streamNotes.map((l) => l.replace(/`/g, '')),
    `Load average: ${m.loads.join('; ')}`,
  ].join('\n');

  const round2 = (n: number) => Math.round(n * 100) / 100;
  const figures: Pick<MeasuredFigures, 'scalePipeline'> = {
    scalePipeline: {
      monitors, regions, intervalSeconds: INTERVAL_SECONDS, probeShardsPerRegion: m.pipeline.probeShards,
      aggregatorMsPerRound: Math.round(steady.handlerMs),
      aggregatorShareOfInterval: round2(share),
      sweepMs: Math.round(steady.sweepMs),
      largestItemBytes: largestItem,
      writeUnitsPerRound: round2(roundUnits(steady).write),
      readUnitsPerRound: round2(roundUnits(steady).read),
      maxKeyWcuPerSecond: Math.round(hotWcu),
      maxKeyRcuPerSecond: Math.round(hotRcu),
      wideOutage: {
        msToLastPublish: Math.round(wide.toLastPublishMs),
        monitorsDown: m.down,
        alerts: m.publishes.entries,
        monitorsCovered: covered,
        doubled: m.doubled,
        writeUnits: round2(roundUnits(wide).write),
      },
      peakRssBytes: Math.max(aggregatorPeakRss, sweeperPeakRss),
      stateBytesPerMonitor: Math.round(m.bytesPerState),
      functionMemory: m.functionMemory.filter((f) => f.memory).map((f) => ({ kind: f.kind, memoryMb: f.memoryMb, peakRssBytes: f.memory!.peakRss })),
    },
  };
  return { markdown, text, goals, figures };
}


// `npx tsx test/bench/scale/pipeline.ts [--quick] [--monitors N] [--down N]`: this part alone, its tables and figures on
// stdout (nothing written to docs/).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const number = (flag: string): number | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a whole number of monitors, not ${JSON.stringify(argv[i + 1])}`);
    return n;
  };
  const unknown = argv.filter((a, i) => !['--quick', '--monitors', '--down'].includes(a) && !['--monitors', '--down'].includes(argv[i - 1] ?? ''));
  if (unknown.length > 0) throw new Error(`usage: npx tsx test/bench/scale/pipeline.ts [--quick] [--monitors N] [--down N] (unknown: ${unknown.join(' ')})`);
  const options: ScalePipelineOptions = {};
  const monitors = number('--monitors');
  const down = number('--down');
  if (monitors !== undefined) options.monitors = monitors;
  if (down !== undefined) options.down = down;
  const t0 = performance.now();
  measureScalePipeline({ quick, log: (line) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}\n`) }, options).then(
    (r) => {
      console.log(r.text);
      console.log(`\n${JSON.stringify(r.figures, null, 2)}`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
