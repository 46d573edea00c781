// History shards on DynamoDB Local: every writer (aggregator, sweeper, incidents, fleet alerts, deliveries, the CLI's
// silence and ack) stores its events under `history#<day>#<k>`, none under a day's legacy key; readers read a day's
// shards and its legacy partition (events stored before history shards) back merged in order, and a read for one
// monitor queries only its shard and the legacy key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  HISTORY_SHARDS, historyDayKey, historyDays, historyEventOf, historyItem, historyPk, sortHistory, type HistoryEvent, type HistoryFields,
} from '../../functions/shared/domain/history';
import { injectFault } from '../faults/inject';
import { runCli } from '../support/cli';
import { ORDERS, REGIONS, usePipelines, type Pipeline } from '../support/pipeline';

const open = usePipelines();

/** Four monitors: orders-db and web share history shard 8, ledger-db is in 0, search in another. */
const MONITORS = [ORDERS, { ...ORDERS, id: 'ledger-db', tags: { team: 'ledger' } }, { ...ORDERS, id: 'web' }, { ...ORDERS, id: 'search' }];
const DAY_MS = 86_400_000;

async function historyItems(p: Pipeline): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  for (let page = 0; page < 100; page += 1) {
    const out = await p.table.client.send(new ScanCommand({ TableName: p.table.tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []).map((i) => unmarshall(i)).filter((i) => i.kind === 'history'));
    start = out.LastEvaluatedKey as typeof start;
    if (!start) return items;
  }
  throw new Error('more than 100 scan pages');
}

/** Events in order: by time, then monitor, then what happened (sortHistory's order). */
function expectInOrder(events: HistoryEvent[]): void {
  const order = ['region', 'transition', 'alert', 'delivery', 'silence', 'unsilence', 'ack'];
  for (let i = 1; i < events.length; i += 1) {
    const [a, b] = [events[i - 1]!, events[i]!];
    const cmp = a.at.localeCompare(b.at) || a.monitor.localeCompare(b.monitor) || order.indexOf(a.event) - order.indexOf(b.event);
    expect(cmp, `${a.at} ${a.monitor} ${a.event} before ${b.at} ${b.monitor} ${b.event}`).toBeLessThanOrEqual(0);
  }
}

/** The multiset of events, comparable whatever the order. */
const bag = (events: HistoryEvent[]) => events.map((e) => JSON.stringify(e, Object.keys(e).sort())).sort();

/** Counts the Queries of history partitions, by key. */
function countHistoryQueries(p: Pipeline) {
  const counted = injectFault(p.table.client, () => undefined);
  return {
    take(): string[] {
      const keys = counted.calls.filter((c) => c.command === 'QueryCommand')
        .map((c) => (c.input.ExpressionAttributeValues as Record<string, { S?: string }>)[':pk']?.S ?? '')
        .filter((pk) => pk.startsWith('history#'));
      counted.calls.length = 0;
      return keys.sort();
    },
    remove: counted.remove,
  };
}

describe('history shards', () => {
  it('every writer stores under its monitor’s shard of the day, none under the legacy key; a read gets every event back in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pq-history-shards-'));
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify({ regions: REGIONS, monitors: MONITORS }));
    const cli = (...args: string[]) => runCli([...args, '--endpoint', p.table.endpoint, '--table', p.table.tableName, '--config', config], {
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
    });
    const p = await open({ monitors: MONITORS });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    // An outage of every monitor (the aggregator: region changes, transitions, an incident's alerts, deliveries) …
    await p.writeRound(2, 'ddd');
    await p.writeRound(3, 'ddd');
    await p.drain();
    // … the CLI's ack of a DOWN …
    const ack = await cli('ack', 'orders-db');
    expect(ack.stderr).toBe('');
    expect(ack.code).toBe(0);
    // … every region then silent (the sweeper's fleet alert, monitor 'fleet') …
    p.clock.now = p.clock.base + 9 * 60_000;
    await p.sweep();
    p.clock.now += 60_000;
    await p.sweep();
    expect(p.alerts().map((a) => a.kind)).toContain('FLEET_DEGRADED');
    expect(p.alerts().some((a) => a.incident !== undefined)).toBe(true);
    // … and the CLI's silence (by tag).
    expect((await cli('silence', '--tag', 'team=ledger', '--for', '1h')).code).toBe(0);

    const items = await historyItems(p);
    const monitors = new Set(items.map((i) => String(i.monitor)));
    for (const m of ['orders-db', 'ledger-db', 'web', 'search', 'fleet', 'incident', 'tag:team=ledger']) expect(monitors.has(m), m).toBe(true);
    for (const event of ['region', 'transition', 'alert', 'delivery', 'silence', 'ack']) expect(items.some((i) => i.event === event), event).toBe(true);
    for (const item of items) {
      expect(item.pk, `${String(item.monitor)} ${String(item.event)}`).toMatch(/^history#\d{4}-\d\d-\d\d#\d{1,2}$/);
      expect(item.pk).toBe(historyPk(Date.parse(String(item.at)), String(item.monitor)));
    }
    expect(new Set(items.map((i) => i.pk)).size).toBeGreaterThanOrEqual(4);

    const days = historyDays(p.clock.base - DAY_MS, Date.now() + DAY_MS);
    const read = await p.table.store.readHistory(days);
    expect(read).toHaveLength(items.length);
    expect(bag(read)).toEqual(bag(items.map(historyEventOf)));
    expectInOrder(read);
    // The CLI reads them all the same way.
    const shown = JSON.parse((await cli('history', '--regions', '--json')).stdout) as { events: HistoryEvent[] };
    expect(bag(shown.events)).toEqual(bag(read.filter((e) => e.at >= shown.events[0]!.at)));
  }, 180_000);

  it('reads a day’s legacy partition (events stored before history shards) merged with its shards, in order', async () => {
    const p = await open({ monitors: MONITORS });
    const today = Date.now();
    const yesterday = today - DAY_MS;
    const put = (fields: HistoryFields, monitor: string, at: number, legacy: boolean) => {
      const item = historyItem(fields, monitor, at, 400);
      return p.table.client.send(new PutItemCommand({ TableName: p.table.tableName, Item: marshall({ ...item, ...(legacy ? { pk: historyDayKey(at) } : {}) }, { removeUndefinedValues: true }) }));
    };
    const ack = (alertId: string): HistoryFields => ({ event: 'ack', alertId, by: 'ops' });
    // Interleaved in time: legacy and sharded events of two days, several monitors.
    const written: [string, number, boolean][] = [
      ['orders-db', yesterday - 3_000, true], ['ledger-db', yesterday - 2_000, false], ['web', yesterday - 1_000, true],
      ['search', today - 5_000, true], ['orders-db', today - 4_000, false], ['ledger-db', today - 3_000, true], ['web', today - 2_000, false], ['orders-db', today - 1_000, true],
    ];
    for (const [monitor, at, legacy] of written) await put(ack(`${monitor}@${at}`), monitor, at, legacy);
    const events = await p.table.store.readHistory(historyDays(yesterday - 3_000, today));
    const expected = sortHistory(written.map(([monitor, at]) => ({ ...ack(`${monitor}@${at}`), monitor, at: new Date(at).toISOString() }) as HistoryEvent));
    expect(events.map((e) => `${e.monitor} ${e.at}`)).toEqual(expected.map((e) => `${e.monitor} ${e.at}`));
    expectInOrder(events);
    // One monitor's read: its shard and the legacy keys, both days (the caller filters out the shard's others).
    const orders = (await p.table.store.readHistory(historyDays(yesterday - 3_000, today), ['orders-db'])).filter((e) => e.monitor === 'orders-db');
    expect(orders.map((e) => e.at)).toEqual([yesterday - 3_000, today - 4_000, today - 1_000].map((t) => new Date(t).toISOString()));
  });

  it('a read for one monitor queries only its shard and the legacy key of each day; a full read every shard', async () => {
    const p = await open({ monitors: MONITORS });
    const days = historyDays(Date.now() - DAY_MS, Date.now());
    expect(days).toHaveLength(2);
    const queries = countHistoryQueries(p);
    try {
      await p.table.store.readHistory(days, ['orders-db']);
      const shard = historyPk(Date.now(), 'orders-db').split('#')[2];
      expect(queries.take()).toEqual(days.flatMap((d) => [d, `${d}#${shard}`]).sort());
      // orders-db and web share a shard: still one Query a day for it.
      await p.table.store.readHistory(days, ['orders-db', 'web']);
      expect(queries.take()).toHaveLength(4);
      await p.table.store.readHistory(days);
      const all = queries.take();
      expect(all).toHaveLength(2 * (HISTORY_SHARDS + 1));
      expect(new Set(all).size).toBe(all.length);
    } finally {
      queries.remove();
    }
  });
});
