// Fleet alerts with hysteresis, on `portquorum local --netns` (each region in its own network namespace): 30 % packet
// loss in one region (iptables `statistic --mode random` DROP on its loopback) makes its canary fail now and then — a
// minority of rounds — and gives no fleet page, while a blackholed region is paged FLEET_DEGRADED within the stated
// time (two whole vetoed minutes, closed 80 s after the second ends) and FLEET_RECOVERED after two healthy ones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import type { LocalFleetState } from '../../bin/local/state-file';
import { netnsSupport } from '../../bin/local/netns';
import { freePorts } from '../../bin/local/targets';
import { cli, expectAlertSchema, interrupt, namespacesOf, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

const support = netnsSupport();
const skip = !support.supported;
const reason = support.supported ? '' : ` (skipped: ${support.reason})`;

const [HOME, LOSSY, CUT] = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
/**
 * Out after two whole bad minutes: the cut's own minute (when most of its rounds fail) or the next, then one more, then
 * 80 s of grace and the next sweep (every 10 s here): at most about 3 min 30 s. Back alike after two healthy minutes.
 */
const FLEET_ALERT_MS = 300_000;

describe.skipIf(skip)(`fleet alerts with hysteresis: a lossy region is no fleet page, a blackholed one is${reason}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-e2e-i17-loss-'));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;
  let state: LocalFleetState;

  const local = async (...words: string[]) => {
    const r = await cli(['local', ...words, '--state', statePath]);
    expect(r.stderr, `portquorum local ${words.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  /** Packets the lossy region's DROP rule has dropped so far (the rule's counter in its namespace). */
  const dropped = (): number => {
    const rules = execFileSync('ip', ['netns', 'exec', state.namespaces[LOSSY!]!, 'iptables', '-w', '5', '-L', 'INPUT', '-v', '-n', '-x'], { encoding: 'utf8' });
    const rule = rules.split('\n').find((l) => /DROP/.test(l) && /statistic mode random/.test(l));
    expect(rule, `the loss rule in ${LOSSY}'s namespace:\n${rules}`).toBeDefined();
    return Number(rule!.trim().split(/\s+/)[0]);
  };
  const namesLossy = () => readAlerts(alertsFile).filter((a) => a.fleet && [...a.fleet.vetoedRegions, ...a.fleet.silentRegions, ...a.fleet.recoveredRegions].includes(LOSSY!));

  beforeAll(async () => {
    const [webPort, cachePort, canaryPort] = await freePorts(3);
    const spec: FleetSpec & { localTargets: unknown } = {
      regions: [HOME!, LOSSY!, CUT!],
      homeRegion: HOME!,
      canary: { host: '127.0.0.1', port: canaryPort!, timeoutMs: 1000 },
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 1500 },
      monitors: [
        { id: 'web', host: '127.0.0.1', port: webPort!, preset: 'http' },
        { id: 'cache', host: '127.0.0.1', port: cachePort! },
      ],
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
  }, 150_000);

  afterAll(async () => {
    if (fleet && fleet.child.exitCode === null) {
      interrupt(fleet);
      const code = await Promise.race([fleet.exited, new Promise((resolve) => setTimeout(resolve, 60_000, 'still running'))]);
      if (code === 'still running') fleet.child.kill('SIGKILL');
    }
  }, 90_000);

  it('30 % loss in one region and a blackhole in another: FLEET_DEGRADED names the blackholed region only', async () => {
    expect(await local('fault', LOSSY!, 'loss', '30')).toMatch(/30% packet loss/);
    expect(await local('fault', CUT!, 'blackhole')).toMatch(/blackholed/);
    const degraded = await waitForAlert(alertsFile, (a) => a.kind === 'FLEET_DEGRADED', FLEET_ALERT_MS, 'FLEET_DEGRADED', fleet);
    expectAlertSchema(degraded);
    expect(degraded.fleet).toMatchObject({ vetoedRegions: [CUT], silentRegions: [] });
    // Two regions are left to every monitor (quorum 2): none is unknown, and no target was paged.
    expect(degraded.fleet!.unknownMonitors).toEqual([]);
    expect(readAlerts(alertsFile).filter((a) => a.monitor !== undefined)).toEqual([]);
    // The loss was real: its rule has dropped packets (probes' and the canary's) all along.
    expect(dropped()).toBeGreaterThan(0);
  }, FLEET_ALERT_MS + 30_000);

  it('the blackholed region reconnected: one FLEET_RECOVERED, and never a fleet alert naming the lossy region', async () => {
    const before = dropped();
    expect(await local('fault', CUT!, 'clear')).toMatch(/clear/);
    const recovered = await waitForAlert(alertsFile, (a) => a.kind === 'FLEET_RECOVERED', FLEET_ALERT_MS, 'FLEET_RECOVERED', fleet);
    expectAlertSchema(recovered);
    expect(recovered.fleet).toMatchObject({ recoveredRegions: [CUT], vetoedRegions: [], silentRegions: [] });
    expect(recovered.verdict).toBe('UP');
    // Minutes more of loss (the whole run so far) and still: one page each way, none about the lossy region.
    expect(dropped()).toBeGreaterThan(before);
    expect(readAlerts(alertsFile).map((a) => a.kind)).toEqual(['FLEET_DEGRADED', 'FLEET_RECOVERED']);
    expect(namesLossy()).toEqual([]);
    const r = await cli(['status', '--json', '--state', statePath]);
    expect((JSON.parse(r.stdout) as { fleetOut: Record<string, string> }).fleetOut).toEqual({});
  }, FLEET_ALERT_MS + 30_000);

  it('Ctrl-C stops the fleet and removes its namespaces', async () => {
    interrupt(fleet);
    const code = await Promise.race([fleet.exited, new Promise((resolve) => setTimeout(resolve, 60_000, 'still running'))]);
    expect(code).toBe(0);
    expect(namespacesOf(fleet.pid)).toEqual([]);
  }, 90_000);
});
