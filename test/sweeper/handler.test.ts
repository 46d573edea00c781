// The sweeper on DynamoDB Local: republishing pending alerts, evaluating rounds no record closed, and paging the fleet
// when probes go silent or their canary fails.
import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { encodeRoundItems, type CanaryResult, type RoundResult } from '../../functions/shared/domain/record';
import { CANARY_DOWN, ORDERS, REGIONS, usePipelines } from '../support/pipeline';

const UP: RoundResult = { status: 'up', connectMs: 12, totalMs: 14 };
const CANARY_UP: CanaryResult = { status: 'up', connectMs: 2, totalMs: 2 };

const open = usePipelines();

describe('sweeper: pending alerts', () => {
  it('keeps a failed publish pending and the sweeper republishes it with the same alert id', async () => {
    const p = await open({ monitors: [ORDERS] });
    p.sns.on(PublishCommand).rejectsOnce(new Error('Throttling: rate exceeded')).resolves({ MessageId: 'm-2' });
    for (let i = 0; i < 4; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    await p.drain();
    expect(p.publishes()).toHaveLength(1);
    expect(p.logs.find((l) => l.level === 'error')).toMatchObject({ message: 'Alert publish failed; it stays pending for the sweeper' });
    const pending = (await p.table.store.readMonitorState('orders-db'))!.pending;
    expect(Object.keys(pending)).toEqual([`orders-db:DOWN:${(p.clock.base + 3 * 60_000) / 1000}#0`]);
    p.clock.now += 20_000;
    const swept = await p.sweep();
    expect(swept.republished).toBe(1);
    const [first, second] = p.publishes();
    expect(second).toEqual(first);
    expect((await p.table.store.readMonitorState('orders-db'))!.pending).toEqual({});
    await p.sweep();
    expect(p.publishes()).toHaveLength(2);
  });

  it('keeps a fleet page whose publish failed pending, counts the failure, and publishes it on the next sweep', async () => {
    const metrics = memoryMetrics();
    const p = await open({ monitors: [ORDERS] }, { sweeper: { metrics } });
    p.sns.on(PublishCommand).rejectsOnce(new Error('Throttling: rate exceeded')).resolves({ MessageId: 'm-2' });
    p.clock.now = p.clock.base + 5 * 60_000;
    expect((await p.sweep()).fleetAlerts).toEqual(['FLEET_DEGRADED — silent: ap-south-1, eu-west-1, us-east-1']);
    expect(p.publishes()).toHaveLength(1);
    expect(metrics.values.PublishFailures).toBe(1);
    expect(Object.keys((await p.table.store.readFleetState())!.pending)).toHaveLength(1);
    p.clock.now += 20_000;
    const swept = await p.sweep();
    expect(swept.republished).toBe(1);
    expect(swept.fleetAlerts).toEqual([]);
    const [failed, again] = p.publishes();
    expect(again).toEqual(failed);
    expect((await p.table.store.readFleetState())!.pending).toEqual({});
  });
});

describe('sweeper: silent and vetoed probes', () => {
  it('a monitor whose first round is one failure short of its threshold is recorded UNKNOWN without a verdict change', async () => {
    const p = await open({ monitors: [ORDERS] });
    // Every region down once (failureThreshold 2): the state is written (the failure counted), the verdict stays
    // UNKNOWN, where every monitor starts.
    await p.writeRound(0, 'ddd');
    await p.drain();
    p.clock.now = p.clock.base + 60_000 + 80_000;
    await p.sweep();
    expect((await p.table.store.readMonitorState('orders-db'))!.state).toMatchObject({ verdict: 'UNKNOWN' });
    // No "Verdict changed" line: the live view would print "UNKNOWN → UNKNOWN (since 1970-01-01)" for each monitor.
    expect(p.logs.filter((l) => l.message === 'Verdict changed')).toEqual([]);
    expect(p.alerts()).toEqual([]);
  });

  it('with every region silent, pages the fleet only (once), and the fleet again when they return', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    p.clock.now = p.clock.base + 6 * 60_000;
    await p.sweep();
    p.clock.now += 60_000;
    await p.sweep();
    expect(p.alerts().map((a) => a.kind)).toEqual(['FLEET_DEGRADED']);
    expect(p.publishes()[0]!.Subject).toBe('FLEET_DEGRADED — silent: ap-south-1, eu-west-1, us-east-1');
    expect(p.alerts()[0]!.fleet!.unknownMonitors).toEqual(['orders-db']);
    expect(p.publishes()[0]!.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'FLEET_DEGRADED' },
      severity: { DataType: 'String', StringValue: 'error' },
      monitor: { DataType: 'String', StringValue: 'fleet' },
      verdict: { DataType: 'String', StringValue: 'DEGRADED' },
    });
    expect((await p.table.store.readMonitorState('orders-db'))!.state.verdict).toBe('UNKNOWN');
    await p.writeRound(8, 'uuu');
    await p.writeRound(9, 'uuu');
    await p.drain();
    p.clock.now = p.clock.base + 9 * 60_000 + 81_000;
    await p.sweep();
    expect(p.alerts().map((a) => a.kind)).toEqual(['FLEET_DEGRADED', 'FLEET_RECOVERED']);
    expect(p.alerts()[1]!.fleet!.recoveredRegions).toEqual(['ap-south-1', 'eu-west-1', 'us-east-1']);
  });

  it('pages the fleet when regions go silent after a quiet first sweep (the fleet item is stored at version 0)', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.writeRound(2, 'uuu');
    await p.drain();
    p.clock.now = p.clock.base + 2 * 60_000 + 81_000;
    expect((await p.sweep()).fleetAlerts).toEqual([]);
    await p.writeRound(3, 'uus');
    await p.writeRound(4, 'uus');
    await p.writeRound(5, 'uus');
    await p.drain();
    p.clock.now = p.clock.base + 5 * 60_000 + 81_000;
    await p.sweep();
    expect(p.alerts().map((a) => a.kind)).toEqual(['FLEET_DEGRADED']);
    expect(p.alerts()[0]!.fleet).toMatchObject({ silentRegions: ['ap-south-1'] });
    expect(p.logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('waits out the startup grace before calling probes silent', async () => {
    const p = await open({ monitors: [ORDERS] }, { sweeper: { startupGraceMs: 10 * 60_000 } });
    p.clock.now = p.clock.base + 5 * 60_000;
    expect(await p.sweep()).toMatchObject({ silent: [], fleetAlerts: [] });
    // The grace runs from the first sweep, which stored the fleet item.
    p.clock.now += 9 * 60_000;
    expect(await p.sweep()).toMatchObject({ silent: [], fleetAlerts: [] });
    p.clock.now += 60_000;
    expect(await p.sweep()).toMatchObject({ silent: ['us-east-1', 'eu-west-1', 'ap-south-1'], fleetAlerts: ['FLEET_DEGRADED — silent: ap-south-1, eu-west-1, us-east-1'] });
  });

  it("pages the fleet when a region's canary fails, naming it vetoed and the monitors it leaves short of a quorum", async () => {
    const metrics = memoryMetrics();
    const p = await open({ monitors: [ORDERS, { ...ORDERS, id: 'strict', quorum: 3 }], canary: { host: '127.0.0.1', port: 9 } }, { sweeper: { metrics } });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu', { canary: { 'eu-west-1': CANARY_DOWN } });
    await p.drain();
    // One whole minute of a failing canary is not yet enough: the fleet is paged only when it lasts two.
    p.clock.now = p.clock.base + 60_000 + 81_000;
    expect(await p.sweep()).toMatchObject({ silent: [], vetoed: [], fleetAlerts: [] });
    await p.writeRound(2, 'uuu', { canary: { 'eu-west-1': CANARY_DOWN } });
    await p.drain();
    p.clock.now = p.clock.base + 2 * 60_000 + 81_000;
    const swept = await p.sweep();
    expect(swept).toMatchObject({ silent: [], vetoed: ['eu-west-1'] });
    expect(p.alerts().map((a) => a.kind)).toEqual(['FLEET_DEGRADED']);
    expect(p.alerts()[0]!.fleet).toMatchObject({ silentRegions: [], vetoedRegions: ['eu-west-1'], unknownMonitors: ['strict'] });
    expect(metrics.values).toMatchObject({ VetoedProbes: 1, SilentProbes: 0, UnknownMonitors: 1 });
    // The canary comes back: the fleet recovers, once, after two healthy minutes (one is not enough).
    await p.writeRound(3, 'uuu');
    await p.drain();
    p.clock.now = p.clock.base + 3 * 60_000 + 81_000;
    expect(await p.sweep()).toMatchObject({ vetoed: ['eu-west-1'], fleetAlerts: [] });
    await p.writeRound(4, 'uuu');
    await p.drain();
    p.clock.now = p.clock.base + 4 * 60_000 + 81_000;
    await p.sweep();
    p.clock.now += 10_000;
    await p.sweep();
    expect(p.alerts().map((a) => a.kind)).toEqual(['FLEET_DEGRADED', 'FLEET_RECOVERED']);
  });

  it('judges a canary by all its rounds of each minute (10 s rounds): failing a minority never pages, most of two minutes does', async () => {
    const p = await open({ monitors: [{ ...ORDERS, interval: 10 }], canary: { host: '127.0.0.1', port: 9 } });
    // Every region writes its six rounds a minute; eu-west-1's canary fails at the rounds `failing` picks.
    const writeMinute = async (minute: number, failing: (k: number) => boolean) => {
      for (let k = 0; k < 6; k += 1) {
        const instant = p.clock.base + minute * 60_000 + k * 10_000;
        for (const region of REGIONS) {
          const canary = region === 'eu-west-1' && failing(k) ? CANARY_DOWN : CANARY_UP;
          await p.table.store.writeRoundItems(encodeRoundItems({ instant, region, probedAt: instant + 1000, canary, results: { 'orders-db': UP } }), region);
        }
      }
    };
    // A lossy region: its canary fails in two of six rounds, including each minute's first, for five minutes.
    for (let minute = 0; minute < 5; minute += 1) {
      await writeMinute(minute, (k) => k === 0 || k === 3);
      p.clock.now = p.clock.base + minute * 60_000 + 81_000;
      expect(await p.sweep()).toMatchObject({ silent: [], vetoed: [], fleetAlerts: [] });
    }
    // Then failing in four of six for two minutes: vetoed, once the second has closed.
    await writeMinute(5, (k) => k !== 2 && k !== 5);
    p.clock.now = p.clock.base + 5 * 60_000 + 81_000;
    expect(await p.sweep()).toMatchObject({ vetoed: [], fleetAlerts: [] });
    await writeMinute(6, (k) => k >= 2);
    p.clock.now = p.clock.base + 6 * 60_000 + 81_000;
    expect(await p.sweep()).toMatchObject({ vetoed: ['eu-west-1'], fleetAlerts: ['FLEET_DEGRADED — canary failing: eu-west-1'] });
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['FLEET_DEGRADED']);
  });

  it('names a silent probe group by region/group and leaves only its monitors unknown', async () => {
    const p = await open({
      groups: { private: { regions: ['us-east-1', 'eu-west-1'] } },
      monitors: [ORDERS, { id: 'ledger-db', host: '10.0.2.7', port: 5432, group: 'private' }],
    });
    for (let i = 0; i < 3; i += 1) {
      await p.writeRound(i, 'uuu');
      await p.writeRound(i, 'uss', { group: 'private' });
    }
    await p.drain();
    p.clock.now = p.clock.base + 2 * 60_000 + 81_000;
    expect(await p.sweep()).toMatchObject({ silent: ['eu-west-1/private'], vetoed: [], fleetAlerts: ['FLEET_DEGRADED — silent: eu-west-1/private'] });
    expect(p.alerts()[0]!.fleet!.unknownMonitors).toEqual(['ledger-db']);
  });
});

describe('sweeper: evaluation', () => {
  it('moves the state generation once per pass, however many monitors changed in it', async () => {
    const p = await open({ monitors: [ORDERS, { ...ORDERS, id: 'ledger-db' }, { ...ORDERS, id: 'search' }] });
    // The sweeper alone evaluates, in one pass over every monitor: three first states written.
    await p.poller.stop();
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    p.clock.now = p.clock.base + 60_000 + 81_000;
    expect((await p.sweep()).evaluation.writes).toBe(3);
    // Each changed shard's counter once (orders-db, ledger-db and search are in shards 22, 0 and 50), no other.
    const moved = (generation: number[]) => generation.flatMap((n, k) => (n === 0 ? [] : [`${k}:${n}`]));
    expect(moved(await p.table.store.readStateGeneration())).toEqual(['0:1', '22:1', '50:1']);
    // A pass that changes nothing leaves it where it is.
    p.clock.now += 1000;
    expect((await p.sweep()).evaluation.writes).toBe(0);
    expect(moved(await p.table.store.readStateGeneration())).toEqual(['0:1', '22:1', '50:1']);
  });

});
