// The fault table, stream and store rows: DynamoDB throttling, the aggregator killed mid-batch, batches delivered twice
// and reordered. DynamoDB Local with its real stream, the real handlers; faults at the SDK boundary.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../bin/local/dynamodb-local';
import { roundItemsOnly, StreamPoller, type StreamFailure } from '../../bin/local/stream-poller';
import { claimFor } from '../../functions/shared/evaluation/publish';
import { ORDERS, usePipelines, type Pipeline } from '../support/pipeline';
import { injectFault, serviceError, stateItem, type Call } from './inject';
import { expectPages, stateWatch } from './support';

const open = usePipelines();

/** A stream poller of the test's own on the pipeline's table (the pipeline's own is stopped), handing batches to `handler`. */
function ownPoller(p: Pipeline, handler: (event: DynamoDBStreamEvent) => Promise<unknown>) {
  const failures: StreamFailure[] = [];
  const client = new DynamoDBStreamsClient({ endpoint: p.table.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const poller = new StreamPoller({
    client, streamArn: p.table.streamArn, filter: roundItemsOnly, batchSize: 100, pollIntervalMs: 50, maxRetries: 3, onError: 'retry',
    retryDelayMs: () => 10, onFailure: (f) => void failures.push(f),
    handler: handler as ConstructorParameters<typeof StreamPoller>[0]['handler'],
  });
  return {
    failures,
    start: () => poller.start(),
    drain: () => poller.drain(60_000),
    async stop() {
      await poller.stop();
      client.destroy();
    },
  };
}

describe('fault table: DynamoDB throttling', () => {
  it('throttled writes and reads are retried with backoff; no alert lost or doubled', async () => {
    const p = await open({ monitors: [ORDERS] });
    const watch = stateWatch(p, 'orders-db');
    // Every fifth write attempt and every fifth read attempt at the table is throttled (counted apart, so both kinds
    // are hit however many reads a pass makes; 16 in all: the SDK's backoff makes each cost ~0.5 s), writes with
    // ProvisionedThroughputExceeded, reads with Throttling.
    const attempts = { write: 0, read: 0 };
    let throttles = 16;
    const at: number[] = [];
    const fault = injectFault(p.table.client, (call) => {
      at.push(Date.now());
      const kind = /^(PutItem|UpdateItem|BatchWriteItem|TransactWriteItems)/.test(call.command) ? 'write' : 'read';
      attempts[kind] += 1;
      if (attempts[kind] % 5 !== 0 || throttles === 0) return undefined;
      throttles -= 1;
      return kind === 'write'
        ? serviceError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.')
        : serviceError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
    });
    try {
      for (let i = 0; i < 8; i += 1) {
        await p.writeRound(i, i < 2 || i >= 5 ? 'uuu' : 'ddd');
        await p.drain();
        await watch.check();
      }
      p.clock.now += 30_000;
      await p.sweep();
    } finally {
      fault.remove();
    }
    expect(fault.failed.length).toBeGreaterThanOrEqual(10);
    expect(new Set(fault.failed.map((c) => c.command))).toEqual(new Set(['PutItemCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand', 'BatchWriteItemCommand', 'QueryCommand', 'GetItemCommand'].filter((c) => fault.failed.some((f) => f.command === c))));
    expect(fault.failed.some((c) => /^(PutItem|UpdateItem|BatchWriteItem|TransactWriteItems)/.test(c.command))).toBe(true);
    expect(fault.failed.some((c) => /^(Query|GetItem)/.test(c.command))).toBe(true);
    // Each throttled attempt was tried again by the SDK (the very next attempt is the same call), after a backoff.
    const gaps: number[] = [];
    for (const [k, call] of fault.calls.entries()) {
      if (!fault.failed.includes(call)) continue;
      expect(fault.calls[k + 1], `${call.command} throttled and never retried`).toBeDefined();
      expect(sameCall(fault.calls[k + 1]!, call) || fault.calls.slice(k + 1).some((c) => sameCall(c, call))).toBe(true);
      gaps.push(at[k + 1]! - at[k]!);
    }
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeGreaterThanOrEqual(50);
    expect(p.failures).toEqual([]);
    expectPages(p.alerts(), 'orders-db', ['DOWN', 'UP']);
    await watch.check();
  }, 240_000);

  it('throttling past the SDK retries fails the round, which the stream retries: still exactly one alert', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    // The DOWN state write is throttled on every attempt the SDK makes (3 here), once.
    let left = 3;
    const fault = injectFault(p.table.client, (call) => {
      // The state write: a transaction with the transition's history.
      if (left > 0 && stateItem(call)?.state?.M?.verdict?.S === 'DOWN') {
        left -= 1;
        return serviceError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.');
      }
      return undefined;
    });
    try {
      await p.writeRound(2, 'ddd');
      await p.writeRound(3, 'ddd');
      await p.drain();
    } finally {
      fault.remove();
    }
    expect(fault.failed).toHaveLength(3);
    expect(p.logs.some((l) => l.message === 'Evaluating a round failed; its records are reported for retry')).toBe(true);
    expect(p.failures).toEqual([]);
    expectPages(p.alerts(), 'orders-db', ['DOWN']);
  }, 180_000);
});

function sameCall(a: Call, b: Call): boolean {
  return a.command === b.command && JSON.stringify(a.input) === JSON.stringify(b.input);
}

const CHILD = fileURLToPath(new URL('./aggregate-child.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs the real aggregator on `event` in a child process and kills it (SIGKILL) as its first publish starts. */
function runAndKillAtPublish(p: Pipeline, event: DynamoDBStreamEvent): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the aggregator child never published:\n${out}\n${err}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const published = /publishing (\S+)/.exec(out);
      if (published) {
        child.kill('SIGKILL');
        clearTimeout(timer);
        child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve(published[1]!) : reject(new Error(`child ended with ${signal}`))));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.stdin.end(JSON.stringify({ endpoint: p.table.endpoint, tableName: p.table.tableName, fleet: p.fleet, now: p.clock.now, event }));
  });
}

describe('fault table: the aggregator killed mid-batch', () => {
  it('a process that dies while publishing, then the batch retried: exactly one DOWN', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.poller.stop();
    const watch = stateWatch(p, 'orders-db');
    for (let i = 0; i < 4; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    let killed: string | undefined;
    const poller = ownPoller(p, async (event) => {
      if (killed === undefined) {
        killed = await runAndKillAtPublish(p, event);
        // As Lambda sees a runtime that exited: the invocation failed, and the batch is retried.
        throw new Error('Runtime exited with error: signal: killed');
      }
      return p.aggregate(event);
    });
    poller.start();
    try {
      await poller.drain();
    } finally {
      await poller.stop();
    }
    expect(killed).toBe(`orders-db:DOWN:${(p.clock.base + 3 * 60_000) / 1000}`);
    expect(poller.failures).toEqual([]);
    await watch.check();
    // The dead process wrote DOWN with its claim and never published: the retry found nothing to change.
    expect(p.alerts()).toEqual([]);
    const pending = Object.values((await p.table.store.readMonitorState('orders-db'))!.pending);
    expect(pending.map((e) => e.alert.alertId)).toEqual([killed]);
    // The sweeper leaves it while the dead process's lease runs, and sends it once after.
    const lease = pending[0]!.claim!.until;
    expect(lease).toBe(claimFor('aggregate', p.clock.now).until);
    p.clock.now = lease - 1000;
    expect((await p.sweep()).republished).toBe(0);
    p.clock.now = lease + 1000;
    expect((await p.sweep()).republished).toBe(1);
    p.clock.now += 60_000;
    await p.sweep();
    await watch.check();
    expectPages(p.alerts(), 'orders-db', ['DOWN']);
  });
});

describe('fault table: batches delivered twice and reordered', () => {
  it('every batch twice, then all of them again in reverse: one DOWN, one UP, state never backwards', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.poller.stop();
    const watch = stateWatch(p, 'orders-db');
    const events: DynamoDBStreamEvent[] = [];
    const poller = ownPoller(p, async (event) => {
      events.push(event);
      await p.aggregate(event);
      await watch.check();
      const again = await p.aggregate(event);
      await watch.check();
      return again;
    });
    poller.start();
    try {
      for (let i = 0; i < 8; i += 1) {
        await p.writeRound(i, i < 2 || i >= 5 ? 'uuu' : 'ddd');
        await poller.drain();
      }
    } finally {
      await poller.stop();
    }
    expectPages(p.alerts(), 'orders-db', ['DOWN', 'UP']);
    const final = (await p.table.store.readMonitorState('orders-db'))!.state;
    for (const event of [...events].reverse()) {
      await p.aggregate({ Records: [...event.Records].reverse() });
      await watch.check();
    }
    await p.aggregate({ Records: events.flatMap((e) => e.Records).reverse() });
    expectPages(p.alerts(), 'orders-db', ['DOWN', 'UP']);
    expect((await p.table.store.readMonitorState('orders-db'))!.state).toEqual(final);
  });
});
