// End-to-end helpers: the real `portquorum local` as a child process, alerts awaited in its JSON-lines file,
// switchable loopback servers, a webhook receiver, and checks that nothing outlives the fleet.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, watch } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { expect } from 'vitest';
import { ALERT_KINDS, VERDICTS } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { descendants } from '../../bin/local/proc';
import { BIN, runCli, type CliResult } from '../support/cli';

export interface RunningCli {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves when a line of the output matches, or rejects at the deadline (or if the CLI exits first). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string>;
}

export function startLocal(args: string[]): RunningCli {
  // Its own process group, as a shell gives a foreground job: interrupt() then signals the group, as Ctrl-C does.
  const child = spawn(process.execPath, [BIN, 'local', '--plain', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    resolve(code ?? signal ?? 'unknown');
    for (const l of [...listeners]) l();
  }));
  return {
    child,
    pid: child.pid!,
    output: () => output,
    exited,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) finish(() => resolve(line));
          else if (child.exitCode !== null || child.signalCode !== null) finish(() => reject(new Error(`portquorum local exited before printing ${pattern}:\n${output.slice(-3000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-3000)}`))), timeoutMs);
        const finish = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Ctrl-C at a terminal: SIGINT to the whole foreground process group, the fleet and whatever shares its group. */
export function interrupt(cli: RunningCli): void {
  process.kill(-cli.pid, 'SIGINT');
}

export function readAlerts(file: string): AlertMessage[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as AlertMessage);
}

/**
 * Waits until the alerts file holds an alert matching the predicate: woken by file-system events, with a
 * one-second re-check as a safety net (inotify can coalesce events), and a deadline.
 */
export function waitForAlert(file: string, matches: (alert: AlertMessage) => boolean, timeoutMs: number, what: string, cli?: RunningCli): Promise<AlertMessage> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dirname(file), () => check());
    const poll = setInterval(() => check(), 1000);
    const timer = setTimeout(() => finish(new Error(`no ${what} alert within ${timeoutMs / 1000} s; alerts so far: ${JSON.stringify(readAlerts(file).map((a) => a.subject))}\n${cli?.output().slice(-4000) ?? ''}`)), timeoutMs);
    const finish = (result: AlertMessage | Error) => {
      clearTimeout(timer);
      clearInterval(poll);
      watcher.close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const check = () => {
      let alerts: AlertMessage[];
      try {
        alerts = readAlerts(file);
      } catch {
        return; // a line half written; the next event re-reads
      }
      const found = alerts.find(matches);
      if (found) finish(found);
      else if (cli && cli.child.exitCode !== null) finish(new Error(`portquorum local exited while waiting for ${what}:\n${cli.output().slice(-4000)}`));
    };
    check();
  });
}

/** The documented alert body: the fields every subscriber may rely on. */
export function expectAlertSchema(alert: AlertMessage): void {
  expect(alert.schemaVersion).toBe(1);
  expect(typeof alert.alertId).toBe('string');
  expect(alert.alertId.length).toBeGreaterThan(0);
  expect(ALERT_KINDS).toContain(alert.kind);
  expect(VERDICTS).toContain(alert.verdict);
  expect(VERDICTS).toContain(alert.previousVerdict);
  expect(Number.isNaN(Date.parse(alert.since))).toBe(false);
  expect(Number.isNaN(Date.parse(alert.at))).toBe(false);
  expect(alert.subject.length).toBeLessThan(100);
  expect(Array.isArray(alert.regions)).toBe(true);
  if (alert.kind.startsWith('FLEET_')) {
    expect(alert.monitor).toBeUndefined();
    expect(alert.fleet).toBeDefined();
  } else if (alert.kind.startsWith('HOME_')) {
    expect(alert.monitor).toBeUndefined();
    expect(alert.home).toMatchObject({ homeRegion: expect.any(String), staleRegions: expect.any(Array), quorum: expect.any(Number) });
  } else if (alert.kind.startsWith('INCIDENT')) {
    // About several monitors: the body lists them instead of naming one.
    expect(alert.monitor).toBeUndefined();
    expect(alert.incident!.members.length).toBeGreaterThan(0);
    for (const m of alert.incident!.members) expect(['up', 'down']).toContain(m.status);
  } else {
    expect(alert.monitor).toMatchObject({ id: expect.any(String), host: expect.any(String), port: expect.any(Number), target: expect.any(String) });
    for (const r of alert.regions) expect(['up', 'down', 'silent', 'vetoed', 'pending']).toContain(r.status);
  }
}

/** A loopback TCP service the test takes down (listener closed: connections refused) and brings back on the same port. */
export class SwitchableServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host: '127.0.0.1', port: this.port, exclusive: true }, () => resolve()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

export interface WebhookReceiver {
  url: string;
  bodies: Array<Record<string, unknown>>;
  /** Each POST's headers, in the order of `bodies`. */
  headers: Array<Record<string, string | string[] | undefined>>;
  /** Resolves once `count` POSTs arrived (the sinks deliver in parallel, so the file may be ahead), or rejects at the deadline. */
  waitForBodies(count: number, timeoutMs: number): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** Collects webhook POSTs. */
export async function webhookReceiver(): Promise<WebhookReceiver> {
  const bodies: Array<Record<string, unknown>> = [];
  const headers: WebhookReceiver['headers'] = [];
  const arrived = new EventEmitter();
  const server: HttpServer = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        bodies.push(JSON.parse(body) as Record<string, unknown>);
        headers.push({ ...req.headers });
        res.writeHead(204).end();
        arrived.emit('body');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    headers,
    waitForBodies(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (bodies.length < count) return;
          finish();
          resolve(bodies);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`the webhook got ${bodies.length} of ${count} POSTs within ${timeoutMs} ms: ${JSON.stringify(bodies.map((b) => b.text))}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          arrived.off('body', check);
        };
        arrived.on('body', check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Namespaces this fleet (by its pid) would have created. */
export function namespacesOf(pid: number): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith('pq-') && n.endsWith(`-${pid}`));
  } catch {
    return [];
  }
}

/** Pids still alive among these. */
export function stillRunning(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    // A zombie is dead; only its parent has not reaped it yet.
    try {
      return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });
}

export { descendants };

export function cli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return runCli(args, { timeoutMs, env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
}
