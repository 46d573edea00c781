// Harness for a real nginx (Debian nginx-light) serving TLS (and plain HTTP) on free loopback ports.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, makeTempDir, startServer, type RunningServer } from './common';
import type { ServerTlsFiles } from './tls-files';

export interface NginxServer extends RunningServer {
  /** `port` speaks TLS; this one plain HTTP with the same locations. */
  plainPort: number;
}

/** Locations on both listeners: `/` → 200 "ok", `/fail` → 500 "fail". */
export async function startNginx(tls: ServerTlsFiles): Promise<NginxServer> {
  let plainPort = 0;
  const server = await startServer(async (port) => {
    plainPort = await freePort();
    const dir = makeTempDir('nginx', undefined, 0o755);
    const config = join(dir, 'nginx.conf');
    const locations = [
      '    location = /fail { default_type text/plain; return 500 "fail\\n"; }',
      '    location / { default_type text/plain; return 200 "ok\\n"; }',
    ];
    writeFileSync(config, [
      `pid ${join(dir, 'nginx.pid')};`,
      'error_log stderr notice;',
      'worker_processes 1;',
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      `  client_body_temp_path ${join(dir, 'body')};`,
      '  server_tokens on;',
      '  server {',
      `    listen 127.0.0.1:${port} ssl;`,
      '    server_name localhost;',
      `    ssl_certificate ${tls.certFile};`,
      `    ssl_certificate_key ${tls.keyFile};`,
      ...locations,
      '  }',
      '  server {',
      `    listen 127.0.0.1:${plainPort};`,
      '    server_name localhost;',
      ...locations,
      '  }',
      '}',
      '',
    ].join('\n'));
    return {
      name: 'nginx (tls)',
      command: '/usr/sbin/nginx',
      // -e stderr: startup errors reach the harness's error message, never /var/log/nginx.
      args: ['-p', dir, '-c', config, '-e', 'stderr', '-g', 'daemon off; master_process on;'],
      debianPackage: 'nginx-light',
      port,
      readiness: { kind: 'tcp' },
      tempDirs: [dir],
    };
  });
  return { ...server, plainPort };
}
