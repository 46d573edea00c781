// Bench section "scale", part "memory by function": each deployed function's own peak memory at the fleet's size, in a
// process of its own (function-child.ts, bundled as the functions are, its heap limited to the function's memorySize),
// compared with the memorySize it deploys with. The aggregator and sweeper children take over from the scale pipeline's
// in-process ones for a few rounds (starting cold: the first round reads every state, as a new container does); the
// probe child runs one probe shard's invocations against loopback targets, writing to a table of its own.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { createTables, type DynamoDbLocal } from '../../../bin/local/dynamodb-local';
import { FUNCTION_MEMORY_MB } from '../../../functions/shared/deployment';
import { startTargets } from '../capacity';
import { REGIONS } from '../aggregator/fleet';
import type { Pipeline } from '../aggregator/pipeline';
import type { BenchContext } from '../lib/section';
import { markdownTable, textTable, type Table } from '../lib/table';
import type { ChildInit, ChildMemory, ChildReply, ChildRequest, FunctionKind } from './function-child';

type ChildAnswer = Extract<ChildReply, { ok: true }>;

const CHILD_SOURCE = fileURLToPath(new URL('./function-child.ts', import.meta.url));
/** A child's request that takes longer is a failure (the deployed functions time out at 60 s; DynamoDB Local is slower). */
const REQUEST_TIMEOUT_MS = 15 * 60_000;
/** Rounds the aggregator and sweeper children run: the first reads every state (cold), the rest are warm. */
const CHILD_ROUNDS = 2;
/** Probe invocations in one warm probe child (the first builds its shard and writes every view). */
const PROBE_INVOCATIONS = 2;

export interface FunctionMemory {
  kind: FunctionKind;
  memoryMb: number;
  /** What it ran: rounds, monitors. */
  work: string;
  /** undefined: the child failed (see `failure`). */
  memory?: ChildMemory;
  failure?: string;
  /** Handler time of each request, ms. */
  ms: number[];
}

/** A function's child process: requests answered in order over IPC. */
class FunctionChild {
  private readonly child: ChildProcess;
  private readonly exited: Promise<string>;

  private constructor(bundle: string, init: ChildInit, memoryMb: number) {
    this.child = fork(bundle, [JSON.stringify(init)], {
      execArgv: [`--max-old-space-size=${memoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // A send to a child that died (e.g. out of its heap) fails the channel: the exit says why (next() rejects with it).
    this.child.on('error', () => undefined);
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(`the ${init.kind} child exited (${signal ?? code})${/heap out of memory|Allocation failed/i.test(stderr) ? `: out of its ${memoryMb} MB heap` : ''}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`)));
  }

  static async start(bundle: string, init: ChildInit, memoryMb: number): Promise<FunctionChild> {
    const child = new FunctionChild(bundle, init, memoryMb);
    await child.next();
    return child;
  }

  /** The next reply (or the exit, as an error). */
  private next(): Promise<ChildAnswer> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<ChildReply>((resolve) => this.child.once('message', (m) => resolve(m as ChildReply))),
      this.exited.then((why) => Promise.reject(new Error(why))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer)).then((reply) => {
      if (!reply.ok) throw new Error(reply.error);
      return reply;
    });
  }

  async request(request: ChildRequest): Promise<ChildAnswer> {
    const reply = this.next();
    if (this.child.connected) this.child.send(request, () => undefined);
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function bundleChild(dir: string): Promise<string> {
  const outfile = join(dir, 'function-child.mjs');
  await build({
    entryPoints: [CHILD_SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning', mainFields: ['module', 'main'],
    banner: { js: "import{createRequire as __pqRequire}from'node:module';const require=__pqRequire(import.meta.url);" },
  });
  return outfile;
}

/**
 * The aggregator and sweeper at the pipeline's size: children take over `CHILD_ROUNDS` rounds from `fromRound` (every
 * monitor up), then hand back to the in-process functions; then one probe shard's child. Returns what each peaked at.
 */
export async function measureFunctionMemory(ctx: BenchContext, local: DynamoDbLocal, pipeline: Pipeline, fromRound: number): Promise<FunctionMemory[]> {
  const dir = mkdtempSync(join(tmpdir(), 'portquorum-bench-memory-'));
  const results: FunctionMemory[] = [];
  try {
    const bundle = await bundleChild(dir);
    const base = { monitors: pipeline.monitors, endpoint: local.endpoint, region: pipeline.fleet.homeRegion };
    const home = { ...base, tableName: pipeline.tableName };
    const aggregator: FunctionMemory = { kind: 'aggregator', memoryMb: FUNCTION_MEMORY_MB.aggregate, work: '', ms: [] };
    const sweeper: FunctionMemory = { kind: 'sweeper', memoryMb: FUNCTION_MEMORY_MB.sweeper, work: '', ms: [] };
    results.push(aggregator, sweeper);
    const children: Partial<Record<FunctionKind, FunctionChild>> = {};
    try {
      children.aggregator = await FunctionChild.start(bundle, { kind: 'aggregator', ...home }, aggregator.memoryMb);
      children.sweeper = await FunctionChild.start(bundle, { kind: 'sweeper', ...home }, sweeper.memoryMb);
      const { aggregator: a, sweeper: s } = children;
      pipeline.useFunctions({
        aggregate: async (event, now) => {
          const reply = await a.request({ type: 'aggregate', event, now });
          aggregator.ms.push(reply.ms ?? 0);
          return { batchItemFailures: [] };
        },
        sweep: async (now) => {
          const reply = await s.request({ type: 'sweep', now });
          sweeper.ms.push(reply.ms ?? 0);
        },
      });
      for (let round = fromRound; round < fromRound + CHILD_ROUNDS; round += 1) {
        pipeline.setOutcome('up');
        await pipeline.saturated(round, 1);
        await pipeline.sweep(round);
        ctx.log(`scale memory: round ${round} in the function children: aggregator ${aggregator.ms.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}; sweeper ${sweeper.ms.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`);
      }
      aggregator.work = `${CHILD_ROUNDS} rounds of ${pipeline.monitors.toLocaleString('en-US')} monitors × ${REGIONS.length} regions (${aggregator.ms.length} invocations), the first reading every state`;
      sweeper.work = `${CHILD_ROUNDS} sweeps of ${pipeline.monitors.toLocaleString('en-US')} monitors, the first reading every state`;
      aggregator.memory = (await a.request({ type: 'report' })).memory;
      sweeper.memory = (await s.request({ type: 'report' })).memory;
    } catch (error) {
      for (const r of [aggregator, sweeper]) if (!r.memory) r.failure = (error as Error).message;
      ctx.log(`scale memory: the home functions' children failed: ${(error as Error).message}`);
    } finally {
      pipeline.useFunctions(undefined);
      await children.aggregator?.stop();
      await children.sweeper?.stop();
    }
    results.push(await measureProbeShard(ctx, bundle, local, base));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** Shard 0 of the first region's probe function (the fleet's monitorsPerProbe), healthy loopback targets, a table of its own. */
async function measureProbeShard(ctx: BenchContext, bundle: string, local: DynamoDbLocal, base: Omit<ChildInit, 'kind' | 'tableName'>): Promise<FunctionMemory> {
  const result: FunctionMemory = { kind: 'probe', memoryMb: FUNCTION_MEMORY_MB.probe, work: '', ms: [] };
  const admin = local.client();
  const tableName = `bench-probe-memory-${Date.now().toString(36)}`;
  const targets = await startTargets();
  let child: FunctionChild | undefined;
  try {
    await createTables(admin, tableName);
    child = await FunctionChild.start(bundle, { kind: 'probe', ...base, region: REGIONS[0], tableName, targets: targets.targets }, result.memoryMb);
    const details: string[] = [];
    for (let i = 0; i < PROBE_INVOCATIONS; i += 1) {
      const reply = await child.request({ type: 'probe', probeShard: 0 });
      result.ms.push(reply.ms ?? 0);
      details.push(reply.detail ?? '');
    }
    const summary = JSON.parse(details[0] ?? '{}') as { rounds?: Array<{ monitors?: number; down?: number; status?: string }> };
    const round = summary.rounds?.[0];
    result.work = `${PROBE_INVOCATIONS} invocations of probe shard 0 (${round?.monitors?.toLocaleString('en-US') ?? '?'} monitors of ${base.monitors.toLocaleString('en-US')}, ${round?.down ?? '?'} down, round ${round?.status ?? '?'}; ${targets.targets.length} loopback listeners)`;
    ctx.log(`scale memory: probe shard: ${result.work}, ${result.ms.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`);
    result.memory = (await child.request({ type: 'report' })).memory;
  } catch (error) {
    result.failure = (error as Error).message;
    ctx.log(`scale memory: the probe child failed: ${result.failure}`);
  } finally {
    await child?.stop();
    await targets.stop();
    await admin.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    admin.destroy();
  }
  return result;
}

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;

/** The table "memory by function", and one line per function for the goals. */
export function functionMemoryReport(results: readonly FunctionMemory[]): { markdown: string; text: string; lines: string[] } {
  const table: Table = {
    header: ['function', 'memorySize', 'peak RSS (VmHWM)', 'headroom', 'RSS once built (fleet loaded)', 'live heap after GC', 'what it ran'],
    rows: results.map((r) => {
      const size = r.memoryMb * 2 ** 20;
      if (!r.memory) return [r.kind, `${r.memoryMb} MB`, 'failed', '—', '—', '—', `${r.work || '—'}: ${r.failure ?? '?'}`];
      const headroom = size - r.memory.peakRss;
      return [r.kind, `${r.memoryMb} MB`, mib(r.memory.peakRss), `${headroom >= 0 ? '' : '−'}${mib(Math.abs(headroom))} (${Math.round((headroom / size) * 100)} %)`, mib(r.memory.initRss), mib(r.memory.liveHeap), r.work];
    }),
  };
  const lines = results.map((r) => {
    if (!r.memory) return `${r.kind} (${r.memoryMb} MB): NOT measured — ${r.failure ?? '?'}`;
    const fits = r.memory.peakRss <= r.memoryMb * 2 ** 20;
    return `${r.kind}: peak RSS ${mib(r.memory.peakRss)} of its ${r.memoryMb} MB (${fits ? 'fits' : 'does NOT fit'}; heap limited to ${r.memoryMb} MB)`;
  });
  const note = 'Each function in a process of its own (bundled as deployed, `node --max-old-space-size=<memorySize>`), its peak RSS read from /proc/<pid>/status VmHWM: '
    + 'Lambda counts the whole process against memorySize. The aggregator and sweeper children start cold and take over the pipeline for the rounds named, against the same table; '
    + 'the probe child runs shard 0 of the first region against loopback listeners. Their DynamoDB requests are not in the unit tables above.';
  return {
    markdown: ['**Memory by function**', '', note, '', markdownTable(table), ''].join('\n'),
    text: ['Memory by function', textTable(table), ''].join('\n'),
    lines,
  };
}
