// Silences and acks through the real aggregator and sweeper on DynamoDB Local: pages held and recorded, the silence's
// end paging once, an ack stopping the reminders of one DOWN only.
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { historyDays, type HistoryEvent } from '../../functions/shared/domain/history';
import type { Silence } from '../../functions/shared/domain/silence';
import { ORDERS, usePipelines, type Pipeline } from '../support/pipeline';

const open = usePipelines();

function history(p: Pipeline): Promise<HistoryEvent[]> {
  return p.table.store.readHistory(historyDays(p.clock.base - 86_400_000, p.clock.now + 86_400_000));
}

const note = (e: HistoryEvent) => `${e.event}${e.event === 'transition' ? ` ${e.to}${e.silenced ? ' silenced' : ''}` : e.event === 'alert' ? ` ${e.alertKind} ${e.disposition} ${e.cause}` : e.event === 'delivery' ? ` ${e.alertKind}` : ''}`;

describe('silences and acks', () => {
  it('holds the DOWN inside a silence (recorded with it), and pages it once when the silence ends; the tag silence covers it too', async () => {
    const p = await open({ monitors: [ORDERS, { ...ORDERS, id: 'ledger-db', tags: { team: 'ledger' } }] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    const by = 'arn:aws:iam::123456789012:user/ana';
    const silence: Silence = { target: { tag: { key: 'team', value: 'payments' } }, by, reason: 'disk swap', since: p.clock.now, until: p.clock.base + 5 * 60_000 };
    await p.table.store.putSilence(silence, { monitor: 'tag:team=payments', at: p.clock.now, fields: { event: 'silence', target: 'tag:team=payments', by, until: new Date(silence.until).toISOString() } });
    // Its item outlives `until` by a day: DynamoDB's TTL (DynamoDB Local's too) deletes an item any time after its
    // TTL, and these rounds' instants lie half an hour in the past, so a TTL at `until` let the silence vanish mid-test.
    const raw = await p.table.client.send(new QueryCommand({
      TableName: p.table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'silence' } },
    }));
    expect((raw.Items ?? []).map((i) => unmarshall(i).ttl)).toEqual([Math.ceil(silence.until / 1000) + 86_400]);
    await p.writeRound(2, 'ddd');
    await p.writeRound(3, 'ddd');
    await p.drain();
    // ledger-db (team=ledger) pages; orders-db (team=payments) is silenced.
    const orders = () => p.alerts().filter((a) => a.monitor?.id === 'orders-db');
    expect(p.alerts().map((a) => `${a.kind} ${a.monitor?.id}`)).toEqual(['DOWN ledger-db']);
    expect((await p.table.store.readMonitorState('orders-db'))!.state).toMatchObject({ verdict: 'DOWN', notified: 'UP', heldBy: 'silence' });
    // The silence's item stays until its TTL; past `until` the sweeper pages what it held.
    await p.writeRound(4, 'ddd');
    await p.drain();
    expect(orders()).toEqual([]);
    p.clock.now = p.clock.base + 5 * 60_000 + 30_000;
    await p.sweep();
    expect(orders().map((a) => `${a.kind} ${a.monitor?.id} ${a.cause}`)).toEqual(['DOWN orders-db silence-ended']);
    expect(orders()[0]!.silenced).toBeUndefined();
    // (Each region's own changes are recorded too; the report counts them, this test looks at the pages.)
    const events = (await history(p)).filter((e) => e.monitor === 'orders-db' && e.event !== 'region');
    expect(events.map(note)).toEqual([
      'transition UP', 'transition DOWN silenced', 'alert DOWN held transition', 'alert DOWN pending silence-ended', 'delivery DOWN',
    ]);
    const held = events.find((e) => e.event === 'alert' && e.disposition === 'held');
    expect(held).toMatchObject({ silenced: { by, reason: 'disk swap', until: new Date(silence.until).toISOString() } });
    // The held alert and the page its end sent share the alertId: one incident.
    expect(events.filter((e) => e.event === 'alert').map((e) => (e as { alertId: string }).alertId)).toEqual([orders()[0]!.alertId, orders()[0]!.alertId]);
  });

  it('an ack stops the reminders of the current DOWN only', async () => {
    const p = await open({ monitors: [{ ...ORDERS, renotifyMinutes: 2 }] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.writeRound(2, 'ddd');
    await p.writeRound(3, 'ddd');
    await p.drain();
    const down = p.alerts()[0]!;
    expect(down.kind).toBe('DOWN');
    // A stale ack (another alert id) is refused; the current one is written with the state.
    const ack = { alertId: down.alertId, by: 'ana', reason: 'on it', at: new Date(p.clock.now).toISOString() };
    const record = { monitor: 'orders-db', at: p.clock.now, fields: { event: 'ack' as const, alertId: down.alertId, by: 'ana', reason: 'on it' } };
    expect(await p.table.store.ackAlert('orders-db', { ...ack, alertId: 'orders-db:DOWN:1' }, record)).toBe('stale');
    expect(await p.table.store.ackAlert('orders-db', ack, record)).toBe('acked');
    for (let i = 4; i < 10; i += 1) {
      await p.writeRound(i, 'ddd');
      await p.drain();
      p.clock.now += 30_000;
      await p.sweep();
    }
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    // Recovery pages; the next DOWN reminds again.
    for (let i = 10; i < 20; i += 1) {
      await p.writeRound(i, i < 12 ? 'uuu' : 'ddd');
      await p.drain();
      p.clock.now += 30_000;
      await p.sweep();
    }
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN', 'UP', 'DOWN', 'REMINDER', 'REMINDER', 'REMINDER']);
    expect((await history(p)).filter((e) => e.event === 'ack')).toEqual([expect.objectContaining({ monitor: 'orders-db', alertId: down.alertId, by: 'ana', reason: 'on it' })]);
  });
});
