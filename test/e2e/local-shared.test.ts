// `portquorum local --config` with regions sharing this machine's loopback: a target the test owns goes down and
// comes back → exactly one DOWN and one UP alert (JSON-lines file and webhook); status; clean exit at --duration.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import {
  cli, descendants, expectAlertSchema, readAlerts, startLocal, stillRunning, SwitchableServer, waitForAlert, webhookReceiver, type RunningCli, type WebhookReceiver,
} from './support';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
/** Long enough for start-up (JVM, three workers), a DOWN and an UP on a loaded machine; the fleet then stops by itself. */
const DURATION_S = 150;

describe('portquorum local, regions sharing loopback (--no-netns)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-e2e-shared-'));
  const alertsFile = join(dir, 'alerts.jsonl');
  const statePath = join(dir, 'local.json');
  const web = new SwitchableServer();
  const steady = new SwitchableServer();
  const canary = new SwitchableServer();
  let hook: WebhookReceiver;
  let fleet: RunningCli;
  let children: number[] = [];

  beforeAll(async () => {
    await Promise.all([web.up(), steady.up(), canary.up()]);
    hook = await webhookReceiver();
    const spec: FleetSpec = {
      regions: REGIONS,
      canary: { host: '127.0.0.1', port: canary.port, timeoutMs: 1000 },
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 2000 },
      monitors: [
        { id: 'web', host: '127.0.0.1', port: web.port },
        { id: 'steady', host: '127.0.0.1', port: steady.port },
      ],
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec, null, 2));
    fleet = startLocal(['--config', config, '--no-netns', '--duration', String(DURATION_S), '--alerts-file', alertsFile, '--webhook', hook.url, '--state', statePath]);
    // The aggregator's first verdict says the fleet sees the target up in a quorum of regions.
    await fleet.waitForOutput(/web: UNKNOWN → UP/, 120_000);
    children = descendants(fleet.pid).map((p) => p.pid);
  }, 150_000);

  afterAll(async () => {
    if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGKILL');
    await Promise.all([web.down(), steady.down(), canary.down(), hook?.close()]);
  });

  it('runs every region as its own worker process next to DynamoDB Local', () => {
    const commands = descendants(fleet.pid).map((p) => p.command);
    expect(commands.filter((c) => c.includes('bin/local/worker.ts'))).toHaveLength(3);
    expect(commands.some((c) => c.includes('DynamoDBLocal'))).toBe(true);
  });

  it('alerts DOWN once when the target stops answering, and UP once when it is back', async () => {
    await web.down();
    const down = await waitForAlert(alertsFile, (a) => a.kind === 'DOWN', 90_000, 'DOWN', fleet);
    expectAlertSchema(down);
    expect(down).toMatchObject({ kind: 'DOWN', verdict: 'DOWN', previousVerdict: 'UP', monitor: { id: 'web', port: web.port }, quorum: 2 });
    const downRegions = down.regions.filter((r) => r.status === 'down');
    expect(downRegions.length).toBeGreaterThanOrEqual(2);
    for (const r of downRegions) expect(r).toMatchObject({ class: 'refused', code: 'ECONNREFUSED', phase: 'connect' });

    await web.up();
    const up = await waitForAlert(alertsFile, (a) => a.kind === 'UP', 90_000, 'UP', fleet);
    expectAlertSchema(up);
    expect(up).toMatchObject({ kind: 'UP', verdict: 'UP', previousVerdict: 'DOWN', monitor: { id: 'web' } });
    expect(Date.parse(up.since)).toBeGreaterThan(Date.parse(down.since));

    const alerts = readAlerts(alertsFile);
    expect(alerts.map((a) => `${a.kind} ${a.monitor?.id ?? 'fleet'}`)).toEqual(['DOWN web', 'UP web']);
    // The webhook got the same two alerts, each with the subject as `text` for chat webhooks.
    const bodies = await hook.waitForBodies(alerts.length, 30_000);
    expect(bodies.map((b) => `${b.kind} ${b.alertId}`)).toEqual(alerts.map((a) => `${a.kind} ${a.alertId}`));
    expect(bodies[0]!.text).toBe(alerts[0]!.subject);
  }, 200_000);

  it('portquorum status --json reads verdicts, per-region evidence and transitions from the running fleet', async () => {
    const r = await cli(['status', '--json', '--state', statePath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // every monitor UP again
    const status = JSON.parse(r.stdout) as {
      table: string; fleetOut: Record<string, string>;
      monitors: Array<{ monitor: string; verdict: string; since?: string; regions: Record<string, { status: string; round?: string }> }>;
      transitions: Array<{ kind: string; monitor: string }>;
    };
    expect(status.table).toBe('portquorum');
    expect(status.fleetOut).toEqual({});
    const webStatus = status.monitors.find((m) => m.monitor === 'web')!;
    expect(webStatus.verdict).toBe('UP');
    expect(Object.keys(webStatus.regions).sort()).toEqual([...REGIONS].sort());
    for (const region of REGIONS) expect(webStatus.regions[region]!.status).toBe('up');
    expect(status.transitions.map((t) => `${t.kind} ${t.monitor}`)).toEqual(['UP web', 'DOWN web']);
  }, 60_000);

  it('stops by itself at --duration, exit 0, leaving no process behind and the state file saying it stopped', async () => {
    expect(children.length).toBeGreaterThanOrEqual(4); // three workers and DynamoDB Local at least
    const code = await Promise.race([fleet.exited, new Promise((resolve) => setTimeout(resolve, (DURATION_S + 60) * 1000, 'still running'))]);
    expect(code).toBe(0);
    expect(fleet.output()).toMatch(/stopping \(--duration 150 s reached\)/);
    expect(stillRunning(children)).toEqual([]);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toEqual({ schemaVersion: 1, stoppedAt: expect.any(String), steering: { targets: {}, faults: {} } });
    const after = await cli(['local', 'target', 'web', 'down', '--state', statePath]);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/no local fleet is running/);
  }, (DURATION_S + 90) * 1000);
});
