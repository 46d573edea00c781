// The stream poller's event-source-mapping semantics against DynamoDB Local's real stream.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { StreamPoller, type StreamFailure } from '../../bin/local/stream-poller';
import { useDynamoDbLocal } from '../support/dynamodb';

const db = useDynamoDbLocal();

describe('StreamPoller', () => {
  it('bisects a batch whose handler throws until the poison record is alone, then gives it to onFailure', async () => {
    const table = await db.createTable();
    for (let i = 0; i < 8; i += 1) {
      await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall({ pk: `p#${i}`, sk: 's', kind: 'round', poison: i === 5 }) }));
    }
    const handled: string[] = [];
    const failures: StreamFailure[] = [];
    const poller = new StreamPoller({
      endpoint: table.endpoint, streamArn: table.streamArn, batchSize: 8, maxRetries: 1, retryDelayMs: () => 1, pollIntervalMs: 50,
      onFailure: (f) => {
        failures.push(f);
      },
      handler: async (event) => {
        if (event.Records.some((r) => r.dynamodb?.NewImage?.poison?.BOOL)) throw new Error('poison');
        handled.push(...event.Records.map((r) => r.dynamodb!.Keys!.pk!.S!));
      },
    }).start();
    try {
      await poller.drain();
    } finally {
      await poller.stop();
    }
    expect([...handled].sort()).toEqual(['p#0', 'p#1', 'p#2', 'p#3', 'p#4', 'p#6', 'p#7']);
    expect(failures.map((f) => [f.reason, f.records.map((r) => r.dynamodb!.Keys!.pk!.S)])).toEqual([['handler-error', ['p#5']]]);
    expect(failures[0]!.error!.message).toBe('poison');
  });

  it('delivers records in the Lambda event shape, in order, across drains', async () => {
    const table = await db.createTable();
    const seen: string[] = [];
    const binaries: unknown[] = [];
    const poller = new StreamPoller({
      endpoint: table.endpoint, streamArn: table.streamArn, pollIntervalMs: 50,
      handler: async (event) => {
        for (const r of event.Records) {
          expect(r).toMatchObject({ eventSource: 'aws:dynamodb', eventName: 'INSERT', eventSourceARN: table.streamArn, dynamodb: { StreamViewType: 'NEW_IMAGE', SequenceNumber: expect.any(String) } });
          seen.push(r.dynamodb!.NewImage!.pk!.S!);
          if (r.dynamodb!.NewImage!.bin) binaries.push(r.dynamodb!.NewImage!.bin.B);
        }
        return { batchItemFailures: [] };
      },
    }).start();
    await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall({ pk: 'a', sk: 's', bin: new Uint8Array([0, 1, 254, 255]) }) }));
    await poller.drain();
    // Binary attributes as Lambda's JSON event has them: base64 strings.
    expect(binaries).toEqual(['AAH+/w==']);
    await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall({ pk: 'b', sk: 's' }) }));
    await poller.drain();
    await poller.stop();
    expect(seen).toEqual(['a', 'b']);
  });
});
