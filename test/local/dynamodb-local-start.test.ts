// A DynamoDB Local that fails to start is reported by its real cause, in its own words — not as a timeout with a
// guess about Java.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../bin/local/dynamodb-local';

describe('DynamoDB Local start failures', () => {
  it('a data directory that does not exist: its own message, at once, with no word about Java or a timeout', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), `pq-ddb-start-${process.pid}-`)), 'absent');
    const error = await startDynamoDbLocal({ dataDir: missing }).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/^DynamoDB Local exited at start \(code \d+\): .*Invalid directory for database creation/);
    expect(error?.message).not.toMatch(/Java|did not answer/);
  }, 90_000);
});
