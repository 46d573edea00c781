// A DynamoDB Local that fails to start is reported by its real cause, in its own words — not as a timeout with a
// guess about Java.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../bin/local/dynamodb-local';

describe('DynamoDB Local start failures', () => {
  it('a data directory that does not exist: its own message, at once, with no word about Java or a timeout', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), `pq-ddb-start-${process.pid}-`)), 'absent');
    const error = await startDynamoDbLocal({ dataDir: missing }).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/^DynamoDB Local exited at start \(code \d+\): .*Invalid directory for database creation/);
    expect(error?.message).not.toMatch(/Java|did not answer/);
  }, 90_000);

  describe('a port taken before the JVM binds it', () => {
    let squatter: Server;
    let taken: number;
    beforeAll(async () => {
      // It drops every connection at once, so the readiness poll asking it is refused, not kept waiting.
      squatter = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => squatter.listen({ host: '0.0.0.0', port: 0, exclusive: true }, resolve));
      taken = (squatter.address() as { port: number }).port;
    });
    afterAll(() => new Promise((resolve) => squatter.close(resolve)));

    it('chosen by the caller: fails in its own words, naming the bind', async () => {
      const error = await startDynamoDbLocal({ port: taken }).then(() => undefined, (e: Error) => e);
      expect(error?.message).toMatch(/^DynamoDB Local exited at start \(code \d+\): .*bind/i);
    }, 90_000);

    it('picked by itself: picks another port and starts', async () => {
      const picks: number[] = [];
      const ddb = await startDynamoDbLocal({
        pickPort: async () => {
          picks.push(picks.length === 0 ? taken : await freeLoopbackPort());
          return picks.at(-1)!;
        },
      });
      try {
        expect(picks).toHaveLength(2);
        expect(ddb.port).toBe(picks[1]);
        expect(ddb.port).not.toBe(taken);
      } finally {
        await ddb.stop();
      }
    }, 120_000);
  });
});

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
