// The fault table, alert delivery rows: SNS failing for half an hour while a monitor goes DOWN, reminds and comes UP;
// the aggregator and the sweeper publishing the same pending alert at once. DynamoDB Local with its real stream, the
// real handlers, SNS mocked at the SDK boundary.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, PublishCommand } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { monitorStatePk } from '../../functions/shared/adapters/store';
import { inOrder } from '../../functions/shared/evaluation/outbox';
import { allSent, ORDERS, usePipelines, type Pipeline } from '../support/pipeline';
import { expectPages, stateWatch } from './support';

const open = usePipelines();

/** The state item as stored, and its size as DynamoDB counts it (names and values, approximately). */
async function stateItem(p: Pipeline, sk: string): Promise<{ bytes: number; pending: number }> {
  const output = await p.table.client.send(new GetItemCommand({ TableName: p.table.tableName, Key: marshall({ pk: sk.startsWith('monitor#') ? monitorStatePk(sk.slice('monitor#'.length)) : 'state', sk }), ConsistentRead: true }));
  if (!output.Item) return { bytes: 0, pending: 0 };
  const item = unmarshall(output.Item);
  return { bytes: JSON.stringify(item).length, pending: Object.keys(item.pending ?? {}).length };
}

describe('fault table: SNS failing for 30 minutes', () => {
  it('keeps the state item small, still pages the fleet for a silent region, and on recovery sends DOWN then UP once each (defect 3)', async () => {
    const p = await open({ monitors: [{ ...ORDERS, renotifyMinutes: 1 }] });
    // SNS down: Publish and PublishBatch alike (the sweeper batches the monitor's and the fleet's pages together).
    p.sns.on(PublishCommand).rejects(new Error('Service Unavailable'));
    p.sns.on(PublishBatchCommand).rejects(new Error('Service Unavailable'));
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
    p.sns.on(PublishBatchCommand).callsFake(allSent);
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
  }, 420_000);
});

describe('fault table: the aggregator and the sweeper publishing the same pending alert at once', () => {
  it('one delivery: the sweeper leaves an alert the aggregator claimed, however long its publish takes', async () => {
    const p = await open({ monitors: [ORDERS] });
    const watch = stateWatch(p, 'orders-db');
    // While the aggregator's DOWN publish is in flight, sweeps run (the clock 20 s, then 80 s on: a slow SNS call).
    let sweeps: Promise<unknown> | undefined;
    p.sns.on(PublishCommand).callsFake(async () => {
      if (sweeps === undefined) {
        const at = p.clock.now;
        sweeps = (async () => {
          p.clock.now = at + 20_000;
          await Promise.all([p.sweep(), p.sweep()]);
          p.clock.now = at + 80_000;
          await p.sweep();
          p.clock.now = at;
        })();
        await sweeps;
      }
      return { MessageId: 'm-1' };
    });
    for (let i = 0; i < 4; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    await p.drain();
    await sweeps;
    await watch.check();
    expectPages(p.alerts(), 'orders-db', ['DOWN']);
    expect((await p.table.store.readMonitorState('orders-db'))!.pending).toEqual({});
    // Later sweeps find nothing to send again.
    p.clock.now += 5 * 60_000;
    await p.writeRound(8, 'ddd');
    await p.drain();
    await p.sweep();
    expectPages(p.alerts(), 'orders-db', ['DOWN']);
    await watch.check();
  });
});
