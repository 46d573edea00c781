// The results/state table: round items (one per region-round shard), monitor state items and the fleet state item.
import {
  BatchWriteItemCommand, ConditionalCheckFailedException, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand,
  type TransactionCanceledException, type TransactWriteItem, UpdateItemCommand, type AttributeValue, type DynamoDBClient, type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreError } from '../domain';
import { forEachConcurrently } from '../domain/concurrency';
import type { AlertMessage } from '../domain/alert';
import { DEFAULT_HISTORY_DAYS, historyEventOf, historyItem, historyPartitions, sortHistory, type HistoryEvent, type HistoryFields, type HistoryItem } from '../domain/history';
import { decodeRoundItem, roundPk, type RoundItem, type RoundPartition, type RoundRecord } from '../domain/record';
import type { FleetState, MonitorState } from '../domain/verdict';
import { decodeWatchItem, encodeWatchItem, watchPk, watchSk, type WatchEvent } from '../domain/watch';
import { targetText, type Silence, type SilenceTarget } from '../domain/silence';
import { HEARTBEAT_KEY } from '../domain/table';
import { assembleBook, planBookWrite, type BookHeader, type BookWrite, type IncidentBook, type IncidentMember } from '../domain/incident';
import { ALL_STATE_SHARDS, STATE_SHARDS, stateShardOf, stateShardsOf } from '../domain/state-shards';

/**
 * The fleet item, the incident book, the generation and (before state shards) every monitor's state. Monitor states
 * now live under `state#<k>` (domain/state-shards.ts); one still here is a legacy item, read as a fallback and moved
 * to its shard by its first write.
 */
const STATE_PK = 'state';
/** Monitor state items of one shard: `state#<k>`, k = stateShardOf(monitor id); written only on change. */
const STATE_SHARD_PREFIX = 'state#';
/** The partition key of a monitor's state item. */
export function monitorStatePk(monitorId: string): string {
  return `${STATE_SHARD_PREFIX}${stateShardOf(monitorId)}`;
}
/** State shard partitions read at once (a cold read of all 64 is 64 small Queries). */
const STATE_READ_CONCURRENCY = 16;
/** History partitions read at once (a day is 17 small Queries: its shards and its legacy partition). */
const HISTORY_READ_CONCURRENCY = 16;
const STATE_KIND = 'state';
const STATE_SCHEMA_VERSION = 1;
const FLEET_SK = 'fleet';
/** The incident book (domain/incident.ts): open incidents and lone DOWNs others may join, with its own outbox. */
const INCIDENTS_SK = 'incidents';
/** An incident's member pages, when it has more than a few members: `incidents#<incident id>#<page>`. */
const INCIDENT_PAGE_PREFIX = `${INCIDENTS_SK}#`;
const INCIDENT_PAGE_KIND = 'incident-page';
/**
 * Counters moved after monitor state items change, one per state shard (`g0` … `g63`, top-level numbers of one item:
 * once per evaluation pass, not per state write). A reader that finds a shard's counter where it was knows no state of
 * that shard changed since, and may keep the states it read then (one 1-unit read of this item instead of the shard's
 * partition). Writers call commitStateGeneration() once their changes are written. (`n`, the single counter before
 * state shards, is left alone.)
 */
const GENERATION_SK = 'generation';
/** Silences share one partition (one item per target), read whole by each evaluation pass. */
const SILENCE_PK = 'silence';
const SILENCE_KIND = 'silence';

/**
 * Who is publishing a pending alert, until when. The owner's lease runs past the end of its invocation (the
 * function's timeout and a margin), so once it has expired the owner is provably gone and another may publish.
 */
export interface Claim {
  owner: string;
  /** Epoch ms the lease ends. */
  until: number;
}

/** An alert recorded with the state write that raised it, until a publish clears it. */
export interface PendingAlert {
  alert: AlertMessage;
  /** Epoch ms it was written (the moment of the write, not the start of the pass that raised it). */
  since: number;
  /** Absent when nobody is publishing it (its publisher gave it back after a failure, or it was stored before claims). */
  claim?: Claim;
}

/** Where a pending alert is recorded: a monitor's state item, the fleet's, or the incident book. */
export type PendingTarget = { monitorId: string } | 'fleet' | 'incidents';

export interface StoredState<S> {
  state: S;
  pending: Record<string, PendingAlert>;
}

export interface UnreadableItem {
  key: string;
  error: string;
}

export interface TableStoreOptions {
  /** Our own attempts for unprocessed batch items, on top of the SDK's retries. @default 8 */
  maxBatchAttempts?: number;
  /** @default exponential backoff with jitter from 50 ms, capped at 2 s */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told when a state change could not move the generation (readers' caches then age out instead). @default console.warn */
  warn?: (message: string) => void;
  /** How long history items are kept (their TTL), in days. @default DEFAULT_HISTORY_DAYS (400) */
  historyDays?: number;
}

/** A history event that could not be written (the write it went with, if any, went through without it). */
export interface HistoryFailure {
  monitor: string;
  event: string;
  error: string;
}

/** A history event to write: what happened, to which monitor (or 'fleet'), when (epoch ms), and what tells it apart. */
export interface HistoryRecord {
  fields: HistoryFields;
  monitor: string;
  at: number;
  unique?: string;
}

export function pendingKey(alert: AlertMessage): string {
  return `${alert.alertId}#${alert.sequence}`;
}

/** How long a silence's item outlives its end before DynamoDB's TTL may delete it. */
const SILENCE_KEPT_MS = 86_400_000;

export class TableStore {
  private readonly maxBatchAttempts: number;
  private readonly backoffMs: (attempt: number) => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly warn: (message: string) => void;
  /** Monitor state items changed since the generation last moved (what commitStateGeneration() will cover). */
  private uncommitted: string[] = [];
  /**
   * Monitor states still under the legacy partition key ('state'), as last read: filled by the first read of states
   * (and again by every full read), so a partial read falls back to it without reading the whole legacy partition.
   * A legacy item changes only by being moved (its first write) or by an in-place claim, clear or ack; each of those
   * is a versioned write, so a stale copy here costs a conflict and a re-read, never a wrong write.
   */
  private legacy: Map<string, StoredState<MonitorState>> | undefined;
  /** Monitors whose state item was last seen under the legacy key (their next write moves it). */
  private readonly legacyIds = new Set<string>();
  /** Days history items are kept. */
  readonly historyDays: number;
  /** History events not written since the last takeHistoryFailures(). */
  private historyFailures: HistoryFailure[] = [];

  constructor(readonly client: DynamoDBClient, readonly tableName: string, options: TableStoreOptions = {}) {
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.maxBatchAttempts = options.maxBatchAttempts ?? 8;
    this.backoffMs = options.backoffMs ?? ((attempt) => Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.historyDays = options.historyDays ?? DEFAULT_HISTORY_DAYS;
  }

  /** History events that could not be written since the last call (each must be counted and logged by the caller). */
  takeHistoryFailures(): HistoryFailure[] {
    const taken = this.historyFailures;
    this.historyFailures = [];
    return taken;
  }

  /**
   * Writes a round's shard items (BatchWriteItem, 25 at a time) and retries what DynamoDB left unprocessed
   * (throttling) with backoff; throws StoreError naming `where` when items are still unwritten after the last attempt.
   * Returns the number of write requests sent.
   */
  async writeRoundItems(items: RoundItem[], where: string): Promise<number> {
    let requests = 0;
    for (let i = 0; i < items.length; i += 25) {
      let pending: WriteRequest[] = items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt >= this.maxBatchAttempts) {
          throw new StoreError(`Writing ${where} to table ${this.tableName}: ${pending.length} item(s) still unprocessed after ${attempt} attempts (DynamoDB is throttling; raise the table's capacity or retry)`);
        }
        if (attempt > 0) await this.sleep(this.backoffMs(attempt));
        requests += 1;
        let output;
        try {
          output = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
        } catch (error) {
          throw new StoreError(`Writing ${where} to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
        }
        pending = output.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
    return requests;
  }

  /** Writes one watch event (watch mode) into the probe's own watch partition of the monitor, at once. */
  async writeWatchEvent(event: WatchEvent): Promise<void> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall(encodeWatchItem(event), { removeUndefinedValues: true }) }));
    } catch (error) {
      throw new StoreError(`Writing the watch event of monitor '${event.monitor}' (region ${event.region}) to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * The watch events of a monitor since `sinceMs`, from each of its regions' watch partitions (one small Query each,
   * at once). Unreadable items are left out: one region's bad item must not hide the others' evidence.
   */
  async readWatchEvents(monitor: { id: string; regions: readonly string[]; group?: string }, sinceMs: number): Promise<WatchEvent[]> {
    const read = async (region: string): Promise<Record<string, unknown>[]> => {
      const pk = watchPk({ region, ...(monitor.group !== undefined ? { group: monitor.group } : {}) }, monitor.id);
      try {
        const output = await this.client.send(new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk >= :sk',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: marshall({ ':pk': pk, ':sk': watchSk(Math.max(0, sinceMs)) }),
          ConsistentRead: true,
          // A watcher backs off, so a minute holds a handful of events at most.
          Limit: 100,
        }));
        return (output.Items ?? []).map((item) => unmarshall(item));
      } catch (error) {
        throw new StoreError(`Reading partition ${pk} of table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
      }
    };
    const events: WatchEvent[] = [];
    for (const item of (await Promise.all(monitor.regions.map(read))).flat()) {
      try {
        events.push(decodeWatchItem(item));
      } catch {
        // Reported where it arrives (the aggregator's stream record); here it is only not evidence.
      }
    }
    return events;
  }

  /**
   * The items of the given probes (region and group) for one round instant: one Query per probe's partition, at once.
   * Unreadable items are returned apart.
   */
  async readRound(instantMs: number, partitions: readonly RoundPartition[]): Promise<{ records: RoundRecord[]; unreadable: UnreadableItem[] }> {
    const records: RoundRecord[] = [];
    const unreadable: UnreadableItem[] = [];
    const items = (await Promise.all(partitions.map((partition) => this.query(roundPk(partition, instantMs))))).flat();
    for (const item of items) {
      try {
        records.push(decodeRoundItem(item));
      } catch (error) {
        unreadable.push({ key: `${String(item.pk)}/${String(item.sk)}`, error: (error as Error).message });
      }
    }
    return { records, unreadable };
  }

  /**
   * The stored states of the monitors of the given state shards (default: all), by monitor id: one Query per shard's
   * partition, up to STATE_READ_CONCURRENCY at once. A monitor with no item in its shard yet falls back to its legacy
   * item (stored before state shards): a full read reads the legacy partition afresh, a partial one uses what the
   * last read of it found (read once, if this is the first).
   */
  async readMonitorStates(shards?: readonly number[]): Promise<Map<string, StoredState<MonitorState>>> {
    const wanted = shards ?? ALL_STATE_SHARDS;
    const [legacy, partitions] = await Promise.all([
      shards === undefined || this.legacy === undefined ? this.readLegacyStates() : this.legacy,
      this.queryEach(wanted.map((k) => `${STATE_SHARD_PREFIX}${k}`), STATE_READ_CONCURRENCY, (pk) => this.query(pk, 'monitor#')),
    ]);
    const states = new Map<string, StoredState<MonitorState>>();
    for (const item of partitions.flat()) {
      const stored = fromStateItem<MonitorState>(item);
      states.set(stored.state.monitorId, stored);
    }
    const inWanted = shards === undefined || shards.length === STATE_SHARDS ? () => true : ((set) => (id: string) => set.has(stateShardOf(id)))(new Set(shards));
    for (const [id, stored] of legacy) {
      if (states.has(id)) this.forgetLegacy(id);
      else if (inWanted(id)) states.set(id, stored);
    }
    return states;
  }

  /** The legacy partition's monitor states (one Query of a partition that is empty once every state moved). */
  private async readLegacyStates(): Promise<Map<string, StoredState<MonitorState>>> {
    const legacy = new Map<string, StoredState<MonitorState>>();
    for (const item of await this.query(STATE_PK, 'monitor#')) {
      const stored = fromStateItem<MonitorState>(item);
      legacy.set(stored.state.monitorId, stored);
    }
    this.legacy = legacy;
    this.legacyIds.clear();
    for (const id of legacy.keys()) this.legacyIds.add(id);
    return legacy;
  }

  private forgetLegacy(monitorId: string): void {
    this.legacy?.delete(monitorId);
    this.legacyIds.delete(monitorId);
  }

  /** One monitor's stored state: its shard's item, or else its legacy item (stored before state shards). */
  async readMonitorState(monitorId: string): Promise<StoredState<MonitorState> | undefined> {
    const sk = `monitor#${monitorId}`;
    const item = (await this.query(monitorStatePk(monitorId), sk, true, true)).find((i) => i.sk === sk);
    if (item) {
      this.forgetLegacy(monitorId);
      return fromStateItem<MonitorState>(item);
    }
    const old = (await this.query(STATE_PK, sk, true, true)).find((i) => i.sk === sk);
    if (!old) return undefined;
    const stored = fromStateItem<MonitorState>(old);
    this.legacy?.set(monitorId, stored);
    this.legacyIds.add(monitorId);
    return stored;
  }

  /** Overwrites the home pipeline's heartbeat (the sweeper, each sweep): the probe regions' watchdogs read it. */
  async writeHeartbeat(at: number): Promise<void> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall({ ...HEARTBEAT_KEY, kind: 'heartbeat', at }) }));
    } catch (error) {
      throw new StoreError(`Writing the heartbeat to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The home pipeline's last heartbeat (epoch ms), or undefined when there is none yet. One small eventually consistent read. */
  async readHeartbeat(): Promise<number | undefined> {
    try {
      const output = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(HEARTBEAT_KEY), ProjectionExpression: '#at', ExpressionAttributeNames: { '#at': 'at' } }));
      const at = output.Item ? unmarshall(output.Item).at : undefined;
      return typeof at === 'number' ? at : undefined;
    } catch (error) {
      throw new StoreError(`Reading the heartbeat from table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async readFleetState(): Promise<StoredState<FleetState> | undefined> {
    const item = (await this.query(STATE_PK, FLEET_SK)).find((i) => i.sk === FLEET_SK);
    return item ? fromStateItem<FleetState>(item) : undefined;
  }

  /**
   * Writes a monitor's new state with the alerts it raised recorded as pending, only if the stored version is still
   * `expectedVersion` (0 = no item yet, or one stored at version 0). Returns 'conflict' when someone else moved it first.
   */
  async writeMonitorState(
    state: MonitorState, expectedVersion: number, pending: Record<string, PendingAlert>, history: readonly HistoryRecord[] = [],
  ): Promise<'written' | 'conflict'> {
    const id = state.monitorId;
    const sk = `monitor#${id}`;
    const what = `monitor '${id}'`;
    // A legacy item moves with its first write: the new item only if none is there yet, and the legacy one deleted
    // only at the version the writer read, in one transaction (so two writers moving it at once conflict, and no
    // reader ever sees neither). A reader finding both prefers the new one.
    const written = this.legacyIds.has(id)
      ? await this.putState({ pk: monitorStatePk(id), sk }, state, state.version, expectedVersion, pending, what, history, [{
        Delete: {
          TableName: this.tableName, Key: marshall({ pk: STATE_PK, sk }),
          ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: marshall({ ':expected': expectedVersion }),
        },
      }], true)
      : await this.putState({ pk: monitorStatePk(id), sk }, state, state.version, expectedVersion, pending, what, history);
    if (written === 'written') {
      this.uncommitted.push(id);
      this.forgetLegacy(id);
    }
    return written;
  }

  /**
   * The monitor states' generation: each state shard's counter (0 before any change), indexed by shard. Equal readings
   * of a shard's counter mean no state of that shard changed in between. One strongly consistent read of one item.
   */
  async readStateGeneration(): Promise<number[]> {
    let output;
    try {
      output = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: STATE_PK, sk: GENERATION_SK }), ConsistentRead: true }));
    } catch (error) {
      throw new StoreError(`Reading the state generation of table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
    const item = output.Item ? unmarshall(output.Item) : {};
    return ALL_STATE_SHARDS.map((k) => Number(item[`g${k}`] ?? 0));
  }

  /**
   * Moves the counter of each state shard whose states changed since it last moved, in one update. The changes themselves have happened, so
   * a failure here is reported, not thrown: failing the batch would only delay its alerts, and readers re-read the
   * states after a bounded age anyway. A change that lands while this is in flight is left for the next call.
   */
  async commitStateGeneration(): Promise<void> {
    if (this.uncommitted.length === 0) return;
    const changed = this.uncommitted;
    this.uncommitted = [];
    const shards = stateShardsOf(changed);
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: STATE_PK, sk: GENERATION_SK }),
        UpdateExpression: `ADD ${shards.map((k) => `#g${k} :one`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(shards.map((k) => [`#g${k}`, `g${k}`])),
        ExpressionAttributeValues: marshall({ ':one': 1 }),
      }));
    } catch (error) {
      const monitors = changed.slice(0, 5).map((id) => `'${id}'`).join(', ') + (changed.length > 5 ? ` and ${changed.length - 5} more` : '');
      this.warn(`Moving the state generation after changing monitor ${monitors} in table ${this.tableName} failed: ${(error as Error).message} (cached states age out instead)`);
    }
  }

  writeFleetState(state: FleetState, expectedVersion: number, pending: Record<string, PendingAlert>, history: readonly HistoryRecord[] = []): Promise<'written' | 'conflict'> {
    return this.putState({ pk: STATE_PK, sk: FLEET_SK }, state, state.version, expectedVersion, pending, 'the fleet', history);
  }

  /**
   * Writes history events on their own (deliveries): never throws. What could not be written is kept for
   * takeHistoryFailures(); the caller counts and logs it.
   */
  async recordHistory(records: readonly HistoryRecord[]): Promise<void> {
    // One PutItem each (the functions' roles grant no BatchWriteItem); a delivery writes one.
    await Promise.all(records.map(async (record) => {
      const item = this.historyItemOf(record);
      try {
        await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall(item, { removeUndefinedValues: true }) }));
      } catch (error) {
        this.historyFailures.push({ monitor: item.monitor, event: item.event, error: (error as Error).message });
      }
    }));
  }

  /**
   * History events of the days given (historyDays() keys), oldest first: by time, then monitor, then what happened
   * (a transition before the alert it raised, the alert before its delivery). Reads each day's history shards — all
   * of them, or with `monitors` only the shards their events are in — and the day's legacy partition (events stored
   * before history shards), up to HISTORY_READ_CONCURRENCY Queries at once. With `monitors`, events of other
   * monitors that share their shards (or the legacy partition) come back too: the caller filters.
   */
  async readHistory(days: readonly string[], monitors?: Iterable<string>): Promise<HistoryEvent[]> {
    const wanted = monitors === undefined ? undefined : [...monitors];
    const partitions = days.flatMap((day) => historyPartitions(day, wanted));
    const read = await this.queryEach(partitions, HISTORY_READ_CONCURRENCY, (pk) => this.query(pk, undefined, false));
    return sortHistory(read.flat().map(historyEventOf));
  }

  /** `read` of every partition key given, up to `limit` at once; the results in the order of the keys. */
  private async queryEach<T>(keys: readonly string[], limit: number, read: (pk: string) => Promise<T>): Promise<T[]> {
    const results: T[] = [];
    await forEachConcurrently(keys.map((_, k) => k), limit, async (k) => {
      results[k] = await read(keys[k]!);
    });
    return results;
  }


  /** Every silence item (ended ones too, until their TTL deletes them: silenceFor() checks `until`). */
  async readSilences(): Promise<Silence[]> {
    return (await this.query(SILENCE_PK)).map((item) => ({
      target: item.target as SilenceTarget, by: String(item.by), ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
      since: Number(item.since), until: Number(item.until),
    }));
  }

  /**
   * Writes a silence (replacing the one its target had: ending one early is a silence until now) with its history
   * event, in one transaction.
   */
  async putSilence(silence: Silence, history: HistoryRecord): Promise<void> {
    const key = targetText(silence.target).replace(':', '#');
    // Readers judge by `until`; the TTL only cleans up, a day later, so a silence still in force by the evaluating
    // clock is never deleted under it (DynamoDB may delete an item any time after its TTL).
    const item = { pk: SILENCE_PK, sk: key, kind: SILENCE_KIND, ...silence, ttl: Math.ceil((silence.until + SILENCE_KEPT_MS) / 1000) };
    try {
      await this.client.send(new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: marshall(item, { removeUndefinedValues: true }) } },
          { Put: { TableName: this.tableName, Item: marshall(this.historyItemOf(history), { removeUndefinedValues: true }) } },
        ],
      }));
    } catch (error) {
      throw new StoreError(`Writing the silence of ${targetText(silence.target)} to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Stops the reminders of the DOWN paged as `alertId`: written on the monitor's state (moving its version, so no writer
   * holding an older copy can drop it) with its history event, in one transaction, only while that DOWN is the
   * monitor's current page. 'stale' when it is not (the monitor recovered, or a newer page went out).
   */
  async ackAlert(monitorId: string, ack: NonNullable<MonitorState['acked']>, history: HistoryRecord): Promise<'acked' | 'stale'> {
    // Where the item is (readMonitorState() tells): a legacy item is acknowledged in place (people's IAM allows
    // UpdateItem only); its next write by the pipeline moves it, ack and all.
    const pk = this.legacyIds.has(monitorId) ? STATE_PK : monitorStatePk(monitorId);
    try {
      await this.client.send(new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: marshall({ pk, sk: `monitor#${monitorId}` }),
              UpdateExpression: 'SET #state.#acked = :ack, #version = #version + :one, #state.#version = #state.#version + :one',
              ConditionExpression: '#state.#alertId = :alertId AND #state.#verdict = :down AND #state.#notified = :down',
              ExpressionAttributeNames: { '#state': 'state', '#acked': 'acked', '#version': 'version', '#alertId': 'alertId', '#verdict': 'verdict', '#notified': 'notified' },
              ExpressionAttributeValues: marshall({ ':ack': ack, ':one': 1, ':alertId': ack.alertId, ':down': 'DOWN' }, { removeUndefinedValues: true }),
            },
          },
          { Put: { TableName: this.tableName, Item: marshall(this.historyItemOf(history), { removeUndefinedValues: true }) } },
        ],
      }));
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException'
        && (error as TransactionCanceledException).CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return 'stale';
      throw new StoreError(`Acknowledging ${ack.alertId} of monitor '${monitorId}' in table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
    // Cached copies of the state are behind now.
    this.uncommitted.push(monitorId);
    await this.commitStateGeneration();
    return 'acked';
  }

  private historyItemOf(record: HistoryRecord): HistoryItem {
    return historyItem(record.fields, record.monitor, record.at, this.historyDays, record.unique);
  }

  /**
   * The incident book with its pending alerts: its item and every member page, checked against the page versions the
   * item names (read again when a write landed between the two), and `orphans`, pages nothing refers to any more.
   */
  async readIncidentBook(): Promise<(StoredState<IncidentBook> & { orphans: string[] }) | undefined> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const items = await this.query(STATE_PK, INCIDENTS_SK);
      const item = items.find((i) => i.sk === INCIDENTS_SK);
      if (!item) return undefined;
      const stored = fromStateItem<BookHeader>(item);
      const pages = new Map<string, { version: number; members: IncidentMember[] }>();
      for (const page of items) {
        if (typeof page.sk === 'string' && page.sk.startsWith(INCIDENT_PAGE_PREFIX)) {
          pages.set(page.sk.slice(INCIDENT_PAGE_PREFIX.length), { version: Number(page.bookVersion), members: page.members as IncidentMember[] });
        }
      }
      const assembled = assembleBook(stored.state, pages);
      if (assembled) return { state: assembled.book, pending: stored.pending, orphans: assembled.orphans };
    }
    throw new StoreError(`Reading the incident book of table ${this.tableName}: its member pages changed under 5 consecutive reads`);
  }

  /** The incident book's item alone (its incidents and counts, not their member pages), with its pending alerts. */
  async readIncidentBookItem(): Promise<StoredState<BookHeader> | undefined> {
    const item = (await this.query(STATE_PK, INCIDENTS_SK, true, true)).find((i) => i.sk === INCIDENTS_SK);
    return item ? fromStateItem<BookHeader>(item) : undefined;
  }

  /**
   * Writes the incident book `book` over `before` (the book as read) with its pending alerts, only if its stored
   * version is still `expectedVersion`: its item, and in the same transaction the member pages that changed and up to
   * 20 pages to delete (`orphans` a reader found among them). `plan`: the write, when the caller planned it already.
   */
  writeIncidentBook(
    before: IncidentBook, book: IncidentBook, expectedVersion: number, pending: Record<string, PendingAlert>, history: readonly HistoryRecord[] = [],
    orphans: readonly string[] = [], plan: BookWrite = planBookWrite(before, book, orphans),
  ): Promise<'written' | 'conflict'> {
    const pageItems = [
      ...plan.puts.map((page) => ({
        Put: {
          TableName: this.tableName,
          Item: marshall({ pk: STATE_PK, sk: `${INCIDENT_PAGE_PREFIX}${page.key}`, kind: INCIDENT_PAGE_KIND, bookVersion: page.version, members: page.members }, { removeUndefinedValues: true }),
        },
      })),
      ...plan.deletes.map((key) => ({ Delete: { TableName: this.tableName, Key: marshall({ pk: STATE_PK, sk: `${INCIDENT_PAGE_PREFIX}${key}` }) } })),
    ];
    return this.putState({ pk: STATE_PK, sk: INCIDENTS_SK }, plan.header, book.version, expectedVersion, pending, 'the incident book', history, pageItems);
  }

  /**
   * Claims a pending alert for publishing: only if it is still pending and nobody holds a lease on it that is still
   * running at `now`. Versioned, like every outbox write. Returns the new version, or undefined when it is someone
   * else's (or already gone): then this caller must not publish it.
   */
  async claimPending(target: PendingTarget, key: string, claim: Claim, now: number): Promise<number | undefined> {
    return this.updatePending(target, key, {
      update: 'SET #pending.#key.#claim = :claim',
      condition: 'attribute_exists(#pending.#key) AND (attribute_not_exists(#pending.#key.#claim) OR #pending.#key.#claim.#until < :now)',
      names: { '#claim': 'claim', '#until': 'until' },
      values: { ':claim': claim, ':now': now },
      doing: `Claiming pending alert ${key}`,
    });
  }

  /** Gives a claim back after a failed publish, so the sweeper retries without waiting out the lease. Only the owner's. */
  async releaseClaim(target: PendingTarget, key: string, owner: string): Promise<number | undefined> {
    return this.updatePending(target, key, {
      update: 'REMOVE #pending.#key.#claim',
      condition: '#pending.#key.#claim.#owner = :owner',
      names: { '#claim': 'claim', '#owner': 'owner' },
      values: { ':owner': owner },
      doing: `Releasing the claim on pending alert ${key}`,
    });
  }

  /**
   * Marks a pending alert published. A versioned write: it moves the item's version (and its state's), so a writer
   * that read the state before the clear loses its condition and starts again from the cleared state, instead of
   * writing the alert back. Returns the new version, or undefined when the alert was no longer pending (idempotent).
   */
  async clearPending(target: PendingTarget, key: string): Promise<number | undefined> {
    return this.updatePending(target, key, {
      update: 'REMOVE #pending.#key', condition: 'attribute_exists(#pending.#key)', names: {}, values: {},
      doing: `Clearing published alert ${key}`, after: ' (the sweeper will publish it again)',
    });
  }

  /**
   * One conditional update of a pending alert that also moves the item's version and its state's (a writer that read
   * the item before it then loses its condition and starts again from what this wrote). Undefined when the condition
   * failed.
   */
  private async updatePending(
    target: PendingTarget, key: string,
    change: { update: string; condition: string; names: Record<string, string>; values: Record<string, unknown>; doing: string; after?: string },
  ): Promise<number | undefined> {
    const sk = target === 'fleet' ? FLEET_SK : target === 'incidents' ? INCIDENTS_SK : `monitor#${target.monitorId}`;
    const monitorId = typeof target === 'string' ? undefined : target.monitorId;
    // A monitor's item in its shard; a legacy one (not moved yet) where it is, in place.
    const pk = monitorId === undefined ? STATE_PK : this.legacyIds.has(monitorId) ? STATE_PK : monitorStatePk(monitorId);
    let output;
    try {
      output = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk, sk }),
        // REMOVE and SET clauses may come in either order; the version moves with every change.
        UpdateExpression: `${change.update} ${change.update.startsWith('SET') ? ',' : 'SET'} #version = #version + :one, #state.#version = #state.#version + :one`,
        ConditionExpression: change.condition,
        ExpressionAttributeNames: { '#pending': 'pending', '#key': key, '#version': 'version', '#state': 'state', ...change.names },
        ExpressionAttributeValues: marshall({ ':one': 1, ...change.values }),
        ReturnValues: 'UPDATED_NEW',
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw new StoreError(`${change.doing} of ${sk} in table ${this.tableName} failed: ${(error as Error).message}${change.after ?? ''}`, { cause: error });
    }
    // A cached copy of the state is behind now: readers must see the generation move.
    if (monitorId !== undefined) {
      this.uncommitted.push(monitorId);
    }
    return Number(unmarshall(output.Attributes ?? {}).version);
  }

  /**
   * The conditional state write. With history events, they go in the same transaction (a transition and the alerts it
   * raised are recorded exactly when the state that made them is written, never twice); if the history items alone
   * are refused (the transaction's cancellation names them, not the state), the state is written without them and
   * they are kept for takeHistoryFailures(): the history never blocks a page.
   */
  private async putState(
    key: { pk: string; sk: string }, state: object, version: number, expectedVersion: number, pending: Record<string, PendingAlert>, what: string,
    history: readonly HistoryRecord[] = [], together: readonly TransactWriteItem[] = [], moving = false,
  ): Promise<'written' | 'conflict'> {
    const item = {
      pk: key.pk, sk: key.sk, kind: STATE_KIND, v: STATE_SCHEMA_VERSION, version, state,
      pending: Object.fromEntries(Object.entries(pending).map(([k, p]) => [k, { since: p.since, alert: JSON.stringify(p.alert), ...(p.claim ? { claim: p.claim } : {}) }])),
    };
    const put = {
      TableName: this.tableName,
      Item: marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true }),
      // Version 0 is also a stored version (the fleet item the first sweep creates unchanged), so 0 means "absent or 0".
      // Moving a legacy item, its version is checked on the legacy item (`together`); the new one must not exist yet.
      ...(moving
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk) OR #version = :expected' : '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: marshall({ ':expected': expectedVersion }),
        }),
    };
    // A transaction holds 100 items; a step raises a handful of alerts, so the bound is only a guard. `together` (the
    // incident book's member pages) must go with the state or not at all; the history may be left out.
    const records = history.slice(0, Math.max(0, 99 - together.length));
    const failHistory = (error: string, from: readonly HistoryRecord[]) => {
      for (const r of from) this.historyFailures.push({ monitor: r.monitor, event: r.fields.event, error });
    };
    if (history.length > records.length) failHistory('more history events than one transaction holds', history.slice(records.length));
    if (together.length > 0) {
      const written = await this.writeTogether(put, together, records, what);
      // The history items alone were refused: the page must not wait for them.
      return written === 'history refused' ? (await this.writeTogether(put, together, [], what)) as 'written' | 'conflict' : written;
    }
    if (records.length > 0) {
      try {
        await this.client.send(new TransactWriteItemsCommand({
          TransactItems: [
            { Put: put },
            ...records.map((r) => ({ Put: { TableName: this.tableName, Item: marshall(this.historyItemOf(r), { removeUndefinedValues: true }) } })),
          ],
        }));
        return 'written';
      } catch (error) {
        // By name: the SDK's class, or an error shaped as the service's (a fault injected at the SDK boundary).
        if ((error as Error).name === 'TransactionCanceledException') {
          const [stateReason, ...historyReasons] = (error as TransactionCanceledException).CancellationReasons ?? [];
          const code = stateReason?.Code ?? 'None';
          if (code === 'ConditionalCheckFailed' || code === 'TransactionConflict') return 'conflict';
          const refused = historyReasons.map((r) => r?.Code ?? 'None').find((c) => c !== 'None');
          if (code !== 'None' || refused === undefined) {
            throw new StoreError(`Writing the state of ${what} to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
          }
          // The history items alone were refused: the page must not wait for them.
          failHistory(`${refused}: ${(error as Error).message}`, records);
        } else {
          throw new StoreError(`Writing the state of ${what} to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
        }
      }
    }
    try {
      await this.client.send(new PutItemCommand(put));
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw new StoreError(`Writing the state of ${what} to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * The conditional state write with items that must go with it (member pages), and history records, in one
   * transaction. 'history refused' when only the history items were refused (the caller writes again without them).
   */
  private async writeTogether(
    put: NonNullable<TransactWriteItem['Put']>, together: readonly TransactWriteItem[], records: readonly HistoryRecord[], what: string,
  ): Promise<'written' | 'conflict' | 'history refused'> {
    try {
      await this.client.send(new TransactWriteItemsCommand({
        TransactItems: [
          { Put: put },
          ...together,
          ...records.map((r) => ({ Put: { TableName: this.tableName, Item: marshall(this.historyItemOf(r), { removeUndefinedValues: true }) } })),
        ],
      }));
      return 'written';
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') {
        const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
        const code = reasons[0]?.Code ?? 'None';
        if (code === 'ConditionalCheckFailed' || code === 'TransactionConflict') return 'conflict';
        const others = reasons.slice(1, 1 + together.length).map((r) => r?.Code ?? 'None').find((c) => c !== 'None');
        // A legacy item moved or changed by someone else first (its Delete's condition): start again from theirs.
        if (code === 'None' && (others === 'ConditionalCheckFailed' || others === 'TransactionConflict')) return 'conflict';
        const refused = reasons.slice(1 + together.length).map((r) => r?.Code ?? 'None').find((c) => c !== 'None');
        if (code === 'None' && others === undefined && refused !== undefined) {
          for (const r of records) this.historyFailures.push({ monitor: r.monitor, event: r.fields.event, error: `${refused}: ${(error as Error).message}` });
          return 'history refused';
        }
      }
      throw new StoreError(`Writing the state of ${what} with ${together.length} member pages to table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async query(pk: string, skPrefix?: string, consistent = true, exact = false): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    // Bounded: a round partition holds one probe's shards, a state partition one item per monitor of its shard, a
    // history partition one day's events of its shard (a page is 1 MB).
    for (let page = 0; page < 1000; page += 1) {
      let output;
      try {
        output = await this.client.send(new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: skPrefix === undefined ? '#pk = :pk' : exact ? '#pk = :pk AND #sk = :sk' : '#pk = :pk AND begins_with(#sk, :sk)',
          ExpressionAttributeNames: { '#pk': 'pk', ...(skPrefix === undefined ? {} : { '#sk': 'sk' }) },
          ExpressionAttributeValues: marshall({ ':pk': pk, ...(skPrefix === undefined ? {} : { ':sk': skPrefix }) }),
          // Another region's item may have landed milliseconds ago; a stale read would count it silent.
          ConsistentRead: consistent,
          ExclusiveStartKey: start,
        }));
      } catch (error) {
        throw new StoreError(`Reading partition ${pk} of table ${this.tableName} failed: ${(error as Error).message}`, { cause: error });
      }
      for (const item of output.Items ?? []) items.push(unmarshall(item));
      start = output.LastEvaluatedKey;
      if (!start) return items;
    }
    throw new StoreError(`Reading partition ${pk} of table ${this.tableName}: more than 1000 pages`);
  }
}

function fromStateItem<S>(item: Record<string, unknown>): StoredState<S> {
  const raw = (item.pending ?? {}) as Record<string, { since: number; alert: string; claim?: { owner: string; until: number } }>;
  const pending: Record<string, PendingAlert> = {};
  for (const [key, value] of Object.entries(raw)) {
    pending[key] = {
      since: Number(value.since), alert: JSON.parse(value.alert) as AlertMessage,
      ...(value.claim ? { claim: { owner: String(value.claim.owner), until: Number(value.claim.until) } } : {}),
    };
  }
  return { state: item.state as S, pending };
}
