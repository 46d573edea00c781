// Sends given as secret references (issue 12, defect 9): the real probe handler reads them at cold start through the
// real SDK clients from a loopback server that answers SSM's and Secrets Manager's JSON protocol, keeps them for the
// container's life, probes with them, and reports a monitor whose secret cannot be read as down with class config.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeHandler } from '../../functions/probe/handler';
import { awsSecretSource } from '../../functions/shared/adapters/secret-source';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import type { MonitorSpec } from '../../functions/shared/domain';
import { roundPartitions } from '../../functions/shared/domain/record';
import { LOCAL_CREDENTIALS } from '../../bin/local/dynamodb-local';
import { REGIONS, usePipelines, type LogLine } from '../support/pipeline';
import { startFixture, type FixtureServer } from '../support/tcp-servers';

const pipeline = usePipelines();
const MINUTE = 60_000;
const SSM_SECRET = 'ssm-pw-0b7e21';
const SM_SECRET = 'sm-pw-9f3d55';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pq/queue-AbCdEf';

interface Call { target: string; region: string; id: string }

/** Answers GetParameter and GetSecretValue as the services do (awsJson1_1), from fixed values; records each call. */
class AwsSecretsServer {
  readonly calls: Call[] = [];
  private server!: Server;
  endpoint = '';

  constructor(private readonly parameters: Record<string, string>, private readonly secrets: Record<string, string>) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.answer(req).then(({ status, body }) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'loopback' });
      res.end(JSON.stringify(body));
    }));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const input = JSON.parse(text) as { Name?: string; WithDecryption?: boolean; SecretId?: string };
    const target = String(req.headers['x-amz-target']);
    // The credential scope of the SigV4 signature names the region the client was made for.
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? '?';
    if (target === 'AmazonSSM.GetParameter') {
      this.calls.push({ target, region, id: input.Name! });
      const value = this.parameters[`${region}:${input.Name}`];
      if (value === undefined || input.WithDecryption !== true) return { status: 400, body: { __type: 'ParameterNotFound', message: '' } };
      return { status: 200, body: { Parameter: { Name: input.Name, Type: 'SecureString', Value: value, Version: 1, ARN: `arn:aws:ssm:${region}:123456789012:parameter${input.Name}`, DataType: 'text' } } };
    }
    if (target === 'secretsmanager.GetSecretValue') {
      this.calls.push({ target, region, id: input.SecretId! });
      const value = this.secrets[input.SecretId!];
      if (value === undefined) return { status: 400, body: { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." } };
      return { status: 200, body: { ARN: input.SecretId, Name: 'pq/queue', SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1_764_000_000 } };
    }
    return { status: 400, body: { __type: 'UnknownOperationException' } };
  }
}

let aws: AwsSecretsServer;
let service: FixtureServer;
beforeAll(async () => {
  // The parameter exists in two of the three probing regions: the third reports the monitor down, the other two probe it.
  aws = new AwsSecretsServer(
    { [`us-east-1:/pq/db-hello`]: `AUTH ${SSM_SECRET}\r\n`, [`eu-west-1:/pq/db-hello`]: `AUTH ${SSM_SECRET}\r\n` },
    { [SECRET_ARN]: Buffer.from(`AUTH ${SM_SECRET}\r\n`).toString('hex') },
  );
  await aws.start();
  // A service that says +OK only to one of the two passwords, -ERR to anything else.
  service = await startFixture((socket) => {
    socket.on('data', (data) => socket.write(new RegExp(`^AUTH (${SSM_SECRET}|${SM_SECRET})\r\n$`).test(String(data)) ? '+OK\r\n' : '-ERR\r\n'));
  });
});
afterAll(async () => {
  await service.close();
  await aws.close();
});

describe('send from SSM Parameter Store or Secrets Manager', () => {
  it('reads each secret once per container, probes with it, and reports an unreadable one as class config naming the monitor and the parameter', async () => {
    const probe = { host: '127.0.0.1', port: service.port, expect: '+OK', retries: 0, timeoutMs: 1000 } as const;
    const monitors: MonitorSpec[] = [
      { id: 'db-hello', ...probe, send: { ssmParameter: '/pq/db-hello' } },
      { id: 'queue-auth', ...probe, send: { secretArn: SECRET_ARN, encoding: 'hex' } },
      { id: 'plain', ...probe, send: 'AUTH wrong\r\n', expect: '-ERR' },
      { id: 'lost', ...probe, send: { ssmParameter: '/pq/missing' } },
    ];
    const p = await pipeline({ monitors });
    const source = awsSecretSource({ endpoint: aws.endpoint, credentials: LOCAL_CREDENTIALS });
    const logs: LogLine[] = [];
    // One container per region, invoked once a minute.
    const containers = REGIONS.map((region) => {
      let now = 0;
      const handler = createProbeHandler({
        fleet: p.fleet, region, store: p.table.store, metrics: memoryMetrics(), secrets: source,
        log: { debug() {}, info() {}, warn() {}, error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }) },
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      });
      return (minute: number) => {
        now = minute + 50;
        return handler({ time: new Date(minute).toISOString() }, { getRemainingTimeInMillis: () => 70_000 });
      };
    });
    for (const k of [0, 1]) {
      const minute = p.clock.base + k * MINUTE;
      await p.whileWriting(async () => {
        await Promise.all(containers.map((invoke) => invoke(minute)));
        p.clock.now = minute + 5_000;
      });
      await p.drain();
    }

    // Read once per container and kept; a parameter by name in the probe's own region, a secret in its ARN's region.
    const reads = (id: string) => aws.calls.filter((c) => c.id === id).map((c) => c.region).sort();
    expect(reads('/pq/db-hello')).toEqual(['ap-south-1', 'ap-south-1', 'eu-west-1', 'us-east-1']);
    expect(reads(SECRET_ARN)).toEqual(['us-east-1', 'us-east-1', 'us-east-1']);
    // What could not be read is tried again at every invocation.
    expect(reads('/pq/missing')).toHaveLength(REGIONS.length * 2);

    // The others kept probing; queue-auth and db-hello (where its parameter exists) were up with the secret sent.
    const round = await p.table.store.readRound(p.clock.base + MINUTE, roundPartitions(p.fleet));
    const byRegion = Object.fromEntries(round.records.map((r) => [r.region, r.results]));
    for (const region of REGIONS) {
      expect(byRegion[region]!['queue-auth']!.status, region).toBe('up');
      expect(byRegion[region]!.plain!.status, region).toBe('up');
      expect(byRegion[region]!.lost).toMatchObject({ status: 'down', errorClass: 'config', phase: 'send', code: 'ParameterNotFound' });
    }
    expect(byRegion['us-east-1']!['db-hello']!.status).toBe('up');
    expect(byRegion['eu-west-1']!['db-hello']!.status).toBe('up');
    expect(byRegion['ap-south-1']!['db-hello']).toMatchObject({ status: 'down', errorClass: 'config', code: 'ParameterNotFound' });

    // The monitor whose parameter is missing everywhere is paged, saying which monitor and which parameter.
    const alerts = p.alerts();
    expect(alerts.map((a) => `${a.kind} ${a.monitor?.id}`)).toEqual(['DOWN lost']);
    expect(alerts[0]!.subject).toContain('config in 3/3 regions');
    expect(alerts[0]!.regions[0]!.message).toMatch(/^Monitor 'lost': send: SSM parameter '\/pq\/missing' could not be read in [a-z0-9-]+: ParameterNotFound/);
    // Logged per invocation and region, by monitor.
    expect(logs.filter((l) => l.extra?.monitor === 'lost')).toHaveLength(REGIONS.length * 2);
    expect(logs.filter((l) => l.extra?.monitor === 'db-hello').map((l) => l.extra!.region)).toEqual(['ap-south-1', 'ap-south-1']);
    // The secrets themselves are nowhere: not in the round items, the alerts or the logs.
    const seen = JSON.stringify([round.records, p.publishes(), logs, p.logs]);
    expect(seen).not.toContain(SSM_SECRET);
    expect(seen).not.toContain(SM_SECRET);
  });
});
