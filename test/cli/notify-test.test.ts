// `portquorum notify-test --region --topic` as deployed, without AWS: the real SDK clients pointed (AWS_ENDPOINT_URL_*)
// at a loopback server that answers STS GetCallerIdentity and SNS Publish as AWS does, and at DynamoDB Local.
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyDays } from '../../functions/shared/domain/history';
import { runCli } from '../support/cli';
import { useDynamoDbLocal } from '../support/dynamodb';

const db = useDynamoDbLocal();
const dir = mkdtempSync(join(tmpdir(), 'pq-notify-'));
const config = join(dir, 'fleet.json');
writeFileSync(config, JSON.stringify({ regions: ['eu-west-1'], monitors: [{ id: 'orders-db', host: '10.0.1.5', port: 5432, tags: { team: 'payments', env: 'prod' } }] }));
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:portquorum-alerts';
const ARN = 'arn:aws:iam::123456789012:user/ana';

/** Form-encoded AWS query requests (STS, SNS), as received. */
const requests: URLSearchParams[] = [];
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const params = new URLSearchParams(body);
    requests.push(params);
    res.setHeader('content-type', 'text/xml');
    if (params.get('Action') === 'GetCallerIdentity') {
      res.end(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${ARN}</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
    } else if (params.get('Action') === 'Publish') {
      res.end('<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></PublishResponse>');
    } else {
      res.statusCode = 400;
      res.end('<ErrorResponse><Error><Code>InvalidAction</Code><Message>not modelled</Message></Error></ErrorResponse>');
    }
  });
});
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('portquorum notify-test, deployed', () => {
  it('publishes a TEST alert to the topic with the attributes of the kind it stands in for, by the caller\'s ARN, and records it', async () => {
    const table = await db.createTable();
    const r = await runCli(['notify-test', '--region', 'eu-west-1', '--topic', TOPIC, '--table', table.tableName, '--config', config, '--monitor', 'orders-db', '--kind', 'REMINDER'], {
      env: {
        AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_ENDPOINT_URL_STS: endpoint, AWS_ENDPOINT_URL_SNS: endpoint, AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
      },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sent TEST alert orders-db:TEST:\d+ \(standing in for REMINDER of orders-db; attributes kind=REMINDER, test=true\) to topic arn:aws:sns:eu-west-1:123456789012:portquorum-alerts\n$/);
    const publish = requests.find((p) => p.get('Action') === 'Publish')!;
    expect(publish.get('TopicArn')).toBe(TOPIC);
    const attributes: Record<string, string> = {};
    for (let i = 1; publish.get(`MessageAttributes.entry.${i}.Name`); i += 1) attributes[publish.get(`MessageAttributes.entry.${i}.Name`)!] = publish.get(`MessageAttributes.entry.${i}.Value.StringValue`)!;
    expect(attributes).toEqual({ kind: 'REMINDER', severity: 'critical', monitor: 'orders-db', verdict: 'DOWN', test: 'true', 'tag.team': 'payments', 'tag.env': 'prod' });
    const body = JSON.parse(publish.get('Message')!) as Record<string, unknown>;
    expect(body).toMatchObject({ kind: 'TEST', cause: 'test', test: { kind: 'REMINDER', by: ARN }, monitor: { id: 'orders-db' } });
    expect(publish.get('Subject')).toBe('TEST orders-db 10.0.1.5:5432 — test of a REMINDER page (portquorum notify-test)');
    const history = await table.store.readHistory(historyDays(Date.now() - 60_000, Date.now()));
    expect(history).toEqual([expect.objectContaining({ event: 'delivery', monitor: 'orders-db', alertKind: 'TEST', outcome: 'published', by: 'cli', alertId: body.alertId })]);
  }, 60_000);

  it('refuses what cannot work, exit 2', async () => {
    for (const [args, message] of [
      [['--region', 'eu-west-1'], "notify-test: with --region, give the alert topic with --topic ARN (the home stack's output AlertTopicArn)"],
      [['--kind', 'DOWNN', '--region', 'eu-west-1', '--topic', TOPIC], "notify-test: --kind 'DOWNN' is not an alert kind (did you mean 'DOWN'?)"],
      [['--kind', 'TEST', '--region', 'eu-west-1', '--topic', TOPIC], "notify-test: --kind 'TEST' is not an alert kind"],
      [['--kind', 'FLEET_DEGRADED', '--monitor', 'orders-db', '--region', 'eu-west-1', '--topic', TOPIC], 'notify-test: FLEET_DEGRADED is about the fleet, not a monitor: leave out --monitor'],
    ] as const) {
      const r = await runCli(['notify-test', ...args, '--config', config], { env: { AWS_EC2_METADATA_DISABLED: 'true' } });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
  }, 60_000);
});
