// Operating the fleet (issue 14) on the real `portquorum local`: a silence holds a DOWN and its end pages it once, an
// ack stops the reminders of that DOWN, the history lists all of it, and notify-test reaches the sinks with the
// attributes of the kind it stands in for.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { HistoryEvent } from '../../functions/shared/domain/history';
import { cli, expectAlertSchema, interrupt, readAlerts, startLocal, SwitchableServer, waitForAlert, webhookReceiver, type RunningCli, type WebhookReceiver } from './support';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const ME = userInfo().username;

describe('operating the local fleet: silence, ack, history, notify-test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-e2e-ops-'));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  const web = new SwitchableServer();
  const canary = new SwitchableServer();
  let hook: WebhookReceiver;
  let fleet: RunningCli;
  const of = (monitor: string, kind?: string) => readAlerts(alertsFile).filter((a) => a.monitor?.id === monitor && (kind === undefined || a.kind === kind));
  let silencedDown: AlertMessage;

  beforeAll(async () => {
    await Promise.all([web.up(), canary.up()]);
    hook = await webhookReceiver();
    // Two monitors of one port: `web` is silenced and acknowledged, `web-copy` is the control that pages as usual.
    const monitor = { host: '127.0.0.1', port: web.port, renotifyMinutes: 1, tags: { team: 'payments' } };
    const spec: FleetSpec = {
      regions: REGIONS,
      canary: { host: '127.0.0.1', port: canary.port, timeoutMs: 1000 },
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 2000 },
      monitors: [{ id: 'web', ...monitor }, { id: 'web-copy', ...monitor }],
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec, null, 2));
    fleet = startLocal(['--config', config, '--no-netns', '--sweep-every', '5', '--duration', '900', '--alerts-file', alertsFile, '--webhook', hook.url, '--state', statePath]);
    await fleet.waitForOutput(/web: UNKNOWN → UP/, 120_000);
    await fleet.waitForOutput(/web-copy: UNKNOWN → UP/, 60_000);
  }, 200_000);

  afterAll(async () => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGKILL');
    await Promise.all([web.down(), canary.down(), hook?.close()]);
  });

  it('a silence holds the DOWN page (the control monitor pages), and its end pages it once: cause silence-ended', async () => {
    const silence = await cli(['silence', 'web', '--for', '45s', '--reason', 'maintenance by hand', '--state', statePath]);
    expect(silence.stderr).toBe('');
    expect(silence.code).toBe(0);
    const status = JSON.parse((await cli(['status', '--json', '--state', statePath])).stdout) as { monitors: { monitor: string; silenced?: { by: string } }[] };
    expect(status.monitors.find((m) => m.monitor === 'web')!.silenced).toMatchObject({ by: ME, reason: 'maintenance by hand' });

    await web.down();
    await waitForAlert(alertsFile, (a) => a.kind === 'DOWN' && a.monitor?.id === 'web-copy', 90_000, 'DOWN web-copy', fleet);
    await fleet.waitForOutput(/web: UP → DOWN/, 60_000);
    expect(of('web')).toEqual([]);

    silencedDown = await waitForAlert(alertsFile, (a) => a.kind === 'DOWN' && a.monitor?.id === 'web', 120_000, 'DOWN web after the silence', fleet);
    expectAlertSchema(silencedDown);
    expect(silencedDown).toMatchObject({ cause: 'silence-ended', verdict: 'DOWN', previousVerdict: 'UP' });
    expect(silencedDown.silenced).toBeUndefined();
    expect(of('web', 'DOWN')).toHaveLength(1);
  }, 300_000);

  it('an ack stops the reminders of that DOWN while the control monitor keeps reminding', async () => {
    const ack = await cli(['ack', 'web', '--reason', 'on it', '--state', statePath]);
    expect(ack.stderr).toBe('');
    expect(ack.code).toBe(0);
    // web's first reminder was due a minute after its page; wait for a control reminder well past that moment.
    const due = Date.parse(silencedDown.at) + 60_000 + 15_000;
    await waitForAlert(alertsFile, (a) => a.kind === 'REMINDER' && a.monitor?.id === 'web-copy' && Date.parse(a.at) > due, 200_000, 'a web-copy reminder past web\'s due time', fleet);
    expect(of('web', 'REMINDER')).toEqual([]);
    const status = JSON.parse((await cli(['status', '--json', '--state', statePath])).stdout) as { monitors: { monitor: string; acked?: { alertId: string } }[] };
    expect(status.monitors.find((m) => m.monitor === 'web')!.acked).toMatchObject({ alertId: silencedDown.alertId, by: ME, reason: 'on it' });

    await web.up();
    await waitForAlert(alertsFile, (a) => a.kind === 'UP' && a.monitor?.id === 'web', 90_000, 'UP web', fleet);
  }, 300_000);

  it('history lists the transitions, the held page, the silence, the page its end sent and its delivery, the ack', async () => {
    const r = await cli(['history', 'web', '--json', '--state', statePath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // web is UP again
    const events = (JSON.parse(r.stdout) as { events: HistoryEvent[] }).events;
    const lines = events.map((e) => {
      switch (e.event) {
        case 'transition': return `transition ${e.from}→${e.to}${e.silenced ? ' silenced' : ''}`;
        case 'alert': return `alert ${e.alertKind} ${e.disposition} ${e.cause}`;
        case 'delivery': return `delivery ${e.alertKind} ${e.outcome} ${e.by}`;
        case 'ack': return `ack ${e.alertId === silencedDown.alertId ? 'that DOWN' : e.alertId} ${e.by}`;
        case 'region': return `region ${e.region} ${e.status}`;
        default: return `${e.event} ${e.target} ${e.by}`;
      }
    });
    expect(lines).toEqual([
      'transition UNKNOWN→UP',
      `silence monitor:web ${ME}`,
      'transition UP→DOWN silenced',
      'alert DOWN held transition',
      'alert DOWN pending silence-ended',
      expect.stringMatching(/^delivery DOWN published (aggregate|sweeper)$/),
      `ack that DOWN ${ME}`,
      'transition DOWN→UP',
      'alert UP pending transition',
      expect.stringMatching(/^delivery UP published (aggregate|sweeper)$/),
    ]);
    const text = await cli(['history', 'web', '--state', statePath]);
    expect(text.stdout).toContain(`silenced      monitor:web until`);
  }, 60_000);

  it('notify-test reaches every sink: a TEST body, and the attributes of the kind it stands in for', async () => {
    const before = hook.bodies.length;
    const r = await cli(['notify-test', '--monitor', 'web', '--kind', 'DOWN', '--state', statePath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sent TEST alert web:TEST:\d+ \(standing in for DOWN of web; attributes kind=DOWN, test=true\) to the local fleet's sinks \(terminal, file .*alerts\.jsonl, webhook http:\/\/127\.0\.0\.1:\d+\/hook\)\n$/);
    const test = await waitForAlert(alertsFile, (a) => a.kind === 'TEST', 30_000, 'TEST', fleet);
    expectAlertSchema(test);
    expect(test).toMatchObject({ kind: 'TEST', cause: 'test', verdict: 'DOWN', monitor: { id: 'web', tags: { team: 'payments' } }, test: { kind: 'DOWN', by: ME } });
    const bodies = await hook.waitForBodies(before + 1, 30_000);
    const at = bodies.findIndex((b) => b.kind === 'TEST');
    const headers = hook.headers[at]!;
    expect(Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-portquorum-attribute-')))).toEqual({
      'x-portquorum-attribute-kind': 'DOWN', 'x-portquorum-attribute-test': 'true', 'x-portquorum-attribute-monitor': 'web',
      'x-portquorum-attribute-severity': 'critical', 'x-portquorum-attribute-verdict': 'DOWN', 'x-portquorum-attribute-tag.team': 'payments',
    });
    const history = JSON.parse((await cli(['history', 'web', '--json', '--since', '5m', '--state', statePath])).stdout) as { events: HistoryEvent[] };
    expect(history.events.filter((e) => e.event === 'delivery' && e.alertKind === 'TEST')).toEqual([expect.objectContaining({ outcome: 'published', by: 'cli' })]);
    interrupt(fleet);
    expect(await fleet.exited).toBe(0);
  }, 120_000);
});
