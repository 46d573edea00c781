// Bench section "watch": watch mode on the real local fleet. Real redis-server processes, each a monitor with
// `watch: true` at 60 s rounds, quorum 2 of 3, are SIGKILLed between rounds at phases spread over the minute; each
// trial is timed from the kill to the alert that reports the monitor DOWN. Each server is started again on its port
// before the next minute's round, which re-arms the watch (and pages UP).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalFleet, type FleetEvent, type LocalFleet } from '../../../bin/local/fleet';
import { freePorts } from '../../../bin/local/targets';
import { resolveFleet, type FleetConfig } from '../../../functions/shared/domain';
import type { AlertMessage } from '../../../functions/shared/domain/alert';
import { MINUTE_MS, minuteOf } from '../../../functions/shared/domain/rounds';
import { WATCH_WINDOW_MS } from '../../../functions/shared/domain/watch';
import { WATCH_REPROBE_BUDGET_MS } from '../../../functions/probe/watch';
import type { BenchSection, SectionReport } from '../lib/section';
import { fmt } from '../lib/stats';
import { markdownTable, textTable } from '../lib/table';
import { machineInfo } from '../lib/machine';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const QUORUM = 2;
const INTERVAL_SECONDS = 60;
const REDIS = '/usr/bin/redis-server';
/** Kills land between these seconds of a minute: after its round has re-armed the watch, well before the next. */
const FIRST_KILL_S = 8;
const LAST_KILL_S = 44;
/** Servers are started again this many seconds into the minute, so the next minute's round finds them up. */
const RESTART_S = 50;
/** A trial with no alert by then failed (rounds alone would page in about two minutes). */
const ALERT_WAIT_MS = 15_000;

const PLANS = { quick: { servers: 3, minutes: 1 }, full: { servers: 6, minutes: 4 } } as const;

interface Trial {
  monitor: string;
  killedAt: number;
  /** Epoch ms the alert reporting the DOWN reached the sinks. */
  alertAt?: number;
  alertKind?: string;
  cause?: string;
  /** When the quorum-th region's watch event was written (its probe's log line reached the fleet). */
  quorumEventAt?: number;
}

/** A redis-server on a fixed loopback port, killed and started again by the bench. */
class RedisProcess {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'pq-bench-watch-redis-'));
  constructor(readonly port: number) {}

  start(): Promise<void> {
    const child = spawn(REDIS, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server on port ${this.port} was not ready within 10 s: ${out.slice(-300)}`)), 10_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${this.port} exited (${code}): ${out.slice(-300)}`));
      });
    });
  }

  /** SIGKILL: the process dies at once and the kernel resets its connections, as in a crash. */
  kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

/** The monitor ids an alert reports DOWN: its own DOWN, or an incident's members it names down. */
function reportedDown(alert: AlertMessage): string[] {
  if (alert.kind === 'DOWN' && alert.monitor) return [alert.monitor.id];
  if (alert.incident && (alert.kind === 'INCIDENT' || alert.kind === 'INCIDENT_UPDATED')) return alert.incident.members.filter((m) => m.status === 'down').map((m) => m.monitor);
  return [];
}

async function runTrials(plan: { servers: number; minutes: number }, log: (line: string) => void): Promise<{ trials: Trial[]; startupMs: number; unexpected: string[] }> {
  const ports = await freePorts(plan.servers + 1);
  const ids = Array.from({ length: plan.servers }, (_, i) => `redis-${i + 1}`);
  const config: FleetConfig = resolveFleet({
    regions: REGIONS,
    homeRegion: REGIONS[0]!,
    canary: { host: '127.0.0.1', port: ports[plan.servers]!, timeoutMs: 1000 },
    monitorDefaults: { interval: INTERVAL_SECONDS, quorum: QUORUM, failureThreshold: 2, recoveryThreshold: 1, watch: true },
    monitors: ids.map((id, i) => ({ id, host: '127.0.0.1', port: ports[i]!, preset: 'redis' })),
  });
  const servers = ids.map((_, i) => new RedisProcess(ports[i]!));
  await Promise.all(servers.map((s) => s.start()));

  const down = new Map<string, (at: number, alert: AlertMessage) => void>();
  const upSeen = new Set<string>();
  const watchEvents = new Map<string, number[]>();
  const unexpected: string[] = [];
  const onEvent = (event: FleetEvent) => {
    if (event.kind === 'alert') {
      const now = Date.now();
      let expected = event.alert.kind === 'UP' || event.alert.kind === 'INCIDENT_RESOLVED' || event.alert.kind === 'INCIDENT_UPDATED';
      for (const id of reportedDown(event.alert)) {
        const waiter = down.get(id);
        if (waiter) {
          down.delete(id);
          waiter(now, event.alert);
          expected = true;
        }
      }
      if (!expected) unexpected.push(event.alert.subject);
    } else if (event.kind === 'log') {
      const detail = event.detail as { monitor?: string; to?: string } | undefined;
      if (event.message === 'Verdict changed' && detail?.to === 'UP' && detail.monitor) upSeen.add(detail.monitor);
      else if (event.message.startsWith('Watch event') && detail?.monitor) watchEvents.set(detail.monitor, [...(watchEvents.get(detail.monitor) ?? []), Date.now()]);
      else if (event.level === 'error') log(`watch: ${event.source}: ${event.message}`);
    }
  };

  const started = Date.now();
  const fleet: LocalFleet = await startLocalFleet({
    fleet: config, netns: 'off', sinks: [], onEvent, canary: { name: 'canary', kind: 'tcp', port: ports[plan.servers]! },
  });
  const onSignal = () => void Promise.all([fleet.stop(), ...servers.map((s) => s.stop())]).finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const trials: Trial[] = [];
  try {
    // Every monitor UP (the minute's round, once the one before it has closed), within two minutes.
    const upBy = Date.now() + 2 * MINUTE_MS + 30_000;
    while (upSeen.size < ids.length) {
      if (Date.now() > upBy) throw new Error(`watch: not every monitor was seen UP (${upSeen.size} of ${ids.length})`);
      await sleepUntil(Date.now() + 250);
    }
    const startupMs = Date.now() - started;
    log(`watch: every monitor UP ${(startupMs / 1000).toFixed(1)} s after the fleet started`);

    for (let minute = 0; minute < plan.minutes; minute += 1) {
      // A minute whose round has run (and re-armed every watch) and that has room for every kill.
      let base = minuteOf(Date.now()) + MINUTE_MS;
      if (Date.now() < minuteOf(Date.now()) + (FIRST_KILL_S - 3) * 1000 && minute === 0) base = minuteOf(Date.now());
      const step = (LAST_KILL_S - FIRST_KILL_S) * 1000 / Math.max(1, plan.servers - 1);
      await Promise.all(servers.map(async (server, i) => {
        const id = ids[i]!;
        const at = base + FIRST_KILL_S * 1000 + i * step + (minute * 1700) % 2000;
        await sleepUntil(at);
        const alerted = new Promise<{ at: number; alert: AlertMessage } | undefined>((resolve) => {
          const timer = setTimeout(() => {
            down.delete(id);
            resolve(undefined);
          }, ALERT_WAIT_MS);
          down.set(id, (alertAt, alert) => {
            clearTimeout(timer);
            resolve({ at: alertAt, alert });
          });
        });
        await server.kill();
        const trial: Trial = { monitor: id, killedAt: Date.now() };
        const got = await alerted;
        if (got) Object.assign(trial, { alertAt: got.at, alertKind: got.alert.kind, cause: got.alert.cause });
        const events = (watchEvents.get(id) ?? []).filter((t) => t >= trial.killedAt).sort((a, b) => a - b);
        if (events.length >= QUORUM) trial.quorumEventAt = events[QUORUM - 1];
        else log(`watch: no alert for ${id} within ${ALERT_WAIT_MS / 1000} s of the kill`);
        trials.push(trial);
        await sleepUntil(base + RESTART_S * 1000);
        await server.start();
      }));
      log(`watch: minute ${minute + 1} of ${plan.minutes}: ${trials.length} trials`);
    }
    // The last restarts' UP pages, so no alert is left unaccounted for.
    await sleepUntil(minuteOf(Date.now()) + MINUTE_MS + 15_000);
    return { trials, startupMs, unexpected };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fleet.stop();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

function report(run: Awaited<ReturnType<typeof runTrials>>, plan: { servers: number; minutes: number }, quick: boolean): SectionReport {
  const done = run.trials.filter((t) => t.alertAt !== undefined);
  const split = done.filter((t) => t.quorumEventAt !== undefined);
  const toEvents = split.map((t) => (t.quorumEventAt! - t.killedAt) / 1000);
  const toAlert = split.map((t) => (t.alertAt! - t.quorumEventAt!) / 1000);
  const machine = machineInfo();
  const seconds = done.map((t) => (t.alertAt! - t.killedAt) / 1000);
  const missed = run.trials.length - done.length;
  const byWatch = done.filter((t) => t.cause === 'watch').length;
  const s = (v: number) => (Number.isFinite(v) ? `${fmt(v)} s` : 'n/a');
  const table = {
    header: ['target', 'alert', 'trials', 'p50', 'p95', 'min–max', 'paged by watch events', 'kill → quorum of watch events (p50)', 'then stream + aggregator (p50)'],
    rows: [[
      'redis-server, SIGKILL', 'DOWN', `${done.length}${missed ? ` (+${missed} missed)` : ''}`, s(percentile(seconds, 50)), s(percentile(seconds, 95)),
      seconds.length ? `${fmt(Math.min(...seconds))}–${fmt(Math.max(...seconds))} s` : 'n/a', `${byWatch} of ${done.length}`,
      s(percentile(toEvents, 50)), s(percentile(toAlert, 50)),
    ]],
  };
  const incidents = done.filter((t) => t.alertKind !== 'DOWN').length;
  const unexpected = run.unexpected.length ? `Alerts no trial caused: ${run.unexpected.length} (${run.unexpected.slice(0, 5).join('; ')}).` : 'No alert came that a trial did not cause.';
  const markdown = [
    '## Watch mode: kill → DOWN on the local fleet',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine.cpuModel}, ${machine.cores} cores (the machine block above is the latest run's; sections say their own dates).`,
    '',
    `The fleet \`portquorum local\` runs (\`startLocalFleet\`, regions sharing loopback): DynamoDB Local, ${REGIONS.length} region workers running`,
    'the real probe handler, the real aggregator on the table\'s real stream. Each monitor is a real `redis-server` (Debian) on',
    `loopback with \`preset: 'redis'\` and \`watch: true\`: interval ${INTERVAL_SECONDS} s, quorum ${QUORUM} of ${REGIONS.length}, failureThreshold 2,`,
    `recoveryThreshold 1. ${plan.servers} servers are SIGKILLed in each of ${plan.minutes} minute${plan.minutes === 1 ? '' : 's'}, between ${FIRST_KILL_S} s and ${LAST_KILL_S} s after the minute's`,
    `round (spread evenly), and started again on the same port ${RESTART_S} s into the minute, so the next round finds them up,`,
    'pages UP and re-arms the watch. A trial runs from the kill (the process has exited) to the alert that reports the',
    `monitor DOWN reaching the sinks${incidents ? ` (for ${incidents} of them an \`INCIDENT\` or \`INCIDENT_UPDATED\`: servers killed within minutes of each other share a cause, and the incident book groups them)` : ''}.`,
    'Rounds alone would page such a kill one to two minutes later (the next two rounds), so every alert here came from',
    'watch events.',
    ...(quick ? ['', '**--quick**: one minute, three servers; no figures are recorded.'] : []),
    '',
    markdownTable(table),
    '',
    '### Where the time goes',
    '',
    '- **The kernel**: SIGKILL closes the process\'s sockets at once; each region\'s held connection sees the reset or FIN.',
    `- **The re-probe**: refused in a millisecond (budget ${WATCH_REPROBE_BUDGET_MS / 1000} s), then one PutItem of the watch event.`,
    '- **The stream**: watch events have their own event source mapping, without the 2 s batching window the round',
    '  items\' mapping has (the local fleet polls them the same way, resting 200 ms when the stream is caught up). The',
    '  aggregator reads the monitor\'s regions\' recent watch events (one Query each), pages when',
    `  ${QUORUM} regions' events fall within ${WATCH_WINDOW_MS / 1000} s of each other, and writes the state and its history in one transaction first.`,
    '- **kill → quorum of watch events** is timed by the probes\' log lines reaching the fleet (a few ms after the write).',
    '',
    `${unexpected} Start-up (DynamoDB Local, workers, every monitor UP: ${fmt(run.startupMs / 1000)} s) is not part of any trial.`,
    '',
  ].join('\n');
  const text = [
    `Watch mode: kill → DOWN (redis-server SIGKILL, ${INTERVAL_SECONDS} s rounds, quorum ${QUORUM} of ${REGIONS.length})`,
    textTable(table),
    unexpected,
  ].join('\n');
  // No figure for docs/benchmarks.json: nothing `portquorum cost` reads depends on it (the markdown holds the numbers).
  return { markdown, text };
}

export const watchSection: BenchSection = {
  name: 'watch',
  title: 'Watch mode: kill a real server → DOWN alert on the local fleet',
  async run(ctx) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const plan = ctx.quick ? PLANS.quick : PLANS.full;
    const run = await runTrials(plan, ctx.log);
    return report(run, plan, ctx.quick);
  },
};
