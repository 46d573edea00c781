// Bench section "scale", part "local fleet memory": `portquorum local` (the CLI, as a user runs it) with a generated
// --config of N monitors × 3 regions at 60 s, every monitor pointed at the capacity section's loopback listeners
// (targets.py: healthy, nothing off the machine), regions sharing the loopback (--no-netns), for a few minutes. The
// parent (DynamoDB Local's client, the stream poller, the aggregator, the sweeper, the status page) and each region's
// worker (the real probe handler, every probe shard of the region) are sampled every second: peak RSS from
// /proc/<pid>/status VmHWM, read while they run. DynamoDB Local's JVM is reported apart (its heap is the JVM's).
// Runs alone too: `npx tsx test/bench/scale/local-memory.ts [--monitors N] [--minutes M]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { descendants } from '../../../bin/local/proc';
import { ENV } from '../../../functions/shared/deployment';
import { fleetSpecOf, REGIONS } from '../aggregator/fleet';
import { startTargets } from '../capacity';
import type { BenchContext } from '../lib/section';
import { markdownTable, textTable, type Table } from '../lib/table';

const CLI = fileURLToPath(new URL('../../../bin/portquorum.js', import.meta.url));
const SAMPLE_EVERY_MS = 1000;

export interface LocalMemoryOptions {
  monitors: number;
  /** How long the fleet runs (whole minutes of rounds after its start). */
  minutes: number;
}

interface ProcessPeak {
  /** 'parent', 'worker <region>', 'DynamoDB Local (JVM)', or the command's name. */
  role: string;
  pids: Set<number>;
  /** Peak VmHWM over its processes (a restarted worker is a new process of the same role), bytes. */
  peakRss: number;
  /** VmRSS at the last sample it was alive, bytes. */
  lastRss: number;
}

export interface LocalMemory {
  monitors: number;
  minutes: number;
  processes: ProcessPeak[];
  /** Lines the fleet printed that say something failed, was skipped or went down (healthy targets: none expected). */
  problemLines: number;
  exitCode: number | null;
  loads: string[];
  /** The fleet's last lines (for a failed run). */
  tail: string;
}

function procStatus(pid: number): { hwm: number; rss: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return undefined; // exited between the listing and the read
  }
}

function roleOf(pid: number): string {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const region = environ.find((e) => e.startsWith(`${ENV.localWorker}=`))?.slice(ENV.localWorker.length + 1);
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm === 'java') return 'DynamoDB Local (JVM)';
    // A worker's own children (tsx's esbuild service) inherit its environment: named by their command.
    if (region) return comm === 'node' || comm === 'MainThread' ? `worker ${region}` : `${comm} (worker ${region})`;
    return comm;
  } catch {
    return '?';
  }
}

const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

export async function measureLocalFleetMemory(ctx: BenchContext, options: LocalMemoryOptions): Promise<LocalMemory> {
  const dir = mkdtempSync(join(tmpdir(), 'portquorum-bench-local-'));
  const targets = await startTargets();
  const loads: string[] = [`at the start: ${load()}`];
  try {
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(fleetSpecOf(options.monitors, targets.targets)));
    // The fleet stops itself: its start (DynamoDB Local, the workers) plus the minutes asked for.
    const duration = 30 + options.minutes * 60;
    const child = spawn(process.execPath, [CLI, 'local', '--config', config, '--no-netns', '--plain', '--duration', String(duration), '--state', join(dir, 'local.json'), '--table', 'bench-local-memory'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    const pid = child.pid!;
    const kill = (): void => void child.kill('SIGKILL');
    process.once('exit', kill);
    let output = '';
    let problemLines = 0;
    const onLine = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-8000);
      problemLines += text.split('\n').filter((l) => /error|fail|skipped|DOWN|timed out/i.test(l)).length;
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const peaks = new Map<string, ProcessPeak>();
    const sample = (): void => {
      for (const p of [pid, ...descendants(pid).map((d) => d.pid)]) {
        const status = procStatus(p);
        if (!status) continue;
        // Not cached: a worker read between fork and exec still looks like the parent.
        const role = p === pid ? 'parent' : roleOf(p);
        const peak = peaks.get(role) ?? { role, pids: new Set(), peakRss: 0, lastRss: 0 };
        peak.pids.add(p);
        peak.peakRss = Math.max(peak.peakRss, status.hwm);
        peak.lastRss = status.rss;
        peaks.set(role, peak);
      }
    };
    const started = performance.now();
    let lastLog = started;
    const timer = setInterval(() => {
      sample();
      if (performance.now() - lastLog >= 60_000) {
        lastLog = performance.now();
        loads.push(`after ${Math.round((lastLog - started) / 60_000)} min: ${load()}`);
        ctx.log(`scale local: ${Math.round((lastLog - started) / 1000)} s: ${[...peaks.values()].map((p) => `${p.role} ${mib(p.peakRss)}`).join(', ')} (load ${load()})`);
      }
    }, SAMPLE_EVERY_MS);
    // A fleet that does not stop by itself is killed a few minutes after its duration.
    const deadline = setTimeout(kill, (duration + 180) * 1000);
    const exitCode = await exited.finally(() => (clearInterval(timer), clearTimeout(deadline)));
    process.off('exit', kill);
    loads.push(`at the end: ${load()}`);
    const order = (role: string): number => (role === 'parent' ? 0 : role.startsWith('worker') ? 1 : role.startsWith('DynamoDB') ? 2 : 3);
    return {
      monitors: options.monitors, minutes: options.minutes, exitCode, problemLines, loads, tail: output.split('\n').slice(-12).join('\n'),
      processes: [...peaks.values()].sort((a, b) => order(a.role) - order(b.role) || a.role.localeCompare(b.role)),
    };
  } finally {
    await targets.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;

export function localMemoryReport(m: LocalMemory): { markdown: string; text: string; line: string } {
  const table: Table = {
    header: ['process', 'peak RSS (VmHWM)', 'RSS at its last sample', 'processes'],
    rows: m.processes.map((p) => [p.role, mib(p.peakRss), mib(p.lastRss), String(p.pids.size)]),
  };
  const parent = m.processes.find((p) => p.role === 'parent');
  const workers = m.processes.filter((p) => p.role.startsWith('worker'));
  const worst = workers.reduce((a, b) => (b.peakRss > (a?.peakRss ?? 0) ? b : a), workers[0]);
  const line = `the local fleet at ${m.monitors.toLocaleString('en-US')} monitors × ${REGIONS.length} regions (${m.minutes} minutes): parent ${parent ? mib(parent.peakRss) : '?'}, `
    + `region workers up to ${worst ? mib(worst.peakRss) : '?'} each (${worst?.role ?? '?'})${m.exitCode === 0 ? '' : `; the fleet exited with ${m.exitCode}`}`;
  const note = `\`portquorum local --config <${m.monitors.toLocaleString('en-US')} monitors × ${REGIONS.length} regions, 60 s> --no-netns --duration\` (the CLI from this checkout, through tsx), `
    + `every monitor at one of the capacity section's loopback listeners, for ${m.minutes} minutes after its start; each process of the fleet sampled every second (VmHWM). `
    + `The parent runs the stream poller, the aggregator, the sweeper and the status page; each region's worker runs its probe function's shards. `
    + `Lines saying something failed, was skipped or went down: ${m.problemLines}. Load average: ${m.loads.join('; ')}.`;
  return {
    markdown: ['**Memory of the local fleet**', '', `Measured: ${line}.`, '', note, '', markdownTable(table), ''].join('\n'),
    text: ['Memory of the local fleet', textTable(table), `exit ${m.exitCode}; ${m.problemLines} problem line(s); load ${m.loads.join('; ')}`, ''].join('\n'),
    line,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const number = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a whole number, not ${JSON.stringify(argv[i + 1])}`);
    return n;
  };
  const t0 = performance.now();
  measureLocalFleetMemory({ quick: false, log: (line) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}\n`) }, { monitors: number('--monitors', 100_000), minutes: number('--minutes', 4) }).then(
    (m) => {
      const r = localMemoryReport(m);
      console.log(r.text);
      console.log(r.line);
      if (m.exitCode !== 0 || m.problemLines > 0) console.log(m.tail);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
