// A real aggregator in a process of its own, for the fault table's kill row: reads {endpoint, tableName, fleet, now,
// event} as JSON on stdin, runs the real handler on the batch against DynamoDB Local, with SNS mocked at the SDK:
// each publish says `publishing <alertId>` on stdout and never completes, so the parent kills the process mid-batch.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createAggregateHandler } from '../../functions/aggregate/handler';
import { memoryMetrics, silentLog } from '../../functions/shared/adapters/observability';
import { SnsPublisher } from '../../functions/shared/adapters/publisher';
import { TableStore } from '../../functions/shared/adapters/store';
import { LOCAL_CREDENTIALS } from '../../bin/local/dynamodb-local';

let input = '';
for await (const chunk of process.stdin) input += String(chunk);
const { endpoint, tableName, fleet, now, event } = JSON.parse(input);
const sns = mockClient(SNSClient);
sns.on(PublishCommand).callsFake((command: { Message: string }) => {
  process.stdout.write(`publishing ${JSON.parse(command.Message).alertId}\n`);
  return new Promise(() => {});
});
const store = new TableStore(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }), tableName);
const aggregate = createAggregateHandler({
  fleet, store, publisher: new SnsPublisher(new SNSClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS }), 'arn:aws:sns:us-east-1:123456789012:portquorum-alerts'),
  log: silentLog, metrics: memoryMetrics(), now: () => now,
});
await aggregate(event);
process.stdout.write('done\n');
