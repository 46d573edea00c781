// `portquorum local --demo watch`: the real fleet (regions sharing loopback) with a watched service at 60 s rounds,
// killed between rounds — DOWN paged from the regions' watch events (cause watch) before any round could, then UP
// from the next good round; nothing else pages.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAlertSchema, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

/** Start-up, up to two minutes to the kill, the DOWN, ten seconds, then up to a minute to the next round. */
const DURATION_S = 330;

describe('portquorum local --demo watch', () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-watch-${process.pid}-`));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;

  beforeAll(async () => {
    fleet = startLocal(['--demo', 'watch', '--no-netns', '--duration', String(DURATION_S), '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/demo: 'cache' is watched/, 120_000);
  }, 150_000);

  afterAll(() => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGTERM');
  });

  it('pages DOWN from the watch events when the watched service is killed between rounds, and UP from the next round', async () => {
    const down = await waitForAlert(alertsFile, (a) => a.kind === 'DOWN', 240_000, 'DOWN', fleet);
    expectAlertSchema(down);
    expect(down).toMatchObject({ monitor: { id: 'cache' }, cause: 'watch' });
    expect(down.subject).toMatch(/^DOWN cache 127\.0\.0\.1:\d+ — (refused|reset)(, (refused|reset))? in [23]\/3 regions \(watch\)$/);
    await fleet.waitForOutput(/demo: DOWN \d+\.\d s after the kill \(cause watch/, 30_000);

    const up = await waitForAlert(alertsFile, (a) => a.kind === 'UP', 200_000, 'UP', fleet);
    expectAlertSchema(up);
    expect(readAlerts(alertsFile).map((a) => `${a.kind} ${a.monitor?.id} ${a.cause}`)).toEqual(['DOWN cache watch', 'UP cache transition']);
  }, 500_000);
});
