// The aggregator and sweeper on DynamoDB Local: round items written through the store, read back from the real stream.
import { afterEach, describe, expect, it } from 'vitest';
import { useDynamoDbLocal } from '../support/dynamodb';
import { CANARY_DOWN, pipeline, REGIONS, TOPIC, type Pipeline } from './harness';

const db = useDynamoDbLocal();
const ORDERS = { id: 'orders-db', host: '10.0.1.5', port: 5432, tags: { team: 'payments', env: 'prod' } };
let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

describe('aggregator through the real stream', () => {
  it('pages DOWN once when a quorum is down for failureThreshold rounds, then UP once, with the exact SNS message', async () => {
    p = await pipeline(db, { monitors: [ORDERS] });
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
