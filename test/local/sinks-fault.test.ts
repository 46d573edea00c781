// `portquorum local fault sns down|up` at the alert sinks: every delivery fails until cleared, then each alert once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FanOutPublisher, JsonLinesSink } from '../../bin/local/sinks';
import { PublishError } from '../../functions/shared/domain';
import { withSubject } from '../../functions/shared/domain/alert';

const dir = mkdtempSync(join(tmpdir(), `pq-sinks-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ALERT = withSubject({
  schemaVersion: 1, alertId: 'orders-db:DOWN:1', sequence: 0, kind: 'DOWN', cause: 'transition', at: '2026-01-01T00:00:00.000Z',
  round: '2026-01-01T00:00:00.000Z', since: '2026-01-01T00:00:00.000Z',
  monitor: { id: 'orders-db', host: '127.0.0.1', port: 5432, target: '127.0.0.1:5432', tags: {}, severity: 'critical' },
  verdict: 'DOWN', previousVerdict: 'UP', regions: [], quorum: 2,
});

describe('alert sinks under a local SNS fault', () => {
  it('fail every delivery while down (reported per sink), and deliver once when up again', async () => {
    const file = join(dir, 'alerts.jsonl');
    const failures: string[] = [];
    const publisher = new FanOutPublisher([new JsonLinesSink(file)], (sink, alert, error) => failures.push(`${sink.name} ${alert.alertId}: ${error.message}`));
    publisher.failing = 'alert sinks down (portquorum local fault sns down)';
    await expect(publisher.publish(ALERT)).rejects.toThrow(PublishError);
    await expect(publisher.publish(ALERT)).rejects.toThrow('alert sinks down (portquorum local fault sns down)');
    expect(failures).toHaveLength(2);
    expect(() => readFileSync(file, 'utf8')).toThrow();
    publisher.failing = undefined;
    await publisher.publish(ALERT);
    await publisher.publish(ALERT);
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).alertId)).toEqual(['orders-db:DOWN:1']);
  });
});
