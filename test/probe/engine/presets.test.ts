// Each preset against an in-process fake that speaks the protocol, and against a server that speaks another.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { probeMonitor } from '../../../functions/probe/engine';
import type { PresetName } from '../../../functions/shared/domain';
import { testCert } from '../../support/certs';
import { bannerServer, lineServer, startFixture, type FixtureServer } from '../../support/tcp-servers';
import { expectDown, expectUp, monitor } from './helpers';

const cert = testCert('valid');
const ca = cert.caPem;
const starttls = { cert: cert.certPem, key: cert.keyPem };

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});
async function fixture<T extends FixtureServer>(started: Promise<T>): Promise<T> {
  const server = await started;
  closers.push(() => server.close());
  return server;
}

const SSH_BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n';
const SMTP_GREETING = '220 fake.test ESMTP portquorum-fake\r\n';

function smtpFake(offerStarttls = true) {
  let secure = false;
  return lineServer((line, session) => {
    const command = line.toUpperCase();
    if (command.startsWith('EHLO')) return `250-fake.test\r\n250-SIZE 1000\r\n${offerStarttls && !secure ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`;
    if (command === 'STARTTLS') {
      session.write('220 2.0.0 Ready to start TLS\r\n');
      session.startTls();
      secure = true;
      return undefined;
    }
    if (command === 'QUIT') return '221 bye\r\n';
    return '500 unknown\r\n';
  }, SMTP_GREETING, { starttls });
}

describe('ssh', () => {
  it('reads the banner and the server version', async () => {
    const server = await fixture(bannerServer(SSH_BANNER));
    const up = expectUp(await probeMonitor(monitor({ port: server.port, preset: 'ssh' })));
    expect(up).toMatchObject({ banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', serverVersion: 'OpenSSH_9.2p1' });
  });

  it('skips lines before the identification string', async () => {
    const server = await fixture(bannerServer('Welcome, authorised users only\r\nSSH-2.0-dropbear_2022.83\r\n'));
    expect(expectUp(await probeMonitor(monitor({ port: server.port, preset: 'ssh' }))).serverVersion).toBe('dropbear_2022.83');
  });

  it('an SSH-1.5 server is protocol', async () => {
    const server = await fixture(bannerServer('SSH-1.5-ancient\r\n'));
    expect(expectDown(await probeMonitor(monitor({ port: server.port, preset: 'ssh', retries: 0 })))).toMatchObject({ errorClass: 'protocol', received: 'SSH-1.5-ancient' });
  });
});

describe('smtp', () => {
  it('220 greeting and EHLO → 250', async () => {
    const server = await fixture(smtpFake());
    const up = expectUp(await probeMonitor(monitor({ port: server.port, preset: 'smtp' })));
    expect(up.banner).toBe('220 fake.test ESMTP portquorum-fake');
    expect(up.tls).toBeUndefined();
  });

  it('STARTTLS upgrades and reports the certificate', async () => {
    const server = await fixture(smtpFake());
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port: server.port, preset: 'smtp', starttls: 'smtp' }), { ca }));
    expect(up.tls).toMatchObject({ authorized: true, subject: expect.stringContaining('CN=localhost') });
    expect(up.timings.tlsMs).toBeGreaterThanOrEqual(0);
  });

  it('STARTTLS asked of a server that does not offer it is protocol', async () => {
    const server = await fixture(smtpFake(false));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, preset: 'smtp', starttls: 'smtp', retries: 0 }), { ca }));
    expect(down).toMatchObject({ errorClass: 'protocol' });
    expect(down.message).toContain('STARTTLS');
  });

  it('STARTTLS without a preset still runs the SMTP upgrade', async () => {
    const server = await fixture(smtpFake());
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port: server.port, starttls: 'smtp' }), { ca }));
    expect(up.tls?.authorized).toBe(true);
  });

  it('a 554 greeting is protocol', async () => {
    const server = await fixture(bannerServer('554 no service for you\r\n'));
    expect(expectDown(await probeMonitor(monitor({ port: server.port, preset: 'smtp', retries: 0 })))).toMatchObject({ errorClass: 'protocol', received: '554 no service for you' });
  });
});

describe('imap, pop3, ftp', () => {
  const imapFake = () => lineServer((line, session) => {
    if (line === 'a1 STARTTLS') {
      session.write('a1 OK Begin TLS negotiation now\r\n');
      session.startTls();
      return undefined;
    }
    if (line === 'a2 LOGOUT') return '* BYE\r\na2 OK LOGOUT completed\r\n';
    return undefined;
  }, '* OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready\r\n', { starttls });

  const pop3Fake = () => lineServer((line, session) => {
    if (line === 'STLS') {
      session.write('+OK Begin TLS negotiation\r\n');
      session.startTls();
      return undefined;
    }
    return line === 'QUIT' ? '+OK bye\r\n' : '-ERR\r\n';
  }, '+OK fake POP3 ready\r\n', { starttls });

  const ftpFake = () => lineServer((line, session) => {
    if (line === 'AUTH TLS') {
      session.write('234 AUTH TLS successful\r\n');
      session.startTls();
      return undefined;
    }
    return line === 'QUIT' ? '221 Goodbye.\r\n' : '500 ?\r\n';
  }, '220-Welcome to the fake\r\n220 fake FTP ready\r\n', { starttls });

  it.each([
    ['imap', imapFake, '* OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready'],
    ['pop3', pop3Fake, '+OK fake POP3 ready'],
    ['ftp', ftpFake, '220-Welcome to the fake'],
  ] as const)('%s: greeting, then STARTTLS with the certificate reported', async (preset, fake, banner) => {
    const server = await fixture(fake());
    expect(expectUp(await probeMonitor(monitor({ port: server.port, preset }))).banner).toBe(banner);
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port: server.port, preset, starttls: preset }), { ca }));
    expect(up.tls).toMatchObject({ authorized: true });
  });

  it('imap: a * BYE greeting is protocol', async () => {
    const server = await fixture(bannerServer('* BYE too many connections\r\n'));
    expect(expectDown(await probeMonitor(monitor({ port: server.port, preset: 'imap', retries: 0 })))).toMatchObject({ errorClass: 'protocol' });
  });

  it('ftp: AUTH TLS refused is protocol', async () => {
    const server = await fixture(lineServer(() => '530 TLS not available\r\n', '220 fake FTP\r\n'));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, preset: 'ftp', starttls: 'ftp', retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', received: '530 TLS not available' });
  });
});

describe('redis and memcached', () => {
  it.each([
    ['+PONG\r\n', true],
    ['-NOAUTH Authentication required.\r\n', true],
    ['-DENIED Redis is running in protected mode\r\n', true],
    ['-ERR unknown command `PING`\r\n', false],
    ['+OK\r\n', false],
  ])('redis answering %j → up %s', async (answer, up) => {
    const server = await fixture(lineServer((line) => (line === 'PING' ? answer : undefined)));
    const outcome = await probeMonitor(monitor({ port: server.port, preset: 'redis', retries: 0 }));
    expect(outcome.ok).toBe(up);
    if (!outcome.ok) expect(outcome).toMatchObject({ errorClass: 'protocol', received: answer.replace('\r\n', '') });
  });

  it('memcached: version → VERSION x', async () => {
    const server = await fixture(lineServer((line) => (line === 'version' ? 'VERSION 1.6.18\r\n' : 'ERROR\r\n')));
    expect(expectUp(await probeMonitor(monitor({ port: server.port, preset: 'memcached' })))).toMatchObject({ serverVersion: '1.6.18', banner: 'VERSION 1.6.18' });
  });
});

describe('postgres', () => {
  /** Answers an SSLRequest with `answer`, and completes TLS after 'S'. */
  const postgresFake = (answer: 'S' | 'N') => startFixture((socket) => {
    socket.once('data', (data: Buffer) => {
      if (data.length !== 8 || data.readUInt32BE(4) !== 80877103) return void socket.destroy();
      socket.write(answer);
      if (answer === 'S') {
        const secure = new TLSSocket(socket, { isServer: true, ...starttls });
        secure.on('error', () => undefined);
      }
    });
  });

  it("'S' without starttls is up; with starttls the handshake completes", async () => {
    const server = await fixture(postgresFake('S'));
    expect(expectUp(await probeMonitor(monitor({ port: server.port, preset: 'postgres' }))).tls).toBeUndefined();
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port: server.port, preset: 'postgres', starttls: 'postgres' }), { ca }));
    expect(up.tls).toMatchObject({ authorized: true });
  });

  it("'N' is up without starttls and protocol (STARTTLS_REFUSED) with it", async () => {
    const server = await fixture(postgresFake('N'));
    expectUp(await probeMonitor(monitor({ port: server.port, preset: 'postgres' })));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, preset: 'postgres', starttls: 'postgres', retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', code: 'STARTTLS_REFUSED', received: 'N' });
  });
});

describe('mysql', () => {
  function handshake(version: string): Buffer {
    const payload = Buffer.concat([Buffer.from([10]), Buffer.from(`${version}\0`), Buffer.from([1, 0, 0, 0]), Buffer.alloc(40, 0x61)]);
    const header = Buffer.alloc(4);
    header.writeUIntLE(payload.length, 0, 3);
    return Buffer.concat([header, payload]);
  }

  it('reads protocol 10 and the server version', async () => {
    const server = await fixture(bannerServer(handshake('8.0.36-debian')));
    expect(expectUp(await probeMonitor(monitor({ port: server.port, preset: 'mysql' })))).toMatchObject({ serverVersion: '8.0.36-debian' });
  });

  it('an error packet (too many connections) is protocol with the server message', async () => {
    const message = Buffer.from('#08004Too many connections');
    const payload = Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), message]);
    const header = Buffer.alloc(4);
    header.writeUIntLE(payload.length, 0, 3);
    const server = await fixture(bannerServer(Buffer.concat([header, payload])));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, preset: 'mysql', retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', code: 'SERVER_ERROR' });
    expect(down.message).toContain('1040');
    expect(down.message).toContain('Too many connections');
  });
});

describe('http', () => {
  const hosts: string[] = [];
  function handler(req: IncomingMessage, res: ServerResponse): void {
    hosts.push(req.headers.host ?? '');
    if (req.url === '/fail') return void res.writeHead(500, { Server: 'fake/1.0' }).end('broken');
    if (req.url === '/chunked') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first part, ');
      return void setTimeout(() => res.end('and the status: all healthy'), 5);
    }
    res.writeHead(200, { Server: 'fake/1.0', 'Content-Type': 'text/plain' }).end('status: all healthy');
  }
  async function listen(server: ReturnType<typeof createHttpServer>): Promise<number> {
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    closers.push(() => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    return (server.address() as AddressInfo).port;
  }

  it('200 with the body substring is up, with status and Server header', async () => {
    const port = await listen(createHttpServer(handler));
    const up = expectUp(await probeMonitor(monitor({ port, preset: 'http', http: { bodyContains: 'all healthy' } })));
    expect(up).toMatchObject({ portOpen: true, httpStatus: 200, serverVersion: 'fake/1.0', banner: 'HTTP/1.1 200 OK' });
    expect(hosts.at(-1)).toBe(`127.0.0.1:${port}`);
  });

  it('a 500 is down, class protocol, with portOpen true and the status kept apart', async () => {
    const port = await listen(createHttpServer(handler));
    const down = expectDown(await probeMonitor(monitor({ port, preset: 'http', http: { path: '/fail' }, retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', code: 'HTTP_STATUS', portOpen: true, httpStatus: 500, received: 'HTTP/1.1 500 Internal Server Error' });
  });

  it('a missing body substring is protocol with the body start as evidence', async () => {
    const port = await listen(createHttpServer(handler));
    const down = expectDown(await probeMonitor(monitor({ port, preset: 'http', http: { bodyContains: 'database ok' }, retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', code: 'HTTP_BODY', httpStatus: 200, received: 'status: all healthy' });
  });

  it('finds the substring in a chunked body, and honours a custom status range and Host header', async () => {
    const port = await listen(createHttpServer(handler));
    expectUp(await probeMonitor(monitor({ port, preset: 'http', http: { path: '/chunked', bodyContains: 'all healthy', hostHeader: 'status.test' } })));
    expect(hosts.at(-1)).toBe('status.test');
    expectUp(await probeMonitor(monitor({ port, preset: 'http', http: { path: '/fail', status: [500, 599] } })));
  });

  it('over TLS, with the certificate in the outcome', async () => {
    const port = await listen(createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler) as unknown as ReturnType<typeof createHttpServer>);
    const up = expectUp(await probeMonitor(monitor({ host: 'localhost', port, preset: 'http', tls: true, http: { bodyContains: 'healthy' } }), { ca }));
    expect(up).toMatchObject({ httpStatus: 200, tls: { authorized: true } });
    expect(hosts.at(-1)).toBe(`localhost:${port}`);
  });
});

describe('each preset against a server speaking something else', () => {
  const others: Array<[PresetName, string]> = [
    ['redis', SSH_BANNER], ['memcached', SSH_BANNER], ['smtp', SSH_BANNER], ['imap', SSH_BANNER], ['pop3', SSH_BANNER],
    ['ftp', SSH_BANNER], ['postgres', SSH_BANNER], ['mysql', SSH_BANNER], ['http', SSH_BANNER], ['ssh', SMTP_GREETING],
  ];
  it.each(others)('%s preset on a server greeting %j is protocol, decided before the deadline', async (preset, greeting) => {
    const server = await fixture(bannerServer(greeting));
    const down = expectDown(await probeMonitor(monitor({ port: server.port, preset, retries: 0, timeoutMs: { expect: 20_000, total: 20_000 } })));
    expect(down).toMatchObject({ errorClass: 'protocol', phase: 'expect', portOpen: true });
    expect(down.received).toBeTruthy();
    expect(down.timings.totalMs).toBeLessThan(20_000);
  });
});
