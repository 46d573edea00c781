// Bench section "scale", part "memory by function": one deployed function in a process of its own (a Lambda container),
// so its peak RSS (/proc/self/status VmHWM) is its own, not the bench harness's. Bundled by esbuild as the deployed
// functions are, started by function-memory.ts with `node --max-old-space-size=<the function's memorySize>` and an IPC
// channel; the real handler built through its public deps against the bench's DynamoDB Local table (the sweeper and
// aggregator: the scale pipeline's table; the probe: a table of its own, loopback targets), SNS mocked at the SDK.
// Requests (IPC): { type: 'aggregate', event, now } | { type: 'sweep', now } | { type: 'probe', probeShard } | { type: 'report' }.
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createAggregateHandler } from '../../../functions/aggregate/handler';
import { createProbeHandler } from '../../../functions/probe/handler';
import { createSweeperHandler } from '../../../functions/sweeper/handler';
import { memoryMetrics, silentLog } from '../../../functions/shared/adapters/observability';
import { SnsPublisher } from '../../../functions/shared/adapters/publisher';
import { TableStore } from '../../../functions/shared/adapters/store';
import { fleetOf } from '../aggregator/fleet';

export type FunctionKind = 'aggregator' | 'sweeper' | 'probe';

export interface ChildInit {
  kind: FunctionKind;
  monitors: number;
  endpoint: string;
  tableName: string;
  region: string;
  /** The probe's loopback targets (monitor i at targets[i mod n]). */
  targets?: Array<[string, number]>;
}

export type ChildRequest =
  | { type: 'aggregate'; event: DynamoDBStreamEvent; now: number }
  | { type: 'sweep'; now: number }
  | { type: 'probe'; probeShard: number }
  | { type: 'report' };

export interface ChildMemory {
  /** Peak resident set since the process started (VmHWM), bytes. */
  peakRss: number;
  /** Resident set once the handler was built, before its first invocation (the empty function plus its fleet), bytes. */
  initRss: number;
  /** Heap in use after a full GC at the report: what the warm container keeps between invocations, bytes. */
  liveHeap: number;
  /** The heap limit the child ran with (V8's heap_size_limit), bytes. */
  heapLimit: number;
}

export type ChildReply = { ok: true; ms?: number; detail?: string; memory?: ChildMemory } | { ok: false; error: string };

function statusBytes(field: 'VmHWM' | 'VmRSS'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`/proc/self/status has no ${field}`);
  return Number(kb) * 1024;
}

const gc = (() => {
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** SNS answered at the SDK boundary (every entry delivered), as the scale pipeline's parent does. */
function mockedSns(region: string): SNSClient {
  const client = new SNSClient({ region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as { PublishBatchRequestEntries?: Array<{ Id?: string }> };
      if (context.commandName === 'PublishCommand') return { output: { MessageId: 'm', $metadata: {} }, response: {} } as never;
      if (context.commandName === 'PublishBatchCommand') {
        return { output: { Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [], $metadata: {} }, response: {} } as never;
      }
      throw new Error(`function-child: unexpected SNS command ${context.commandName}`);
    },
    { step: 'initialize', name: 'portquorumBenchSnsMock' },
  );
  return client;
}

function main(): void {
  const init = JSON.parse(process.argv[2] ?? '') as ChildInit;
  const dynamo = new DynamoDBClient({ endpoint: init.endpoint, region: init.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 6 });
  const store = new TableStore(dynamo, init.tableName);
  const fleet = fleetOf(init.monitors, init.targets);
  let clock = 0;
  const now = (): number => clock;
  const publisher = new SnsPublisher(mockedSns(init.region), 'arn:aws:sns:us-east-1:123456789012:portquorum-bench-memory');
  const aggregate = init.kind === 'aggregator' ? createAggregateHandler({ fleet, store, publisher, log: silentLog, metrics: memoryMetrics(), now }) : undefined;
  const sweep = init.kind === 'sweeper' ? createSweeperHandler({ fleet, store, publisher, log: silentLog, metrics: memoryMetrics(), now }) : undefined;
  // The probe's own clock: real time shifted so its invocations start a second into a minute (a whole round's budget).
  const shift = (((Date.now() % 60_000) - 1000) + 60_000) % 60_000;
  const probe = init.kind === 'probe'
    ? createProbeHandler({ fleet, region: init.region, store, log: silentLog, metrics: memoryMetrics(), now: () => Date.now() - shift })
    : undefined;
  const initRss = statusBytes('VmRSS');

  const handle = async (request: ChildRequest): Promise<ChildReply> => {
    const started = performance.now();
    switch (request.type) {
      case 'aggregate': {
        if (!aggregate) throw new Error(`a ${init.kind} child got an aggregate request`);
        clock = request.now;
        const response = await aggregate(request.event);
        const failed = response.batchItemFailures.length;
        if (failed > 0) return { ok: false, error: `${failed} batch item failure(s)` };
        return { ok: true, ms: performance.now() - started };
      }
      case 'sweep': {
        if (!sweep) throw new Error(`a ${init.kind} child got a sweep request`);
        clock = request.now;
        const summary = await sweep();
        return { ok: true, ms: performance.now() - started, detail: JSON.stringify(summary).slice(0, 400) };
      }
      case 'probe': {
        if (!probe) throw new Error(`a ${init.kind} child got a probe request`);
        const invokedAt = performance.now();
        const summary = await probe({ time: new Date(Date.now() - shift).toISOString(), probeShard: request.probeShard }, {
          getRemainingTimeInMillis: () => 50_000 - (performance.now() - invokedAt),
        });
        return { ok: true, ms: performance.now() - started, detail: JSON.stringify(summary).slice(0, 400) };
      }
      case 'report': {
        gc();
        gc();
        return {
          ok: true,
          memory: { peakRss: statusBytes('VmHWM'), initRss, liveHeap: process.memoryUsage().heapUsed, heapLimit: v8.getHeapStatistics().heap_size_limit },
        };
      }
    }
  };

  process.on('message', (request: ChildRequest) => {
    handle(request).then(
      (reply) => process.send?.(reply),
      (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ChildReply),
    );
  });
  process.send?.({ ok: true, detail: 'ready' } satisfies ChildReply);
}

main();
