// A served target blackholed (`portquorum local target NAME blackhole`): the service keeps running but its packets are
// dropped, so probes time out in connect. Without namespaces: a full accept queue, probed by the real engine. With
// them (root): iptables in every region's namespace, through the real fleet, its control socket and the real CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMonitor } from '../../functions/probe/engine';
import { resolveFleet, resolveMonitor, type FleetSpec } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { startLocalFleet, type FleetEvent, type LocalFleet } from '../../bin/local/fleet';
import { netnsSupport } from '../../bin/local/netns';
import { freePorts, TargetServer } from '../../bin/local/targets';
import { runCli } from '../support/cli';
import { connectOutcome } from './support';

// The fleet's in-process clients would print the SDK's notice that its Node 20 support ends.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

describe('a served target blackholed without namespaces: a full accept queue', () => {
  let port: number;
  let server: TargetServer;

  beforeAll(async () => {
    [port] = (await freePorts(1)) as [number];
    server = new TargetServer({ name: 'db', kind: 'tcp', port });
  });
  afterAll(async () => {
    await server?.set('down');
  });

  it('the engine sees timeout in connect; up and down switch back (accepting, refused) on the same port', async () => {
    const monitor = resolveMonitor({ id: 'db', host: '127.0.0.1', port, timeoutMs: { connect: 500 }, retries: 1 }, REGIONS);
    await server.set('blackhole');
    expect(server.state).toBe('blackhole');
    const dropped = await probeMonitor(monitor);
    expect(dropped).toMatchObject({ ok: false, errorClass: 'timeout', phase: 'connect', portOpen: false, attempts: 2 });

    await server.set('up');
    expect(await probeMonitor(monitor)).toMatchObject({ ok: true, portOpen: true });
    await server.set('blackhole');
    expect(await connectOutcome(port, 400)).toBe('silent');
    await server.set('down');
    expect(await probeMonitor(monitor)).toMatchObject({ ok: false, errorClass: 'refused' });
  });

  it('a probe in flight when the blackhole ends connects on its next SYN', async () => {
    const monitor = resolveMonitor({ id: 'db', host: '127.0.0.1', port, timeoutMs: { connect: 3000 }, retries: 0 }, REGIONS);
    await server.set('blackhole');
    const probing = probeMonitor(monitor);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.set('up');
    // Linux retransmits an unanswered SYN after 1 s: that one reaches the listener again.
    expect(await probing).toMatchObject({ ok: true, attempts: 1 });
  });
});

const support = netnsSupport();
const reason = support.supported ? '' : ` (skipped: ${support.reason})`;

/** Fleet events as they come, with waits for the one that matches (bounded). */
function eventLog() {
  const events: Array<{ at: number; event: FleetEvent }> = [];
  const waiters = new Set<() => void>();
  return {
    events,
    push(event: FleetEvent) {
      events.push({ at: Date.now(), event });
      for (const w of [...waiters]) w();
    },
    waitFor<T>(pick: (event: FleetEvent) => T | undefined, timeoutMs: number, what: string): Promise<T> {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < events.length; seen++) {
            const found = pick(events[seen]!.event);
            if (found !== undefined) return finish(() => resolve(found));
          }
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs / 1000} s; alerts: ${JSON.stringify(events.filter((e) => e.event.kind === 'alert').map((e) => (e.event as { alert: AlertMessage }).alert.subject))}`))), timeoutMs);
        const finish = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Whether the target's DROP rule is in the namespace's raw table. */
function dropRulePresent(namespace: string, port: number): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', namespace, 'iptables', '-w', '5', '-t', 'raw', '-C', 'PREROUTING', '-i', 'lo', '-p', 'tcp', '-d', '127.0.0.1', '--dport', String(port), '-j', 'DROP'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!support.supported)(`a served target blackholed in the local fleet with namespaces${reason}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-blackhole-'));
  const statePath = join(dir, 'local.json');
  const log = eventLog();
  let fleet: LocalFleet;
  let namespaces: string[] = [];
  let webPort: number;

  const alert = (kind: 'DOWN' | 'UP') => (event: FleetEvent) => (event.kind === 'alert' && event.alert.kind === kind && event.alert.monitor?.id === 'web' ? event.alert : undefined);
  const target = (...words: string[]) => runCli(['local', 'target', ...words, '--state', statePath], { timeoutMs: 60_000, env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });

  beforeAll(async () => {
    const [web, steady, canary] = (await freePorts(3)) as [number, number, number];
    webPort = web;
    const spec: FleetSpec = {
      regions: REGIONS,
      homeRegion: REGIONS[0]!,
      canary: { host: '127.0.0.1', port: canary, timeoutMs: 1000 },
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 1500 },
      monitors: [{ id: 'web', host: '127.0.0.1', port: web }, { id: 'steady', host: '127.0.0.1', port: steady }],
    };
    fleet = await startLocalFleet({
      fleet: resolveFleet(spec), netns: 'on', sinks: [], statePath,
      targets: [{ name: 'web', kind: 'tcp', port: web }, { name: 'steady', kind: 'tcp', port: steady }],
      canary: { name: 'canary', kind: 'tcp', port: canary },
      onEvent: (event) => log.push(event),
    });
    namespaces = Object.values(fleet.namespaces);
    // The first verdict: a quorum sees the target up, so what follows is a transition.
    await log.waitFor((e) => (e.kind === 'log' && e.message === 'Verdict changed' && (e.detail as { monitor?: string; to?: string }).monitor === 'web' && (e.detail as { to?: string }).to === 'UP' ? true : undefined), 60_000, 'first UP verdict');
  }, 150_000);

  afterAll(async () => {
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("'portquorum local target web blackhole' drops its packets in every region: one DOWN with timeout in connect, the listener still up", async () => {
    const reply = await target('web', 'blackhole');
    expect(reply.stderr).toBe('');
    expect(reply.stdout.trim()).toBe("target 'web' is blackholed");
    expect(reply.code).toBe(0);
    expect(namespaces.map((ns) => dropRulePresent(ns, webPort))).toEqual([true, true, true]);
    // The service itself still runs inside each namespace: only its packets are dropped.
    const listening = execFileSync('ip', ['netns', 'exec', namespaces[0]!, 'ss', '-Htln', `sport = :${webPort}`], { encoding: 'utf8' });
    expect(listening).toContain(`127.0.0.1:${webPort}`);

    const down = await log.waitFor(alert('DOWN'), 60_000, 'DOWN alert for web');
    const evidence = down.regions.filter((r) => r.status === 'down');
    expect(evidence.length).toBeGreaterThanOrEqual(2);
    for (const r of evidence) expect(r).toMatchObject({ class: 'timeout', phase: 'connect' });
  }, 90_000);

  it('a region fault cleared meanwhile leaves the target blackholed; up removes the rules and brings one UP', async () => {
    await fleet.fault(REGIONS[2]!, { kind: 'clear' });
    expect(namespaces.map((ns) => dropRulePresent(ns, webPort))).toEqual([true, true, true]);

    await fleet.setTarget('web', 'up');
    expect(namespaces.map((ns) => dropRulePresent(ns, webPort))).toEqual([false, false, false]);
    const up = await log.waitFor(alert('UP'), 60_000, 'UP alert for web');
    expect(up).toMatchObject({ previousVerdict: 'DOWN', verdict: 'UP' });
    const alerts = log.events.filter((e) => e.event.kind === 'alert').map((e) => (e.event as { alert: AlertMessage }).alert);
    expect(alerts.map((a) => `${a.kind} ${a.monitor?.id}`)).toEqual(['DOWN web', 'UP web']);
  }, 90_000);

  it('blackhole → down closes the listener and lifts the drop (refused), and bad words are refused by the CLI', async () => {
    await fleet.setTarget('web', 'blackhole');
    await fleet.setTarget('web', 'down');
    expect(namespaces.map((ns) => dropRulePresent(ns, webPort))).toEqual([false, false, false]);
    const listening = execFileSync('ip', ['netns', 'exec', namespaces[0]!, 'ss', '-Htln', `sport = :${webPort}`], { encoding: 'utf8' });
    expect(listening.trim()).toBe('');

    const bad = await target('web', 'sideways');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("say 'up', 'down' or 'blackhole' after the target's name (got 'sideways')");
  }, 60_000);

  it('stopping the fleet removes the namespaces, and the target rules with them', async () => {
    await fleet.stop();
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const ns of namespaces) expect(left).not.toContain(ns);
  }, 60_000);
});
