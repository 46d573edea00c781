// How other commands steer a running local fleet: a UNIX control socket, one JSON line each way.
import { createConnection, createServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import { describeFault, type RegionFault } from './netns';
import type { Part } from './supervisor';
import type { TargetState } from './targets';
import type { AlertMessage } from '../../functions/shared/domain/alert';

export type ControlRequest =
  | { op: 'fault'; region: string; fault: RegionFault }
  | { op: 'target'; name: string; state: TargetState }
  /** `local fault sns down|up`: the alert sinks fail every delivery until `up`. */
  | { op: 'sns'; state: 'down' | 'up' }
  /** `local fault home down|up`: the home pipeline (aggregator and sweeper) stopped until `up`. */
  | { op: 'home'; state: 'down' | 'up' }
  /** `notify-test`: deliver this (TEST) alert to the fleet's sinks. */
  | { op: 'notify'; alert: AlertMessage };

export type ControlReply = { ok: true; message: string } | { ok: false; error: string };

/** What the control socket can do to the fleet. */
export interface Steerable {
  fault(region: string, fault: RegionFault): Promise<void>;
  setTarget(name: string, state: TargetState): Promise<void>;
  alertSinks(state: 'down' | 'up'): Promise<void>;
  homePipeline(state: 'down' | 'up'): Promise<void>;
  /** Delivers an alert to every sink now (not through the outbox); says where it went. */
  notify(alert: AlertMessage): Promise<string>;
}

/** Carries out one request; the answer is the line the user sees. */
async function carryOut(fleet: Steerable, request: ControlRequest): Promise<string> {
  if (request.op === 'fault') {
    await fleet.fault(request.region, request.fault);
    return `region ${request.region}: ${describeFault(request.fault)}`;
  }
  if (request.op === 'notify') return fleet.notify(request.alert);
  if (request.op === 'home') {
    await fleet.homePipeline(request.state);
    return request.state === 'down'
      ? 'home pipeline: the aggregator and the sweeper are stopped (no verdicts, no heartbeat) until portquorum local fault home up'
      : 'home pipeline: the aggregator and the sweeper run again';
  }
  if (request.op === 'sns') {
    await fleet.alertSinks(request.state);
    return request.state === 'down'
      ? 'alert sinks: failing every delivery (as SNS in an outage) until portquorum local fault sns up'
      : 'alert sinks: delivering again; the sweeper sends what is pending';
  }
  await fleet.setTarget(request.name, request.state);
  return `target '${request.name}' is ${request.state === 'blackhole' ? 'blackholed' : request.state}`;
}

/** Serves the fleet's control socket at path. */
export async function startControl(path: string, fleet: Steerable): Promise<Part> {
  const server = await serveControl(path, (request) => carryOut(fleet, request));
  return { name: 'the control socket', stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Serves control requests on a UNIX socket; the handler's answer (or error) goes back as one JSON line. */
export async function serveControl(path: string, handle: (request: ControlRequest) => Promise<string>): Promise<Server> {
  await rm(path, { force: true });
  const server = createServer((socket) => {
    let buffer = '';
    socket.on('error', () => socket.destroy());
    socket.setTimeout(30_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      let reply: Promise<ControlReply>;
      try {
        const request = JSON.parse(buffer.slice(0, newline)) as ControlRequest;
        reply = handle(request).then((message) => ({ ok: true as const, message }), (error: Error) => ({ ok: false as const, error: error.message }));
      } catch (error) {
        reply = Promise.resolve({ ok: false, error: `bad control request: ${(error as Error).message}` });
      }
      void reply.then((r) => socket.end(`${JSON.stringify(r)}\n`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}

/** Sends one control request to a running fleet and waits (bounded) for its reply. */
export function sendControl(path: string, request: ControlRequest, timeoutMs = 30_000): Promise<ControlReply> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: `the local fleet did not answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: Buffer) => (buffer += chunk.toString('utf8')));
    socket.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `cannot reach the local fleet at ${path}: ${error.message}` });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffer) as ControlReply);
      } catch {
        resolve({ ok: false, error: 'the local fleet closed the control connection without answering' });
      }
    });
  });
}
