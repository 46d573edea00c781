// The probe engine against in-process loopback servers: classes, phases, bounded reads, retries, addresses.
import { describe, expect, it } from 'vitest';
import { createRoundResolver, probeMonitor, SocketSlots, type LookupFunction } from '../../../functions/probe/engine';
import {
  bannerServer, closedPort, endlessServer, lineServer, resetServer, silentServer, slowBannerServer, startFixture, type FixtureServer,
} from '../../support/tcp-servers';
import { expectDown, expectUp, monitor, fixtureTracker } from './helpers';

const fixture = fixtureTracker();

/** A lookup that answers from a fixed table (and counts calls), so no test depends on the machine's resolver. */
function tableLookup(table: Record<string, string[]>): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (host: string, family: 0 | 4 | 6) => {
    calls.push(`${host}|${family}`);
    const addresses = (table[host] ?? []).map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
    const wanted = addresses.filter((a) => family === 0 || a.family === family);
    if (!(host in table)) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return wanted;
  };
  return Object.assign(lookup, { calls });
}

describe('connect outcomes', () => {
  it('a closed port is refused in phase connect, and not retried within the round', async () => {
    const port = await closedPort();
    const down = expectDown(await probeMonitor(monitor({ port, retries: 3 })));
    expect(down).toMatchObject({ errorClass: 'refused', phase: 'connect', code: 'ECONNREFUSED', portOpen: false, attempts: 1, address: '127.0.0.1' });
    expect(down.message).toContain(`127.0.0.1:${port}`);
  });

  it('a silent server is up for a plain connect check', async () => {
    const server = await fixture(silentServer());
    const up = expectUp(await probeMonitor(monitor({ port: server.port })));
    expect(up).toMatchObject({ portOpen: true, attempts: 1 });
    expect(up.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(up.timings.totalMs).toBeGreaterThanOrEqual(up.timings.connectMs!);
  });

  it('a silent server is a timeout in phase expect when a banner is expected', async () => {
    const server = await fixture(silentServer());
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-', timeoutMs: { expect: 300 }, retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'timeout', phase: 'expect', portOpen: true, attempts: 1 });
  });

  it('an immediate reset is class reset', async () => {
    const server = await fixture(resetServer());
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'hello', retries: 0 })));
    expect(down.errorClass).toBe('reset');
    expect(['ECONNRESET', 'EOF']).toContain(down.code);
    expect(['connect', 'expect']).toContain(down.phase);
  });
});

describe('send and expect', () => {
  it('finds the expected banner and reports it with the first byte time', async () => {
    const server = await fixture(bannerServer('HELLO portquorum 1.0\r\nmore\r\n'));
    const up = expectUp(await probeMonitor(monitor({ port: server.port, expect: 'portquorum' })));
    expect(up.banner).toBe('HELLO portquorum 1.0');
    expect(up.timings.firstByteMs).toBeGreaterThanOrEqual(0);
  });

  it('a wrong banner is protocol with what was received, printable', async () => {
    const server = await fixture(bannerServer('220 mail.example ESMTP\r\n'));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-2.0-', expectWithinBytes: 24, retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', phase: 'expect', code: 'UNEXPECTED_REPLY', portOpen: true });
    expect(down.received).toBe('220 mail.example ESMTP\\r\\n');
  });

  it('a wrong answer on a connection held open is protocol quoting what came, not a timeout (issue 12, defect 8)', async () => {
    const server = await fixture(bannerServer('hello from a plain service\r\n'));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-2.0', timeoutMs: { expect: 300 } })));
    expect(down).toMatchObject({ errorClass: 'protocol', phase: 'expect', code: 'UNEXPECTED_REPLY', portOpen: true, attempts: 1 });
    expect(down.received).toBe('hello from a plain service\\r\\n');
    expect(down.message).toBe(`127.0.0.1:${server.port} answered "hello from a plain service\\r\\n" (28 bytes), but no reply containing 'SSH-2.0' within 300 ms`);
  });

  it('quotes a long wrong answer bounded and printable', async () => {
    const server = await fixture(bannerServer(Buffer.concat([Buffer.from('\x00\x01binary'), Buffer.alloc(1000, 0x41)])));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-2.0', timeoutMs: { expect: 300 } })));
    expect(down.errorClass).toBe('protocol');
    expect(down.message).toContain('"\\x00\\x01binaryAAA');
    expect(down.message).toContain('(1008 bytes)');
    expect(down.message.length).toBeLessThan(250);
  });

  it('a wrong banner followed by close is protocol, not reset', async () => {
    const server = await fixture(startFixture((s) => s.end('NOPE\r\n')));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-', retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', received: 'NOPE\\r\\n' });
  });

  it('a close without a word is reset with code EOF', async () => {
    const server = await fixture(startFixture((s) => s.end()));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-', retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'reset', code: 'EOF', phase: 'expect' });
  });

  it('sends a string and matches a regex in the reply', async () => {
    const server = await fixture(lineServer((line) => (line === 'PING' ? 'PONG v=42\r\n' : 'ERR\r\n')));
    const up = expectUp(await probeMonitor(monitor({ port: server.port, send: 'PING\r\n', expect: { regex: 'pong v=(\\d+)', flags: 'i' } })));
    expect(up.banner).toBe('PONG v=42');
  });

  it('sends and expects hex bytes', async () => {
    const server = await fixture(startFixture((s) => s.on('data', (d: Buffer) => {
      if (d[0] === 0xca) s.write(Buffer.from([0x00, 0xfe, 0xed, 0x01]));
    })));
    expectUp(await probeMonitor(monitor({ port: server.port, send: { hex: 'cafe' }, expect: { hex: 'feed' } })));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, send: { hex: 'cafe' }, expect: { hex: 'beef' }, timeoutMs: { expect: 300 }, retries: 0 })));
    expect(down.errorClass).toBe('protocol');
    expect(down.received).toBe('\\x00\\xfe\\xed\\x01');
  });

  it('a banner slower than the expect deadline is a timeout in phase expect', async () => {
    const server = await fixture(slowBannerServer('SSH-2.0-late\r\n', 10_000));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-', timeoutMs: { expect: 300 }, retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'timeout', phase: 'expect', code: 'ETIMEDOUT', portOpen: true });
  });

  it('an endless stream costs at most expectWithinBytes: the probe ends as protocol, not at the deadline', async () => {
    const server = await fixture(endlessServer());
    const down = expectDown(await probeMonitor(monitor({
      port: server.port, expect: 'NEVER-SENT', expectWithinBytes: 4096, timeoutMs: { expect: 30_000, total: 30_000 }, retries: 0,
    })));
    expect(down).toMatchObject({ errorClass: 'protocol', phase: 'expect', code: 'UNEXPECTED_REPLY' });
    expect(down.message).toContain('first 4096 bytes');
    // Ending on the byte budget rather than the 30 s deadline is the proof that reading stopped.
    expect(down.timings.totalMs).toBeLessThan(30_000);
    expect(down.received!.length).toBeLessThanOrEqual(121);
  });

  it('an endless stream that contains the expected bytes early is up', async () => {
    const server = await fixture(endlessServer());
    expectUp(await probeMonitor(monitor({ port: server.port, expect: 'AAAA', expectWithinBytes: 64 })));
  });
});

describe('addresses and families', () => {
  it('probes IPv6 ::1', async () => {
    const server = await fixture(bannerServer('v6 hello\r\n', { host: '::1' }));
    const up = expectUp(await probeMonitor(monitor({ host: '::1', port: server.port, expect: 'hello' })));
    expect(up.address).toBe('::1');
  });

  it('family ipv6 asks the resolver for IPv6 only', async () => {
    const server = await fixture(bannerServer('v6\r\n', { host: '::1' }));
    const lookup = tableLookup({ 'dual.test': ['127.0.0.1', '::1'] });
    const up = expectUp(await probeMonitor(monitor({ host: 'dual.test', port: server.port, family: 'ipv6' }), { resolver: createRoundResolver({ lookup }) }));
    expect(up.address).toBe('::1');
    expect(lookup.calls).toEqual(['dual.test|6']);
  });

  it('allAddresses: down when one family has no listener, naming the address', async () => {
    // The machine's /etc/hosts maps localhost to 127.0.0.1 only, so the resolver answer is injected.
    const server = await fixture(bannerServer('hi\r\n', { host: '127.0.0.1' }));
    const lookup = tableLookup({ localhost: ['127.0.0.1', '::1'] });
    const down = expectDown(await probeMonitor(monitor({ host: 'localhost', port: server.port, allAddresses: true, retries: 0 }), { resolver: createRoundResolver({ lookup }) }));
    expect(down).toMatchObject({ errorClass: 'refused', address: '::1' });
    expect(down.addresses).toEqual([
      expect.objectContaining({ address: '127.0.0.1', ok: true }),
      expect.objectContaining({ address: '::1', ok: false, errorClass: 'refused' }),
    ]);
    expect(down.message).toContain('1 of 2 addresses');
    expect(down.message).toContain('::1');
  });

  it('allAddresses: up when every address answers', async () => {
    const lookup: LookupFunction = async () => [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    // The same port on 127.0.0.1 and [::1]: a free IPv4 port is almost always free on ::1 too; try a few, else fail.
    let pair: { v4: FixtureServer; twin: FixtureServer } | undefined;
    for (let attempt = 0; attempt < 10 && !pair; attempt += 1) {
      const v4 = await bannerServer('hi\r\n', { host: '127.0.0.1' });
      const twin = await new Promise<FixtureServer | undefined>((resolve) => {
        import('node:net').then(({ createServer }) => {
          const s = createServer((c) => c.write('hi\r\n'));
          s.once('error', () => resolve(undefined));
          s.listen({ host: '::1', port: v4.port }, () => resolve({ host: '::1', port: v4.port, open: 0, peak: 0, accepted: 0, idle: async () => undefined, close: () => new Promise((r) => s.close(() => r())) }));
        });
      });
      if (twin) pair = { v4, twin };
      else await v4.close();
    }
    if (!pair) throw new Error('no port was free on both 127.0.0.1 and [::1] in 10 tries');
    const { v4, twin } = pair;
    const port = v4.port;
    await fixture(Promise.resolve(v4));
    await fixture(Promise.resolve(twin));
    const up = expectUp(await probeMonitor(monitor({ host: 'both.test', port, allAddresses: true, expect: 'hi' }), { resolver: createRoundResolver({ lookup }) }));
    expect(up.addresses?.map((a) => [a.address, a.ok])).toEqual([['127.0.0.1', true], ['::1', true]]);
  });

  it('a retry rotates to the next resolved address', async () => {
    const server = await fixture(bannerServer('hi\r\n', { host: '127.0.0.1' }));
    const lookup = tableLookup({ 'rotate.test': ['::1', '127.0.0.1'] });
    const up = expectUp(await probeMonitor(monitor({ host: 'rotate.test', port: server.port, retries: 1 }), { resolver: createRoundResolver({ lookup }) }));
    expect(up).toMatchObject({ address: '127.0.0.1', attempts: 2 });
  });
});

describe('DNS failures', () => {
  it('NXDOMAIN is class dns and not retried', async () => {
    const lookup = tableLookup({});
    const down = expectDown(await probeMonitor(monitor({ host: 'nowhere.test', port: 1, retries: 3 }), { resolver: createRoundResolver({ lookup }) }));
    expect(down).toMatchObject({ errorClass: 'dns', phase: 'dns', code: 'ENOTFOUND', attempts: 1, portOpen: false });
    expect(down.message).toContain('nowhere.test');
    expect(lookup.calls).toHaveLength(1);
  });

  it('a transient failure (EAI_AGAIN) is retried and asked again', async () => {
    let calls = 0;
    const lookup: LookupFunction = async () => {
      calls += 1;
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    const down = expectDown(await probeMonitor(monitor({ host: 'flaky.test', port: 1, retries: 2 }), { resolver: createRoundResolver({ lookup }) }));
    expect(down).toMatchObject({ errorClass: 'dns', code: 'EAI_AGAIN', attempts: 3 });
    expect(calls).toBe(3);
  });

  it('a resolver that never answers is a timeout in phase dns', async () => {
    const lookup: LookupFunction = () => new Promise(() => undefined);
    const down = expectDown(await probeMonitor(monitor({ host: 'slow.test', port: 1, retries: 0, timeoutMs: { dns: 200 } }), { resolver: createRoundResolver({ lookup }) }));
    expect(down).toMatchObject({ errorClass: 'timeout', phase: 'dns' });
  });
});

describe('expectClosed', () => {
  it('a refused port is up with portOpen false', async () => {
    const port = await closedPort();
    const up = expectUp(await probeMonitor(monitor({ port, expectClosed: true })));
    expect(up).toMatchObject({ portOpen: false, attempts: 1 });
  });

  it('an open port is down, class protocol, code EXPECTED_CLOSED', async () => {
    const server = await fixture(silentServer());
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expectClosed: true, retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', code: 'EXPECTED_CLOSED', portOpen: true, phase: 'connect' });
  });
});

describe('retries', () => {
  it('records every attempt of a monitor failing in a way a retry may change (a reset)', async () => {
    const server = await fixture(resetServer());
    expect((await probeMonitor(monitor({ port: server.port, expect: 'hi', retries: 0 }))).attempts).toBe(1);
    expect((await probeMonitor(monitor({ port: server.port, expect: 'hi', retries: 3 }))).attempts).toBe(4);
  });

  it('retries a timeout with nothing received', async () => {
    const server = await fixture(silentServer());
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'hi', timeoutMs: { expect: 200 }, retries: 1 })));
    expect(down).toMatchObject({ errorClass: 'timeout', phase: 'expect', attempts: 2 });
  });

  it('does not retry a wrong answer (issue 12, defect 8)', async () => {
    const server = await fixture(bannerServer('hello from a plain service\r\n'));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, expect: 'SSH-2.0', timeoutMs: { expect: 300 }, retries: 3 })));
    expect(down).toMatchObject({ errorClass: 'protocol', phase: 'expect', code: 'UNEXPECTED_REPLY', portOpen: true, attempts: 1 });
    expect(server.accepted).toBe(1);
  });

  it('is up on the second attempt when the first is reset', async () => {
    let connections = 0;
    const server = await fixture(startFixture((s) => {
      connections += 1;
      if (connections === 1) s.resetAndDestroy();
      else s.write('READY\r\n');
    }));
    const up = expectUp(await probeMonitor(monitor({ port: server.port, expect: 'READY', retries: 2 })));
    expect(up.attempts).toBe(2);
  });

  it('stops retrying when the deadline leaves no room for the backoff', async () => {
    const server = await fixture(resetServer());
    const outcome = await probeMonitor(monitor({ port: server.port, expect: 'hi', retries: 5 }), { deadlineAt: Date.now() + 120 });
    expect(outcome.attempts).toBeLessThan(6);
  });
});

describe('link-local guard', () => {
  // A slot held by the test means an attempt that got past the guard could not open a socket: it would
  // end as ROUND_DEADLINE instead, so no packet ever leaves for a link-local address even if the guard broke.
  function heldSlots(): SocketSlots {
    const slots = new SocketSlots(1);
    void slots.acquire();
    return slots;
  }

  it('refuses an instance-metadata literal unless allowLinkLocal', async () => {
    // The validator already rejects this literal; the engine guards again for configs that bypass it.
    const bypassed = { ...monitor({ port: 80 }), host: '169.254.169.254' };
    const down = expectDown(await probeMonitor(bypassed, { slots: heldSlots(), deadlineAt: Date.now() + 2000 }));
    expect(down).toMatchObject({ errorClass: 'unreachable', code: 'BLOCKED_LINK_LOCAL', portOpen: false });
    expect(down.message).toContain('allowLinkLocal');
  });

  it('refuses a name that resolves to a link-local address', async () => {
    const lookup = tableLookup({ 'sneaky.test': ['fe80::1', 'fd00:ec2::254'] });
    const down = expectDown(await probeMonitor(monitor({ host: 'sneaky.test', port: 80 }), { resolver: createRoundResolver({ lookup }), slots: heldSlots(), deadlineAt: Date.now() + 2000 }));
    expect(down).toMatchObject({ code: 'BLOCKED_LINK_LOCAL' });
    expect(down.message).toContain("resolved from 'sneaky.test'");
  });

  it('lets allowLinkLocal through to the connect (stopped here by the held socket slot)', async () => {
    const down = expectDown(await probeMonitor(monitor({ host: '169.254.169.254', port: 80, allowLinkLocal: true, retries: 0 }), { slots: heldSlots(), deadlineAt: Date.now() + 200 }));
    expect(down.code).toBe('ROUND_DEADLINE');
  });
});
