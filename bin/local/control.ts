// How other commands find and steer a running local fleet: a state file and a UNIX control socket (one JSON line each way).
import { createConnection, createServer, type Server } from 'node:net';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ENV } from '../../functions/shared/deployment';
import type { RegionFault } from './netns';
import type { TargetState } from './targets';

/** Where `portquorum local` records itself unless --state says otherwise. */
export function defaultStatePath(): string {
  return process.env[ENV.localState] ?? join(homedir(), '.portquorum', 'local.json');
}

/** What a running local fleet records so `local fault`, `local target` and `status` can find it. */
export interface LocalFleetState {
  schemaVersion: 1;
  pid: number;
  startedAt: string;
  /** DynamoDB Local's endpoint on this host's loopback. */
  endpoint: string;
  table: string;
  tableRegion: string;
  regions: string[];
  /** Region → network namespace, when regions run in namespaces. */
  namespaces: Record<string, string>;
  /** Served targets by name (demo targets or --config fixtures). */
  targets: string[];
  controlSocket: string;
  /** The resolved declarations the fleet runs (FleetConfig JSON). */
  fleetFile: string;
  alertsFile?: string;
}

export async function writeState(path: string, state: LocalFleetState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, path);
}

/** Removes the state file, but only if it is still ours (another fleet may have started since). */
export async function removeState(path: string, pid = process.pid): Promise<void> {
  const current = await readState(path).catch(() => undefined);
  if (current?.pid === pid) await rm(path, { force: true });
}

export async function readState(path: string): Promise<LocalFleetState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as LocalFleetState;
  return state.schemaVersion === 1 ? state : undefined;
}

/** The running fleet's state, or a message saying why there is none (never a stale one). */
export async function findRunningFleet(path: string): Promise<{ state: LocalFleetState } | { error: string }> {
  const state = await readState(path).catch((error: Error) => ({ error: `cannot read ${path}: ${error.message}` }));
  if (state && 'error' in state) return state;
  if (!state) return { error: `no local fleet is running (no state file at ${path}; start one with 'portquorum local')` };
  try {
    process.kill(state.pid, 0);
  } catch {
    return { error: `the local fleet recorded in ${path} (pid ${state.pid}) is no longer running; start one with 'portquorum local'` };
  }
  return { state };
}

export type ControlRequest =
  | { op: 'fault'; region: string; fault: RegionFault }
  | { op: 'target'; name: string; state: TargetState };

export type ControlReply = { ok: true; message: string } | { ok: false; error: string };

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
