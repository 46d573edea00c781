// The SNS adapter's batch form, against the SDK mocked at its boundary: each entry what Publish would send, and each
// entry's own outcome read from the response.
import { PublishBatchCommand, PublishCommand, SNSClient, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchBytes, SnsPublisher } from '../../functions/shared/adapters/publisher';
import { PublishError } from '../../functions/shared/domain';
import { alertAttributes } from '../../functions/shared/domain/alert';
import { LOCAL_CREDENTIALS } from '../../bin/local/dynamodb-local';
import { alertExamples } from '../docs/alert-examples';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:portquorum-alerts';
const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const publisher = () => new SnsPublisher(new SNSClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS }), TOPIC);

describe('SnsPublisher.publishBatch', () => {
  const { DOWN, UP, INCIDENT } = alertExamples();
  const alerts = [DOWN, UP, INCIDENT];

  it('sends one PublishBatch whose entries carry what Publish would: subject, JSON body and the filterable attributes', async () => {
    sns.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => ({
      Successful: input.PublishBatchRequestEntries!.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [],
    }));
    sns.on(PublishCommand).resolves({ MessageId: 'single' });
    expect(await publisher().publishBatch(alerts)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    await publisher().publish(DOWN);
    const [batch] = sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input);
    const [single] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(batch!.TopicArn).toBe(TOPIC);
    const entries = batch!.PublishBatchRequestEntries!;
    expect(new Set(entries.map((e) => e.Id)).size).toBe(3);
    const { Id: _id, ...first } = entries[0]!;
    expect({ TopicArn: TOPIC, ...first }).toEqual(single);
    expect(entries.map((e) => e.MessageAttributes)).toEqual(alerts.map(alertAttributes));
    expect(entries.map((e) => JSON.parse(e.Message!))).toEqual(alerts);
  });

  it("reads each entry's outcome: refused entries, and entries the response does not mention, did not go", async () => {
    sns.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => {
      const [a, b] = input.PublishBatchRequestEntries!;
      return { Successful: [{ Id: a!.Id, MessageId: 'm-1' }], Failed: [{ Id: b!.Id, Code: 'KMSThrottling', Message: 'slow down', SenderFault: false }] };
    });
    const results = await publisher().publishBatch(alerts);
    expect(results[0]).toEqual({ ok: true });
    expect(results[1]).toEqual({ ok: false, error: expect.stringContaining('in a batch failed: KMSThrottling: slow down') });
    expect(results[2]).toEqual({ ok: false, error: expect.stringContaining('SNS reported neither success nor failure for it') });
  });

  it('a request that fails as a whole throws a PublishError naming the count, the first alert and the topic', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('Rate exceeded'));
    const failure = publisher().publishBatch(alerts);
    await expect(failure).rejects.toThrow(PublishError);
    await expect(failure).rejects.toThrow(`Publishing 3 alerts in one batch to ${TOPIC} failed, first ${DOWN.alertId}#0 (DOWN orders-db): Rate exceeded`);
  });

  it("counts an entry's payload as SNS does: body, subject and every attribute", () => {
    const attributes = Object.entries(alertAttributes(INCIDENT)).reduce((sum, [name, value]) => sum + name.length + value.DataType.length + value.StringValue!.length, 0);
    expect(batchBytes(INCIDENT)).toBe(Buffer.byteLength(JSON.stringify(INCIDENT)) + Buffer.byteLength(INCIDENT.subject) + attributes);
  });
});
