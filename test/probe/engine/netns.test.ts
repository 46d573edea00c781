// Faults the loopback cannot fake: a blackholed connect (iptables DROP) and ICMP host-unreachable (REJECT), in a namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../../../functions/shared/domain';
import { createNetns, netnsSupport, repoPath, type Netns } from '../../support/netns';

const support = netnsSupport();
const skipReason = support.ok ? '' : ` (skipped: ${support.reason})`;
if (!support.ok) console.warn(`netns probe tests skipped: ${support.reason}`);

const DROP_PORT = 9101;
const REJECT_PORT = 9102;
const OPEN_PORT = 9103;

describe.skipIf(!support.ok)(`probe engine inside a network namespace${skipReason}`, () => {
  let ns: Netns;

  beforeAll(async () => {
    ns = await createNetns('pq-probe');
    await ns.iptables(['-A', 'OUTPUT', '-o', 'lo', '-p', 'tcp', '--dport', String(DROP_PORT), '-j', 'DROP']);
    await ns.iptables(['-A', 'OUTPUT', '-o', 'lo', '-p', 'tcp', '--dport', String(REJECT_PORT), '-j', 'REJECT', '--reject-with', 'icmp-host-unreachable']);
  });
  afterAll(async () => {
    await ns?.destroy();
  });

  /** Probes monitors from inside the namespace (a node process started with `ip netns exec`) and returns the outcomes. */
  async function probeInside(specs: object[], listenPort?: number): Promise<Record<string, ProbeOutcome>> {
    const source = `
      import { createServer } from 'node:net';
      import { probeRound } from ${JSON.stringify(repoPath('functions/probe/engine/index.ts'))};
      import { resolveMonitor } from ${JSON.stringify(repoPath('functions/shared/domain/index.ts'))};
      const server = ${listenPort ? `await new Promise((r) => { const s = createServer((c) => c.end('hello\\r\\n')); s.listen(${listenPort}, '127.0.0.1', () => r(s)); })` : 'undefined'};
      const monitors = ${JSON.stringify(specs)}.map((spec) => resolveMonitor(spec, ['local']));
      const outcomes = await probeRound(monitors, { deadlineMs: 20000 });
      server?.close();
      process.stdout.write(JSON.stringify(Object.fromEntries(outcomes)));
    `;
    return JSON.parse(await ns.runScript(source)) as Record<string, ProbeOutcome>;
  }

  it('DROP: connect times out at the connect deadline; REJECT icmp-host-unreachable: unreachable; open port: up', async () => {
    const outcomes = await probeInside([
      { id: 'dropped', host: '127.0.0.1', port: DROP_PORT, timeoutMs: { connect: 500 }, retries: 0 },
      { id: 'rejected', host: '127.0.0.1', port: REJECT_PORT, retries: 0 },
      { id: 'open', host: '127.0.0.1', port: OPEN_PORT, expect: 'hello' },
      { id: 'closed', host: '127.0.0.1', port: OPEN_PORT + 1, retries: 0 },
      { id: 'closed-expected', host: '127.0.0.1', port: DROP_PORT, expectClosed: true, timeoutMs: { connect: 300 } },
    ], OPEN_PORT);
    expect(outcomes.dropped).toMatchObject({ ok: false, errorClass: 'timeout', phase: 'connect', portOpen: false });
    expect(outcomes.dropped!.timings.totalMs).toBeGreaterThanOrEqual(450);
    expect(outcomes.rejected).toMatchObject({ ok: false, errorClass: 'unreachable', phase: 'connect', code: 'EHOSTUNREACH' });
    expect(outcomes.open).toMatchObject({ ok: true, portOpen: true, banner: 'hello' });
    expect(outcomes.closed).toMatchObject({ ok: false, errorClass: 'refused' });
    // A silently dropped port counts as closed for expectClosed monitors.
    expect(outcomes['closed-expected']).toMatchObject({ ok: true, portOpen: false });
  });

  it('every retry of a blackholed connect ends at its own connect deadline', async () => {
    const outcomes = await probeInside([
      { id: 'dropped-retries', host: '127.0.0.1', port: DROP_PORT, timeoutMs: { connect: 400 }, retries: 2 },
    ]);
    expect(outcomes['dropped-retries']).toMatchObject({ ok: false, errorClass: 'timeout', phase: 'connect', attempts: 3 });
  });
});
