// Who watches the watcher, on the real local fleet: `portquorum local fault home down` stops the aggregator and the
// sweeper (no verdicts, no heartbeat); the three region workers' watchdogs see the heartbeat go stale and one HOME_DOWN
// reaches the alert sinks (the fallback topic, locally); `fault home up` brings the sweeper back and one HOME_RECOVERED
// follows. Regions share this machine's network here (no namespaces needed).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import { freePorts } from '../../bin/local/targets';
import { LOCAL_CREDENTIALS } from '../../bin/local/dynamodb-local';
import type { LocalFleetState } from '../../bin/local/state-file';
import { TableStore } from '../../functions/shared/adapters/store';
import { cli, expectAlertSchema, interrupt, readAlerts, startLocal, waitForAlert, type RunningCli } from './support';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
/**
 * Stale after 2 minutes (--watchdog-stale-after 2); each region checks once an invocation, after its minute of rounds:
 * up to 2 min + 1 min until a check sees it stale, another minute for the second region's vote — under 4.5 minutes.
 */
const HOME_DOWN_MS = 300_000;
/** The sweeper (every 10 s) writes a heartbeat at once; a region reads it at the end of its next invocation. */
const HOME_RECOVERED_MS = 180_000;

describe('portquorum local fault home: the regions page HOME_DOWN once, and HOME_RECOVERED once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-e2e-i17-home-'));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  let fleet: RunningCli;

  const local = async (...words: string[]) => {
    const r = await cli(['local', ...words, '--state', statePath]);
    expect(r.stderr, `portquorum local ${words.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    const [webPort] = await freePorts(1);
    const spec: FleetSpec & { localTargets: unknown } = {
      regions: REGIONS,
      homeRegion: REGIONS[0]!,
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1 },
      monitors: [{ id: 'web', host: '127.0.0.1', port: webPort!, preset: 'http' }],
      localTargets: [{ name: 'web', kind: 'http', port: webPort }],
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec, null, 2));
    fleet = startLocal(['--config', config, '--no-netns', '--sweep-every', '10', '--watchdog-stale-after', '2', '--duration', '900', '--alerts-file', alertsFile, '--state', statePath]);
    await fleet.waitForOutput(/running: table portquorum/, 120_000);
  }, 150_000);

  afterAll(async () => {
    if (fleet && fleet.child.exitCode === null) {
      interrupt(fleet);
      const code = await Promise.race([fleet.exited, new Promise((resolve) => setTimeout(resolve, 60_000, 'still running'))]);
      if (code === 'still running') fleet.child.kill('SIGKILL');
    }
  }, 90_000);

  it('the home pipeline stopped: one HOME_DOWN from the probe regions, naming the stale regions', async () => {
    // A heartbeat first (the sweeper runs every 10 s), so the watchdog has something to go stale: read from the
    // fleet's own table until the first sweep has written it (bounded).
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as LocalFleetState;
    const client = new DynamoDBClient({ endpoint: state.endpoint, region: state.tableRegion, credentials: LOCAL_CREDENTIALS });
    try {
      const store = new TableStore(client, state.table);
      const deadline = Date.now() + 60_000;
      while ((await store.readHeartbeat()) === undefined) {
        if (Date.now() > deadline) throw new Error('no heartbeat from the sweeper within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } finally {
      client.destroy();
    }
    expect(await local('fault', 'home', 'down')).toMatch(/home pipeline: the aggregator and the sweeper are stopped/);
    const down = await waitForAlert(alertsFile, (a) => a.kind === 'HOME_DOWN', HOME_DOWN_MS, 'HOME_DOWN', fleet);
    expectAlertSchema(down);
    expect(down.home!.homeRegion).toBe(REGIONS[0]);
    expect(down.home!.quorum).toBe(2);
    expect(down.home!.staleRegions.length).toBeGreaterThanOrEqual(2);
    expect(down.home!.staleAfterSeconds).toBe(120);
    expect(readAlerts(alertsFile).filter((a) => a.kind === 'HOME_DOWN')).toHaveLength(1);
  }, HOME_DOWN_MS + 90_000);

  it('the home pipeline started again: one HOME_RECOVERED, and no other alert', async () => {
    expect(await local('fault', 'home', 'up')).toMatch(/home pipeline: the aggregator and the sweeper run again/);
    const back = await waitForAlert(alertsFile, (a) => a.kind === 'HOME_RECOVERED', HOME_RECOVERED_MS, 'HOME_RECOVERED', fleet);
    expectAlertSchema(back);
    expect(back.home!.downSince).toBe(readAlerts(alertsFile).find((a) => a.kind === 'HOME_DOWN')!.since);
    // Every region kept seeing it stale until then, minute after minute: still one page each way, and nothing else.
    expect(readAlerts(alertsFile).map((a) => a.kind)).toEqual(['HOME_DOWN', 'HOME_RECOVERED']);
  }, HOME_RECOVERED_MS + 30_000);
});
