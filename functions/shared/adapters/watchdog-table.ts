// The watchdog table in the fallback region: each probe region's vote on the home pipeline's heartbeat, and the one
// watchdog state item (UP/DOWN, with the alert it raised pending until published). It lives outside the home region, so
// the probe regions agree without it; every change of the state is a conditional write on its version.
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreError } from '../domain';
import type { AlertMessage } from '../domain/alert';
import type { WatchdogState, WatchdogVote } from '../domain/watchdog';

const VOTE_PK = 'vote';
const STATE_KEY = { pk: 'state', sk: 'home' } as const;
/** Votes are overwritten each minute; one that stops being written is gone after a day. */
const VOTE_TTL_SECONDS = 86_400;

/** The watchdog state as stored, with the alert its last change raised while it is not yet published. */
export interface StoredWatchdog {
  state: WatchdogState;
  pending?: { alert: AlertMessage; since: number };
}

export class WatchdogTable {
  constructor(readonly client: DynamoDBClient, readonly tableName: string) {}

  async putVote(vote: WatchdogVote): Promise<void> {
    await this.send('Writing the vote of region ' + vote.region, () => this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: marshall({ pk: VOTE_PK, sk: vote.region, ...vote, ttl: Math.floor(vote.at / 1000) + VOTE_TTL_SECONDS }, { removeUndefinedValues: true }),
    })));
  }

  async readVotes(): Promise<WatchdogVote[]> {
    const output = await this.send('Reading the votes', () => this.client.send(new QueryCommand({
      TableName: this.tableName, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': 'pk' }, ExpressionAttributeValues: marshall({ ':pk': VOTE_PK }), ConsistentRead: true,
    })));
    return (output.Items ?? []).map((item) => {
      const v = unmarshall(item);
      return { region: String(v.region), at: Number(v.at), stale: v.stale === true, ...(typeof v.heartbeatAt === 'number' ? { heartbeatAt: v.heartbeatAt } : {}) };
    });
  }

  async readState(): Promise<StoredWatchdog | undefined> {
    const output = await this.send('Reading the watchdog state', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(STATE_KEY), ConsistentRead: true })));
    if (!output.Item) return undefined;
    const item = unmarshall(output.Item);
    const state = JSON.parse(String(item.state)) as WatchdogState;
    return { state, ...(typeof item.pending === 'string' ? { pending: { alert: JSON.parse(item.pending) as AlertMessage, since: Number(item.pendingSince) } } : {}) };
  }

  /** Writes the state (and the alert it raised, pending) only if the stored version is still `expectedVersion` (0: none yet). */
  async writeState(state: WatchdogState, expectedVersion: number, pending: { alert: AlertMessage; since: number } | undefined): Promise<'written' | 'conflict'> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...STATE_KEY, version: state.version, state: JSON.stringify(state), ...(pending ? { pending: JSON.stringify(pending.alert), pendingSince: pending.since } : {}) }),
        ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk) OR version = :v' : 'version = :v',
        ExpressionAttributeValues: marshall({ ':v': expectedVersion }),
      }));
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw new StoreError(`Writing the watchdog state to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Clears the pending alert once published, unless the state moved on meanwhile. */
  async clearPending(version: number, alertId: string): Promise<void> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName, Key: marshall(STATE_KEY), UpdateExpression: 'REMOVE pending, pendingSince',
        ConditionExpression: 'version = :v AND contains(pending, :id)', ExpressionAttributeValues: marshall({ ':v': version, ':id': alertId }),
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new StoreError(`Clearing the watchdog's pending alert in table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new StoreError(`${what} in watchdog table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
