// Harness for a real memcached (Debian memcached) on a free loopback port, TCP only.
import { startServer, type RunningServer } from './common';

export async function startMemcached(): Promise<RunningServer> {
  return startServer((port) => ({
    name: 'memcached',
    command: '/usr/bin/memcached',
    // -U 0: no UDP listener; -u root: memcached refuses to run as root without naming the user.
    args: ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-u', 'root', '-m', '16', '-c', '256'],
    debianPackage: 'memcached',
    port,
    readiness: { kind: 'tcp' },
  }));
}
