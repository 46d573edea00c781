// Harness for a real vsftpd (Debian vsftpd) with AUTH TLS on a free loopback port.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, startServer, type RunningServer } from './common';
import type { ServerTlsFiles } from './tls-files';

export async function startVsftpd(tls: ServerTlsFiles): Promise<RunningServer> {
  // vsftpd refuses to start without its (empty, root-owned) chroot dir; Debian's package creates it, a tmpfs /run may not keep it.
  mkdirSync('/var/run/vsftpd/empty', { recursive: true, mode: 0o755 });
  return startServer((port) => {
    const dir = makeTempDir('vsftpd');
    const config = join(dir, 'vsftpd.conf');
    // vsftpd insists the config file is owned by root and not writable by others.
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    copyFileSync(tls.certFile, cert);
    copyFileSync(tls.keyFile, key);
    chmodSync(key, 0o600);
    writeFileSync(config, [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=NO',
      // vsftpd refuses to start with no way to log in; local users are enabled but nobody logs in.
      'local_enable=YES',
      'write_enable=NO',
      'ftpd_banner=portquorum-test FTP',
      'ssl_enable=YES',
      `rsa_cert_file=${cert}`,
      `rsa_private_key_file=${key}`,
      'allow_anon_ssl=NO',
      'force_local_logins_ssl=NO',
      'require_ssl_reuse=NO',
      'ssl_tlsv1=NO',
      'ssl_sslv2=NO',
      'ssl_sslv3=NO',
      'secure_chroot_dir=/var/run/vsftpd/empty',
      // A container's seccomp profile or kernel may reject vsftpd's own sandbox; we do not test it.
      'seccomp_sandbox=NO',
      'xferlog_enable=NO',
      `vsftpd_log_file=${join(dir, 'vsftpd.log')}`,
      '',
    ].join('\n'));
    chmodSync(config, 0o600);
    return {
      name: 'vsftpd (auth tls)',
      command: '/usr/sbin/vsftpd',
      args: [config],
      debianPackage: 'vsftpd',
      port,
      readiness: { kind: 'tcp' },
      tempDirs: [dir],
    };
  });
}
