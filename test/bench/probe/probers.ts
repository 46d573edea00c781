// The three probers compared on the same targets: our engine, blackbox_exporter (tcp module) and check_tcp.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeRound } from '../../../functions/probe/engine';
import { resolveMonitor } from '../../../functions/shared/domain';
import { freePort, makeTempDir, requireBinary, startProcess, type RunningServer } from '../../support/servers/common';

const run = promisify(execFile);

/** Every prober gives up on a connect after this long (the silent targets cost exactly this). */
export const CONNECT_TIMEOUT_MS = 1000;

interface CellResult {
  wallMs: number;
  /** CPU (user + system) the prober itself spent, in ms. */
  cpuMs: number;
  verdicts: Array<'up' | 'down'>;
}

export interface Prober {
  name: string;
  /** Probe each `host:port` once (ports may repeat), at most `concurrency` at a time. */
  probe(ports: number[], concurrency: number): Promise<CellResult>;
  stop(): Promise<void>;
}

const BLACKBOX_BIN = '/usr/bin/prometheus-blackbox-exporter';
const CHECK_TCP_BIN = '/usr/lib/nagios/plugins/check_tcp';

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Turns /proc CPU fields (clock ticks) into milliseconds; 100 on every Linux we run on, asked anyway. */
const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime (fields 14, 15) or cutime+cstime (16, 17) of a process, in ms. */
function procCpuMs(pid: number | 'self', which: 'self' | 'children'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const [a, b] = which === 'self' ? [fields[11], fields[12]] : [fields[13], fields[14]];
  return ((Number(a) + Number(b)) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Our engine, in this process: one round over all the monitors with the socket cap as concurrency. */
export function ourEngine(): Prober {
  const monitorsFor = (ports: number[]) =>
    ports.map((port, i) =>
      resolveMonitor(
        {
          id: `bench-${i}`,
          host: '127.0.0.1',
          port,
          retries: 0, // neither blackbox_exporter nor check_tcp retries
          timeoutMs: { dns: CONNECT_TIMEOUT_MS, connect: CONNECT_TIMEOUT_MS, tls: CONNECT_TIMEOUT_MS, expect: CONNECT_TIMEOUT_MS, total: CONNECT_TIMEOUT_MS },
        },
        ['local'],
      ),
    );
  return {
    name: 'portquorum',
    async probe(ports, concurrency) {
      const monitors = monitorsFor(ports); // built outside the measured interval: config parsing is not probing
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const outcomes = await probeRound(monitors, { maxSockets: concurrency });
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      return {
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        verdicts: monitors.map((m) => (outcomes.get(m.id)?.ok ? 'up' : 'down')),
      };
    },
    async stop() {},
  };
}

/** blackbox_exporter on a loopback port, driven the way Prometheus drives it: GET /probe?target=…&module=tcp. */
export async function blackboxExporter(): Promise<Prober & { version: string }> {
  requireBinary(BLACKBOX_BIN, 'prometheus-blackbox-exporter');
  const versionOut = await run(BLACKBOX_BIN, ['--version']).catch((e: { stdout?: string; stderr?: string }) => e);
  const version = /version (\S+)/.exec(`${versionOut.stdout ?? ''}${versionOut.stderr ?? ''}`)?.[1] ?? 'unknown';
  const dir = makeTempDir('blackbox');
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, [
    'modules:',
    '  tcp:',
    '    prober: tcp',
    `    timeout: ${CONNECT_TIMEOUT_MS}ms`,
    '    tcp:',
    '      preferred_ip_protocol: ip4',
    '      ip_protocol_fallback: false',
    '',
  ].join('\n'));
  const port = await freePort();
  const server: RunningServer = await startProcess({
    name: 'blackbox_exporter',
    command: BLACKBOX_BIN,
    args: [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
    debianPackage: 'prometheus-blackbox-exporter',
    port,
    readiness: { kind: 'tcp' },
    tempDirs: [dir],
  });
  const pid = server.pid;
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const probeOnce = (target: number): Promise<'up' | 'down'> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: `/probe?module=tcp&target=127.0.0.1:${target}`,
          agent,
          // As Prometheus sends it; blackbox_exporter takes the smaller of this (minus 0.5 s) and the module timeout.
          headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '10' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            const m = /^probe_success (\S+)$/m.exec(body);
            if (res.statusCode !== 200 || !m) reject(new Error(`blackbox_exporter answered ${res.statusCode}: ${body.slice(0, 200)}`));
            else resolve(m[1] === '1' ? 'up' : 'down');
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('blackbox_exporter did not answer in 30 s')));
      req.on('error', reject);
      req.end();
    });
  return {
    name: 'blackbox_exporter',
    version,
    async probe(ports, concurrency) {
      const verdicts: Array<'up' | 'down'> = new Array(ports.length);
      const cpu0 = procCpuMs(pid, 'self');
      const t0 = performance.now();
      await pool(ports.length, concurrency, async (i) => {
        verdicts[i] = await probeOnce(ports[i]!);
      });
      const wallMs = performance.now() - t0;
      return { wallMs, cpuMs: procCpuMs(pid, 'self') - cpu0, verdicts };
    },
    async stop() {
      agent.destroy();
      await server.stop();
    },
  };
}

/** Nagios check_tcp: one process per probe; its CPU is what this process's reaped children used. */
export async function checkTcp(): Promise<Prober & { version: string }> {
  requireBinary(CHECK_TCP_BIN, 'monitoring-plugins-basic');
  // check_tcp -V prints its version and exits 3 (UNKNOWN), like every monitoring plugin.
  const versionOut = await run(CHECK_TCP_BIN, ['-V']).catch((e: { stdout?: string }) => e);
  const version = /v(\S+)/.exec(versionOut.stdout ?? '')?.[1] ?? 'unknown';
  const timeoutSeconds = String(Math.max(1, Math.round(CONNECT_TIMEOUT_MS / 1000)));
  const probeOnce = (target: number): Promise<'up' | 'down'> =>
    new Promise((resolve, reject) => {
      const child: ChildProcess = spawn(CHECK_TCP_BIN, ['-H', '127.0.0.1', '-p', String(target), '-t', timeoutSeconds], { stdio: 'ignore' });
      child.once('error', reject);
      // Exit 0 is OK; 1 WARNING, 2 CRITICAL; 3 UNKNOWN is a usage error and must not count as a verdict.
      child.once('exit', (code) => (code === 3 ? reject(new Error(`check_tcp exited 3 (UNKNOWN) for port ${target}`)) : resolve(code === 0 ? 'up' : 'down')));
    });
  return {
    name: 'check_tcp',
    version,
    async probe(ports, concurrency) {
      const verdicts: Array<'up' | 'down'> = new Array(ports.length);
      const cpu0 = procCpuMs('self', 'children');
      const t0 = performance.now();
      await pool(ports.length, concurrency, async (i) => {
        verdicts[i] = await probeOnce(ports[i]!);
      });
      const wallMs = performance.now() - t0;
      return { wallMs, cpuMs: procCpuMs('self', 'children') - cpu0, verdicts };
    },
    async stop() {},
  };
}
