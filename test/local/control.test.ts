// The control socket `local fault` and `local target` use: one JSON line each way over a real UNIX socket, an error
// carried back as a reply, and a client that never waits forever.
import { connect, createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sendControl, serveControl, startControl, type ControlRequest, type Steerable } from '../../bin/local/control';
import type { RegionFault } from '../../bin/local/netns';
import type { TargetState } from '../../bin/local/targets';
import { testAlert, type AlertMessage } from '../../functions/shared/domain/alert';

/** A fleet that keeps what it was told, and refuses an unknown region as the real one does. */
class RecordingFleet implements Steerable {
  readonly faults: Record<string, RegionFault> = {};
  readonly targets: Record<string, TargetState> = {};
  async fault(region: string, fault: RegionFault): Promise<void> {
    if (region !== 'eu-west-1') throw new Error(`no region '${region}' in this fleet (regions: eu-west-1)`);
    this.faults[region] = fault;
  }
  async setTarget(name: string, state: TargetState): Promise<void> {
    this.targets[name] = state;
  }
  sns: 'down' | 'up' = 'up';
  async alertSinks(state: 'down' | 'up'): Promise<void> {
    this.sns = state;
  }
  home: 'down' | 'up' = 'up';
  async homePipeline(state: 'down' | 'up'): Promise<void> {
    this.home = state;
  }
  readonly notified: string[] = [];
  async notify(alert: AlertMessage): Promise<string> {
    this.notified.push(alert.alertId);
    return 'delivered to terminal';
  }
}

describe('control socket', () => {
  it('carries a notify-test alert to the fleet, whole, and answers where it went', async () => {
    const fleet = new RecordingFleet();
    const path = join(dir, 'n.sock');
    const part = await startControl(path, fleet);
    try {
      const alert = testAlert('DOWN', undefined, 'ana', Date.UTC(2026, 11, 2));
      expect(await sendControl(path, { op: 'notify', alert })).toEqual({ ok: true, message: 'delivered to terminal' });
      expect(fleet.notified).toEqual([alert.alertId]);
    } finally {
      await part.stop(Date.now() + 1000);
    }
  });

  const dir = mkdtempSync(join(tmpdir(), 'pq-control-'));
  const stops: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it('carries a fault and a target switch to the fleet and answers with the line the user sees', async () => {
    const fleet = new RecordingFleet();
    const path = join(dir, 'a.sock');
    const part = await startControl(path, fleet);
    stops.push(() => part.stop(Date.now() + 1000));
    expect(await sendControl(path, { op: 'fault', region: 'eu-west-1', fault: { kind: 'loss', percent: 30 } })).toEqual({ ok: true, message: 'region eu-west-1: 30% packet loss' });
    expect(await sendControl(path, { op: 'target', name: 'web', state: 'blackhole' })).toEqual({ ok: true, message: "target 'web' is blackholed" });
    expect(await sendControl(path, { op: 'target', name: 'web', state: 'down' })).toEqual({ ok: true, message: "target 'web' is down" });
    expect(await sendControl(path, { op: 'sns', state: 'down' })).toEqual({ ok: true, message: 'alert sinks: failing every delivery (as SNS in an outage) until portquorum local fault sns up' });
    expect(fleet.sns).toBe('down');
    expect(await sendControl(path, { op: 'home', state: 'down' })).toEqual({ ok: true, message: 'home pipeline: the aggregator and the sweeper are stopped (no verdicts, no heartbeat) until portquorum local fault home up' });
    expect(fleet.home).toBe('down');
    expect(fleet.faults).toEqual({ 'eu-west-1': { kind: 'loss', percent: 30 } });
    expect(fleet.targets).toEqual({ web: 'down' });
  });

  it("returns the fleet's refusal as an error reply", async () => {
    const path = join(dir, 'b.sock');
    const part = await startControl(path, new RecordingFleet());
    stops.push(() => part.stop(Date.now() + 1000));
    expect(await sendControl(path, { op: 'fault', region: 'mars-1', fault: { kind: 'blackhole' } })).toEqual({ ok: false, error: "no region 'mars-1' in this fleet (regions: eu-west-1)" });
  });

  it('answers a line that is not JSON with an error instead of dropping the connection', async () => {
    const path = join(dir, 'c.sock');
    const server = await serveControl(path, async () => 'never');
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const reply = await new Promise<string>((resolve, reject) => {
      const client = connect(path);
      let text = '';
      client.on('data', (chunk: Buffer) => (text += chunk.toString()));
      client.on('close', () => resolve(text));
      client.on('error', reject);
      client.write('{ not json\n');
    });
    expect(JSON.parse(reply)).toEqual({ ok: false, error: expect.stringMatching(/^bad control request: /) });
  });

  it('reports a fleet that is not there, one that never answers, and one that hangs up without answering', async () => {
    const request: ControlRequest = { op: 'target', name: 'web', state: 'up' };
    expect(await sendControl(join(dir, 'absent.sock'), request)).toEqual({ ok: false, error: expect.stringMatching(/^cannot reach the local fleet at .*absent\.sock: .*ENOENT/) });

    // Reads the request and never answers.
    const silent = createServer((socket) => socket.on('error', () => undefined).resume());
    const silentPath = join(dir, 'silent.sock');
    await new Promise<void>((resolve) => silent.listen(silentPath, () => resolve()));
    stops.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    expect(await sendControl(silentPath, request, 300)).toEqual({ ok: false, error: 'the local fleet did not answer within 0.3 s' });

    // Hangs up at once (reading on, so the server sees the client's end and lets the connection go).
    const rude = createServer((socket) => socket.on('error', () => undefined).resume().end());
    const rudePath = join(dir, 'rude.sock');
    await new Promise<void>((resolve) => rude.listen(rudePath, () => resolve()));
    stops.push(() => new Promise<void>((resolve) => rude.close(() => resolve())));
    expect(await sendControl(rudePath, request)).toEqual({ ok: false, error: 'the local fleet closed the control connection without answering' });
  });
});
