// A record of the table's stream as the aggregator reads it: a round item, one to skip, or one it cannot read.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { TABLE_SCHEMA } from '../domain/table';
import { decodeRoundItem, isOlderRoundLayout, type RoundRecord } from '../domain/record';
import { decodeWatchItem, type WatchEvent } from '../domain/watch';

export type StreamItem =
  | { kind: 'round'; round: RoundRecord }
  /** A watch event (watch mode): a region's held connection closed and its re-probe failed. */
  | { kind: 'watch'; event: WatchEvent }
  /**
   * TTL deletions, and state items (the deployed stream filter drops them; DynamoDB Local's stream does not); round
   * items of the layout before version 3, written by a probe not yet upgraded (counted in the batch's `skipped`).
   */
  | { kind: 'skip'; reason: 'removed' | 'not-a-round' | 'older-layout' }
  | { kind: 'unreadable'; error: Error };

export function readStreamRecord(record: DynamoDBRecord): StreamItem {
  if (record.eventName === 'REMOVE') return { kind: 'skip', reason: 'removed' };
  try {
    const image = record.dynamodb?.NewImage;
    if (!image) throw new Error(`${record.eventName} record has no NewImage (the stream view type must be ${TABLE_SCHEMA.streamViewType})`);
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item[TABLE_SCHEMA.kindAttribute] === TABLE_SCHEMA.watchItemKind) return { kind: 'watch', event: decodeWatchItem(item) };
    if (item[TABLE_SCHEMA.kindAttribute] !== TABLE_SCHEMA.roundItemKind) return { kind: 'skip', reason: 'not-a-round' };
    // No reader queries those partitions any more: retrying the record would only send it to the failure queue.
    if (isOlderRoundLayout(item)) return { kind: 'skip', reason: 'older-layout' };
    return { kind: 'round', round: decodeRoundItem(item) };
  } catch (error) {
    return { kind: 'unreadable', error: error instanceof Error ? error : new Error(String(error)) };
  }
}
