// The sweeper through outages: SNS failing for half an hour (the outbox stays bounded, the fleet is still checked, and
// on recovery each page goes out once, in order), and a monitor whose state cannot be written (the rest goes on).
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { inOrder } from '../../functions/shared/evaluation/outbox';
import { injectFault, serviceError, stateKey } from '../faults/inject';
import { ORDERS, usePipelines, type Pipeline } from '../support/pipeline';

const open = usePipelines();

/** The state item as stored, and its size as DynamoDB counts it (names and values, approximately). */
async function stateItem(p: Pipeline, sk: string): Promise<{ bytes: number; pending: number }> {
  const output = await p.table.client.send(new GetItemCommand({ TableName: p.table.tableName, Key: marshall({ pk: 'state', sk }), ConsistentRead: true }));
  if (!output.Item) return { bytes: 0, pending: 0 };
  const item = unmarshall(output.Item);
  return { bytes: JSON.stringify(item).length, pending: Object.keys(item.pending ?? {}).length };
}

describe('sweeper: SNS failing for 30 minutes', () => {
  it('keeps the state item small, still pages the fleet for a silent region, and on recovery sends DOWN then UP once each (defect 3)', async () => {
    const p = await open({ monitors: [{ ...ORDERS, renotifyMinutes: 1 }] });
    p.sns.on(PublishCommand).rejects(new Error('Service Unavailable'));
    const sizes: number[] = [];
    const pendings: number[] = [];
    // Minute by minute: up, then down with ap-south-1 silent throughout, back up after 22 minutes; a sweep each minute.
    for (let i = 0; i < 30; i += 1) {
      await p.writeRound(i, i < 2 ? 'uuu' : i < 24 ? 'dds' : 'uus');
      await p.drain();
      p.clock.now = p.clock.base + i * 60_000 + 50_000;
      // (Sweeps start once the probes have written two minutes of rounds.)
      if (i >= 2) expect((await p.sweep()).stateFailures).toBe(0);
      const item = await stateItem(p, 'monitor#orders-db');
      sizes.push(item.bytes);
      pendings.push(item.pending);
    }
    // Reminders replaced one another instead of piling up: never more than a DOWN, the latest reminder and an UP.
    expect(Math.max(...pendings)).toBeLessThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThan(16 * 1024);
    expect(p.logs.filter((l) => l.message === 'Undelivered reminder replaced by a newer alert').length).toBeGreaterThan(10);
    // The fleet check ran all along: ap-south-1's silence is recorded (its page pending like the others).
    const fleet = (await p.table.store.readFleetState())!;
    expect(fleet.state.notified).toEqual({ 'ap-south-1': 'silent' });
    const attempted = p.alerts().length;
    // What waits: the DOWN page and the UP page (the reminders in between are moot once UP is known).
    const pending = (await p.table.store.readMonitorState('orders-db'))!.pending;
    expect(inOrder(pending).map(([, entry]) => entry.alert.kind)).toEqual(['DOWN', 'UP']);

    // SNS is back: the next sweep delivers what is pending, each once, each monitor's in the order raised.
    p.sns.on(PublishCommand).resolves({ MessageId: 'm-ok' });
    for (let i = 30; i < 32; i += 1) {
      await p.writeRound(i, 'uus');
      await p.drain();
      p.clock.now = p.clock.base + i * 60_000 + 50_000;
      await p.sweep();
    }
    const delivered = p.alerts().slice(attempted);
    const monitorPages = delivered.filter((a) => a.monitor?.id === 'orders-db');
    expect(monitorPages.filter((a) => a.kind !== 'REMINDER').map((a) => a.kind)).toEqual(['DOWN', 'UP']);
    expect(monitorPages.filter((a) => a.kind === 'REMINDER').length).toBeLessThanOrEqual(1);
    expect(monitorPages[monitorPages.length - 1]!.kind).toBe('UP');
    expect(delivered.filter((a) => a.monitor === undefined).map((a) => a.kind)).toEqual(['FLEET_DEGRADED']);
    const keys = delivered.map((a) => `${a.alertId}#${a.sequence}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect((await stateItem(p, 'monitor#orders-db')).pending).toBe(0);
    expect((await p.table.store.readFleetState())!.pending).toEqual({});
  }, 240_000);
});

describe('sweeper: a state that cannot be written', () => {
  it("fails that monitor alone: the others are evaluated, the fleet is paged, and the failure is counted and logged (defect 3)", async () => {
    const metrics = memoryMetrics();
    const p = await open({ monitors: [ORDERS, { ...ORDERS, id: 'ledger-db' }] }, { sweeper: { metrics } });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    // orders-db's item cannot take another write (as an item at DynamoDB's 400 KB limit cannot).
    const fault = injectFault(p.table.client, (call) =>
      call.command === 'PutItemCommand' && stateKey(call) === 'monitor#orders-db'
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
