// `portquorum local --demo diverged`: each region in its own network namespace; one region's namespace serves a stale
// certificate on the monitor's port → one DIVERGED alert with each region's view side by side (that region's differs),
// while the monitor stays UP; the current certificate again → one CONVERGED. No DOWN or UP page at all.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_REGION } from '../../bin/local/demo-diverged';
import { netnsSupport } from '../../bin/local/netns';
import { cli, expectAlertSchema, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

const support = netnsSupport();
const reason = support.supported ? '' : ` (skipped: ${support.reason})`;
const DURATION_S = 240;

describe.skipIf(!support.supported)(`portquorum local --demo diverged${reason}`, () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-diverged-${process.pid}-`));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;

  beforeAll(async () => {
    fleet = startLocal(['--demo', 'diverged', '--netns', '--duration', String(DURATION_S), '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/demo: 'www' serves the same certificate to every region/, 120_000);
  }, 150_000);

  afterAll(() => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGTERM');
  });

  it('pages DIVERGED once with the stale region named by its own view, then CONVERGED, and never DOWN or UP', async () => {
    const diverged = await waitForAlert(alertsFile, (a) => a.kind === 'DIVERGED', 150_000, 'DIVERGED', fleet);
    expectAlertSchema(diverged);
    expect(diverged).toMatchObject({ verdict: 'UP', monitor: { id: 'www' }, divergence: { rounds: 2 } });
    const views = Object.fromEntries(diverged.divergence!.views.map((v) => [v.region, v.view]));
    const others = Object.keys(views).filter((r) => r !== STALE_REGION);
    expect(views[STALE_REGION]).toMatch(/^cert [0-9a-f]{16} portquorum demo stale until 2126-/);
    for (const r of others) expect(views[r]).toMatch(/^cert [0-9a-f]{16} portquorum demo current until 2126-/);
    expect(diverged.subject).toBe(`DIVERGED www — regions see 2 different things: ${others.join(', ')} | ${STALE_REGION}`);

    const status = await cli(['status', '--json', '--state', statePath]);
    const www = (JSON.parse(status.stdout) as { monitors: Array<{ monitor: string; verdict: string; divergedViews?: Record<string, string> }> }).monitors.find((m) => m.monitor === 'www')!;
    expect(www.verdict).toBe('UP');
    expect(www.divergedViews).toEqual(views);

    const converged = await waitForAlert(alertsFile, (a) => a.kind === 'CONVERGED', 120_000, 'CONVERGED', fleet);
    expectAlertSchema(converged);
    expect(new Set(converged.divergence!.views.map((v) => v.view))).toEqual(new Set([views[others[0]!]]));
    expect(readAlerts(alertsFile).map((a) => `${a.kind} ${a.monitor?.id ?? 'fleet'}`)).toEqual(['DIVERGED www', 'CONVERGED www']);
  }, 400_000);
});
