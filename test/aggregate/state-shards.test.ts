// State shards on DynamoDB Local: monitor states under state#<k>, a warm aggregator and a warm sweeper re-reading only
// the shards whose generation counter moved, the sweeper's deadline carrying monitors to the next sweep, and states
// stored before state shards (pk 'state') read as a fallback and moved by their first write, without a second page.
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { monitorStatePk, TableStore } from '../../functions/shared/adapters/store';
import { stateShardOf } from '../../functions/shared/domain/state-shards';
import { injectFault } from '../faults/inject';
import { ORDERS, usePipelines, type Pipeline } from '../support/pipeline';

const open = usePipelines();

/** Four monitors in four different state shards (22, 0, 50, 29). */
const MONITORS = ['orders-db', 'ledger-db', 'search', 'cache'].map((id) => ({ ...ORDERS, id }));

/** Counts the Queries of monitor state partitions (a shard's `state#<k>`, or the legacy partition's `monitor#` items) by key. */
function countStateQueries(p: Pipeline) {
  const counted = injectFault(p.table.client, () => undefined);
  return {
    /** Partition keys queried for monitor states since the last take, sorted. */
    take(): string[] {
      const keys = counted.calls.filter((c) => c.command === 'QueryCommand').flatMap((c) => {
        const values = c.input.ExpressionAttributeValues as Record<string, { S?: string }>;
        const pk = values[':pk']?.S ?? '';
        return pk.startsWith('state#') || (pk === 'state' && values[':sk']?.S?.startsWith('monitor#')) ? [pk] : [];
      });
      counted.calls.length = 0;
      return keys.sort();
    },
    remove: counted.remove,
  };
}

function batches(p: Pipeline): Record<string, unknown>[] {
  return p.logs.filter((l) => l.message === 'Batch aggregated').map((l) => l.extra!);
}

describe('state shards', () => {
  it('writes each monitor state under its shard key, none under the legacy one', async () => {
    const p = await open({ monitors: MONITORS });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    for (const { id } of MONITORS) {
      const output = await p.table.client.send(new GetItemCommand({ TableName: p.table.tableName, Key: marshall({ pk: `state#${stateShardOf(id)}`, sk: `monitor#${id}` }), ConsistentRead: true }));
      expect(unmarshall(output.Item!).state).toMatchObject({ monitorId: id, verdict: 'UP' });
    }
    expect(MONITORS.map(({ id }) => monitorStatePk(id))).toEqual(['state#22', 'state#0', 'state#50', 'state#29']);
    const legacy = await p.table.client.send(new QueryCommand({
      TableName: p.table.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: marshall({ ':pk': 'state', ':sk': 'monitor#' }),
    }));
    expect(legacy.Items).toEqual([]);
  });

  it('a warm aggregator re-reads only the shard another writer changed, and sees that change at once', async () => {
    // Cached states never age out here (the scripted clock runs a minute a round): only counters make shards re-read.
    const p = await open({ monitors: MONITORS }, { stateCacheMaxAgeMs: 3_600_000 });
    // The first states are written (their shards' counters move, so the next batch reads those shards once more).
    for (let i = 0; i < 5; i += 1) {
      await p.writeRound(i, 'uuu');
      await p.drain();
    }
    expect(batches(p).at(-1)).toMatchObject({ writes: 0 });
    const queries = countStateQueries(p);
    // Nothing changed: the round's batches read the generation item only.
    await p.writeRound(5, 'uuu');
    await p.drain();
    expect(queries.take()).toEqual([]);
    expect(batches(p).at(-1)).toMatchObject({ statesCached: true, stateShardsRead: 0 });
    // A second writer (another aggregator instance, its own store) changes 'search' and moves its shard's counter.
    const other = new TableStore(p.table.client, p.table.tableName);
    const stored = (await other.readMonitorState('search'))!;
    expect(await other.writeMonitorState({ ...stored.state, version: stored.state.version + 1 }, stored.state.version, stored.pending)).toBe('written');
    await other.commitStateGeneration();
    queries.take();
    // 'search' goes DOWN: written from the version the other writer left (no conflict), paged once.
    await p.writeRound(6, { search: 'ddd', 'orders-db': 'uuu', 'ledger-db': 'uuu', cache: 'uuu' });
    await p.writeRound(7, { search: 'ddd', 'orders-db': 'uuu', 'ledger-db': 'uuu', cache: 'uuu' });
    await p.drain();
    const read = queries.take();
    queries.remove();
    expect(read[0]).toBe('state#50');
    expect(new Set(read)).toEqual(new Set(['state#50']));
    expect(batches(p).reduce((n, b) => n + Number(b.conflicts), 0)).toBe(0);
    expect(p.alerts().map((a) => `${a.kind} ${a.monitor!.id}`)).toEqual(['DOWN search']);
  });
});

describe('sweeper with a state cache', () => {
  it('reads no state partition when nothing changed, yet republishes a pending alert another writer left in between', async () => {
    const p = await open({ monitors: MONITORS });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    const queries = countStateQueries(p);
    p.clock.now = p.clock.base + 60_000 + 81_000;
    // A cold sweeper reads every shard once (and the legacy partition, empty here).
    expect((await p.sweep()).stateShardsRead).toBe(64);
    expect(queries.take()).toHaveLength(65);
    p.clock.now += 1000;
    expect(await p.sweep()).toMatchObject({ stateShardsRead: 0, republished: 0 });
    expect(queries.take()).toEqual([]);
    // The aggregator's publish of orders-db's DOWN fails: the alert stays pending, its shard's counter moved.
    p.sns.on(PublishCommand).rejectsOnce(new Error('Throttling: rate exceeded')).resolves({ MessageId: 'm-2' });
    await p.writeRound(2, { 'orders-db': 'ddd', 'ledger-db': 'uuu', search: 'uuu', cache: 'uuu' });
    await p.writeRound(3, { 'orders-db': 'ddd', 'ledger-db': 'uuu', search: 'uuu', cache: 'uuu' });
    await p.drain();
    expect(p.publishes()).toHaveLength(1);
    queries.take();
    p.clock.now += 20_000;
    const swept = await p.sweep();
    expect(swept).toMatchObject({ stateShardsRead: 1, republished: 1 });
    expect(queries.take()).toEqual(['state#22']);
    queries.remove();
    const [first, again] = p.publishes();
    expect(again).toEqual(first);
    expect((await p.table.store.readMonitorState('orders-db'))!.pending).toEqual({});
  });

  it('carries the monitors past its deadline to the next sweep, starting there, so every monitor is reached', async () => {
    const monitors = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ ...ORDERS, id }));
    // A deadline already passed: each sweep evaluates one chunk of two.
    const p = await open({ monitors }, { sweeper: { deadlineMs: 0, evaluationChunk: 2 } });
    await p.poller.stop();
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    p.clock.now = p.clock.base + 60_000 + 81_000;
    const stated = async () => (await Promise.all(monitors.map(async ({ id }) => ((await p.table.store.readMonitorState(id)) ? id : '')))).filter(Boolean);
    const first = await p.sweep();
    expect(first).toMatchObject({ carried: 3, evaluation: { evaluated: 2, writes: 2 } });
    expect(await stated()).toEqual(['a', 'b']);
    expect(p.logs.find((l) => l.message.startsWith('Sweep deadline reached'))!.extra).toEqual({ evaluated: 2, carried: 3 });
    p.clock.now += 1000;
    expect(await p.sweep()).toMatchObject({ carried: 3, evaluation: { evaluated: 2, writes: 2 } });
    expect(await stated()).toEqual(['a', 'b', 'c', 'd']);
    p.clock.now += 1000;
    // From 'e' on, round again to 'a' (written already: nothing to write).
    expect(await p.sweep()).toMatchObject({ carried: 3, evaluation: { evaluated: 2, writes: 1 } });
    expect(await stated()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('upgrade from states stored under one partition key', () => {
  it('reads a legacy DOWN state instead of paging it again, and moves it to its shard with its first write', async () => {
    // The DOWN as the previous version stored it: paged, under pk 'state'.
    const before = await open({ monitors: [ORDERS] });
    for (let i = 0; i < 4; i += 1) await before.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    await before.drain();
    expect(before.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    const item = (await before.table.client.send(new GetItemCommand({ TableName: before.table.tableName, Key: marshall({ pk: 'state#22', sk: 'monitor#orders-db' }), ConsistentRead: true }))).Item!;

    // This version's first run on a table holding it: still DOWN (no second page), then UP once.
    const p = await open({ monitors: [ORDERS] });
    const legacyKey = marshall({ pk: 'state', sk: 'monitor#orders-db' });
    await p.table.client.send(new PutItemCommand({ TableName: p.table.tableName, Item: { ...item, pk: { S: 'state' } } }));
    for (let i = 4; i < 6; i += 1) await p.writeRound(i, 'ddd');
    await p.drain();
    expect(p.alerts()).toEqual([]);
    expect((await p.table.store.readMonitorState('orders-db'))!.state).toMatchObject({ verdict: 'DOWN', notified: 'DOWN' });
    for (let i = 6; i < 8; i += 1) await p.writeRound(i, 'uuu');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['UP']);
    // Moved: in its shard, no longer under the legacy key.
    const moved = await p.table.client.send(new GetItemCommand({ TableName: p.table.tableName, Key: marshall({ pk: 'state#22', sk: 'monitor#orders-db' }), ConsistentRead: true }));
    expect(unmarshall(moved.Item!).state).toMatchObject({ verdict: 'UP' });
    expect((await p.table.client.send(new GetItemCommand({ TableName: p.table.tableName, Key: legacyKey, ConsistentRead: true }))).Item).toBeUndefined();
    expect((await p.table.store.readMonitorStates()).get('orders-db')!.state.verdict).toBe('UP');
  });
});
