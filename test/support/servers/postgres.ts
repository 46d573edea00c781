// Harness for a real PostgreSQL 15 (Debian postgresql-15) on a free loopback port, with or without SSL.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, requireBinary, startServer, type RunningServer } from './common';
import type { ServerTlsFiles } from './tls-files';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const PACKAGE = 'postgresql-15';

export interface PostgresOptions {
  /** Serve SSL with these files (ssl=on); without them the server answers SSLRequest with `N`. */
  tls?: ServerTlsFiles;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  } catch {
    throw new Error(`the 'postgres' system user is missing: install the Debian package '${PACKAGE}' (it creates the user)`);
  }
}

/** initdb into a fresh dir as the postgres user (postgres refuses to run as root), then start postgres. */
export async function startPostgres(options: PostgresOptions = {}): Promise<RunningServer> {
  requireBinary(join(BIN, 'initdb'), PACKAGE);
  const owner = await postgresUser();
  return startServer(async (port) => {
    const root = makeTempDir('postgres', owner);
    const data = join(root, 'data');
    const sockets = join(root, 'sock');
    try {
      await run('runuser', ['-u', 'postgres', '--', join(BIN, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions', '-E', 'UTF8'], {
        cwd: root,
        timeout: 120_000,
      });
      await run('runuser', ['-u', 'postgres', '--', 'mkdir', '-m', '0700', sockets], { cwd: root });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`initdb for the postgres harness failed: ${e.stderr || e.message}`);
    }
    const args = [
      '-D', data,
      '-k', sockets,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      // A throwaway cluster: durability off and small memory so several can run on a loaded CI box.
      '-c', 'fsync=off',
      '-c', 'full_page_writes=off',
      '-c', 'shared_buffers=8MB',
      '-c', 'max_connections=20',
      '-c', 'logging_collector=off',
    ];
    if (options.tls) {
      // postgres insists the key is owned by it (or root) and not group/world readable.
      const cert = join(root, 'server.crt');
      const key = join(root, 'server.key');
      copyFileSync(options.tls.certFile, cert);
      copyFileSync(options.tls.keyFile, key);
      for (const file of [cert, key]) chownSync(file, owner.uid, owner.gid);
      chmodSync(key, 0o600);
      args.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
    }
    if (!existsSync(data)) throw new Error(`initdb did not create ${data}`);
    return {
      name: options.tls ? 'postgres (ssl)' : 'postgres',
      command: join(BIN, 'postgres'),
      args,
      debianPackage: PACKAGE,
      port,
      uid: owner.uid,
      gid: owner.gid,
      cwd: root,
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      readiness: { kind: 'log', pattern: /database system is ready to accept connections/ },
      tempDirs: [root],
    };
  });
}
