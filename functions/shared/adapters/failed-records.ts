// Stream records the aggregator reported as failed, kept in the table for 14 days with their image and error: Lambda's
// on-failure message names only a shard and a range of sequence numbers, which mean nothing once the stream's 24 h
// retention has passed. One item per record, counted up on each failed attempt, so it says how often and why.
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { FAILED_RECORDS_PK } from '../domain/table';

// One partition (FAILED_RECORDS_PK): failures are rare, and one Query lists them all.
const FAILED_RECORD_KIND = 'failed';
/** As long as the failure queue keeps Lambda's message (SQS's longest retention). */
const FAILED_RECORD_TTL_SECONDS = 14 * 86_400;
/** An image larger than this is not copied (the item must stay under DynamoDB's 400 KB); its keys still are. */
const MAX_IMAGE_BYTES = 300_000;
const MAX_ERROR = 1000;

export interface FailedRecord {
  record: DynamoDBRecord;
  error: string;
}

/**
 * The failed-record item's sort key: when the record entered the stream, then its event id (unique), so a Query
 * lists failures oldest first.
 */
function failedSk(record: DynamoDBRecord): string {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  const at = created === undefined ? 'unknown' : new Date(created * 1000).toISOString();
  return `${at}#${record.eventID ?? record.dynamodb?.SequenceNumber ?? 'unknown'}`;
}

/**
 * Records each failed stream record (UpdateItem: the first failure creates the item, each later one adds an attempt
 * and replaces the error). Returns the errors of writes that failed, for the caller to log: recording a failure must
 * not fail the invocation twice.
 */
export async function recordFailedRecords(client: DynamoDBClient, tableName: string, failures: readonly FailedRecord[], now: number): Promise<string[]> {
  const errors: string[] = [];
  await Promise.all(failures.map(async ({ record, error }) => {
    const image = record.dynamodb?.NewImage === undefined ? undefined : JSON.stringify(record.dynamodb.NewImage);
    const keys = record.dynamodb?.Keys as Record<string, AttributeValue> | undefined;
    const values: Record<string, unknown> = {
      ':kind': FAILED_RECORD_KIND,
      ':eventId': record.eventID ?? '',
      ':sequenceNumber': record.dynamodb?.SequenceNumber ?? '',
      ':source': record.eventSourceARN ?? '',
      ':keys': JSON.stringify(keys ?? {}),
      ':image': image === undefined ? '' : image.length <= MAX_IMAGE_BYTES ? image : `(not kept: ${image.length} bytes)`,
      ':error': error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error,
      ':now': now,
      ':ttl': Math.floor(now / 1000) + FAILED_RECORD_TTL_SECONDS,
      ':one': 1,
    };
    try {
      await client.send(new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ pk: FAILED_RECORDS_PK, sk: failedSk(record) }),
        UpdateExpression: 'SET #kind = :kind, eventId = :eventId, sequenceNumber = :sequenceNumber, eventSource = :source, recordKeys = :keys, '
          + 'image = :image, lastError = :error, lastFailedAt = :now, firstFailedAt = if_not_exists(firstFailedAt, :now), #ttl = :ttl ADD attempts :one',
        ExpressionAttributeNames: { '#kind': 'kind', '#ttl': 'ttl' },
        ExpressionAttributeValues: marshall(values),
      }));
    } catch (caught) {
      errors.push(`Recording failed stream record ${record.dynamodb?.SequenceNumber ?? '?'} in table ${tableName} failed: ${(caught as Error).message}`);
    }
  }));
  return errors;
}
