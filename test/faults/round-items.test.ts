// Fault table (issue 12), round items: poison items and skewed probe clocks, on DynamoDB Local's real stream with the
// real handlers (probe, aggregator, sweeper); SNS is mocked at the SDK boundary.
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeHandler } from '../../functions/probe/handler';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import type { MonitorSpec } from '../../functions/shared/domain';
import { encodeRoundItems, type RoundResult } from '../../functions/shared/domain/record';
import { ORDERS, REGIONS, usePipelines, type LogLine, type Pipeline } from '../support/pipeline';
import { startFixture, type FixtureServer } from '../support/tcp-servers';

const open = usePipelines();
const MINUTE = 60_000;
const DOWN: RoundResult = { status: 'down', errorClass: 'refused', phase: 'connect', connectMs: 1, totalMs: 2, code: 'ECONNREFUSED', message: 'forged' };

/** Every record the aggregator was handed, once each, in stream order. */
function recordsSeen(p: Pipeline): DynamoDBRecord[] {
  const bySequence = new Map<string, DynamoDBRecord>();
  for (const record of p.events.flatMap((e) => e.Records)) bySequence.set(record.dynamodb!.SequenceNumber!, record);
  return [...bySequence.values()].sort((a, b) => (BigInt(a.dynamodb!.SequenceNumber!) < BigInt(b.dynamodb!.SequenceNumber!) ? -1 : 1));
}

const keyOf = (r: DynamoDBRecord) => `${r.dynamodb!.NewImage!.pk!.S} / ${r.dynamodb!.NewImage!.sk!.S}`;

describe('fault: a malformed, foreign, or future-dated round item', () => {
  it('is reported alone; the other records are processed and the monitor pages DOWN and UP once each', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();

    const round2 = p.clock.base + 2 * MINUTE;
    const forged = (instant: number, region: string): Record<string, unknown> => ({ ...encodeRoundItems({ instant, region, probedAt: instant + 2000, canary: { status: 'none' }, results: { [ORDERS.id]: DOWN } })[0]! });
    const poison: Array<Record<string, unknown>> = [
      // Decodes to nothing: a schema version no aggregator reads.
      { pk: `round#${round2 / 1000}`, sk: 'us-east-1#-#9', kind: 'round', v: 99, region: 'us-east-1', round: round2 / 1000, shard: 0, shards: 1, at: 0, r: '' },
      // Decodes, from a region the fleet does not have.
      forged(round2, 'xx-foreign-1'),
      // Decodes, a day ahead of every clock: evaluated, it would hold the monitor's state in the future.
      forged(round2 + 24 * 60 * MINUTE, 'us-east-1'),
      // Decodes, a round no date can hold (new Date(instant).toISOString() throws for it).
      forged(9_000_000_000_000_000, 'eu-west-1'),
    ];
    for (const item of poison) await p.putRaw(item);
    await p.writeRound(2, 'ddd');
    await p.writeRound(3, 'ddd');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    await p.writeRound(4, 'uuu');
    await p.writeRound(5, 'uuu');
    await p.drain();
    expect(p.alerts().map((a) => `${a.kind} ${a.round}`)).toEqual([
      `DOWN ${new Date(p.clock.base + 3 * MINUTE).toISOString()}`,
      `UP ${new Date(p.clock.base + 5 * MINUTE).toISOString()}`,
    ]);
    // State never moved to a forged round.
    expect((await p.table.store.readMonitorState(ORDERS.id))!.state).toMatchObject({ verdict: 'UP', round: p.clock.base + 5 * MINUTE });

    // Each poison item was explained once in the log, by its key; nothing else was.
    const poisonKeys = poison.map((item) => `${String(item.pk)} / ${String(item.sk)}`);
    const rejected = p.logs.filter((l) => l.level === 'error' && typeof l.extra?.item === 'string' && /reported as a batch item failure/.test(l.message));
    expect(new Set(rejected.map((l) => l.extra!.item))).toEqual(new Set(poisonKeys));
    for (const line of rejected) expect(line.extra).toMatchObject({ sequenceNumber: expect.any(String), error: expect.any(String) });
    // The stream poller (Lambda's rules) never saw the handler fail: only item failures, each starting at a poison record.
    expect(p.failures.length).toBeGreaterThan(0);
    for (const failure of p.failures) {
      expect(failure.reason).toBe('item-failures');
      expect(poisonKeys).toContain(keyOf(failure.records[0]!));
    }

    // Handed everything again in one batch: exactly the poison records are reported, and no alert is sent twice.
    const records = recordsSeen(p);
    const response = await p.aggregate({ Records: records });
    const expected = records.filter((r) => poisonKeys.includes(keyOf(r))).map((r) => r.dynamodb!.SequenceNumber);
    expect(expected).toHaveLength(poison.length);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([...expected].sort());
    expect(p.alerts()).toHaveLength(2);
  });
});

describe('fault: probe region clocks skewed by ±2 s', () => {
  let target: FixtureServer;
  let serving = true;
  beforeAll(async () => {
    // Up: a banner. Down: an immediate reset (class reset), decided per connection, so the test moves the outage.
    target = await startFixture((socket) => {
      if (serving) socket.end('READY\r\n');
      else socket.resetAndDestroy();
    });
  });
  afterAll(async () => {
    await target.close();
  });

  it('pages no false transition, and the real DOWN and UP once each', async () => {
    const monitor: MonitorSpec = { id: 'skewed', host: '127.0.0.1', port: target.port, expect: 'READY', retries: 0, timeoutMs: 2000 };
    // The fleet starts with no rounds before minute 0: the sweeper's start-up grace (as deployed) keeps it from
    // calling regions silent for them.
    const p = await open({ monitors: [monitor] }, { sweeper: { startupGraceMs: 3 * MINUTE } });
    // us-east-1's clock runs 2 s ahead, eu-west-1's is right, ap-south-1's runs 2 s behind; the home region's (the
    // aggregator's and sweeper's) runs 2 s behind too, so us-east-1's rounds reach it before their instant by its clock.
    const skews: Record<string, number> = { 'us-east-1': 2000, 'eu-west-1': 0, 'ap-south-1': -2000 };
    const home = -2000;
    expect(Object.keys(skews)).toEqual(REGIONS);
    const logs: LogLine[] = [];

    /** One scheduled invocation (EventBridge fires at the true minute) of a region whose clock is off by its skew. */
    const invoke = (region: string, minute: number) => {
      let now = minute + skews[region]! + 50;
      const handler = createProbeHandler({
        fleet: p.fleet, region, store: p.table.store, metrics: memoryMetrics(),
        log: { debug() {}, info() {}, warn() {}, error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }) },
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      });
      return handler({ time: new Date(minute).toISOString() }, { getRemainingTimeInMillis: () => 70_000 });
    };

    /**
     * One minute in true time: the regions ahead of or on time probe at once, the one behind waits out its 2 s and
     * probes last; the aggregator runs after each write, the sweeper 45 s into the minute. `changeBeforeLast` moves
     * the outage in between, so the late region alone sees the new state of the target in that round.
     */
    const minuteOf = async (k: number, up: boolean, changeBeforeLast = false) => {
      const minute = p.clock.base + k * MINUTE;
      serving = changeBeforeLast ? !up : up;
      await p.whileWriting(async () => {
        await Promise.all(['us-east-1', 'eu-west-1'].map((region) => invoke(region, minute)));
        p.clock.now = minute + 1000 + home;
      });
      await p.drain();
      serving = up;
      await p.whileWriting(async () => {
        await invoke('ap-south-1', minute);
        p.clock.now = minute + 2500 + home;
      });
      await p.drain();
      p.clock.now = minute + 45_000 + home;
      await p.sweep();
    };

    for (let k = 0; k < 3; k += 1) await minuteOf(k, true);
    // Round 3: the target fails between the early regions' probes and the late one's: one region down is no quorum.
    await minuteOf(3, false, true);
    await minuteOf(4, false);
    await minuteOf(5, false);
    // Round 6: back between the early regions' probes and the late one's.
    await minuteOf(6, true, true);
    await minuteOf(7, true);
    await minuteOf(8, true);

    expect(logs).toEqual([]);
    // Nothing was rejected as from the future: the aggregator saw us-east-1's rounds 1 s before their instant.
    expect(p.logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(p.alerts().map((a) => `${a.kind} ${a.round}`)).toEqual([
      `DOWN ${new Date(p.clock.base + 5 * MINUTE).toISOString()}`,
      `UP ${new Date(p.clock.base + 8 * MINUTE).toISOString()}`,
    ]);
    const [down] = p.alerts();
    // Decided as soon as a quorum was in: the late region had not reported yet.
    expect(down!.regions.map((r) => `${r.region} ${r.status}`).sort()).toEqual(['ap-south-1 pending', 'eu-west-1 down', 'us-east-1 down']);
    expect(p.failures).toEqual([]);
    expect((await p.table.store.readMonitorState('skewed'))!.state).toMatchObject({ verdict: 'UP', round: p.clock.base + 8 * MINUTE });
  });
});
