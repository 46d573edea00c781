// The sweeper when a monitor's state cannot be written: that monitor alone fails, the rest of the sweep goes on.
import { describe, expect, it } from 'vitest';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { injectFault, serviceError, stateKey } from '../faults/inject';
import { ORDERS, usePipelines } from '../support/pipeline';

const open = usePipelines();

describe('sweeper: a state that cannot be written', () => {
  it("fails that monitor alone: the others are evaluated, the fleet is paged, and the failure is counted and logged (defect 3)", async () => {
    const metrics = memoryMetrics();
    const p = await open({ monitors: [ORDERS, { ...ORDERS, id: 'ledger-db' }] }, { sweeper: { metrics } });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    // orders-db's item cannot take another write (as an item at DynamoDB's 400 KB limit cannot).
    const fault = injectFault(p.table.client, (call) =>
      /^(PutItem|TransactWriteItems)Command$/.test(call.command) && stateKey(call) === 'monitor#orders-db'
        ? serviceError('ValidationException', 'Item size has exceeded the maximum allowed size')
        : undefined);
    try {
      // Every region falls silent: both monitors turn UNKNOWN and the fleet is paged.
      p.clock.now = p.clock.base + 6 * 60_000;
      const swept = await p.sweep();
      expect(swept.stateFailures).toBe(1);
      expect(swept.fleetAlerts).toEqual(['FLEET_DEGRADED — silent: ap-south-1, eu-west-1, us-east-1']);
      expect(fault.failed.length).toBeGreaterThan(0);
    } finally {
      fault.remove();
    }
    expect(p.alerts().map((a) => a.kind)).toEqual(['FLEET_DEGRADED']);
    expect((await p.table.store.readMonitorState('ledger-db'))!.state.verdict).toBe('UNKNOWN');
    expect((await p.table.store.readMonitorState('orders-db'))!.state.verdict).toBe('UP');
    expect(metrics.values.StateFailures).toBe(1);
    expect(p.logs.find((l) => l.message === 'Evaluating a monitor failed; the others go on')?.extra).toMatchObject({
      monitor: 'orders-db', error: expect.stringContaining('Item size has exceeded the maximum allowed size'),
    });
    // The next sweep, with the item writable again, catches up.
    p.clock.now += 60_000;
    expect((await p.sweep()).stateFailures).toBe(0);
    expect((await p.table.store.readMonitorState('orders-db'))!.state.verdict).toBe('UNKNOWN');
  });
});
