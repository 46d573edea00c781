// The fleet's backend: DynamoDB Local with the real table (created from TABLE_SCHEMA, or found again in a kept data dir).
import { DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TableStore } from '../../functions/shared/adapters/store';
import { createTables, startDynamoDbLocal } from './dynamodb-local';
import type { Part } from './supervisor';

export interface BackendOptions {
  table: string;
  /** The home region: the region the aggregator's and sweeper's clients name. */
  homeRegion: string;
  /** Keep the database here across runs. @default in memory */
  dataDir?: string;
  /** Gives up a start in progress. */
  signal?: AbortSignal;
  /** Where the table adapter's warnings go. */
  warn: (message: string) => void;
}

export interface Backend extends Part {
  /** DynamoDB Local's pid. */
  readonly pid: number | undefined;
  /** `http://127.0.0.1:PORT` on this host's loopback. */
  readonly endpoint: string;
  readonly table: string;
  readonly streamArn: string;
  /** The table as the aggregator and sweeper use it. */
  readonly store: TableStore;
  /** The regions' watchdog table (the fallback region's, deployed). */
  readonly watchdogTable: string;
}

export async function startBackend(options: BackendOptions): Promise<Backend> {
  const dynamo = await startDynamoDbLocal({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const client = dynamo.client(options.homeRegion);
  // Once DynamoDB Local is stopping, a write that fails (from a batch or sweep abandoned at its deadline) is the stop
  // itself, not news.
  let stopping = false;
  const warn = (message: string) => {
    if (!stopping) options.warn(message);
  };
  try {
    const streamArn = await ensureTable(client, options.table);
    const watchdogTable = `${options.table}-watchdog`;
    await ensureTable(client, watchdogTable);
    return {
      watchdogTable,
      name: 'DynamoDB Local',
      pid: dynamo.pid,
      endpoint: dynamo.endpoint,
      table: options.table,
      streamArn,
      store: new TableStore(client, options.table, { warn }),
      stop: (deadline) => {
        stopping = true;
        client.destroy();
        return dynamo.stop(deadline);
      },
    };
  } catch (error) {
    client.destroy();
    await dynamo.stop();
    throw error;
  }
}

/** Creates the table from TABLE_SCHEMA, or, with a kept data dir, finds the one a previous run created. */
async function ensureTable(client: DynamoDBClient, table: string): Promise<string> {
  try {
    return (await createTables(client, table)).streamArn;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (!Table?.LatestStreamArn) throw new Error(`table ${table} in the --data dir has no stream (delete the dir or choose another --table)`);
    return Table.LatestStreamArn;
  }
}
