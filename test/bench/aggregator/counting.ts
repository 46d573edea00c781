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

/** Requests and units by what they touched: `Query state` / `Query fleet` / `Query round` / `GetItem generation`, or the command (`BatchWriteItem`, `PutItem` …). */
export type Counts = Record<Op, OpCount> & { byTarget: Record<string, { requests: number; units: number }> };

function emptyCounts(): Counts {
  const zero = (): OpCount => ({ requests: 0, units: 0, attempts: 0, failures: 0 });
  return { read: zero(), write: zero(), byTarget: {} };
}

/** Which partition a Query reads (the state partition or a round's), so reads can be told apart. */
function targetOf(commandName: string, input: { ExpressionAttributeValues?: Record<string, AttributeValue> }): string {
  const command = commandName.replace(/Command$/, '');
  // The only GetItem the functions send: the state generation a warm aggregator checks before using its cached states.
  if (command === 'GetItem') return 'GetItem generation';
  if (command !== 'Query') return command;
  const pk = input.ExpressionAttributeValues?.[':pk']?.S ?? '';
  if (pk.startsWith('round#')) return 'Query round';
  // The state partition holds the monitors' states and the one fleet item, read apart.
  if (pk === 'state') return input.ExpressionAttributeValues?.[':sk']?.S === 'fleet' ? 'Query fleet' : 'Query state';
  return `Query ${pk || '?'}`;
}

/** Counts every billed request one client sends; `take()` returns what was counted since the last take. */
export class RequestCounter {
  private counts = emptyCounts();

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
        try {
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[]; $metadata?: { attempts?: number } };
          const consumed = output.ConsumedCapacity;
          for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
            count.units += c.CapacityUnits ?? 0;
            target.units += c.CapacityUnits ?? 0;
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

/**
 * An item's size by DynamoDB's rules (attribute names plus values; a number is about one byte per two significant
 * digits plus one; binary is its length). Round items hold only strings, numbers and binary, which is all this handles.
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += utf8.encode(name).length;
    if (value.S !== undefined) bytes += utf8.encode(value.S).length;
    else if (value.N !== undefined) {
      const digits = value.N.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
      bytes += Math.ceil(Math.max(digits.length, 1) / 2) + 1;
    } else if (value.B !== undefined) bytes += value.B.length;
    else throw new Error(`itemBytes: attribute ${name} is neither S, N nor B`);
  }
  return bytes;
}

/** Write units DynamoDB bills for putting an item of this size (per started KB). */
export function writeUnitsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}
