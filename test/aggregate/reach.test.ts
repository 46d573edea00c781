// The reachability matrix through the real pipeline: round items of the public probes and of a probe group written to
// DynamoDB Local, read back from its stream by the aggregator; SNS mocked at the SDK.
import { describe, expect, it } from 'vitest';
import { readStatus } from '../../bin/cli/status-read';
import { historyDays } from '../../functions/shared/domain/history';
import { ORDERS, usePipelines } from '../support/pipeline';

const open = usePipelines();
/** The vpc group runs in the first two of the pipeline's regions (us-east-1, eu-west-1); the third is silent there. */
const GROUPS = { vpc: { regions: ['us-east-1', 'eu-west-1'] } };
const LEDGER = { ...ORDERS, reach: { vpc: 'open', public: 'closed' } } as const;

describe('reach through the real stream', () => {
  it('pages REACH_BROKEN once when the vpc group is refused, naming the vantage point, and REACH_RESTORED once it connects again', async () => {
    const p = await open({ groups: GROUPS, monitors: [LEDGER] });
    const round = async (index: number, publicCodes: string, vpcCodes: string) => {
      await p.writeRound(index, publicCodes);
      await p.writeRound(index, vpcCodes, { group: 'vpc' });
    };
    // Closed from the internet (u: the private check passed), open from inside.
    await round(0, 'uuu', 'uus');
    await round(1, 'uuu', 'uus');
    await p.drain();
    expect(p.publishes()).toEqual([]);
    // The database's security group loses the VPC's rule: refused from inside, for failureThreshold (2) rounds.
    await round(2, 'uuu', 'dds');
    await p.drain();
    expect(p.publishes()).toEqual([]);
    await round(3, 'uuu', 'dds');
    await p.drain();
    const base = p.clock.base;
    expect(p.publishes()).toHaveLength(1);
    const [call] = p.publishes();
    expect(call!.Subject).toBe('REACH_BROKEN orders-db 10.0.1.5:5432 — closed from vpc (refused in 2/2 regions; expected open)');
    expect(call!.MessageAttributes!.kind).toEqual({ DataType: 'String', StringValue: 'REACH_BROKEN' });
    const broken = JSON.parse(call!.Message!);
    expect(broken).toMatchObject({
      alertId: `orders-db:REACH_BROKEN:vpc:${(base + 3 * 60_000) / 1000}`,
      kind: 'REACH_BROKEN',
      since: new Date(base + 3 * 60_000).toISOString(),
      reach: {
        group: 'vpc', expect: 'open', found: 'closed', quorum: 2, since: new Date(base + 3 * 60_000).toISOString(),
        regions: [
          { region: 'us-east-1', status: 'down', class: 'refused', code: 'ECONNREFUSED' },
          { region: 'eu-west-1', status: 'down', class: 'refused', code: 'ECONNREFUSED' },
        ],
      },
    });
    // The public side is untouched: closed in every public region.
    expect(broken.regions.map((r: { status: string }) => r.status)).toEqual(['up', 'up', 'up']);
    // `portquorum status` marks it (REACH(closed from vpc)), beside the monitor's own verdict.
    const status = await readStatus(p.table.store, p.fleet, { now: p.clock.now });
    expect(status.monitors[0]).toMatchObject({ monitor: 'orders-db', verdict: 'UP', reachBroken: ['closed from vpc'] });

    // One region of the group alone connecting is not the group's quorum; both again, for recoveryThreshold rounds.
    await round(4, 'uuu', 'uds');
    await round(5, 'uuu', 'uus');
    await round(6, 'uuu', 'uus');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['REACH_BROKEN', 'REACH_RESTORED']);
    const restored = p.alerts()[1]!;
    expect(restored.subject).toBe('REACH_RESTORED orders-db 10.0.1.5:5432 — open from vpc again, as expected');
    expect(restored.reach).toMatchObject({ restored: new Date(base + 6 * 60_000).toISOString() });
    expect((await readStatus(p.table.store, p.fleet, { now: p.clock.now })).monitors[0]!.reachBroken).toBeUndefined();

    // The exposure audit of the public side goes on as before: one public region connecting pages EXPOSED.
    await round(7, 'uos', 'uus');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['REACH_BROKEN', 'REACH_RESTORED', 'EXPOSED']);
    expect(p.alerts()[2]!.subject).toContain('open from eu-west-1');
    // The history keeps each of them, as it keeps every alert raised (what `portquorum history` prints).
    const history = await p.table.store.readHistory(historyDays(p.clock.base - 86_400_000, p.clock.now + 86_400_000));
    const raised = history.filter((e) => e.event === 'alert' && e.monitor === 'orders-db');
    expect(raised.map((e) => (e.event === 'alert' ? `${e.alertKind} ${e.disposition}` : ''))).toEqual(['REACH_BROKEN pending', 'REACH_RESTORED pending', 'EXPOSED pending']);
    expect(p.failures).toEqual([]);
  });

  it('waits for the group before judging a round, and the sweeper closes rounds whose group stayed silent', async () => {
    const p = await open({ groups: GROUPS, monitors: [{ ...LEDGER, failureThreshold: 1 }] });
    for (const index of [0, 1]) {
      await p.writeRound(index, 'uuu');
      await p.writeRound(index, 'uus', { group: 'vpc' });
    }
    await p.drain();
    // The vpc group refuses; its round item arrives after the public one, which alone decides nothing.
    await p.writeRound(2, 'uuu');
    await p.drain();
    expect(p.publishes()).toEqual([]);
    expect((await p.table.store.readMonitorState('orders-db'))!.state.round).toBe(p.clock.base + 60_000);
    await p.writeRound(2, 'dds', { group: 'vpc' });
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['REACH_BROKEN']);
    // Then the group goes silent: nothing more is decided about it (no REACH_RESTORED), while the public side is
    // judged once the sweeper finds its rounds closed: here a public region connects (EXPOSED).
    await p.writeRound(3, 'uos');
    await p.writeRound(4, 'uuu');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['REACH_BROKEN']);
    p.clock.now = p.clock.base + 6 * 60_000;
    await p.sweep();
    await p.drain();
    // (The silent group's probes are the fleet's news, as any silent probe is.)
    expect(p.alerts().map((a) => a.kind)).toEqual(['REACH_BROKEN', 'EXPOSED', 'FLEET_DEGRADED']);
    expect(p.alerts()[2]!.fleet!.silentRegions).toEqual(['eu-west-1/vpc', 'us-east-1/vpc']);
    const stored = (await p.table.store.readMonitorState('orders-db'))!.state;
    expect(stored.reach).toEqual({ vpc: { since: p.clock.base + 2 * 60_000 } });
    expect(p.failures).toEqual([]);
  });
});
