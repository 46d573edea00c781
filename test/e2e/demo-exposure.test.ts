// `portquorum local --demo exposure`: each region in its own network namespace; a port declared private opens in
// one region's namespace only → one EXPOSED alert (critical) naming that region, the address and the banner, while
// the other regions see it closed; closed again → one EXPOSURE_CLOSED. No DOWN or UP page at all.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPOSED_REGION } from '../../bin/local/demo-exposure';
import { netnsSupport } from '../../bin/local/netns';
import { cli, expectAlertSchema, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

const support = netnsSupport();
const reason = support.supported ? '' : ` (skipped: ${support.reason})`;
const DURATION_S = 240;

describe.skipIf(!support.supported)(`portquorum local --demo exposure${reason}`, () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-exposure-${process.pid}-`));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;

  beforeAll(async () => {
    fleet = startLocal(['--demo', 'exposure', '--netns', '--duration', String(DURATION_S), '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/demo: 'billing-db' \(exposure: 'private'\) is closed in every region/, 120_000);
  }, 150_000);

  afterAll(() => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGTERM');
  });

  it('pages EXPOSED once for the one region that reaches the port, with the address and banner, then EXPOSURE_CLOSED', async () => {
    const exposed = await waitForAlert(alertsFile, (a) => a.kind === 'EXPOSED', 120_000, 'EXPOSED', fleet);
    expectAlertSchema(exposed);
    expect(exposed.monitor).toMatchObject({ id: 'billing-db', severity: 'critical' });
    expect(exposed.exposure!.paths).toEqual([{ region: EXPOSED_REGION, address: `127.0.0.1:${exposed.monitor!.port}`, answered: 'SSH-2.0-portquorum_demo' }]);
    // The other two regions saw it closed in that round.
    expect(exposed.regions.filter((r) => r.region !== EXPOSED_REGION).map((r) => r.status)).toEqual(['up', 'up']);
    expect(exposed.regions.find((r) => r.region === EXPOSED_REGION)).toMatchObject({ status: 'down', code: 'EXPECTED_CLOSED' });

    const status = await cli(['status', '--json', '--state', statePath]);
    const db = (JSON.parse(status.stdout) as { monitors: Array<{ monitor: string; exposedFrom?: string[] }> }).monitors.find((m) => m.monitor === 'billing-db')!;
    expect(db.exposedFrom).toEqual([EXPOSED_REGION]);
    expect(status.code).toBe(1);

    const closed = await waitForAlert(alertsFile, (a) => a.kind === 'EXPOSURE_CLOSED', 120_000, 'EXPOSURE_CLOSED', fleet);
    expectAlertSchema(closed);
    expect(closed.exposure).toMatchObject({ since: exposed.exposure!.since, paths: exposed.exposure!.paths });
    expect(readAlerts(alertsFile).map((a) => `${a.kind} ${a.monitor?.id ?? 'fleet'}`)).toEqual(['EXPOSED billing-db', 'EXPOSURE_CLOSED billing-db']);
    const after = await cli(['status', '--json', '--state', statePath]);
    expect((JSON.parse(after.stdout) as { monitors: Array<{ monitor: string; exposedFrom?: string[] }> }).monitors.find((m) => m.monitor === 'billing-db')!.exposedFrom).toBeUndefined();
  }, 300_000);
});
