// `portquorum local` runs probe groups: each region's worker runs the region's public probes and the groups placed
// there, with the real handlers. A monitor whose reach names the group (regions share this machine's loopback): the
// target stops answering → the public probes page DOWN and the group REACH_BROKEN (closed from vpc); it answers again
// → UP and REACH_RESTORED; `status` marks REACH(closed from vpc) meanwhile.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import { cli, expectAlertSchema, readAlerts, startLocal, SwitchableServer, waitForAlert, type RunningCli } from './support';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
/** Long enough for start-up, a break and a restoration on a loaded machine; the fleet then stops by itself. */
const DURATION_S = 150;

describe('portquorum local runs probe groups (--no-netns)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-e2e-reach-'));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  const ledger = new SwitchableServer();
  let fleet: RunningCli;

  beforeAll(async () => {
    await ledger.up();
    const spec: FleetSpec = {
      regions: REGIONS,
      groups: { vpc: { regions: ['eu-west-1', 'us-east-1'] } },
      monitorDefaults: { interval: 10, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 2000, flapping: false },
      monitors: [{ id: 'ledger', host: '127.0.0.1', port: ledger.port, reach: { vpc: 'open' } }],
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec, null, 2));
    fleet = startLocal(['--config', config, '--no-netns', '--duration', String(DURATION_S), '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/ledger: UNKNOWN → UP/, 120_000);
  }, 150_000);

  afterAll(async () => {
    // Ctrl-C, as a user stops it (every part it started stopped in order); killed only if that does not end it.
    if (fleet && fleet.child.exitCode === null) {
      fleet.child.kill('SIGINT');
      const stopped = await Promise.race([fleet.exited.then(() => true), new Promise((resolve) => setTimeout(resolve, 60_000, false))]);
      if (!stopped) fleet.child.kill('SIGKILL');
    }
    await ledger.down();
  }, 90_000);

  it('pages REACH_BROKEN from the group and DOWN from the public probes when the port closes, then both back once', async () => {
    await ledger.down();
    const broken = await waitForAlert(alertsFile, (a) => a.kind === 'REACH_BROKEN', 90_000, 'REACH_BROKEN', fleet);
    expectAlertSchema(broken);
    expect(broken).toMatchObject({ monitor: { id: 'ledger' }, reach: { group: 'vpc', expect: 'open', found: 'closed', quorum: 2 } });
    expect(broken.reach!.regions.map((r) => `${r.region} ${r.status} ${r.class}`)).toEqual(['eu-west-1 down refused', 'us-east-1 down refused']);
    await waitForAlert(alertsFile, (a) => a.kind === 'DOWN', 60_000, 'DOWN', fleet);

    const status = await cli(['status', '--json', '--state', statePath]);
    expect(status.code).toBe(1);
    const ledgerStatus = (JSON.parse(status.stdout) as { monitors: { monitor: string; reachBroken?: string[] }[] }).monitors.find((m) => m.monitor === 'ledger')!;
    expect(ledgerStatus.reachBroken).toEqual(['closed from vpc']);
    const table = await cli(['status', '--state', statePath]);
    expect(table.stdout).toMatch(/ledger .* DOWN REACH\(closed from vpc\)/);

    await ledger.up();
    await waitForAlert(alertsFile, (a) => a.kind === 'REACH_RESTORED', 90_000, 'REACH_RESTORED', fleet);
    await waitForAlert(alertsFile, (a) => a.kind === 'UP', 60_000, 'UP', fleet);
    expect(readAlerts(alertsFile).filter((a) => a.monitor).map((a) => a.kind).sort()).toEqual(['DOWN', 'REACH_BROKEN', 'REACH_RESTORED', 'UP']);
  }, 300_000);
});
