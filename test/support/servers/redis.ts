// Harness for a real Redis (Debian redis-server) on a free loopback port, optionally with requirepass.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, startServer, type RunningServer } from './common';

export interface RedisOptions {
  /** Set requirepass: PING then answers `-NOAUTH Authentication required.` */
  password?: string;
}

export async function startRedis(options: RedisOptions = {}): Promise<RunningServer> {
  return startServer((port) => {
    const dir = makeTempDir('redis');
    const config = join(dir, 'redis.conf');
    writeFileSync(config, [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      'daemonize no',
      'supervised no',
      `dir ${dir}`,
      'logfile ""',
      // A throwaway server: no persistence, nothing written outside the temp dir.
      'save ""',
      'appendonly no',
      'databases 1',
      ...(options.password ? [`requirepass ${options.password}`] : []),
      '',
    ].join('\n'));
    return {
      name: options.password ? 'redis (requirepass)' : 'redis',
      command: '/usr/bin/redis-server',
      args: [config],
      debianPackage: 'redis-server',
      port,
      readiness: { kind: 'log', pattern: /Ready to accept connections/ },
      tempDirs: [dir],
    };
  });
}
