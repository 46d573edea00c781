// Counts DynamoDB requests and the capacity units DynamoDB reports for them, at the SDK boundary of one client.
import type { AttributeValue, ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Op = 'read' | 'write';

/** The data-plane commands the store sends and what DynamoDB bills them as; anything else is a bench bug. */
const BILLED: Record<string, Op> = {
  BatchWriteItemCommand: 'write',
  PutItemCommand: 'write',
  UpdateItemCommand: 'write',
  DeleteItemCommand: 'write',
  TransactWriteItemsCommand: 'write',
  QueryCommand: 'read',
  GetItemCommand: 'read',
  BatchGetItemCommand: 'read',
  TransactGetItemsCommand: 'read',
  ScanCommand: 'read',
};

interface OpCount {
  /** Requests the code sent (one `client.send`). */
  requests: number;
  /** Capacity units DynamoDB Local returned (ReturnConsumedCapacity: TOTAL). */
  units: number;
  /** HTTP attempts (more than requests only if the SDK retried, which would be billed too). */
  attempts: number;
  /** Requests that failed (a lost conditional write still bills; its units are not returned, so they are not in `units`). */
  failures: number;
}

/**
 * What one partition key took: units DynamoDB reported, shared over the request's items by their size where one
 * request touched several keys (BatchWriteItem, TransactWriteItems report one figure per table); and when the requests
 * to it started and ended (performance.now()), so a rate per second can be modelled from the span.
 */
interface KeyCount {
  readUnits: number;
  writeUnits: number;
  requests: number;
  firstAt: number;
  lastAt: number;
}

/** Requests and units by what they touched: `Query state` / `Query fleet` / `Query round` / `GetItem generation`, or the command (`BatchWriteItem`, `PutItem` …); and by partition key. */
export type Counts = Record<Op, OpCount> & { byTarget: Record<string, { requests: number; units: number }>; byKey: Record<string, KeyCount> };

function emptyCounts(): Counts {
  const zero = (): OpCount => ({ requests: 0, units: 0, attempts: 0, failures: 0 });
  return { read: zero(), write: zero(), byTarget: {}, byKey: {} };
}

/** An item written, as the counter saw it leave: its key, its size by DynamoDB's rules, and how it was written. */
export interface WrittenItem {
  pk: string;
  sk: string;
  bytes: number;
  command: string;
}

type Input = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

/** The partition keys a request touches, each with a weight (its item's write units, or 1) to share the reported units by. */
function keysOf(commandName: string, input: Input, tableWrites: (item: Item, command: string) => void): { pk: string; weight: number }[] {
  const pkOf = (key: Item | undefined): string => key?.pk?.S ?? '?';
  const put = (item: Item, command: string): { pk: string; weight: number } => {
    tableWrites(item, command);
    return { pk: pkOf(item), weight: writeUnitsFor(itemBytes(item)) };
  };
  switch (commandName) {
    case 'PutItemCommand':
      return [put(input.Item as Item, 'PutItem')];
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
    case 'GetItemCommand':
      return [{ pk: pkOf(input.Key as Item), weight: 1 }];
    case 'QueryCommand':
      return [{ pk: (input.ExpressionAttributeValues as Item | undefined)?.[':pk']?.S ?? '?', weight: 1 }];
    case 'BatchWriteItemCommand':
      return Object.values(input.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>).flat()
        .map((r) => (r.PutRequest ? put(r.PutRequest.Item, 'BatchWriteItem') : { pk: pkOf(r.DeleteRequest?.Key), weight: 1 }));
    case 'TransactWriteItemsCommand':
      return (input.TransactItems as { Put?: { Item: Item }; Update?: { Key: Item }; Delete?: { Key: Item }; ConditionCheck?: { Key: Item } }[])
        .map((t) => (t.Put ? put(t.Put.Item, 'TransactWriteItems') : { pk: pkOf((t.Update ?? t.Delete ?? t.ConditionCheck)?.Key), weight: 1 }));
    case 'BatchGetItemCommand':
      return Object.values(input.RequestItems as Record<string, { Keys: Item[] }>).flatMap((r) => r.Keys.map((k) => ({ pk: pkOf(k), weight: 1 })));
    case 'TransactGetItemsCommand':
      return (input.TransactItems as { Get: { Key: Item } }[]).map((t) => ({ pk: pkOf(t.Get.Key), weight: 1 }));
    default:
      return [{ pk: '?', weight: 1 }];
  }
}

/** Which partition a Query reads (the state partition or a round's), so reads can be told apart. */
function targetOf(commandName: string, input: { ExpressionAttributeValues?: Record<string, AttributeValue> }): string {
  const command = commandName.replace(/Command$/, '');
  // The only GetItem the functions send: the state generation a warm aggregator checks before using its cached states.
  if (command === 'GetItem') return 'GetItem generation';
  if (command !== 'Query') return command;
  const pk = input.ExpressionAttributeValues?.[':pk']?.S ?? '';
  if (pk.startsWith('round#')) return 'Query round';
  // The state partitions (state#<shard>) hold the monitors' states; 'state' the fleet item (and states not yet moved), read apart.
  if (pk.startsWith('state#')) return 'Query state';
  if (pk === 'state') return input.ExpressionAttributeValues?.[':sk']?.S === 'fleet' ? 'Query fleet' : 'Query state';
  return `Query ${pk || '?'}`;
}

/** Counts every billed request one client sends; `take()` returns what was counted since the last take. */
export class RequestCounter {
  private counts = emptyCounts();

  /** `onWrite`: told of every item a put (PutItem, BatchWriteItem, TransactWriteItems) sends, with its size. */
  constructor(private readonly onWrite?: (item: WrittenItem) => void) {}

  /** Adds the counting middleware to `client` (once per client). */
  attach(client: DynamoDBClient): DynamoDBClient {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const op = BILLED[context.commandName ?? ''];
        if (!op) throw new Error(`bench counter: unexpected DynamoDB command ${context.commandName} on a counted client`);
        // Asking for the consumed capacity changes nothing else about the request; DynamoDB Local answers it.
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        const count = this.counts[op];
        const target = (this.counts.byTarget[targetOf(context.commandName!, args.input as never)] ??= { requests: 0, units: 0 });
        count.requests += 1;
        target.requests += 1;
        const keys = keysOf(context.commandName!, args.input as Input, (item, command) => {
          if (this.onWrite) this.onWrite({ pk: item.pk?.S ?? '?', sk: item.sk?.S ?? '?', bytes: itemBytes(item), command });
        });
        const startedAt = performance.now();
        const byKey = this.counts.byKey;
        try {
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[]; $metadata?: { attempts?: number } };
          const consumed = output.ConsumedCapacity;
          let units = 0;
          for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
            count.units += c.CapacityUnits ?? 0;
            target.units += c.CapacityUnits ?? 0;
            units += c.CapacityUnits ?? 0;
          }
          const endedAt = performance.now();
          const weights = keys.reduce((sum, k) => sum + k.weight, 0);
          const seen = new Set<string>();
          for (const { pk, weight } of keys) {
            const k = (byKey[pk] ??= { readUnits: 0, writeUnits: 0, requests: 0, firstAt: startedAt, lastAt: endedAt });
            k[op === 'read' ? 'readUnits' : 'writeUnits'] += (units * weight) / weights;
            if (!seen.has(pk)) k.requests += 1;
            seen.add(pk);
            k.firstAt = Math.min(k.firstAt, startedAt);
            k.lastAt = Math.max(k.lastAt, endedAt);
          }
          count.attempts += output.$metadata?.attempts ?? 1;
          return result;
        } catch (error) {
          count.failures += 1;
          count.attempts += (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
          throw error;
        }
      },
      // Initialize runs once per send, before the SDK's retries: one count per request the code makes.
      { step: 'initialize', name: 'portquorumBenchCounter' },
    );
    return client;
  }

  take(): Counts {
    const out = this.counts;
    this.counts = emptyCounts();
    return out;
  }
}

const utf8 = new TextEncoder();

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** A value's size by DynamoDB's rules (a map or list: 3 bytes, plus 1 per element, plus its contents). */
function valueBytes(value: AttributeValue, name: string): number {
  if (value.S !== undefined) return utf8.encode(value.S).length;
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + utf8.encode(v).length, 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + numberBytes(v), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, v) => s + v.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((s, v) => s + 1 + valueBytes(v, name), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((s, [k, v]) => s + 1 + utf8.encode(k).length + valueBytes(v, name), 0);
  throw new Error(`itemBytes: attribute ${name} has a type this does not size`);
}

/**
 * An item's size by DynamoDB's rules (attribute names plus values; a number is about one byte per two significant
 * digits plus one; binary is its length; maps and lists 3 bytes plus 1 per element plus their contents).
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += utf8.encode(name).length + valueBytes(value, name);
  return bytes;
}

/** Write units DynamoDB bills for putting an item of this size (per started KB). */
export function writeUnitsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}
