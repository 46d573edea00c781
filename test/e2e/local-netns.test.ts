// `portquorum local --netns`: every region in its own network namespace, cut off with `local fault`. Two of three
// regions blackholed → one fleet alert and no target DOWN; one blackholed → a real outage is still paged (DOWN, then
// UP) with that region's evidence vetoed; clear → FLEET_RECOVERED. Then Ctrl-C leaves no process or namespace, and
// the state file keeps the fault still in force for the next run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import type { LocalFleetState } from '../../bin/local/state-file';
import { netnsSupport } from '../../bin/local/netns';
import { freePorts } from '../../bin/local/targets';
import {
  cli, descendants, expectAlertSchema, interrupt, namespacesOf, readAlerts, startLocal, stillRunning, waitForAlert, type RunningCli,
} from './support';

const support = netnsSupport();
const skip = !support.supported;
const reason = support.supported ? '' : ` (skipped: ${support.reason})`;

const [HOME, CUT_TOO, CUT] = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
/**
 * The sweeper pages the fleet once it has closed two whole minutes in which most of a region's canary rounds failed
 * (and back after two healthy ones): up to a minute until the first such minute starts, two minutes, 80 s of grace,
 * then the next sweep (every 10 s here) — about 3.5 minutes at worst.
 */
const FLEET_ALERT_MS = 300_000;
const ROUND_ALERT_MS = 90_000;

describe.skipIf(skip)(`portquorum local --netns: region faults with iptables in per-region namespaces${reason}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-e2e-netns-'));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;
  let state: LocalFleetState;
  let children: number[] = [];

  const local = async (...words: string[]) => {
    const r = await cli(['local', ...words, '--state', statePath]);
    expect(r.stderr, `portquorum local ${words.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const targetAlerts = () => readAlerts(alertsFile).filter((a) => a.monitor !== undefined);

  beforeAll(async () => {
    // Ports are free here; inside each fresh namespace everything is.
    const [webPort, cachePort, canaryPort] = await freePorts(3);
    const spec: FleetSpec & { localTargets: unknown } = {
      regions: [HOME!, CUT_TOO!, CUT!],
      homeRegion: HOME!,
      canary: { host: '127.0.0.1', port: canaryPort!, timeoutMs: 1000 },
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 1500 },
      monitors: [
        { id: 'web', host: '127.0.0.1', port: webPort!, preset: 'http' },
        { id: 'cache', host: '127.0.0.1', port: cachePort! },
      ],
      // Served by the fleet inside every namespace, switched with `portquorum local target`.
      localTargets: [
        { name: 'web', kind: 'http', port: webPort },
        { name: 'cache', kind: 'tcp', port: cachePort },
      ],
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec, null, 2));
    fleet = startLocal(['--config', config, '--netns', '--sweep-every', '10', '--duration', '900', '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/running: table portquorum/, 120_000);
    state = JSON.parse(readFileSync(statePath, 'utf8')) as LocalFleetState;
    children = descendants(fleet.pid).map((p) => p.pid);
  }, 150_000);

  afterAll(() => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGKILL');
  });

  it('runs each region in its own namespace (pq-<region>-<pid>)', () => {
    expect(state.namespaces).toEqual({
      [HOME!]: `pq-${HOME}-${fleet.pid}`, [CUT_TOO!]: `pq-${CUT_TOO}-${fleet.pid}`, [CUT!]: `pq-${CUT}-${fleet.pid}`,
    });
    expect(namespacesOf(fleet.pid).sort()).toEqual(Object.values(state.namespaces).sort());
  });

  it('two of three regions blackholed: one FLEET_DEGRADED alert and no target DOWN, though the target is down where it is seen', async () => {
    // Both cuts must make the same whole minutes vetoed (the sweeper pages a region once most rounds of two whole
    // minutes failed), or the first would be paged alone; so they are issued together early in a minute, landing
    // before its :20 round (4 of 6 rounds failing). Each \`local fault\` is a CLI start of several seconds on a
    // loaded machine: issued one after the other at :50 the second cut landed in the next minute (two FLEET_DEGRADED).
    const second = new Date().getUTCSeconds();
    if (second >= 6 || second < 1) await new Promise((resolve) => setTimeout(resolve, ((61 - second) % 60) * 1000));
    await Promise.all([local('fault', CUT!, 'blackhole'), local('fault', CUT_TOO!, 'blackhole')]);
    expect(await local('target', 'web', 'down')).toMatch(/target 'web' is down/);
    const degraded = await waitForAlert(alertsFile, (a) => a.kind === 'FLEET_DEGRADED' && [CUT, CUT_TOO].every((r) => a.fleet!.vetoedRegions.includes(r!)), FLEET_ALERT_MS, 'FLEET_DEGRADED naming both cut regions', fleet);
    expectAlertSchema(degraded);
    expect(degraded.fleet!.silentRegions).toEqual([]);
    expect(degraded.fleet!.unknownMonitors.sort()).toEqual(['cache', 'web']);
    // Only HOME still sees anything; one region is below quorum, so web's outage cannot (and must not) be called.
    expect(targetAlerts()).toEqual([]);
    expect(readAlerts(alertsFile).filter((a) => a.kind === 'FLEET_DEGRADED')).toHaveLength(1);
  }, FLEET_ALERT_MS + 60_000);

  it('one region blackholed: the outage is paged once by the other two (DOWN then UP), the cut region vetoed, no other alert', async () => {
    await local('fault', CUT_TOO!, 'clear');
    const down = await waitForAlert(alertsFile, (a) => a.kind === 'DOWN', ROUND_ALERT_MS, 'DOWN', fleet);
    expectAlertSchema(down);
    expect(down.monitor!.id).toBe('web');
    const byRegion = Object.fromEntries(down.regions.map((r) => [r.region, r]));
    expect(byRegion[HOME!]).toMatchObject({ status: 'down', class: 'refused' });
    // The round that straddles the clear may have met the drop on one attempt and the refusal on the next, with its
    // canary through: a down either way, which is what counts.
    expect(byRegion[CUT_TOO!]).toMatchObject({ status: 'down' });
    expect(['refused', 'timeout']).toContain(byRegion[CUT_TOO!]!.class);
    // Its packets are dropped, so it sees a timeout — but its canary failed too, so that counts for nothing. A quorum
    // of downs decides at once, so the alert may go out before that slower result arrives (then it is pending).
    expect(['vetoed', 'pending']).toContain(byRegion[CUT!]!.status);
    if (byRegion[CUT!]!.status === 'vetoed') expect(byRegion[CUT!]!.class).toBe('timeout');

    await local('target', 'web', 'up');
    const up = await waitForAlert(alertsFile, (a) => a.kind === 'UP', ROUND_ALERT_MS, 'UP', fleet);
    expectAlertSchema(up);
    expect(up).toMatchObject({ monitor: { id: 'web' }, previousVerdict: 'DOWN', verdict: 'UP' });
    expect(targetAlerts().map((a) => `${a.kind} ${a.monitor!.id}`)).toEqual(['DOWN web', 'UP web']);
  }, 2 * ROUND_ALERT_MS + 30_000);

  it('a cleared region is announced by FLEET_RECOVERED; still no alert for the monitor that never failed', async () => {
    const recovered = await waitForAlert(alertsFile, (a) => a.kind === 'FLEET_RECOVERED' && a.fleet!.recoveredRegions.includes(CUT_TOO!), FLEET_ALERT_MS, 'FLEET_RECOVERED', fleet);
    expectAlertSchema(recovered);
    // CUT is still blackholed, so the fleet is better but not whole.
    expect(recovered.fleet!.vetoedRegions).toEqual([CUT]);
    expect(recovered.verdict).toBe('DEGRADED');
    expect(targetAlerts().filter((a) => a.monitor!.id === 'cache')).toEqual([]);
  }, FLEET_ALERT_MS + 30_000);

  it('portquorum status --json shows the cut region vetoed and the fleet alert state', async () => {
    const r = await cli(['status', '--json', '--state', statePath]);
    expect(r.stderr).toBe('');
    const status = JSON.parse(r.stdout) as { fleetOut: Record<string, string>; monitors: Array<{ monitor: string; verdict: string; regions: Record<string, { status: string }> }> };
    expect(status.fleetOut).toEqual({ [CUT!]: 'vetoed' });
    const web = status.monitors.find((m) => m.monitor === 'web')!;
    expect(web.verdict).toBe('UP');
    expect(web.regions[HOME!]!.status).toBe('up');
    expect(web.regions[CUT!]!.status).toBe('vetoed');
  }, 60_000);

  it('Ctrl-C stops everything: exit 0, no child process, no namespace; the state file keeps only the fault still in force', async () => {
    expect(children.length).toBeGreaterThanOrEqual(4);
    interrupt(fleet);
    const code = await Promise.race([fleet.exited, new Promise((resolve) => setTimeout(resolve, 60_000, 'still running'))]);
    expect(code).toBe(0);
    expect(stillRunning(children)).toEqual([]);
    expect(namespacesOf(fleet.pid)).toEqual([]);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toEqual({ schemaVersion: 1, stoppedAt: expect.any(String), steering: { targets: {}, faults: { [CUT!]: { kind: 'blackhole' } } } });
  }, 90_000);
});
