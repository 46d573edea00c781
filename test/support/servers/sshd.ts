// Harness for a real OpenSSH server (Debian openssh-server) on a free loopback port with its own host key.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, requireBinary, startServer, type RunningServer } from './common';

const run = promisify(execFile);

export async function startSshd(): Promise<RunningServer> {
  requireBinary('/usr/bin/ssh-keygen', 'openssh-client');
  // sshd checks for its privilege-separation dir at start; Debian creates it only when the service runs.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  return startServer(async (port) => {
    const dir = makeTempDir('sshd');
    const hostKey = join(dir, 'ssh_host_ed25519_key');
    await run('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'portquorum-test', '-f', hostKey], { timeout: 30_000 });
    const config = join(dir, 'sshd_config');
    writeFileSync(config, [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      // Nobody logs in: the tests only read the banner.
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication no',
      'PermitRootLogin no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel INFO',
      '',
    ].join('\n'));
    return {
      name: 'sshd',
      command: '/usr/sbin/sshd',
      // -D: foreground; -e: log to stderr so readiness and failures are visible.
      args: ['-D', '-e', '-f', config],
      debianPackage: 'openssh-server',
      port,
      readiness: { kind: 'log', pattern: /Server listening on 127\.0\.0\.1 port/ },
      tempDirs: [dir],
    };
  });
}
