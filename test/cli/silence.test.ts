// `portquorum silence`, `unsilence`, `ack` and what `status` shows of them, against DynamoDB Local (--endpoint):
// the items they write, who wrote them (the OS user: nothing calls AWS), the history, and the exit statuses.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyDays } from '../../functions/shared/domain/history';
import { runCli } from '../support/cli';
import { ORDERS, REGIONS, usePipelines, type Pipeline } from '../support/pipeline';

const open = usePipelines();
const dir = mkdtempSync(join(tmpdir(), 'pq-silence-'));
const config = join(dir, 'fleet.json');
const LEDGER = { ...ORDERS, id: 'ledger-db', tags: { team: 'ledger' } };
writeFileSync(config, JSON.stringify({ regions: REGIONS, monitors: [{ ...ORDERS, renotifyMinutes: 2 }, LEDGER] }));
const ME = userInfo().username;

function run(p: Pipeline, ...args: string[]) {
  return runCli([...args, '--endpoint', p.table.endpoint, '--table', p.table.tableName, '--config', config], {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
  });
}

describe('portquorum silence, unsilence and ack', () => {
  it('silence by monitor and by tag, list them, see them in status and the history, end them', async () => {
    const p = await open({ monitors: [{ ...ORDERS, renotifyMinutes: 2 }, LEDGER] });
    const one = await run(p, 'silence', 'orders-db', '--for', '2h', '--reason', 'disk swap');
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^silenced monitor:orders-db until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC by ${ME}: disk swap\\n$`));
    const tag = await run(p, 'silence', '--tag', 'team=ledger', '--for', '30m');
    expect(tag.stdout).toMatch(/^silenced tag:team=ledger \(ledger-db\) until .* UTC by /);

    const list = await run(p, 'silence', '--list', '--json');
    expect(list.code).toBe(0);
    const silences = (JSON.parse(list.stdout) as { silences: { target: string; by: string; reason?: string; until: string; monitors: string[] }[] }).silences;
    expect(silences.map((s) => [s.target, s.by, s.reason, s.monitors])).toEqual([
      ['tag:team=ledger', ME, undefined, ['ledger-db']],
      ['monitor:orders-db', ME, 'disk swap', ['orders-db']],
    ]);
    const hours = (Date.parse(silences[1]!.until) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);

    const status = await run(p, 'status', '--json');
    const shown = JSON.parse(status.stdout) as { silences: unknown[]; monitors: { monitor: string; silenced?: { by: string; reason?: string } }[] };
    expect(shown.silences).toHaveLength(2);
    expect(shown.monitors.map((m) => [m.monitor, m.silenced?.by, m.silenced?.reason])).toEqual([['orders-db', ME, 'disk swap'], ['ledger-db', ME, undefined]]);
    const text = await run(p, 'status');
    expect(text.stdout).toMatch(/orders-db .*UNKNOWN SILENCED\(until \d\d:\d\d:\d\d UTC\)/);
    expect(text.stdout).toMatch(new RegExp(`Silences:\\n  monitor:orders-db until \\d\\d:\\d\\d:\\d\\d UTC by ${ME}: disk swap\\n  tag:team=ledger until`));

    const end = await run(p, 'unsilence', 'orders-db', 'ledger-db', '--reason', 'done early');
    expect(end.code).toBe(0);
    expect(end.stdout).toMatch(new RegExp(`^ended the silence of monitor:orders-db \\(set by ${ME}, until .* UTC\\)\\nmonitor:ledger-db had no silence in force\\n  ledger-db is still silenced by tag:team=ledger until .* UTC \\(portquorum unsilence --tag team=ledger\\)\\n$`));
    expect((JSON.parse((await run(p, 'silence', '--list', '--json')).stdout) as { silences: { target: string }[] }).silences.map((s) => s.target)).toEqual(['tag:team=ledger']);

    const history = await p.table.store.readHistory(historyDays(Date.now() - 60_000, Date.now()));
    expect(history.map((e) => `${e.event} ${e.monitor} ${'target' in e ? e.target : ''} ${'by' in e ? e.by : ''}`)).toEqual([
      `silence orders-db monitor:orders-db ${ME}`, `silence tag:team=ledger tag:team=ledger ${ME}`, `unsilence orders-db monitor:orders-db ${ME}`,
    ]);
    // `history ledger-db` shows the tag's silence too.
    const ledger = JSON.parse((await run(p, 'history', 'ledger-db', '--json')).stdout) as { events: { event: string; target: string }[] };
    expect(ledger.events.map((e) => `${e.event} ${e.target}`)).toEqual(['silence tag:team=ledger']);
  }, 120_000);

  it('ack stops the reminders of the current DOWN, shows in status; refused (exit 2) when there is no DOWN paged', async () => {
    const p = await open({ monitors: [{ ...ORDERS, renotifyMinutes: 2 }, LEDGER] });
    const none = await run(p, 'ack', 'ledger-db');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("ack: monitor 'ledger-db' has no verdict yet: no DOWN to acknowledge");
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    await p.writeRound(2, { 'orders-db': 'ddd', 'ledger-db': 'uuu' });
    await p.writeRound(3, { 'orders-db': 'ddd', 'ledger-db': 'uuu' });
    await p.drain();
    const down = p.alerts()[0]!;
    const acked = await run(p, 'ack', 'orders-db', '--reason', 'ana is on it');
    expect(acked.stderr).toBe('');
    expect(acked.code).toBe(0);
    expect(acked.stdout).toBe(`acknowledged orders-db's DOWN ${down.alertId} by ${ME}: ana is on it: no more reminders for it\n`);
    expect((await p.table.store.readMonitorState('orders-db'))!.state.acked).toEqual({ alertId: down.alertId, by: ME, reason: 'ana is on it', at: expect.any(String) });
    const status = JSON.parse((await run(p, 'status', '--json')).stdout) as { monitors: { monitor: string; acked?: { alertId: string } }[] };
    expect(status.monitors.find((m) => m.monitor === 'orders-db')!.acked).toMatchObject({ alertId: down.alertId, by: ME });
    for (let i = 4; i < 9; i += 1) {
      await p.writeRound(i, { 'orders-db': 'ddd', 'ledger-db': 'uuu' });
      await p.drain();
      p.clock.now += 30_000;
      await p.sweep();
    }
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN']);
    expect((await run(p, 'ack', 'ledger-db')).stderr).toContain("ack: monitor 'ledger-db' is UP: no DOWN to acknowledge");
    const typo = await run(p, 'ack', 'order-db');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("ack: no monitor 'order-db' is declared (did you mean 'orders-db'?)");
  }, 120_000);

  it('bad usage exits 2 with what to fix', async () => {
    const p = await open({ monitors: [ORDERS] });
    const cases: [string[], string][] = [
      [['silence', 'orders-db'], 'silence: say how long with --for (e.g. --for 2h)'],
      [['silence', 'orders-db', '--for', 'two hours'], "silence: --for 'two hours' is not a duration (e.g. 30m, 2h, 1h30m, 3d)"],
      [['silence', 'orders-db', '--for', '31d'], "silence: --for '31d' is more than 30 days"],
      [['silence', '--tag', 'team', '--for', '1h'], "silence: --tag 'team' is not KEY=VALUE (e.g. --tag team=payments)"],
      [['silence', '--tag', 'team=nobody', '--for', '1h'], 'silence: no declared monitor has tag team=nobody (team values: payments, ledger)'],
      [['silence', '--for', '1h'], 'silence: name monitors, or a tag with --tag KEY=VALUE'],
      [['unsilence', 'nope'], "unsilence: no monitor 'nope' is declared"],
    ];
    for (const [args, message] of cases) {
      const r = await run(p, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
  }, 120_000);
});
