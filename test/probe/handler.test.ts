// The real probe handler probing real loopback sockets, its round items read back through the stream by the aggregator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoundsNotWrittenError, type MonitorSpec } from '../../functions/shared/domain';
import { TableStore } from '../../functions/shared/adapters/store';
import { roundPartitions } from '../../functions/shared/domain/record';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { createProbeHandler } from '../../functions/probe/handler';
import { closedPort, listener } from '../support/ports';
import { REGIONS, usePipelines, type LogLine, type Pipeline } from '../support/pipeline';

const pipeline = usePipelines();
let open: Awaited<ReturnType<typeof listener>>;
let closed: number;
beforeAll(async () => {
  open = await listener();
  closed = await closedPort();
});
afterAll(async () => {
  await open.close();
});

const context = { getRemainingTimeInMillis: () => 70_000 };

/** A probe handler for one region whose clock starts at `at` and jumps forward when it waits for a round. */
function probeFor(pipe: Pipeline, region: string, at: number, logs: LogLine[] = []) {
  let now = at;
  const handler = createProbeHandler({
    fleet: pipe.fleet, region, store: pipe.table.store, metrics: memoryMetrics(),
    log: { debug() {}, info() {}, warn: (message, extra) => logs.push({ level: 'warn', message, ...(extra ? { extra } : {}) }), error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }) },
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return (minute: number, probeShard?: number) => handler({ time: new Date(minute).toISOString(), ...(probeShard !== undefined ? { probeShard } : {}) }, context);
}

describe('probe handler on real sockets', () => {
  it('writes one item per region-round and the aggregator pages DOWN for the closed port only', async () => {
    const monitors: MonitorSpec[] = [
      { id: 'open-port', host: '127.0.0.1', port: open.port, timeoutMs: 3000 },
      { id: 'closed-port', host: '127.0.0.1', port: closed, timeoutMs: 3000, retries: 0 },
    ];
    const p = await pipeline({ monitors, canary: { host: '127.0.0.1', port: open.port } });
    for (const minute of [p.clock.base, p.clock.base + 60_000]) {
      const summaries = await p.whileWriting(async () => {
        const all = await Promise.all(REGIONS.map((region) => probeFor(p, region, minute + 800)(minute)));
        p.clock.now = minute + 5_000;
        return all;
      });
      for (const s of summaries) {
        expect(s.rounds).toEqual([{ instant: new Date(minute).toISOString(), monitors: 2, down: 1, canary: 'up', shards: 1, writes: 1, status: 'written' }]);
      }
    }
    await p.drain();
    expect(p.publishes().map((c) => c.Subject)).toEqual([`DOWN closed-port 127.0.0.1:${closed} — refused in 3/3 regions`]);
    const [alert] = p.alerts();
    expect(alert!.regions.every((r) => r.status === 'down' && r.class === 'refused' && r.phase === 'connect')).toBe(true);
    expect((await p.table.store.readMonitorState('open-port'))!.state.verdict).toBe('UP');
  });

  it('runs every round of its minute for a 10 s interval, one write each however many monitors', async () => {
    const many: MonitorSpec[] = Array.from({ length: 150 }, (_, i) => ({ id: `m-${i}`, host: '127.0.0.1', port: closed, interval: 10, retries: 0, timeoutMs: 3000 }));
    const p = await pipeline({ monitors: many });
    const summary = await probeFor(p, 'us-east-1', p.clock.base)(p.clock.base);
    expect(summary.rounds.map((r) => r.instant)).toEqual([0, 10, 20, 30, 40, 50].map((s) => new Date(p!.clock.base + s * 1000).toISOString()));
    expect(summary.rounds.map((r) => `${r.monitors}/${r.down}/${r.writes}/${r.status}`)).toEqual(Array(6).fill('150/150/1/written'));
    const { records } = await p.table.store.readRound(p.clock.base + 30_000, [{ region: 'us-east-1' }]);
    expect(records).toHaveLength(1);
    expect(Object.keys(records[0]!.results)).toHaveLength(150);
  });

  it('splits a region over its probe shards: each invocation probes only its own monitors, together all of them, once', async () => {
    // 250 monitors at 100 a probe: 3 shards. The closed ones go DOWN from every region's 3 shards together.
    const monitors: MonitorSpec[] = Array.from({ length: 250 }, (_, i) => ({ id: `m-${i}`, host: '127.0.0.1', port: i < 40 ? closed : open.port, retries: 0, timeoutMs: 3000 }));
    const p = await pipeline({ monitors, monitorsPerProbe: 100 });
    const probed = new Map<string, number>();
    for (const minute of [p.clock.base, p.clock.base + 60_000]) {
      const summaries = await p.whileWriting(async () => {
        const all = await Promise.all(REGIONS.flatMap((region) => [0, 1, 2].map((shard) => probeFor(p, region, minute + 800)(minute, shard))));
        p.clock.now = minute + 5_000;
        return all;
      });
      for (const s of summaries) {
        expect(s.rounds).toHaveLength(1);
        expect(s.rounds[0]!.status).toBe('written');
        probed.set(`${s.region} ${s.probeShard}`, s.rounds[0]!.monitors);
      }
    }
    for (const region of REGIONS) {
      const sizes = [0, 1, 2].map((shard) => probed.get(`${region} ${shard}`)!);
      expect(sizes.reduce((a, b) => a + b)).toBe(250);
      expect(sizes.every((n) => n > 40)).toBe(true);
    }
    const { records } = await p.table.store.readRound(p.clock.base, roundPartitions(p.fleet));
    expect(records.map((r) => `${r.region} ${r.probeShard ?? 0}`).sort()).toEqual(REGIONS.flatMap((region) => [0, 1, 2].map((k) => `${region} ${k}`)).sort());
    for (const region of REGIONS) {
      const ids = records.filter((r) => r.region === region).flatMap((r) => Object.keys(r.results));
      expect(new Set(ids).size).toBe(250);
      expect(ids).toHaveLength(250);
    }
    await p.drain();
    const states = await p.table.store.readMonitorStates();
    expect([...states.values()].filter((s) => s.state.verdict === 'DOWN').map((s) => s.state.monitorId).sort()).toEqual(monitors.slice(0, 40).map((m) => m.id).sort());
    expect([...states.values()].filter((s) => s.state.verdict === 'UP')).toHaveLength(210);
    // An input naming a shard the function does not have (a schedule from another deploy) fails, saying why.
    await expect(probeFor(p, 'eu-west-1', p.clock.base)(p.clock.base, 3)).rejects.toThrow(
      'Probe shard 3 is not one of the 3 shard(s) of eu-west-1 (250 monitors, monitorsPerProbe 100); the function and its schedules are from different deploys',
    );
  });

  it('fails the invocation, naming region and round, when a round cannot be written', async () => {
    const p = await pipeline({ monitors: [{ id: 'closed-port', host: '127.0.0.1', port: closed, retries: 0 }] });
    const logs: LogLine[] = [];
    const handler = createProbeHandler({
      fleet: p.fleet, region: 'eu-west-1', store: new TableStore(p.table.client, 'no-such-table'), metrics: memoryMetrics(), now: () => p!.clock.base + 500,
      log: { debug() {}, info() {}, warn() {}, error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }) },
    });
    const minute = new Date(p.clock.base).toISOString();
    const error = await handler({ time: minute }, context).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(RoundsNotWrittenError);
    expect((error as Error).message).toContain(`Writing region eu-west-1 round ${minute} to table no-such-table failed`);
    expect((error as RoundsNotWrittenError).rounds).toEqual([{ instant: minute, status: 'failed', reason: expect.stringContaining('no-such-table') }]);
    expect(logs).toEqual([expect.objectContaining({ message: 'Writing the round failed', extra: expect.objectContaining({ region: 'eu-west-1', round: minute }) })]);
  });

  it('skips a round it started too late for, says so with a typed status, and still writes the rounds after it', async () => {
    const p = await pipeline({ monitors: [{ id: 'closed-port', host: '127.0.0.1', port: closed, retries: 0, interval: 30, timeoutMs: 3000 }] });
    const logs: LogLine[] = [];
    // Invoked 31 s into the minute: the :00 round's slot has passed, the :30 round is still ahead.
    const error = await probeFor(p, 'us-east-1', p.clock.base + 31_000, logs)(p.clock.base).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(RoundsNotWrittenError);
    const first = new Date(p.clock.base).toISOString();
    expect((error as RoundsNotWrittenError).rounds).toEqual([{ instant: first, status: 'skipped', reason: expect.stringMatching(/round .* skipped \(started 31000 ms late/) }]);
    expect(logs).toEqual([expect.objectContaining({ message: 'Round skipped', extra: expect.objectContaining({ round: first }) })]);
    expect((await p.table.store.readRound(p.clock.base, roundPartitions(p.fleet))).records).toEqual([]);
    expect((await p.table.store.readRound(p.clock.base + 30_000, roundPartitions(p.fleet))).records).toHaveLength(1);
  });
});
