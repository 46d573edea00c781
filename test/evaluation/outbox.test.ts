// The outbox on DynamoDB Local: alerts recorded pending in a state item, published, cleared — under writers that race.
import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import type { StoredState } from '../../functions/shared/adapters/store';
import type { MonitorState } from '../../functions/shared/domain/verdict';
import { evaluateMonitors } from '../../functions/shared/evaluation/evaluate';
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
      [{ monitor, instant: p.clock.base + 3 * 60_000 }], p.clock.now, { states: staleRead! },
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
