// TLS directly on the port: verification against a test CA, SNI, expiry, verify:false, TlsInfo either way.
import { afterAll, describe, expect, it } from 'vitest';
import { probeMonitor } from '../../../functions/probe/engine';
import { testCert, type CertKind } from '../../support/certs';
import { bannerServer, startFixture, type FixtureServer } from '../../support/tcp-servers';
import { expectDown, expectUp, monitor } from './helpers';

const fixtures: FixtureServer[] = [];
afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const ca = testCert('valid').caPem;

/** A TLS server with a certificate of `kind` that greets with a line and records the SNI names it was sent. */
async function tlsServer(kind: CertKind, host = '127.0.0.1'): Promise<FixtureServer & { servernames: string[] }> {
  const cert = testCert(kind);
  const servernames: string[] = [];
  const server = await startFixture((socket) => {
    socket.write('hello over tls\r\n');
  }, {
    host,
    tls: {
      cert: cert.certPem,
      key: cert.keyPem,
      // Called only when the client sends SNI.
      SNICallback: (name, done) => {
        servernames.push(name);
        done(null, undefined);
      },
    },
  });
  fixtures.push(server);
  return Object.assign(server, { servernames });
}

describe('TLS', () => {
  it('a certificate from the test CA is up with every TlsInfo field, and SNI carries the host name', async () => {
    const server = await tlsServer('valid');
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port: server.port, tls: true, expect: 'hello' }), { ca }));
    expect(up.tls).toMatchObject({ authorized: true, subject: expect.stringContaining('CN=localhost'), issuer: expect.stringContaining('portquorum test CA') });
    expect(up.tls!.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(up.tls!.cipher).toBeTruthy();
    expect(up.tls!.sans).toEqual(expect.arrayContaining(['DNS:localhost', 'IP:127.0.0.1']));
    expect(up.tls!.daysLeft).toBeGreaterThanOrEqual(363);
    expect(new Date(up.tls!.notAfter).toISOString()).toBe(up.tls!.notAfter);
    expect(up.timings.tlsMs).toBeGreaterThanOrEqual(0);
    expect(up.banner).toBe('hello over tls');
    expect(server.servernames).toEqual(['localhost']);
  });

  it('an IP literal sends no SNI and verifies against the IP SANs', async () => {
    const server = await tlsServer('valid');
    const up = expectUp(await probeMonitor(monitor({ host: '127.0.0.1', port: server.port, tls: true, expect: 'hello' }), { ca }));
    expect(up.tls!.authorized).toBe(true);
    expect(server.servernames).toEqual([]);
  });

  it('works over IPv6 ::1', async () => {
    const server = await tlsServer('valid', '::1');
    const up = expectUp(await probeMonitor(monitor({ host: '::1', port: server.port, tls: true }), { ca }));
    expect(up.tls!.authorized).toBe(true);
  });

  it('a certificate expiring in 5 days is still up, with daysLeft ≈ 5', async () => {
    const server = await tlsServer('expiring');
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port: server.port, tls: true }), { ca }));
    expect(up.tls!.daysLeft).toBeGreaterThanOrEqual(4);
    expect(up.tls!.daysLeft).toBeLessThanOrEqual(5);
  });

  it('an expired certificate is down, class tls, code CERT_HAS_EXPIRED, with TlsInfo and without a retry', async () => {
    const server = await tlsServer('expired');
    const down = expectDown(await probeMonitor(monitor({ host: 'localhost', port: server.port, tls: true, retries: 2 }), { ca }));
    expect(down).toMatchObject({ errorClass: 'tls', phase: 'tls', code: 'CERT_HAS_EXPIRED', portOpen: true, attempts: 1 });
    expect(down.tls).toMatchObject({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' });
    expect(down.tls!.daysLeft).toBeLessThan(0);
    expect(down.message).toContain('renew');
  });

  it('an untrusted self-signed certificate is down by default', async () => {
    const server = await tlsServer('selfSigned');
    const down = expectDown(await probeMonitor(monitor({ host: 'localhost', port: server.port, tls: true }), { ca }));
    expect(down).toMatchObject({ errorClass: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(down.tls?.subject).toContain('self-signed');
  });

  it('verify:false accepts the untrusted self-signed certificate and still reports it', async () => {
    const server = await tlsServer('selfSigned');
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port: server.port, tls: { verify: false } })));
    expect(up.tls).toMatchObject({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('a servername the certificate does not cover is down with ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    const server = await tlsServer('valid');
    const down = expectDown(await probeMonitor(monitor({ host: '127.0.0.1', port: server.port, tls: { servername: 'other.test' } }), { ca }));
    expect(down).toMatchObject({ errorClass: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(server.servernames).toEqual(['other.test']);
  });

  it('TLS against a plaintext server is class tls', async () => {
    const server = await bannerServer('SSH-2.0-OpenSSH_9.2\r\n');
    fixtures.push(server);
    const down = expectDown(await probeMonitor(monitor({ port: server.port, tls: true, retries: 0 }), { ca }));
    expect(down).toMatchObject({ errorClass: 'tls', phase: 'tls', portOpen: true });
  });

  it('a TLS server that never finishes the handshake is a timeout in phase tls', async () => {
    const server = await startFixture(() => undefined);
    fixtures.push(server);
    const down = expectDown(await probeMonitor(monitor({ port: server.port, tls: true, retries: 0, timeoutMs: { tls: 300 } }), { ca }));
    expect(down).toMatchObject({ errorClass: 'timeout', phase: 'tls' });
  });
});
