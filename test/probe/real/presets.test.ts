// Every protocol preset against the real Debian server it is for, and against a wrong real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeServerTlsFiles, startDovecot, startMemcached, startNginx, startPostgres, startRedis, startSmtp, startSshd, startVsftpd,
  type DovecotServer, type NginxServer, type RunningServer, type ServerTlsFiles,
} from '../../support/servers';
import { expectDown, expectUp, probe } from './probe';

let tls: ServerTlsFiles;
const s = {} as {
  postgres: RunningServer; postgresSsl: RunningServer; redis: RunningServer; redisAuth: RunningServer; sshd: RunningServer;
  memcached: RunningServer; smtp: RunningServer; nginx: NginxServer; dovecot: DovecotServer; vsftpd: RunningServer;
  nginxExpiring: NginxServer; nginxExpired: NginxServer;
};
const started: RunningServer[] = [];

beforeAll(async () => {
  tls = await makeServerTlsFiles();
  const [expiring, expired] = [await makeServerTlsFiles('expiring'), await makeServerTlsFiles('expired')];
  const starts = {
    nginxExpiring: startNginx(expiring), nginxExpired: startNginx(expired),
    postgres: startPostgres(), postgresSsl: startPostgres({ tls }), redis: startRedis(), redisAuth: startRedis({ password: 'not-for-probes' }),
    sshd: startSshd(), memcached: startMemcached(), smtp: startSmtp(tls), nginx: startNginx(tls), dovecot: startDovecot(tls), vsftpd: startVsftpd(tls),
  };
  // Start in parallel; register every server that did start before reporting any failure, so afterAll stops it.
  const results = await Promise.allSettled(Object.entries(starts).map(async ([name, p]) => [name, await p] as const));
  const failures: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') {
      (s as Record<string, RunningServer>)[r.value[0]] = r.value[1];
      started.push(r.value[1]);
    } else failures.push(String(r.reason instanceof Error ? r.reason.message : r.reason));
  }
  if (failures.length) throw new Error(`real servers failed to start:\n${failures.join('\n\n')}`);
});

afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
  tls?.remove();
});

describe('postgres', () => {
  it('answers N to SSLRequest when SSL is off', async () => {
    const up = expectUp(await probe({ port: s.postgres.port, preset: 'postgres' }));
    expect(up.banner).toMatch(/SSLRequest: N/);
    expect(up.tls).toBeUndefined();
  });

  it('answers S to SSLRequest when SSL is on', async () => {
    const up = expectUp(await probe({ port: s.postgresSsl.port, preset: 'postgres' }));
    expect(up.banner).toMatch(/SSLRequest: S/);
  });

  it('completes STARTTLS and reports the certificate, verified against the test CA', async () => {
    const up = expectUp(await probe({ port: s.postgresSsl.port, preset: 'postgres', starttls: 'postgres' }, tls.caPem));
    expect(up.tls).toMatchObject({ authorized: true, subject: expect.stringContaining('CN=localhost'), issuer: expect.stringContaining('CN=portquorum test CA') });
    expect(up.tls!.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(up.tls!.sans).toEqual(expect.arrayContaining(['DNS:localhost', 'IP:127.0.0.1']));
    // certs.ts issues the `valid` leaf for 365 days from now.
    expect(up.tls!.daysLeft).toBeGreaterThanOrEqual(363);
    expect(up.tls!.daysLeft).toBeLessThanOrEqual(365);
  });

  it('is down (tls, unauthorized) with STARTTLS when the CA is not trusted', async () => {
    const down = expectDown(await probe({ port: s.postgresSsl.port, preset: 'postgres', starttls: 'postgres' }), 'tls');
    expect(down.portOpen).toBe(true);
    expect(down.tls).toMatchObject({ authorized: false });
  });

  it('is down (protocol) with STARTTLS when the server has SSL off', async () => {
    const down = expectDown(await probe({ port: s.postgres.port, preset: 'postgres', starttls: 'postgres' }), 'protocol');
    expect(down.received).toBe('N');
    expect(down.portOpen).toBe(true);
  });

  it('is down (protocol) against sshd: the S of "SSH-2.0" is not a TLS offer', async () => {
    const down = expectDown(await probe({ port: s.sshd.port, preset: 'postgres' }), 'protocol');
    expect(down.received).toMatch(/^SSH-2\.0/);
  });

  it('is down (protocol) against the SMTP server', async () => {
    const down = expectDown(await probe({ port: s.smtp.port, preset: 'postgres' }), 'protocol');
    expect(down.received).toMatch(/^2/);
    expect(down.portOpen).toBe(true);
  });
});

describe('redis', () => {
  it('gets PONG', async () => {
    const up = expectUp(await probe({ port: s.redis.port, preset: 'redis' }));
    expect(up.banner).toBe('+PONG');
  });

  it('is up when the server requires a password (NOAUTH still proves Redis answers)', async () => {
    const up = expectUp(await probe({ port: s.redisAuth.port, preset: 'redis' }));
    expect(up.banner).toMatch(/^-NOAUTH/);
  });

  it('is down (protocol) against sshd, with what sshd sent', async () => {
    const down = expectDown(await probe({ port: s.sshd.port, preset: 'redis' }), 'protocol');
    expect(down.received).toMatch(/SSH-2\.0-OpenSSH/);
    expect(down.portOpen).toBe(true);
  });
});

describe('ssh', () => {
  it('reads the banner and the server version', async () => {
    const up = expectUp(await probe({ port: s.sshd.port, preset: 'ssh' }));
    expect(up.banner).toMatch(/^SSH-2\.0-OpenSSH_/);
    expect(up.serverVersion).toMatch(/^OpenSSH_\d/);
  });

  it('is down (protocol) against the SMTP server, with its greeting', async () => {
    const down = expectDown(await probe({ port: s.smtp.port, preset: 'ssh' }), 'protocol');
    expect(down.received).toMatch(/^220 /);
    expect(down.portOpen).toBe(true);
  });
});

describe('memcached', () => {
  it('reads the version', async () => {
    const up = expectUp(await probe({ port: s.memcached.port, preset: 'memcached' }));
    expect(up.serverVersion).toMatch(/^1\.\d+\.\d+/);
  });

  it('is down (protocol) against redis', async () => {
    const down = expectDown(await probe({ port: s.redis.port, preset: 'memcached' }), 'protocol');
    expect(down.received).toMatch(/^-ERR/);
  });
});

describe('smtp', () => {
  it('greets and answers EHLO without STARTTLS', async () => {
    const up = expectUp(await probe({ port: s.smtp.port, preset: 'smtp' }));
    expect(up.banner).toMatch(/^220 /);
    expect(up.tls).toBeUndefined();
  });

  it('upgrades with STARTTLS and reports the certificate', async () => {
    const up = expectUp(await probe({ port: s.smtp.port, preset: 'smtp', starttls: 'smtp' }, tls.caPem));
    expect(up.tls).toMatchObject({ authorized: true, subject: expect.stringContaining('CN=localhost'), issuer: expect.stringContaining('CN=portquorum test CA') });
  });

  it('is down (protocol) against sshd', async () => {
    const down = expectDown(await probe({ port: s.sshd.port, preset: 'smtp' }), 'protocol');
    expect(down.received).toMatch(/SSH-2\.0/);
  });
});

describe('nginx with TLS', () => {
  it('is up over TLS with certificate details when the test CA is trusted', async () => {
    const up = expectUp(await probe({ port: s.nginx.port, tls: true }, tls.caPem));
    expect(up.portOpen).toBe(true);
    expect(up.tls).toMatchObject({ authorized: true, subject: expect.stringContaining('CN=localhost'), issuer: expect.stringContaining('CN=portquorum test CA') });
    expect(up.tls!.sans).toEqual(expect.arrayContaining(['DNS:localhost', 'IP:127.0.0.1']));
    expect(Date.parse(up.tls!.notAfter)).toBeGreaterThan(Date.now());
  });

  it('verifies the host name too: SNI localhost is accepted', async () => {
    expectUp(await probe({ port: s.nginx.port, tls: { servername: 'localhost' } }, tls.caPem));
  });

  it('is down (tls) when the CA is not trusted, with the certificate still reported', async () => {
    const down = expectDown(await probe({ port: s.nginx.port, tls: true }), 'tls');
    expect(down.phase).toBe('tls');
    expect(down.tls).toMatchObject({ authorized: false, subject: expect.stringContaining('CN=localhost') });
  });

  it('is up with a certificate expiring in about 5 days, and says how many days are left', async () => {
    const up = expectUp(await probe({ port: s.nginxExpiring.port, tls: true }, tls.caPem));
    expect(up.tls).toMatchObject({ authorized: true });
    expect(up.tls!.daysLeft).toBeGreaterThanOrEqual(4);
    expect(up.tls!.daysLeft).toBeLessThanOrEqual(5);
  });

  it('is down (tls) with an expired certificate, with negative days left', async () => {
    const down = expectDown(await probe({ port: s.nginxExpired.port, tls: true }, tls.caPem), 'tls');
    expect(down.code).toMatch(/EXPIRED/);
    expect(down.tls!.daysLeft).toBeLessThan(0);
  });

  it('is up with verify off and no CA', async () => {
    const up = expectUp(await probe({ port: s.nginx.port, tls: { verify: false } }));
    expect(up.tls).toMatchObject({ authorized: false });
  });

  it('is down (tls) when TLS is spoken to a plain port that talks first (sshd)', async () => {
    const down = expectDown(await probe({ port: s.sshd.port, tls: true }, tls.caPem), 'tls');
    expect(down.phase).toBe('tls');
    expect(down.portOpen).toBe(true);
  });

  it('http preset: 200 over TLS is up, with status and server version', async () => {
    const up = expectUp(await probe({ port: s.nginx.port, tls: true, preset: 'http' }, tls.caPem));
    expect(up.httpStatus).toBe(200);
    expect(up.serverVersion).toMatch(/^nginx/);
  });

  it('http preset: body check passes on "ok"', async () => {
    expectUp(await probe({ port: s.nginx.port, tls: true, preset: 'http', http: { bodyContains: 'ok' } }, tls.caPem));
  });

  it('http preset: /fail (500) is down as protocol with the port open', async () => {
    const down = expectDown(await probe({ port: s.nginx.port, tls: true, preset: 'http', http: { path: '/fail' } }, tls.caPem), 'protocol');
    expect(down.portOpen).toBe(true);
    expect(down.httpStatus).toBe(500);
  });

  it('http preset over plain TCP: 200 up, /fail down', async () => {
    expect(expectUp(await probe({ port: s.nginx.plainPort, preset: 'http' })).httpStatus).toBe(200);
    expect(expectDown(await probe({ port: s.nginx.plainPort, preset: 'http', http: { path: '/fail' } }), 'protocol').httpStatus).toBe(500);
  });

  it('http preset is down (protocol) against the SMTP server', async () => {
    const down = expectDown(await probe({ port: s.smtp.port, preset: 'http' }), 'protocol');
    expect(down.received).toMatch(/^220 /);
    expect(down.portOpen).toBe(true);
  });
});

describe('imap and pop3 (dovecot)', () => {
  it('imap: greeting, then STARTTLS with certificate details', async () => {
    expect(expectUp(await probe({ port: s.dovecot.port, preset: 'imap' })).banner).toMatch(/^\* OK/);
    const up = expectUp(await probe({ port: s.dovecot.port, preset: 'imap', starttls: 'imap' }, tls.caPem));
    expect(up.tls).toMatchObject({ authorized: true, issuer: expect.stringContaining('CN=portquorum test CA') });
  });

  it('pop3: greeting, then STLS with certificate details', async () => {
    expect(expectUp(await probe({ port: s.dovecot.pop3Port, preset: 'pop3' })).banner).toMatch(/^\+OK/);
    const up = expectUp(await probe({ port: s.dovecot.pop3Port, preset: 'pop3', starttls: 'pop3' }, tls.caPem));
    expect(up.tls).toMatchObject({ authorized: true, issuer: expect.stringContaining('CN=portquorum test CA') });
  });

  it('imap is down (protocol) against the POP3 port, pop3 against the IMAP port', async () => {
    expect(expectDown(await probe({ port: s.dovecot.pop3Port, preset: 'imap' }), 'protocol').received).toMatch(/^\+OK/);
    expect(expectDown(await probe({ port: s.dovecot.port, preset: 'pop3' }), 'protocol').received).toMatch(/^\* OK/);
  });
});

describe('ftp (vsftpd)', () => {
  it('greeting, then AUTH TLS with certificate details', async () => {
    expect(expectUp(await probe({ port: s.vsftpd.port, preset: 'ftp' })).banner).toMatch(/^220 /);
    const up = expectUp(await probe({ port: s.vsftpd.port, preset: 'ftp', starttls: 'ftp' }, tls.caPem));
    expect(up.tls).toMatchObject({ authorized: true, issuer: expect.stringContaining('CN=portquorum test CA') });
  });

  it('is down (protocol) against the POP3 port', async () => {
    expect(expectDown(await probe({ port: s.dovecot.pop3Port, preset: 'ftp' }), 'protocol').received).toMatch(/^\+OK/);
  });

  it('AUTH TLS against the SMTP server is down (protocol): 220 greets, but AUTH TLS is not answered 234', async () => {
    const down = expectDown(await probe({ port: s.smtp.port, preset: 'ftp', starttls: 'ftp' }, tls.caPem), 'protocol');
    expect(down.portOpen).toBe(true);
  });
});
