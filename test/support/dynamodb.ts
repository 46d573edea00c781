// Per-test-file DynamoDB Local: one instance per file (started in beforeAll), a uniquely named real table per test.
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from '../../bin/local/dynamodb-local';
import { TableStore } from '../../functions/shared/adapters/store';

export interface TestTable {
  tableName: string;
  streamArn: string;
  endpoint: string;
  client: DynamoDBClient;
  store: TableStore;
  /** Deletes the table (the instance goes at the end of the file anyway). */
  dispose(): Promise<void>;
}

export interface FileDynamoDb {
  readonly local: DynamoDbLocal;
  createTable(prefix?: string): Promise<TestTable>;
}

/** Call at the top level of a test file: starts DynamoDB Local once for the file and stops it after. */
export function useDynamoDbLocal(): FileDynamoDb {
  let local: DynamoDbLocal | undefined;
  const clients: DynamoDBClient[] = [];
  beforeAll(async () => {
    local = await startDynamoDbLocal({ timeoutMs: 90_000 });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await local?.stop();
  });
  return {
    get local() {
      if (!local) throw new Error('DynamoDB Local is not started (useDynamoDbLocal() must be called at the top level of the file)');
      return local;
    },
    async createTable(prefix = 'portquorum-test') {
      if (!local) throw new Error('DynamoDB Local is not started');
      const client = local.client();
      clients.push(client);
      const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
      const { streamArn } = await createTables(client, tableName);
      // Throttling never happens locally; short backoff keeps failure tests quick.
      const store = new TableStore(client, tableName, { backoffMs: () => 10 });
      return {
        tableName, streamArn, endpoint: local.endpoint, client, store,
        dispose: async () => {
          await client.send(new DeleteTableCommand({ TableName: tableName }));
        },
      };
    },
  };
}
