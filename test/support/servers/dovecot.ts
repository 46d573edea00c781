// Harness for a real Dovecot (Debian dovecot-imapd/-pop3d) serving IMAP and POP3 with STARTTLS on free loopback ports.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, makeTempDir, startServer, type RunningServer } from './common';
import type { ServerTlsFiles } from './tls-files';

export interface DovecotServer extends RunningServer {
  /** `port` is IMAP (143-style, STARTTLS); this is POP3 (110-style, STLS). */
  pop3Port: number;
}

export async function startDovecot(tls: ServerTlsFiles): Promise<DovecotServer> {
  let pop3Port = 0;
  const server = await startServer(async (imapPort) => {
    pop3Port = await freePort();
    // Login processes run as dovenull and must reach base_dir: world-traversable.
    const dir = makeTempDir('dovecot', undefined, 0o755);
    const config = join(dir, 'dovecot.conf');
    writeFileSync(config, [
      'protocols = imap pop3',
      'listen = 127.0.0.1',
      `base_dir = ${join(dir, 'run')}`,
      `state_dir = ${join(dir, 'state')}`,
      `instance_name = portquorum-${imapPort}`,
      'log_path = /dev/stderr',
      'info_log_path = /dev/stderr',
      'ssl = yes',
      `ssl_cert = <${tls.certFile}`,
      `ssl_key = <${tls.keyFile}`,
      // Nobody logs in: the probes read the greeting and upgrade with STARTTLS.
      'disable_plaintext_auth = yes',
      'auth_mechanisms = plain',
      'passdb {',
      '  driver = static',
      '  args = nopassword=n password=never-used',
      '}',
      'userdb {',
      '  driver = static',
      `  args = uid=nobody gid=nogroup home=${join(dir, 'home')}`,
      '}',
      `mail_location = maildir:${join(dir, 'mail')}`,
      'service imap-login {',
      '  inet_listener imap {',
      '    address = 127.0.0.1',
      `    port = ${imapPort}`,
      '  }',
      '  inet_listener imaps {',
      '    port = 0',
      '  }',
      '}',
      'service pop3-login {',
      '  inet_listener pop3 {',
      '    address = 127.0.0.1',
      `    port = ${pop3Port}`,
      '  }',
      '  inet_listener pop3s {',
      '    port = 0',
      '  }',
      '}',
      // Debian's login services chroot into base_dir/login; that works as root, but keep it simple and explicit.
      'service anvil {',
      '  chroot =',
      '}',
      '',
    ].join('\n'));
    chmodSync(config, 0o644);
    return {
      name: 'dovecot (imap+pop3, starttls)',
      command: '/usr/sbin/dovecot',
      args: ['-F', '-c', config],
      debianPackage: 'dovecot-imapd',
      port: imapPort,
      readiness: { kind: 'tcp' },
      tempDirs: [dir],
    };
  });
  return { ...server, pop3Port };
}
