// `portquorum history` against a table the real aggregator and sweeper wrote (DynamoDB Local, --endpoint).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../functions/shared/domain/history';
import { runCli } from '../support/cli';
import { ORDERS, REGIONS, usePipelines } from '../support/pipeline';

const open = usePipelines();
const dir = mkdtempSync(join(tmpdir(), 'pq-history-'));
const config = join(dir, 'fleet.json');
writeFileSync(config, JSON.stringify({ regions: REGIONS, monitors: [ORDERS, { ...ORDERS, id: 'ledger-db' }] }));

function history(endpoint: string, table: string, ...args: string[]) {
  return runCli(['history', '--endpoint', endpoint, '--table', table, '--config', config, ...args], { env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
}

describe('portquorum history', () => {
  it('prints transitions, alerts and deliveries oldest first, by monitor, as text and JSON; exit 1 while one is DOWN', async () => {
    const p = await open({ monitors: [ORDERS, { ...ORDERS, id: 'ledger-db' }] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    await p.writeRound(2, { 'orders-db': 'ddu', 'ledger-db': 'uuu' });
    await p.writeRound(3, { 'orders-db': 'ddu', 'ledger-db': 'uuu' });
    await p.drain();

    const json = await history(p.table.endpoint, p.table.tableName, '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(1); // orders-db is DOWN
    const out = JSON.parse(json.stdout) as { table: string; from: string; events: HistoryEvent[] };
    expect(out.table).toBe(p.table.tableName);
    expect(out.events.map((e) => `${e.monitor} ${e.event}`)).toEqual([
      'ledger-db transition', 'orders-db transition', 'orders-db transition', 'orders-db alert', 'orders-db delivery',
    ]);
    expect(Date.parse(out.from)).toBeLessThan(Date.now() - 7 * 86_400_000 + 60_000);

    const text = await history(p.table.endpoint, p.table.tableName, 'orders-db', '--since', '2h');
    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^History of table portquorum-test-\w+ since \d{4}-\d\d-\d\d \d\d:\d\d UTC: 4 events$/);
    expect(lines.slice(1).map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +/, ''))).toEqual([
      expect.stringMatching(/^orders-db +UNKNOWN → UP +round \d\d:\d\d:\d\d: us-east-1 up 12ms, eu-west-1 up 12ms, ap-south-1 up 12ms$/),
      expect.stringMatching(/^orders-db +UP → DOWN +round \d\d:\d\d:\d\d: us-east-1 refused, eu-west-1 refused, ap-south-1 up 12ms$/),
      expect.stringMatching(/^orders-db +alert DOWN +raised, transition: DOWN orders-db 10\.0\.1\.5:5432 — refused in 2\/3 regions \[orders-db:DOWN:\d+\]$/),
      expect.stringMatching(/^orders-db +sent DOWN +published by the aggregator \[orders-db:DOWN:\d+\]$/),
    ]);

    // ledger-db alone is UP: exit 0; a name that is not declared is said, not refused.
    expect((await history(p.table.endpoint, p.table.tableName, 'ledger-db')).code).toBe(0);
    const unknown = await history(p.table.endpoint, p.table.tableName, 'order-db', '--json');
    expect(unknown.stderr).toContain("portquorum history: 'order-db' is not a declared monitor (did you mean 'orders-db'?)");
    expect((JSON.parse(unknown.stdout) as { events: unknown[] }).events).toEqual([]);
  }, 120_000);

  it('exit 2 for a bad --since, and for a table that cannot be read', async () => {
    const p = await open({ monitors: [ORDERS] });
    const bad = await history(p.table.endpoint, p.table.tableName, '--since', 'last week');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("history: --since 'last week' is neither a duration back from now (7d, 12h) nor a date");
    const missing = await history(p.table.endpoint, 'no-such-table');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^portquorum history: reading table no-such-table failed: /);
    const noFleet = await runCli(['history', '--state', join(dir, 'none.json')]);
    expect(noFleet.code).toBe(2);
    expect(noFleet.stderr).toContain('no local fleet is running');
  }, 60_000);
});
