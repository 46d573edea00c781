// probeRound: the socket cap, DNS reuse, the round deadline, aborts, and no handles left behind.
import { describe, expect, it } from 'vitest';
import { createRoundResolver, probeRound, type LookupFunction } from '../../../functions/probe/engine';
import { testCert } from '../../support/certs';
import { bannerServer, closedPort, silentServer, startFixture, type FixtureServer } from '../../support/tcp-servers';
import { fixtureTracker, monitor } from './helpers';

const fixture = fixtureTracker();

function countingLookup(): LookupFunction & { calls: number } {
  const lookup = Object.assign(async () => {
    lookup.calls += 1;
    return [{ address: '127.0.0.1', family: 4 as const }];
  }, { calls: 0 });
  return lookup;
}

/** Handles that a probe could leak: sockets, TLS wraps, timers, DNS requests. */
function probeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    // Listening servers are left out: the test's own fixtures open and close them.
    if (/TCPSocketWrap|TLSWrap|Timeout|GetAddrInfo/.test(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

describe('probeRound', () => {
  it('500 monitors under a cap of 50 never hold more than 50 connections at the server, and each name resolves once', async () => {
    // Each connection is "in service" from accept until the server answers and closes, 15 ms later. That
    // window lies inside the probe's socket slot (accept follows connect; the answer precedes the probe's
    // close), so the server-side count cannot exceed the cap through event-ordering lag.
    let inService = 0;
    let peakInService = 0;
    const server = await fixture(startFixture((socket) => {
      inService += 1;
      peakInService = Math.max(peakInService, inService);
      const timer = setTimeout(() => {
        inService -= 1;
        socket.end('READY\r\n');
      }, 15);
      socket.on('close', () => clearTimeout(timer));
    }));
    const lookup = countingLookup();
    const names = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test'];
    const monitors = Array.from({ length: 500 }, (_, i) => ({
      ...monitor({ host: names[i % names.length]!, port: server.port, expect: 'READY', timeoutMs: 20_000 }),
      id: `m-${i}`,
    }));
    const outcomes = await probeRound(monitors, { maxSockets: 50, resolver: createRoundResolver({ lookup }) });
    expect(outcomes.size).toBe(500);
    const down = [...outcomes.values()].filter((o) => !o.ok);
    expect(down).toEqual([]);
    expect(server.accepted).toBe(500);
    expect(peakInService).toBeLessThanOrEqual(50);
    expect(peakInService).toBeGreaterThan(10);
    expect(lookup.calls).toBe(names.length);
  });

  it('the round deadline ends slow probes as timeouts', async () => {
    const server = await fixture(silentServer());
    const monitors = Array.from({ length: 20 }, (_, i) => ({ ...monitor({ port: server.port, expect: 'x', timeoutMs: 20_000 }), id: `slow-${i}` }));
    const startedAt = Date.now();
    const outcomes = await probeRound(monitors, { deadlineMs: 300, maxSockets: 5 });
    for (const outcome of outcomes.values()) {
      expect(outcome).toMatchObject({ ok: false, errorClass: 'timeout' });
    }
    const codes = new Set([...outcomes.values()].map((o) => (o.ok ? 'up' : o.code)));
    // The first five hold the sockets until the deadline; the rest never got one.
    expect(codes).toEqual(new Set(['ETIMEDOUT', 'ROUND_DEADLINE']));
    expect(Date.now() - startedAt).toBeLessThan(20_000);
  });

  it('an abort ends in-flight probes as timeout with code ABORTED', async () => {
    const server = await fixture(silentServer());
    const controller = new AbortController();
    const monitors = Array.from({ length: 4 }, (_, i) => ({ ...monitor({ port: server.port, expect: 'x', timeoutMs: 20_000, retries: 3 }), id: `abort-${i}` }));
    const round = probeRound(monitors, { signal: controller.signal });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (server.open === 4) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    controller.abort();
    const outcomes = await round;
    for (const outcome of outcomes.values()) expect(outcome).toMatchObject({ ok: false, errorClass: 'timeout', code: 'ABORTED', attempts: 1 });
  });

  it('leaves no sockets, TLS wraps or timers behind after a mixed round', async () => {
    const cert = testCert('valid');
    const banner = await fixture(bannerServer('SSH-2.0-test\r\n'));
    const silent = await fixture(silentServer());
    const tls = await fixture(startFixture((s) => s.write('hi\r\n'), { tls: { cert: cert.certPem, key: cert.keyPem } }));
    const refused = await closedPort();
    const before = probeHandles();
    const monitors = [
      { ...monitor({ port: banner.port, preset: 'ssh' }), id: 'ssh' },
      { ...monitor({ port: banner.port, preset: 'redis', retries: 0 }), id: 'wrong' },
      { ...monitor({ port: silent.port, expect: 'x', timeoutMs: { expect: 200 }, retries: 0 }), id: 'silent' },
      { ...monitor({ port: refused, retries: 1 }), id: 'refused' },
      { ...monitor({ host: 'localhost', port: tls.port, tls: true, expect: 'hi' }), id: 'tls' },
    ];
    const outcomes = await probeRound(monitors, { ca: cert.caPem });
    expect([...outcomes.entries()].map(([id, o]) => [id, o.ok])).toEqual([['ssh', true], ['wrong', false], ['silent', false], ['refused', false], ['tls', true]]);
    // The fixtures' server-side sockets close when they see the probe's FIN, a moment later.
    await Promise.all([banner.idle(), silent.idle(), tls.idle()]);
    // Per kind, no more than before the round (a timer left by an earlier test may have finished meanwhile).
    const after = probeHandles();
    for (const [kind, count] of Object.entries(after)) expect({ kind, count }).toEqual({ kind, count: Math.min(count, before[kind] ?? 0) });
  });
});
