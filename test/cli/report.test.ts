// `portquorum report` over a scripted month: history items (transitions, a silence) written into DynamoDB Local, the
// maintenance window declared; the CLI gives the exact expected uptime, outages and MTTR, in json, md and csv.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { historyItem, type HistoryFields } from '../../functions/shared/domain/history';
import { runCli } from '../support/cli';
import { useDynamoDbLocal } from '../support/dynamodb';
import { SCRIPTED_MAINTENANCE, SCRIPTED_MONTH, SCRIPTED_SILENCE } from '../support/scripted-month';

const db = useDynamoDbLocal();
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'pq-report-'));
const config = join(dir, 'fleet.json');
writeFileSync(config, JSON.stringify({
  regions: REGIONS,
  monitors: [
    { id: 'web', host: 'shop.example.internal', port: 443, maintenance: SCRIPTED_MAINTENANCE },
    { id: 'quiet', host: 'quiet.example.internal', port: 22 },
  ],
}));

function report(endpoint: string, table: string, ...args: string[]) {
  return runCli(['report', '--endpoint', endpoint, '--table', table, '--config', config, ...args], { env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
}

describe('portquorum report', () => {
  it('gives the exact uptime of a scripted month from the history in the table', async () => {
    const table = await db.createTable();
    const put = (fields: HistoryFields, monitor: string, at: number) =>
      table.client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall(historyItem(fields, monitor, at, 400), { removeUndefinedValues: true }) }));
    for (const change of SCRIPTED_MONTH.slice(1)) {
      const since = new Date(change.at).toISOString();
      // Each region's part in the deciding round: all three agree.
      const status = change.verdict === 'DOWN' ? 'down' : 'up';
      await put({
        event: 'transition', from: change.previous!, to: change.verdict, round: since, since,
        regions: REGIONS.map((region) => ({ region, status, ...(status === 'down' ? { class: 'refused' } : {}) })),
      }, 'web', change.at + 40_000);
    }
    // ap-southeast-1 alone fails for an hour: the quorum stays UP, the region's own changes are in the history.
    for (const [iso, status] of [['2026-11-12T06:00:00Z', 'down'], ['2026-11-12T07:00:00Z', 'up']] as const) {
      await put({ event: 'region', region: 'ap-southeast-1', status, round: new Date(iso).toISOString(), ...(status === 'down' ? { class: 'timeout' } : {}) }, 'web', Date.parse(iso));
    }
    await put({ event: 'silence', target: 'monitor:web', by: 'ana@example.invalid', reason: 'cut-over', until: new Date(SCRIPTED_SILENCE.to).toISOString() }, 'web', SCRIPTED_SILENCE.from);

    const json = await report(table.endpoint, table.tableName, '--month', '2026-11', '--format', 'json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(1); // no state: neither monitor is UP now
    const out = JSON.parse(json.stdout) as { from: string; to: string; accounting: string; monitors: Record<string, unknown>[] };
    expect(out.from).toBe('2026-11-01T00:00:00.000Z');
    expect(out.to).toBe('2026-12-01T00:00:00.000Z');
    expect(out.accounting).toContain('(UP + DEGRADED) / (UP + DEGRADED + DOWN)');
    expect(out.monitors[0]).toEqual({
      monitor: 'web', uptime: 42_645 / 42_720,
      upMs: (43_200 - 675) * MIN, degradedMs: 120 * MIN, downMs: 75 * MIN, unknownMs: 60 * MIN, maintenanceMs: 300 * MIN, silencedMs: 120 * MIN,
      outages: 2, longestOutageMs: 45 * MIN, mttrMs: 37.5 * MIN,
      // Each region by its own results from its first recorded result (Nov 3 10:00, 3,480 minutes in: 39,720 minutes
      // reported; maintenance and silences are the quorum's accounting): down in every DOWN spell (45 + 10 + 30 + 30
      // minutes), and ap-southeast-1 for its hour alone too.
      regions: { 'eu-west-1': (39_720 - 115) / 39_720, 'us-east-1': (39_720 - 115) / 39_720, 'ap-southeast-1': (39_720 - 175) / 39_720 },
    });
    expect(out.monitors[1]).toMatchObject({ monitor: 'quiet', uptime: null, unknownMs: 43_200 * MIN });

    const md = await report(table.endpoint, table.tableName, '--month', '2026-11');
    expect(md.stdout).toContain('| web | 99.824 % | 29d 12h 45m | 2h | 1h 15m | 1h | 5h | 2h | 2 | 45m | 37m 30s |');
    const csv = await report(table.endpoint, table.tableName, '--month', '2026-11', '--format', 'csv');
    expect(csv.stdout.split('\n')[2]).toMatch(/^web,0\.998244,2551500,7200,4500,3600,18000,7200,2,2700,2250,/);
  }, 120_000);

  it('refuses bad periods and formats with exit 2, naming the flag', async () => {
    const bad = await Promise.all([
      runCli(['report', '--month', '2026-13']),
      runCli(['report', '--month', '2026-11', '--since', '7d']),
      runCli(['report', '--format', 'pdf']),
      runCli(['report', '--since', '2026-11-10', '--until', '2026-11-01']),
    ]);
    expect(bad.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(bad.map((r) => r.stderr.split('\n')[0])).toEqual([
      "portquorum report: --month '2026-13' is not a month (e.g. 2026-11)",
      'portquorum report: give --month or --since/--until, not both',
      "portquorum report: --format 'pdf' is not one of md, csv, json",
      "portquorum report: --until '2026-11-01' is not after --since '2026-11-10'",
    ]);
  }, 60_000);
});
