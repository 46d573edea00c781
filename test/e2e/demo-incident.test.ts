// `portquorum local --demo incident`: the real fleet (regions sharing loopback) with three services behind one address
// failing together — one INCIDENT naming all three and no DOWN page each; the dependent API joins it as an update; a
// member back early is named by an update; one INCIDENT_RESOLVED when all are back. `status` marks the members.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectAlertSchema, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

/** Start-up, then four steps a round or two apart, with room on a loaded machine. */
const DURATION_S = 300;

describe('portquorum local --demo incident', () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-incident-${process.pid}-`));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;

  beforeAll(async () => {
    fleet = startLocal(['--demo', 'incident', '--no-netns', '--duration', String(DURATION_S), '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/demo: all services up; in 10 s/, 120_000);
  }, 150_000);

  afterAll(() => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGTERM');
  });

  it('pages one INCIDENT for three monitors failing together, folds the dependent and the recoveries into updates, and resolves once', async () => {
    const incident = await waitForAlert(alertsFile, (a) => a.kind === 'INCIDENT', 120_000, 'INCIDENT', fleet);
    expectAlertSchema(incident);
    expect(incident.incident!.fact).toEqual({ kind: 'address', value: '127.0.0.1', text: 'same address 127.0.0.1' });
    expect(incident.incident!.stillDown).toEqual(['orders-cache', 'orders-db', 'orders-queue']);
    expect(incident.subject).toBe('INCIDENT — 3 monitors down, same address 127.0.0.1: orders-cache, orders-db, orders-queue');

    // While it lasts, status marks the members.
    const status = await cli(['status', '--json', '--state', statePath]);
    const rows = (JSON.parse(status.stdout) as { monitors: Array<{ monitor: string; verdict: string; incident?: string }> }).monitors;
    expect(rows.filter((m) => m.incident === incident.alertId).map((m) => m.monitor).sort()).toEqual(['orders-cache', 'orders-db', 'orders-queue']);
    expect(rows.find((m) => m.monitor === 'web')!.incident).toBeUndefined();

    const resolved = await waitForAlert(alertsFile, (a) => a.kind === 'INCIDENT_RESOLVED', 200_000, 'INCIDENT_RESOLVED', fleet);
    expectAlertSchema(resolved);
    expect(resolved.alertId).toBe(incident.alertId);
    expect(resolved.incident!.members.map((m) => [m.monitor, m.status, m.via])).toEqual([
      ['orders-cache', 'up', 'fact'], ['orders-db', 'up', 'fact'], ['orders-queue', 'up', 'fact'], ['orders-api', 'up', 'dependsOn'],
    ]);

    // Nothing paged on its own: the incident, the API joining, the cache back, then the close.
    const alerts = readAlerts(alertsFile);
    expect(alerts.map((a) => `${a.kind} ${a.sequence}`)).toEqual(['INCIDENT 0', 'INCIDENT_UPDATED 1', 'INCIDENT_UPDATED 2', 'INCIDENT_RESOLVED 3']);
    expect(alerts[1]!.incident).toMatchObject({ joined: ['orders-api'] });
    expect(alerts[2]!.incident).toMatchObject({ recovered: ['orders-cache'] });
    const after = await cli(['status', '--json', '--state', statePath]);
    expect((JSON.parse(after.stdout) as { monitors: Array<{ incident?: string }> }).monitors.every((m) => m.incident === undefined)).toBe(true);
  }, 400_000);
});
