// The aggregator on DynamoDB Local: round items written through the store, read back from the real stream.
import { describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { createAggregateHandler } from '../../functions/aggregate/handler';
import { FAILED_RECORDS_PK } from '../../functions/shared/domain/table';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { TableStore } from '../../functions/shared/adapters/store';
import { StoreError } from '../../functions/shared/domain';
import type { RoundPartition } from '../../functions/shared/domain/record';
import { baseInstant, CANARY_DOWN, ORDERS, TOPIC, usePipelines, type LogLine } from '../support/pipeline';

const open = usePipelines();

describe('aggregator through the real stream', () => {
  it('pages DOWN once when a quorum is down for failureThreshold rounds, then UP once, with the exact SNS message', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    await p.writeRound(2, 'ddu');
    await p.drain();
    expect(p.publishes()).toEqual([]);
    await p.writeRound(3, 'ddu');
    await p.drain();
    const base = p.clock.base;
    const round3 = new Date(base + 3 * 60_000).toISOString();
    expect(p.publishes()).toHaveLength(1);
    const [call] = p.publishes();
    expect(call!.TopicArn).toBe(TOPIC);
    expect(call!.Subject).toBe('DOWN orders-db 10.0.1.5:5432 — refused in 2/3 regions');
    expect(call!.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'DOWN' },
      severity: { DataType: 'String', StringValue: 'critical' },
      monitor: { DataType: 'String', StringValue: 'orders-db' },
      verdict: { DataType: 'String', StringValue: 'DOWN' },
      'tag.team': { DataType: 'String', StringValue: 'payments' },
      'tag.env': { DataType: 'String', StringValue: 'prod' },
    });
    expect(JSON.parse(call!.Message!)).toEqual({
      schemaVersion: 1,
      alertId: `orders-db:DOWN:${(base + 3 * 60_000) / 1000}`,
      sequence: 0,
      kind: 'DOWN',
      cause: 'transition',
      subject: 'DOWN orders-db 10.0.1.5:5432 — refused in 2/3 regions',
      at: new Date(base + 3 * 60_000 + 5_000).toISOString(),
      round: round3,
      monitor: { id: 'orders-db', host: '10.0.1.5', port: 5432, target: '10.0.1.5:5432', tags: { team: 'payments', env: 'prod' }, severity: 'critical' },
      verdict: 'DOWN',
      previousVerdict: 'UP',
      since: round3,
      regions: [
        { region: 'us-east-1', status: 'down', class: 'refused', phase: 'connect', latencyMs: 1, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.1.5:5432' },
        { region: 'eu-west-1', status: 'down', class: 'refused', phase: 'connect', latencyMs: 1, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.1.5:5432' },
        { region: 'ap-south-1', status: 'up', latencyMs: 12 },
      ],
      quorum: 2,
    });
    await p.writeRound(4, 'uuu');
    await p.writeRound(5, 'uuu');
    await p.drain();
    expect(p.alerts().map((a) => `${a.kind} ${a.previousVerdict}`)).toEqual(['DOWN UP', 'UP DOWN']);
    expect(p.publishes()[1]!.Subject).toBe('UP orders-db 10.0.1.5:5432 — up in 3/3 regions');
    expect(p.failures).toEqual([]);
  });
});

describe('aggregator: who counts', () => {
  it('never pages when one region alone is down', async () => {
    const p = await open({ monitors: [ORDERS] });
    for (let i = 0; i < 5; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'duu');
    await p.drain();
    expect(p.publishes()).toEqual([]);
    expect((await p.table.store.readMonitorState('orders-db'))!.state.verdict).toBe('UP');
  });

  it('decides with a silent region missing (it counts neither way) and shows it as such', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uus');
    await p.writeRound(1, 'uus');
    await p.writeRound(2, 'dds');
    await p.writeRound(3, 'dds');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    expect(p.alerts()[0]!.regions.map((r) => r.status)).toEqual(['down', 'down', 'pending']);
    // A split with the third region silent waits, then stays as it was: no page either way.
    await p.writeRound(4, 'uds');
    await p.drain();
    p.clock.now += 120_000;
    await p.sweep();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN', 'FLEET_DEGRADED']);
    expect(p.alerts()[1]!.fleet).toMatchObject({ silentRegions: ['ap-south-1'], unknownMonitors: [] });
    expect((await p.table.store.readMonitorState('orders-db'))!.state.verdict).toBe('DOWN');
  });

  it('keeps states between batches while none changes, and sees a change another writer made at once', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    await p.writeRound(2, 'uuu');
    await p.drain();
    await p.writeRound(3, 'uuu');
    await p.drain();
    const batches = () => p!.logs.filter((l) => l.message === 'Batch aggregated').map((l) => l.extra!.statesCached);
    expect(batches()).toContain(true);
    // Another container (or the sweeper) moves the monitor to DOWN: the next batch must decide from that, not its cache.
    const stored = (await p.table.store.readMonitorState('orders-db'))!;
    const down = { ...stored.state, verdict: 'DOWN' as const, notified: 'DOWN' as const, version: stored.state.version + 1 };
    expect(await p.table.store.writeMonitorState(down, stored.state.version, {})).toBe('written');
    await p.table.store.commitStateGeneration();
    const seen = batches().length;
    await p.writeRound(4, 'uuu');
    await p.drain();
    expect(batches()[seen]).toBe(false);
    expect(p.alerts().map((a) => `${a.kind} ${a.previousVerdict}`)).toEqual(['UP DOWN']);
  });

  it("vetoes a region's downs while its canary fails", async () => {
    const p = await open({ monitors: [ORDERS], canary: { host: '127.0.0.1', port: 9 } });
    const canary = { 'us-east-1': CANARY_DOWN };
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.writeRound(2, 'ddu', { canary });
    await p.writeRound(3, 'ddu', { canary });
    await p.writeRound(4, 'ddu', { canary });
    await p.drain();
    expect(p.publishes()).toEqual([]);
    // The same rounds with every canary up page.
    await p.writeRound(5, 'ddu');
    await p.writeRound(6, 'ddu');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
  });

  it('honours failureThreshold', async () => {
    const p = await open({ monitors: [{ ...ORDERS, failureThreshold: 3, recoveryThreshold: 1 }] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'ddd');
    await p.writeRound(2, 'ddd');
    await p.drain();
    expect(p.publishes()).toEqual([]);
    await p.writeRound(3, 'ddd');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    await p.writeRound(4, 'uuu');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN', 'UP']);
  });
});

describe('aggregator: exactly once', () => {
  it('replayed, duplicated and reordered batches never page twice nor move state backwards', async () => {
    const p = await open({ monitors: [ORDERS] });
    for (let i = 0; i < 4; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    const state = (await p.table.store.readMonitorState('orders-db'))!.state;
    const records = p.events.flatMap((e) => e.Records);
    await p.aggregate({ Records: records });
    await p.aggregate({ Records: [...records, ...records] });
    await p.aggregate({ Records: [...records].reverse() });
    await Promise.all([p.aggregate({ Records: records }), p.aggregate({ Records: records })]);
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    expect((await p.table.store.readMonitorState('orders-db'))!.state).toEqual(state);
  });

  it('reports a malformed record as a batch item failure, logs its position and processes the rest', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    const instant = p.clock.base + 2 * 60_000;
    await p.putRaw({ pk: `round#xx-region#-#${instant / 1000}`, sk: '0', kind: 'round', v: 99, region: 'xx-region', round: instant / 1000, shard: 0, shards: 1, at: 0, r: '' });
    await p.writeRound(2, 'ddd');
    await p.writeRound(3, 'ddd');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    const logged = p.logs.find((l) => l.message === 'Unreadable stream record reported as a batch item failure')!;
    expect(logged.extra).toMatchObject({ position: expect.any(Number), sequenceNumber: expect.any(String) });
    expect(String(logged.extra!.error)).toContain('schema version 99 is not one this aggregator reads');
    // Lambda's retries from the failed record, then the on-failure destination gets it.
    expect(p.failures).toHaveLength(1);
    expect(p.failures[0]!.reason).toBe('item-failures');
    expect(p.failures[0]!.records[0]!.dynamodb!.SequenceNumber).toBe(logged.extra!.sequenceNumber);
    // Kept in the table beyond the stream's 24 h: the record's keys, image and error, and how often it failed.
    const kept = await p.table.client.send(new QueryCommand({
      TableName: p.table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: marshall({ ':pk': FAILED_RECORDS_PK }), ConsistentRead: true,
    }));
    expect(kept.Items).toHaveLength(1);
    const failed = unmarshall(kept.Items![0]!);
    expect(failed).toMatchObject({
      kind: 'failed', sequenceNumber: logged.extra!.sequenceNumber, lastError: expect.stringContaining('schema version 99 is not one this aggregator reads'),
      // The first attempt and the poller's two retries, as Lambda's retries would count up.
      attempts: 3,
    });
    expect(JSON.parse(failed.recordKeys as string)).toEqual({ pk: { S: `round#xx-region#-#${instant / 1000}` }, sk: { S: '0' } });
    expect(unmarshall(JSON.parse(failed.image as string))).toMatchObject({ region: 'xx-region', v: 99 });
    expect(failed.ttl).toBeGreaterThan(Date.now() / 1000 + 13 * 86_400);
  });
});

describe('aggregator: an upgrade in progress', () => {
  it('skips round items of the layout before version 3 with a warning, not a batch item failure', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.drain();
    const instant = p.clock.base + 60_000;
    // What a probe region not yet upgraded writes: one partition per round instant, region and group in the sort key.
    await p.putRaw({ pk: `round#${instant / 1000}`, sk: 'eu-west-1#-#0', kind: 'round', v: 2, region: 'eu-west-1', round: instant / 1000, shard: 0, shards: 1, at: instant + 2000, r: 'orders-db\t1\t1\t2\t\t1\tECONNREFUSED\trefused' });
    await p.drain();
    expect(p.failures).toEqual([]);
    expect(p.logs.find((l) => l.message.startsWith('Round items of the layout before version 3 skipped'))?.extra).toEqual({ records: 1 });
    expect(p.logs.some((l) => l.level === 'error')).toBe(false);
  });
});

describe('aggregator: partial batch failures', () => {
  it("reports every record of a round whose evaluation failed, and none of the rounds that succeeded or were skipped", async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'ddd');
    await p.drain();
    const round1 = p.clock.base + 60_000;
    // A store that cannot read round 1 (throttled past its retries): round 0's evaluation never needs it.
    class Round1Unreadable extends TableStore {
      override readRound(instant: number, partitions: readonly RoundPartition[]): ReturnType<TableStore['readRound']> {
        if (instant === round1) return Promise.reject(new StoreError(`Reading partition round#us-east-1#-#${instant / 1000} failed: ProvisionedThroughputExceededException`));
        return super.readRound(instant, partitions);
      }
    }
    const logs: LogLine[] = [];
    const aggregate = createAggregateHandler({
      fleet: p.fleet, store: new Round1Unreadable(p.table.client, p.table.tableName), publisher: { publish: async () => undefined },
      log: { debug() {}, info() {}, warn() {}, error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }) },
      metrics: memoryMetrics(), now: () => p!.clock.now,
    });
    const records = p.events.flatMap((e) => e.Records);
    const removed = { ...records[0]!, eventName: 'REMOVE' as const, dynamodb: { ...records[0]!.dynamodb, SequenceNumber: '1', NewImage: undefined } };
    const response = await aggregate({ Records: [removed, ...records] });
    const ofRound1 = records.filter((r) => r.dynamodb!.NewImage!.round!.N === String(round1 / 1000)).map((r) => r.dynamodb!.SequenceNumber);
    expect(ofRound1).toHaveLength(3);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([...ofRound1].sort());
    expect(logs).toEqual([expect.objectContaining({
      message: 'Evaluating a monitor failed; the others go on',
      extra: expect.objectContaining({ monitor: 'orders-db', round: new Date(round1).toISOString() }),
    }), expect.objectContaining({
      message: 'Evaluating a round failed; its records are reported for retry',
      extra: expect.objectContaining({ round: new Date(round1).toISOString(), records: 3, error: expect.stringContaining('ProvisionedThroughputExceededException') }),
    })]);
  });

  it('reports every record when every one fails, instead of failing the invocation', async () => {
    const p = await open({ monitors: [ORDERS] });
    await p.writeRound(0, 'uuu');
    await p.drain();
    const broken = p.events.flatMap((e) => e.Records).map((r) => ({ ...r, dynamodb: { ...r.dynamodb, NewImage: { ...r.dynamodb!.NewImage, v: { N: '99' } } } }));
    const response = await p.aggregate({ Records: broken });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(broken.map((r) => r.dynamodb.SequenceNumber));
  });
});

describe('maintenance', () => {
  it('keeps verdicts but stops pages inside a window, and pages once when it ends on a different verdict', async () => {
    const base = baseInstant();
    const window = { start: new Date(base + 2 * 60_000).toISOString(), end: new Date(base + 5 * 60_000 + 30_000).toISOString(), reason: 'db upgrade' };
    const p = await open({ monitors: [{ ...ORDERS, maintenance: [window] }] });
    expect(p.clock.base).toBe(base);
    for (let i = 0; i < 5; i += 1) await p.writeRound(i, i < 2 ? 'uuu' : 'ddd');
    await p.drain();
    expect(p.publishes()).toEqual([]);
    expect((await p.table.store.readMonitorState('orders-db'))!.state.verdict).toBe('DOWN');
    await p.writeRound(6, 'ddd');
    await p.drain();
    expect(p.alerts().map((a) => `${a.kind} ${a.cause}`)).toEqual(['DOWN maintenance-ended']);
  });
});
