// Reads a table's real stream (DescribeStream / GetShardIterator / GetRecords) and hands records to a handler
// with Lambda's event source mapping semantics: batches, partial failures, bisect on error, bounded retries.
import {
  DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand,
  ExpiredIteratorException, TrimmedDataAccessException,
  type _Record as StreamRecord, type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { passesAggregatorFilter, passesWatchFilter } from '../../functions/shared/deployment';
import { LOCAL_CREDENTIALS } from './dynamodb-local';

type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

/** Records given up on after the retries, as Lambda would send them to the on-failure destination. */
export interface StreamFailure {
  records: DynamoDBRecord[];
  reason: 'handler-error' | 'item-failures';
  error?: Error;
}

export interface StreamPollerOptions {
  /** The stream to read (from createTables or DescribeTable's LatestStreamArn). */
  streamArn: string;
  /** A client for the endpoint; or `endpoint` to have one made. */
  client?: DynamoDBStreamsClient;
  endpoint?: string;
  handler: StreamHandler;
  /** Most records per invocation. @default 100 */
  batchSize?: number;
  /** How long to gather records before invoking with fewer than batchSize. @default 0 */
  batchWindowMs?: number;
  /** Pause between polls of a caught-up stream. @default 200 */
  pollIntervalMs?: number;
  /** Retries of a failing batch before its records go to onFailure. @default 3 */
  maxRetries?: number;
  /** On a handler error, `bisect` retries each half apart (isolating a poison record); `retry` retries the batch. @default 'bisect' */
  onError?: 'bisect' | 'retry';
  /** Pause before a retry, by attempt. @default 50 ms × attempt */
  retryDelayMs?: (attempt: number) => number;
  /** The on-failure destination. @default report on stderr */
  onFailure?: (failure: StreamFailure) => void | Promise<void>;
  /** The mapping's filter; records it rejects are consumed without an invocation. @default every record */
  filter?: (record: DynamoDBRecord) => boolean;
  /** @default 'TRIM_HORIZON' */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Region written into each record's awsRegion. @default 'us-east-1' */
  awsRegion?: string;
}

/** The filter the CDK stack sets on the event source mapping: only round items (state writes also reach the stream). */
export const roundItemsOnly: (record: DynamoDBRecord) => boolean = passesAggregatorFilter;

/** The filter of the second mapping, which a fleet that watches has: only watch events. */
export const watchItemsOnly: (record: DynamoDBRecord) => boolean = passesWatchFilter;

interface ShardCursor {
  shardId: string;
  parentId?: string;
  iterator?: string;
  /** Last sequence number handed on (processed or given up on). */
  checkpoint?: string;
  ended: boolean;
}

export class StreamPoller {
  private readonly client: DynamoDBStreamsClient;
  private readonly ownsClient: boolean;
  private readonly shards = new Map<string, ShardCursor>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private passes = 0;
  private drainWaiters: { afterPass: number; resolve: () => void }[] = [];
  private lastError: Error | undefined;
  /** Invocations made (for tests and benchmarks). */
  invocations = 0;
  /** Records delivered to the handler at least once. */
  recordsDelivered = 0;

  constructor(private readonly options: StreamPollerOptions) {
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      if (!options.endpoint) throw new Error('StreamPoller needs a client or an endpoint');
      this.client = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: options.awsRegion ?? 'us-east-1', credentials: LOCAL_CREDENTIALS });
      this.ownsClient = true;
    }
  }

  /** Starts polling in the background. */
  start(): this {
    if (this.running) return this;
    this.stopping = false;
    this.running = this.loop();
    return this;
  }

  /**
   * Stops after the batch in hand and waits for the loop to end — or, given a deadline (epoch ms), only until then:
   * the batch still in hand is abandoned (no retry, no on-failure; its records stay in the stream, as when Lambda's
   * poller is stopped mid-batch). Says which.
   */
  async stop(deadline?: number): Promise<'finished' | 'abandoned'> {
    this.stopping = true;
    this.wake?.();
    let outcome: 'finished' | 'abandoned' = 'finished';
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      const late = deadline === undefined ? undefined : new Promise<'abandoned'>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), 'abandoned')));
      outcome = await Promise.race([this.running.then(() => 'finished' as const), ...(late ? [late] : [])]);
      clearTimeout(timer);
    }
    this.running = undefined;
    for (const waiter of this.drainWaiters) waiter.resolve();
    this.drainWaiters = [];
    if (this.ownsClient) this.client.destroy();
    return outcome;
  }

  /** Resolves once a full pass that began after this call found nothing new: everything written before is handled. */
  drain(timeoutMs = 30_000): Promise<void> {
    if (!this.running) return Promise.reject(new Error('StreamPoller.drain: the poller is not started'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drainWaiters = this.drainWaiters.filter((w) => w !== waiter);
        reject(new Error(`StreamPoller.drain: not caught up after ${timeoutMs} ms${this.lastError ? ` (last error: ${this.lastError.message})` : ''}`));
      }, timeoutMs);
      const waiter = {
        afterPass: this.passes,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.drainWaiters.push(waiter);
      this.wake?.();
    });
  }

  private async loop(): Promise<void> {
    let lastDescribe = 0;
    while (!this.stopping) {
      const passStarted = this.passes;
      let delivered = 0;
      let failed = false;
      try {
        if (Date.now() - lastDescribe > 2000 || this.shards.size === 0 || [...this.shards.values()].some((s) => s.ended)) {
          await this.describe();
          lastDescribe = Date.now();
        }
        for (const cursor of this.readyShards()) {
          if (this.stopping) break;
          delivered += await this.pollShard(cursor);
        }
      } catch (error) {
        failed = true;
        this.lastError = error as Error;
        // Once stopping, a failed read is the backend going away, not news.
        if (!this.stopping) process.stderr.write(`stream poller: ${(error as Error).message}\n`);
      }
      this.passes += 1;
      if (delivered === 0 && !failed) {
        // Only a pass that began after drain() was called can vouch for what was written before the call.
        const done = this.drainWaiters.filter((w) => passStarted > w.afterPass);
        this.drainWaiters = this.drainWaiters.filter((w) => !done.includes(w));
        for (const waiter of done) waiter.resolve();
      }
      // Poll again at once while records flow or a drain waits; otherwise rest (stop() and drain() cut it short).
      if (delivered === 0 && !this.stopping) await this.rest(this.drainWaiters.length > 0 ? 20 : this.options.pollIntervalMs ?? 200);
    }
  }

  private rest(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async describe(): Promise<void> {
    const shards: Shard[] = [];
    let start: string | undefined;
    for (let page = 0; page < 100; page += 1) {
      const { StreamDescription } = await this.client.send(new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: start }));
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
      if (!start) break;
    }
    for (const shard of shards) {
      if (!shard.ShardId || this.shards.has(shard.ShardId)) continue;
      this.shards.set(shard.ShardId, { shardId: shard.ShardId, ...(shard.ParentShardId ? { parentId: shard.ParentShardId } : {}), ended: false });
    }
  }

  /** Open shards whose parent is finished (records of a key stay in order across shard splits). */
  private readyShards(): ShardCursor[] {
    return [...this.shards.values()].filter((s) => !s.ended && (!s.parentId || !this.shards.has(s.parentId) || this.shards.get(s.parentId)!.ended));
  }

  private async pollShard(cursor: ShardCursor): Promise<number> {
    if (!cursor.iterator) cursor.iterator = await this.iteratorFor(cursor);
    const gathered: StreamRecord[] = [];
    const batchSize = this.options.batchSize ?? 100;
    const windowEnds = Date.now() + (this.options.batchWindowMs ?? 0);
    // Gather up to batchSize records, waiting at most the batch window for more (bounded by its length).
    for (let reads = 0; reads < 1000 && cursor.iterator; reads += 1) {
      let output;
      try {
        output = await this.client.send(new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: batchSize - gathered.length }));
      } catch (error) {
        if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
          cursor.iterator = await this.iteratorFor(cursor);
          continue;
        }
        throw error;
      }
      gathered.push(...(output.Records ?? []));
      cursor.iterator = output.NextShardIterator;
      if (!cursor.iterator) cursor.ended = true;
      if (gathered.length >= batchSize || Date.now() >= windowEnds) break;
      if ((output.Records ?? []).length === 0) await this.rest(Math.min(50, Math.max(0, windowEnds - Date.now())));
    }
    if (gathered.length === 0) return 0;
    const records = gathered.map((r) => this.toLambdaRecord(r));
    const wanted = this.options.filter ? records.filter(this.options.filter) : records;
    if (wanted.length > 0) await this.deliver(wanted);
    cursor.checkpoint = gathered[gathered.length - 1]!.dynamodb?.SequenceNumber;
    return gathered.length;
  }

  private async iteratorFor(cursor: ShardCursor): Promise<string | undefined> {
    const { ShardIterator } = await this.client.send(new GetShardIteratorCommand({
      StreamArn: this.options.streamArn,
      ShardId: cursor.shardId,
      ...(cursor.checkpoint
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.checkpoint }
        : { ShardIteratorType: this.options.startingPosition ?? 'TRIM_HORIZON' }),
    }));
    return ShardIterator;
  }

  /** One batch with Lambda's rules: retry from the first reported failure, bisect on errors, give up after maxRetries. */
  private async deliver(batch: DynamoDBRecord[]): Promise<void> {
    const maxRetries = this.options.maxRetries ?? 3;
    const delay = this.options.retryDelayMs ?? ((attempt: number) => 50 * attempt);
    let remaining = batch;
    for (let attempt = 0; remaining.length > 0; attempt += 1) {
      // A stopping poller retries nothing: what failed stays in the stream (a failure then is most likely the stop itself).
      if (attempt > 0 && this.stopping) return;
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delay(attempt)));
      let response: DynamoDBBatchResponse | void;
      this.invocations += 1;
      if (attempt === 0) this.recordsDelivered += remaining.length;
      try {
        response = await this.options.handler({ Records: remaining });
      } catch (error) {
        if (this.stopping) return;
        if ((this.options.onError ?? 'bisect') === 'bisect' && remaining.length > 1) {
          const half = Math.ceil(remaining.length / 2);
          await this.deliver(remaining.slice(0, half));
          await this.deliver(remaining.slice(half));
          return;
        }
        if (attempt >= maxRetries) {
          await this.fail({ records: remaining, reason: 'handler-error', error: error as Error });
          return;
        }
        continue;
      }
      const failures = response?.batchItemFailures ?? [];
      if (failures.length === 0) return;
      const positions = failures.map((f) => remaining.findIndex((r) => r.dynamodb?.SequenceNumber === f.itemIdentifier));
      // Like Lambda: an identifier that is not in the batch fails the whole batch; otherwise retry from the earliest failure.
      const from = positions.some((p) => p < 0) ? 0 : Math.min(...positions);
      remaining = remaining.slice(from);
      if (attempt >= maxRetries) {
        await this.fail({ records: remaining, reason: 'item-failures' });
        return;
      }
    }
  }

  private async fail(failure: StreamFailure): Promise<void> {
    if (this.options.onFailure) await this.options.onFailure(failure);
    else process.stderr.write(`stream poller: gave up on ${failure.records.length} record(s) (${failure.reason}${failure.error ? `: ${failure.error.message}` : ''})\n`);
  }

  private toLambdaRecord(record: StreamRecord): DynamoDBRecord {
    const d = record.dynamodb ?? {};
    const created = d.ApproximateCreationDateTime;
    return {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: record.eventVersion ?? '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.options.awsRegion ?? 'us-east-1',
      eventSourceARN: this.options.streamArn,
      dynamodb: {
        ...(created ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
        Keys: lambdaJson(d.Keys) as never,
        ...(d.NewImage ? { NewImage: lambdaJson(d.NewImage) as never } : {}),
        ...(d.OldImage ? { OldImage: lambdaJson(d.OldImage) as never } : {}),
        SequenceNumber: d.SequenceNumber,
        SizeBytes: d.SizeBytes,
        StreamViewType: d.StreamViewType,
      },
    } as DynamoDBRecord;
  }
}

/** An image as Lambda's JSON event carries it: the SDK's binary values (B, BS) become base64 strings. */
function lambdaJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(lambdaJson);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lambdaJson(v)]));
  return value;
}
