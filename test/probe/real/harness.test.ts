// The real-server harness itself: stop() leaves nothing behind, failures name the package or show the output.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNginx, startRedis, makeServerTlsFiles, type RunningServer } from '../../support/servers';
import { freePort, startProcess } from '../../support/servers/common';

const started: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

/** Pids of live (not zombie) processes in a process group. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

function isAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

describe('real-server harness', () => {
  it('stop() ends the whole process group (nginx master and worker) and removes the temp dir', async () => {
    const tls = await makeServerTlsFiles();
    try {
      const nginx = await startNginx(tls);
      started.push(nginx);
      const members = groupMembers(nginx.pid);
      expect(members.length, 'nginx should run a master and a worker in its own group').toBeGreaterThanOrEqual(2);
      const [prefix] = nginx.tempDirs;
      expect(prefix && existsSync(prefix)).toBe(true);
      await nginx.stop();
      expect(groupMembers(nginx.pid)).toEqual([]);
      expect(existsSync(prefix!)).toBe(false);
      await nginx.stop(); // a second stop is harmless
    } finally {
      tls.remove();
    }
  });

  it('stop() removes the temp dir of redis and frees its port', async () => {
    const redis = await startRedis();
    started.push(redis);
    const config = join(redis.tempDirs[0]!, 'redis.conf');
    expect(existsSync(config)).toBe(true);
    await redis.stop();
    expect(isAlive(redis.pid)).toBe(false);
    expect(existsSync(redis.tempDirs[0]!)).toBe(false);
    // The port is free again: binding it succeeds.
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(redis.port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a missing server binary fails with the Debian package to install', async () => {
    await expect(startProcess({
      name: 'imaginary', command: '/usr/sbin/portquorum-no-such-server', args: [], debianPackage: 'portquorum-imaginary',
      port: await freePort(), readiness: { kind: 'tcp' },
    })).rejects.toThrow(/install the Debian package 'portquorum-imaginary'/);
  });

  it('a server that exits at start fails with its own output in the error', async () => {
    await expect(startProcess({
      name: 'redis (bad option)', command: '/usr/bin/redis-server', args: ['--port', 'not-a-port'], debianPackage: 'redis-server',
      port: await freePort(), readiness: { kind: 'tcp' },
    })).rejects.toThrow(/redis \(bad option\).*exited before it was ready[\s\S]*output:[\s\S]*not-a-port/);
  });

  it('a server that never becomes ready fails at the readiness deadline and is killed', async () => {
    let pid = 0;
    const error = await startProcess({
      name: 'never ready', command: '/bin/sleep', args: ['120'], debianPackage: 'coreutils',
      port: await freePort(), readiness: { kind: 'log', pattern: /never printed/ }, readyTimeoutMs: 300,
    }).catch((e: Error) => e);
    expect(String(error)).toMatch(/never ready .* was not ready within 300 ms/);
    for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') === '/bin/sleep\u0000120\u0000') pid = Number(entry);
      } catch {
        // gone
      }
    }
    expect(pid, 'the sleep process should have been killed').toBe(0);
  });
});
