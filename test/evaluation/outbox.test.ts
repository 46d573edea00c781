// The outbox on DynamoDB Local: alerts recorded pending in a state item, published, cleared — under writers that race.
import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import type { StoredState } from '../../functions/shared/adapters/store';
import { withSubject, type AlertMessage } from '../../functions/shared/domain/alert';
import type { MonitorState } from '../../functions/shared/domain/verdict';
import { evaluateMonitors } from '../../functions/shared/evaluation/evaluate';
import { claimFor } from '../../functions/shared/evaluation/publish';
import { ORDERS, usePipelines } from '../support/pipeline';

const open = usePipelines();

describe('outbox: clearing a published alert', () => {
  it('moves the version, so a writer that read the state before the clear cannot bring the alert back (defect 4)', async () => {
    const p = await open({ monitors: [{ ...ORDERS, renotifyMinutes: 1 }] });
    // Another writer (a second aggregator container, the sweeper) reads the states while the DOWN page is being
    // published: its copy still holds the page as pending.
    let staleRead: Map<string, StoredState<MonitorState>> | undefined;
    p.sns.on(PublishCommand).callsFake(async () => {
      staleRead ??= await p.table.store.readMonitorStates();
      return { MessageId: 'm-1' };
    });
    for (let i = 0; i < 4; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    expect(Object.keys(staleRead!.get('orders-db')!.pending)).toHaveLength(1);
    expect((await p.table.store.readMonitorState('orders-db'))!.pending).toEqual({});

    // A minute later that writer acts on its copy: a reminder is due, so it writes a new state.
    p.clock.now += 60_000;
    const monitor = p.fleet.monitors[0]!;
    const summary = await evaluateMonitors(
      { fleet: p.fleet, store: p.table.store, publisher: { publish: async () => undefined }, log: { debug() {}, info() {}, warn() {}, error() {} }, metrics: { count() {}, flush() {} } },
      [{ monitor, instant: p.clock.base + 3 * 60_000 }], p.clock.now, { states: staleRead!, claim: claimFor('aggregate', p.clock.now) },
    );
    // The page it once saw pending must not come back: the sweeper finds nothing to send again.
    expect(Object.values((await p.table.store.readMonitorState('orders-db'))!.pending).map((pa) => pa.alert.kind)).not.toContain('DOWN');
    p.clock.now += 60_000;
    expect((await p.sweep()).republished).toBe(0);
    expect(p.alerts().filter((a) => a.kind === 'DOWN')).toHaveLength(1);
    // The writer lost its condition to the clear, and wrote its reminder from the fresh state instead.
    expect(summary.conflicts).toBe(1);
    expect(summary.alerts).toBe(1);
  });
});

describe('outbox: who publishes a pending alert', () => {
  it('a sweep during a long publish leaves the alert to the aggregator that claimed it: one delivery (defect 5)', async () => {
    const p = await open({ monitors: [ORDERS] });
    // The aggregator's pass is long (thousands of transitions): 20 s pass between its state write and this publish,
    // and a sweep runs meanwhile.
    let sweptMeanwhile: Awaited<ReturnType<typeof p.sweep>> | undefined;
    p.sns.on(PublishCommand).callsFake(async () => {
      if (sweptMeanwhile === undefined && p.alerts().length === 1) {
        p.clock.now += 20_000;
        sweptMeanwhile = await p.sweep();
      }
      return { MessageId: 'm-1' };
    });
    for (let i = 0; i < 4; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    await p.drain();
    expect(sweptMeanwhile).toMatchObject({ republished: 0 });
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    expect((await p.table.store.readMonitorState('orders-db'))!.pending).toEqual({});
  });

  it('an alert whose publisher died is sent once its lease has ended, by one sweep only', async () => {
    const p = await open({ monitors: [ORDERS] });
    for (let i = 0; i < 2; i += 1) await p.writeRound(i, 'uuu');
    await p.drain();
    // An aggregator wrote DOWN with its claim, then its process ended before publishing.
    const stored = (await p.table.store.readMonitorState('orders-db'))!;
    const claim = claimFor('aggregate', p.clock.now);
    const down = { ...stored.state, verdict: 'DOWN' as const, notified: 'DOWN' as const, alertId: 'orders-db:DOWN:1', version: stored.state.version + 1 };
    const alert = downAlert(p.clock.now);
    expect(await p.table.store.writeMonitorState(down, stored.state.version, { 'orders-db:DOWN:1#0': { alert, since: p.clock.now, claim } })).toBe('written');
    p.clock.now = claim.until - 1000;
    expect((await p.sweep()).republished).toBe(0);
    p.clock.now = claim.until + 1000;
    // Two sweeps at once (a slow one overlapping the next): the claim lets one of them publish it.
    const [a, b] = await Promise.all([p.sweep(), p.sweep()]);
    expect(a.republished + b.republished).toBe(1);
    expect(p.alerts().filter((x) => x.kind === 'DOWN').map((x) => x.alertId)).toEqual(['orders-db:DOWN:1']);
    // (The sweeps also found the monitor up again: that UP goes after the DOWN, by the next sweep at the latest.)
    p.clock.now += 60_000;
    await p.sweep();
    expect(p.alerts().map((x) => x.kind)).toEqual(['DOWN', 'UP']);
    expect((await p.table.store.readMonitorState('orders-db'))!.pending).toEqual({});
  });
});

/** A DOWN alert as the aggregator raises it. */
function downAlert(at: number): AlertMessage {
  const instant = new Date(at).toISOString();
  return withSubject({
    schemaVersion: 1, alertId: 'orders-db:DOWN:1', sequence: 0, kind: 'DOWN', cause: 'transition', at: instant, round: instant, since: instant,
    monitor: { id: 'orders-db', host: '10.0.1.5', port: 5432, target: '10.0.1.5:5432', tags: {}, severity: 'critical' },
    verdict: 'DOWN', previousVerdict: 'UP', regions: [], quorum: 2,
  });
}
