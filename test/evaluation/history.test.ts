// The history on DynamoDB Local: transitions, alerts and their deliveries written by the real aggregator and sweeper,
// exactly once whatever the replays, and never in the way of a page.
import { describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { historyDays, historyPk, type HistoryEvent } from '../../functions/shared/domain/history';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { injectFault, serviceError } from '../faults/inject';
import { ORDERS, usePipelines, type Pipeline } from '../support/pipeline';
import { timelinesFromHistory } from '../../functions/shared/domain/history-timeline';
import { computeReport } from '../../functions/shared/domain/report';

const open = usePipelines();

async function history(p: Pipeline): Promise<HistoryEvent[]> {
  return p.table.store.readHistory(historyDays(p.clock.base - 86_400_000, p.clock.now + 86_400_000));
}

/** One line per event, what a reader would check. */
function lines(events: HistoryEvent[]): string[] {
  return events.map((e) => {
    switch (e.event) {
      case 'transition':
        return `${e.monitor} transition ${e.from}→${e.to}`;
      case 'alert':
        return `${e.monitor} alert ${e.alertKind}#${e.sequence} ${e.disposition}`;
      case 'delivery':
        return `${e.monitor} delivery ${e.alertKind}#${e.sequence} ${e.outcome} by ${e.by}${e.republished ? ' (republished)' : ''}`;
      case 'region':
        return `${e.monitor} region ${e.region} ${e.status}${e.class ? ` ${e.class}` : ''}`;
      default:
        return `${e.monitor} ${e.event}`;
    }
  });
}

describe('history', () => {
  it('records each transition with its regions, each alert raised and its delivery, in the day partition with the TTL', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    await p.writeRound(2, 'ddu');
    await p.writeRound(3, 'ddu');
    await p.drain();
    await p.writeRound(4, 'uuu');
    await p.writeRound(5, 'uuu');
    await p.drain();
    // A replayed batch adds nothing.
    for (const event of p.events.slice(-2)) await p.aggregate(event);

    const events = await history(p);
    expect(lines(events)).toEqual([
      'orders-db transition UNKNOWN→UP',
      // Each region's own changes, at the round each was first seen in (before the round that decided the DOWN).
      'orders-db region eu-west-1 down refused',
      'orders-db region us-east-1 down refused',
      'orders-db transition UP→DOWN',
      'orders-db alert DOWN#0 pending',
      'orders-db delivery DOWN#0 published by aggregate',
      'orders-db region eu-west-1 up',
      'orders-db region us-east-1 up',
      'orders-db transition DOWN→UP',
      'orders-db alert UP#0 pending',
      'orders-db delivery UP#0 published by aggregate',
    ]);
    const down = events.find((e) => e.event === 'transition' && e.to === 'DOWN')!;
    const round3 = new Date(p.clock.base + 3 * 60_000).toISOString();
    expect(down).toEqual({
      event: 'transition', monitor: 'orders-db', at: new Date(p.clock.base + 3 * 60_000 + 5_000).toISOString(), from: 'UP', to: 'DOWN',
      round: round3, since: round3,
      regions: [
        { region: 'us-east-1', status: 'down', class: 'refused', latencyMs: 1 },
        { region: 'eu-west-1', status: 'down', class: 'refused', latencyMs: 1 },
        { region: 'ap-south-1', status: 'up', latencyMs: 12 },
      ],
    });
    const alert = events.find((e) => e.event === 'alert' && e.alertKind === 'DOWN');
    expect(alert).toMatchObject({
      alertId: `orders-db:DOWN:${(p.clock.base + 3 * 60_000) / 1000}`, sequence: 0, cause: 'transition', verdict: 'DOWN', previousVerdict: 'UP',
      subject: 'DOWN orders-db 10.0.1.5:5432 — refused in 2/3 regions', round: round3,
    });
    // Stored under the event's UTC day and its monitor's history shard, sorted by time then monitor, expiring after the
    // default 400 days.
    const raw = await p.table.client.send(new QueryCommand({
      TableName: p.table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: historyPk(Date.parse(down.at), 'orders-db') } },
    }));
    const item = (raw.Items ?? []).map((i) => unmarshall(i)).find((i) => i.event === 'transition' && i.to === 'DOWN')!;
    expect(item.pk).toMatch(new RegExp(`^history#${down.at.slice(0, 10)}#\\d+$`));
    expect(item.sk).toBe(`${down.at}#orders-db#transition#DOWN#${(p.clock.base + 3 * 60_000) / 1000}`);
    expect(item.kind).toBe('history');
    expect(item.ttl).toBe(Math.ceil(Date.parse(down.at) / 1000) + 400 * 86_400);
  });

  it('records a failed publish and the sweeper republishing it', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    p.sns.on(PublishCommand).rejectsOnce(Object.assign(new Error('SNS is unavailable'), { name: 'InternalErrorException' }));
    await p.writeRound(2, 'ddd');
    await p.writeRound(3, 'ddd');
    await p.drain();
    p.clock.now += 30_000;
    await p.sweep();
    const deliveries = (await history(p)).filter((e) => e.event === 'delivery');
    expect(lines(deliveries)).toEqual(['orders-db delivery DOWN#0 failed by aggregate', 'orders-db delivery DOWN#0 published by sweeper (republished)']);
    expect(deliveries[0]).toMatchObject({ error: expect.stringContaining('SNS is unavailable') });
  });

  it('a history item the table refuses never holds back the page: counted, logged, the state written without it', async () => {
    const metrics = memoryMetrics();
    const p = await open({ monitors: [ORDERS] }, { aggregatorMetrics: metrics });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    // Every history item is refused, inside the state's transaction and alone.
    const isHistory = (item: unknown) => (item as { pk?: { S?: string } } | undefined)?.pk?.S?.startsWith('history#') === true;
    const fault = injectFault(p.table.client, (call) => {
      if (call.command === 'PutItemCommand' && isHistory(call.input.Item)) return serviceError('ValidationException', 'history refused');
      const items = call.input.TransactItems as { Put?: { Item?: unknown } }[] | undefined;
      if (call.command === 'TransactWriteItemsCommand' && items) {
        return Object.assign(serviceError('TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]'), {
          CancellationReasons: items.map((i) => (isHistory(i.Put?.Item) ? { Code: 'ValidationError', Message: 'history refused' } : { Code: 'None' })),
        });
      }
      return undefined;
    });
    try {
      await p.writeRound(2, 'ddd');
      await p.writeRound(3, 'ddd');
      await p.drain();
    } finally {
      fault.remove();
    }
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    expect((await p.table.store.readMonitorState('orders-db'))!.state.verdict).toBe('DOWN');
    // The three regions' own changes (alone), the transition and the alert (with the state), and the delivery (alone).
    expect(metrics.values.HistoryFailures).toBe(6);
    expect(p.logs.filter((l) => l.message === 'History event not written (the page went on without it)').map((l) => l.extra?.event))
      .toEqual(['region', 'region', 'region', 'transition', 'alert', 'delivery']);
    expect(lines(await history(p))).toEqual(['orders-db transition UNKNOWN→UP']);
  });

  it("records a region failing alone, whose quorum stays UP, so the report gives that region's availability beside the quorum's", async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    for (const round of [2, 3, 4]) await p.writeRound(round, 'uud');
    await p.drain();
    await p.writeRound(5, 'uuu');
    await p.writeRound(6, 'uuu');
    await p.drain();
    // The sweeper evaluating the same rounds again writes nothing more.
    p.clock.now += 60_000;
    await p.sweep();

    const events = await history(p);
    expect(lines(events)).toEqual([
      'orders-db transition UNKNOWN→UP',
      'orders-db region ap-south-1 down refused',
      'orders-db region ap-south-1 up',
    ]);
    const window = { from: p.clock.base, to: p.clock.base + 7 * 60_000 };
    const timelines = timelinesFromHistory(events, { monitors: [ORDERS] as never });
    const report = computeReport({ window, monitors: [{ id: 'orders-db', regions: ['us-east-1', 'eu-west-1', 'ap-south-1'] }], ...timelines });
    const row = report.monitors[0]!;
    // The quorum was UP from round 1 on; ap-south-1 was down for rounds 2–4 of the six it reported in from round 1.
    expect(row.uptime).toBe(1);
    expect(row.regions['ap-south-1']).toBeCloseTo(3 / 6, 6);
    expect(row.regions['us-east-1']).toBe(1);
  });
});
