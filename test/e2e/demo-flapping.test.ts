// `portquorum local --demo flapping`: the real fleet (regions sharing loopback) under the demo's bouncing service —
// DOWN/UP pages, then one FLAPPING alert, no page while it flaps (status says FLAPPING), and one FLAPPING_SETTLED
// that pages DOWN; the steady service beside it never pages.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectAlertSchema, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

/** Start-up, five changes a round apart, and 8 quiet rounds to settle, with room on a loaded machine. */
const DURATION_S = 300;

describe('portquorum local --demo flapping', () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-flap-${process.pid}-`));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;

  beforeAll(async () => {
    fleet = startLocal(['--demo', 'flapping', '--no-netns', '--duration', String(DURATION_S), '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/demo: 'bouncy' will go down and up every round/, 120_000);
  }, 150_000);

  afterAll(() => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGTERM');
  });

  it('pages FLAPPING once, holds pages while it flaps, and settles with one alert that pages DOWN', async () => {
    const flapping = await waitForAlert(alertsFile, (a) => a.kind === 'FLAPPING', 150_000, 'FLAPPING', fleet);
    expectAlertSchema(flapping);
    expect(flapping.monitor?.id).toBe('bouncy');
    expect(flapping.flapping).toMatchObject({ enterPercent: 25, leavePercent: 25 });
    expect(flapping.flapping!.percent).toBeGreaterThanOrEqual(25);
    expect(flapping.flapping!.transitions.length).toBeGreaterThanOrEqual(5);

    // While it flaps, the state says so.
    const status = await cli(['status', '--json', '--state', statePath]);
    const bouncy = (JSON.parse(status.stdout) as { monitors: Array<{ monitor: string; flappingSince?: string; verdict: string }> }).monitors.find((m) => m.monitor === 'bouncy')!;
    expect(bouncy.flappingSince).toBe(flapping.flapping!.since);

    const settled = await waitForAlert(alertsFile, (a) => a.kind === 'FLAPPING_SETTLED', 200_000, 'FLAPPING_SETTLED', fleet);
    expectAlertSchema(settled);
    expect(settled).toMatchObject({ verdict: 'DOWN', monitor: { id: 'bouncy' } });
    expect(settled.flapping!.percent).toBeLessThan(25);

    const alerts = readAlerts(alertsFile);
    expect(alerts.filter((a) => a.monitor?.id !== 'bouncy')).toEqual([]);
    const kinds = alerts.map((a) => a.kind);
    const from = kinds.indexOf('FLAPPING');
    expect(kinds.slice(from)).toEqual(['FLAPPING', 'FLAPPING_SETTLED']);
    // Before it, the changes paged as usual: DOWN and UP in turn.
    expect(kinds.slice(0, from).every((k, i) => k === (i % 2 === 0 ? 'DOWN' : 'UP'))).toBe(true);

    const after = await cli(['status', '--state', statePath]);
    // Settled: the row says DOWN and no longer FLAPPING (the transitions below it still list the alerts).
    expect(after.stdout).toMatch(/^bouncy\s+\S+\s+DOWN\s+\d{2}:\d{2}:\d{2} UTC/m);
  }, 400_000);
});
