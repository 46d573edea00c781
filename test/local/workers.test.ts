// The region workers: real worker processes running the real probe handler against DynamoDB Local, switched over
// IPC, started again when one dies, and gone after stop().
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFleet } from '../../functions/shared/domain';
import type { FleetEvent } from '../../bin/local/events';
import { descendants } from '../../bin/local/proc';
import { freePorts } from '../../bin/local/targets';
import { WorkerPool } from '../../bin/local/workers';
import { useDynamoDbLocal } from '../support/dynamodb';
import { connectOutcome } from './support';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const db = useDynamoDbLocal();
const REGION = 'eu-west-1';

/** Resolves with the first event that matches, or rejects at the deadline. */
function nextEvent(listeners: Set<(e: FleetEvent) => void>, matches: (e: FleetEvent) => boolean, timeoutMs: number, what: string): Promise<FleetEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (e: FleetEvent) => {
      if (!matches(e)) return;
      clearTimeout(timer);
      listeners.delete(listener);
      resolve(e);
    };
    listeners.add(listener);
  });
}

describe('WorkerPool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-workers-'));
  let pool: WorkerPool | undefined;
  let stopping = false;
  afterAll(async () => {
    stopping = true;
    await pool?.stop(Date.now() + 5000);
  });

  it('starts a worker that serves its targets, restarts it when it is killed, and leaves nothing after stop', async () => {
    const table = await db.createTable();
    const [port] = (await freePorts(1)) as [number];
    const fleetFile = join(dir, 'fleet.json');
    writeFileSync(fleetFile, JSON.stringify(resolveFleet({ regions: [REGION], monitors: [{ id: 'web', host: '127.0.0.1', port, interval: 60 }] })));
    const listeners = new Set<(e: FleetEvent) => void>();
    const events: FleetEvent[] = [];
    const emit = (e: FleetEvent) => {
      events.push(e);
      for (const l of [...listeners]) l(e);
    };
    pool = new WorkerPool({
      regions: [REGION],
      init: (region) => ({ type: 'init', region, fleetFile, table: table.tableName, tableRegion: REGION, dynamo: { kind: 'tcp', endpoint: table.endpoint }, targets: [{ name: 'web', kind: 'tcp', port }] }),
      namespaceOf: () => undefined,
      logFile: (region) => join(dir, `${region}.log`),
      emit,
      say: (level, source, message, detail) => emit({ kind: 'log', level, source, message, ...(detail ? { detail } : {}) }),
      stopping: () => stopping,
    });
    await pool.start();
    const workerPids = () => descendants().filter((p) => p.command.includes('bin/local/worker.ts')).map((p) => p.pid);
    const [first] = workerPids();
    expect(first).toBeDefined();
    expect(await connectOutcome(port)).toBe('open');
    await pool.setTarget('web', 'down');
    expect(await connectOutcome(port)).toBe('refused');

    const restarted = nextEvent(listeners, (e) => e.kind === 'log' && /the worker exited \(SIGKILL\); starting it again in 5 s/.test(e.message), 10_000, 'restart notice');
    process.kill(first!, 'SIGKILL');
    await restarted;
    // The restarted worker (started 5 s after the notice) says it runs by its first invocation, for the current minute.
    await nextEvent(listeners, (e) => e.kind === 'invocation' && e.region === REGION, 60_000, 'invocation of the restarted worker');
    const [second] = workerPids();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    // A new worker serves its targets up again, and takes switches as the first did.
    expect(await connectOutcome(port)).toBe('open');
    await pool.setTarget('web', 'down');
    expect(await connectOutcome(port)).toBe('refused');

    stopping = true;
    await pool.stop(Date.now() + 5000);
    expect(workerPids()).toEqual([]);
    await expect(pool.setTarget('web', 'up')).rejects.toThrow(`region ${REGION}: the worker is not running`);
  }, 90_000);
});
