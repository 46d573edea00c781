// Watch mode end to end: three regions' real probe handlers against real servers on loopback, writing to DynamoDB
// Local, whose real stream feeds the real aggregator (SNS mocked at the SDK). A killed Redis pages DOWN once, from
// the watch events, before any round would; a server that drops idle clients every second pages nothing and is not
// hammered.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createProbeHandler, type ProbeSummary } from '../../functions/probe/handler';
import { memoryMetrics, silentLog } from '../../functions/shared/adapters/observability';
import { minuteOf } from '../../functions/shared/domain/rounds';
import { encodeRoundItems } from '../../functions/shared/domain/record';
import { watchKeyPattern } from '../../functions/shared/domain/watch';
import type { MonitorSpec } from '../../functions/shared/domain';
import { REGIONS, usePipelines, type Pipeline } from '../support/pipeline';
import { startRedis } from '../support/servers/redis';
import type { RunningServer } from '../support/servers/common';

/** How long each probe invocation holds its connections (its remaining time less the write reserve). */
const WATCH_FOR_MS = 8000;

const open = usePipelines();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A clock shifted so that now is half a second into a minute: each probe invocation runs its minute's round at once
 * and then watches, whatever the wall clock's second. The aggregator runs on the same clock.
 */
function shiftedClock(): () => number {
  const offset = Date.now() - minuteOf(Date.now()) - 500;
  return () => Date.now() - offset;
}

/** Polls `check` every 25 ms until it returns a value, for at most `ms`; fails naming `what` otherwise. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Writes the previous minute's round as every region's probe wrote it (the target up): a fleet that has been running,
 * so the round the test's invocations probe is not held back waiting for a round nobody will write.
 */
async function previousRoundUp(p: Pipeline, now: () => number, id: string): Promise<void> {
  const instant = minuteOf(now()) - 60_000;
  for (const region of REGIONS) {
    const items = encodeRoundItems({ instant, region, probedAt: instant + 50, canary: { status: 'none' }, results: { [id]: { status: 'up', connectMs: 1, totalMs: 1 } } });
    await p.table.store.writeRoundItems(items, `region ${region} previous round`);
  }
  await p.drain();
}

/** Starts every region's probe invocation for the current (shifted) minute. */
function invokeRegions(p: Pipeline, now: () => number): Promise<ProbeSummary[]> {
  return Promise.all(REGIONS.map((region) => createProbeHandler({
    fleet: p.fleet, region, store: p.table.store, log: silentLog, metrics: memoryMetrics(), now,
  })({ time: new Date(now()).toISOString() }, { getRemainingTimeInMillis: () => WATCH_FOR_MS + 3000 })));
}

async function watchItems(p: Pipeline): Promise<Record<string, unknown>[]> {
  const out = await p.table.client.send(new ScanCommand({ TableName: p.table.tableName }));
  return (out.Items ?? []).map((item) => unmarshall(item)).filter((item) => item.kind === 'watch');
}

async function monitorUp(p: Pipeline, id: string): Promise<true | undefined> {
  return (await p.table.store.readMonitorState(id))?.state.verdict === 'UP' ? true : undefined;
}

/** Redis's connected clients, asked over the protocol (the asking connection included). */
function redisClients(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const match = /connected_clients:(\d+)/.exec(text);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    socket.write('INFO clients\r\n');
  });
}

describe('watch mode, end to end', () => {
  it('pages DOWN once, from the watch events, when a watched Redis is killed', async () => {
    const redis: RunningServer = await startRedis();
    cleanups.push(() => redis.stop());
    const now = shiftedClock();
    const monitor: MonitorSpec = {
      id: 'cache', host: '127.0.0.1', port: redis.port, preset: 'redis', watch: true, quorum: 2, retries: 0, timeoutMs: 1000,
      failureThreshold: 2, recoveryThreshold: 1,
    };
    const p = await open({ monitors: [monitor] }, { now });
    await previousRoundUp(p, now, 'cache');
    const invocations = invokeRegions(p, now);
    cleanups.push(() => invocations.then(() => undefined, () => undefined));

    await until('the monitor to be UP', 10_000, () => monitorUp(p, 'cache'));
    // Each region holds its connection (plus the one asking).
    await until('three held connections', 5000, async () => ((await redisClients(redis.port)) >= 4 ? true : undefined));

    process.kill(-redis.pid, 'SIGKILL');
    const killedAt = Date.now();
    const down = await until('the DOWN alert', 10_000, () => p.alerts().find((a) => a.kind === 'DOWN'));
    const pagedAt = Date.now();
    expect(down).toMatchObject({ kind: 'DOWN', cause: 'watch', verdict: 'DOWN', previousVerdict: 'UP' });
    const watched = down.regions.filter((r) => r.status === 'down');
    expect(watched.length).toBeGreaterThanOrEqual(2);
    for (const r of watched) {
      expect(['refused', 'reset']).toContain(r.class);
      expect(r.message).toMatch(/^watch: held connection closed, re-probe failed/);
    }

    const summaries = await invocations;
    await p.drain();
    // Every region saw it; the stragglers' events and the replays added no page.
    expect(summaries.map((s) => s.watch?.events)).toEqual([1, 1, 1]);
    const items = await watchItems(p);
    expect(items.map((item) => item.region).sort()).toEqual([...REGIONS].sort());
    // Each in its own region's watch partition: what the probe role's second LeadingKeys pattern admits (test/cdk/watch.test.ts).
    for (const item of items) expect(String(item.pk).startsWith(watchKeyPattern({ region: String(item.region) }).slice(0, -1))).toBe(true);
    expect(p.alerts().map((a) => `${a.kind} ${a.cause}`)).toEqual(['DOWN watch']);
    expect(p.failures).toEqual([]);
    console.info(`watch e2e: kill → DOWN alert ${pagedAt - killedAt} ms (Redis, quorum 2 of 3)`);
  });

  it('pages nothing for a server that drops idle clients every second, and backs its reconnects off', async () => {
    const connections: Socket[] = [];
    const server: Server = createServer((socket) => {
      connections.push(socket);
      socket.on('error', () => undefined);
      // An idle limit, as SSH's LoginGraceTime or an SMTP server's: the client is dropped, the service is fine.
      socket.setTimeout(1000, () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const socket of connections) socket.destroy();
      server.close(() => resolve());
    }));
    const port = (server.address() as { port: number }).port;
    const now = shiftedClock();
    const p = await open({ monitors: [{ id: 'idle-drop', host: '127.0.0.1', port, watch: true, quorum: 2, retries: 0, timeoutMs: 1000, recoveryThreshold: 1 }] }, { now });

    await previousRoundUp(p, now, 'idle-drop');
    const summaries = await invokeRegions(p, now);
    await p.drain();
    expect(await monitorUp(p, 'idle-drop')).toBe(true);
    for (const s of summaries) {
      expect(s.watch).toMatchObject({ events: 0, eventWriteFailures: 0 });
      // Dropped, re-probed fine, reconnected: again and again, but backed off (1 s, 2 s, 4 s …), not once a second.
      expect(s.watch!.drops).toBeGreaterThanOrEqual(2);
      expect(s.watch!.reprobesOk).toBe(s.watch!.drops);
      expect(s.watch!.drops).toBeLessThanOrEqual(5);
    }
    expect(await watchItems(p)).toEqual([]);
    expect(p.alerts()).toEqual([]);
  });
});
