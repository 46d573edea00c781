// Loopback targets the local fleet serves itself (demo services and the canary), which can be taken down, blackholed and brought back.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Worker } from 'node:worker_threads';
import { DEMO_CERTIFICATES, type DemoCertificate } from './demo-certs';

export const TARGET_KINDS = ['tcp', 'banner', 'http'] as const;
/**
 * tcp: accepts and stays silent; banner: greets like an SSH server; http: answers HTTP/1.1 200; tls (demos only, not a
 * localTargets kind): a TLS handshake with one of the demo certificates, then silence.
 */
type TargetKind = (typeof TARGET_KINDS)[number] | 'tls';

export const TARGET_STATES = ['up', 'down', 'blackhole'] as const;
/**
 * down = the listener is closed, so probes see `refused`, as with a crashed service. blackhole = the service runs but
 * nothing reaches it, so probes see `timeout` in connect, as behind a dropped route or a firewall that drops.
 */
export type TargetState = (typeof TARGET_STATES)[number];

export interface LocalTarget {
  /** Name used by `setTarget` and on screen, e.g. `web`. */
  name: string;
  kind: TargetKind;
  /** Loopback port; the same in every region's namespace. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The state it starts in. @default 'up' */
  initial?: 'up' | 'down';
  /** For kind tls: which demo certificate it serves. @default 'current' */
  certificate?: DemoCertificate;
}

const BANNER = 'SSH-2.0-portquorum_demo\r\n';
const HTTP_BODY = 'portquorum demo: ok\n';
const HTTP_REPLY =
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(HTTP_BODY)}\r\nServer: portquorum-demo\r\nConnection: close\r\n\r\n${HTTP_BODY}`;

function onConnection(target: LocalTarget, socket: Socket): void {
  const { kind } = target;
  socket.on('error', () => socket.destroy());
  if (kind === 'tls') {
    const { cert, key } = DEMO_CERTIFICATES[target.certificate ?? 'current'];
    const secure = new TLSSocket(socket, { isServer: true, cert, key });
    secure.on('error', () => secure.destroy());
    secure.setTimeout(10_000, () => secure.destroy());
    secure.resume();
    return;
  }
  // Probes close first; a client that never does is cut off so servers never hold sockets forever.
  socket.setTimeout(10_000, () => socket.destroy());
  if (kind === 'banner') socket.write(BANNER);
  if (kind === 'http') {
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n\r\n')) socket.end(HTTP_REPLY);
      else if (seen.length > 16_384) socket.destroy();
    });
  } else {
    socket.resume();
  }
}

/**
 * One served target: up, down or blackholed, switchable at any time. Blackholed here means a full accept queue
 * (see FullAcceptQueue); the fleet with network namespaces drops the target's packets with iptables instead and
 * keeps this listener up.
 */
export class TargetServer {
  private server: Server | undefined;
  private queue: FullAcceptQueue | undefined;
  private readonly sockets = new Set<Socket>();
  private current: TargetState = 'down';

  constructor(readonly target: LocalTarget) {}

  get state(): TargetState {
    return this.current;
  }

  async set(state: TargetState): Promise<void> {
    if (state === this.current) return;
    const previous = this.current;
    this.current = state;
    if (previous === 'up') await this.close();
    else if (previous === 'blackhole') await this.unblock();
    if (state === 'up') await this.listen();
    else if (state === 'blackhole') this.queue = await FullAcceptQueue.open(this.target);
  }

  private async unblock(): Promise<void> {
    const queue = this.queue;
    this.queue = undefined;
    await queue?.close();
  }

  private async listen(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      onConnection(this.target, socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(`local target '${this.target.name}' cannot listen on ${this.target.host ?? '127.0.0.1'}:${this.target.port}: ${error.code ?? error.message} (pick another port)`)),
      );
      server.listen({ host: this.target.host ?? '127.0.0.1', port: this.target.port, exclusive: true }, () => resolve());
    });
    this.server = server;
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/** How long a connect to a full accept queue is given before the queue counts as full (loopback answers in microseconds). */
const QUEUE_FULL_AFTER_MS = 200;
/** More parked connections than this means the kernel is not dropping SYNs at all. */
const MAX_PARKED = 16;

/**
 * A listener that never accepts, with its accept queue filled by connections of its own: the kernel then drops every
 * further SYN, so a client's connect times out exactly as when its packets are dropped on the way (a server that
 * accepts and stays silent would look up to a TCP check). Node accepts on its event loop, so the listener lives in a
 * worker thread whose loop is parked in Atomics.wait right after listen(); close() wakes it to close the listener.
 */
class FullAcceptQueue {
  private constructor(private readonly worker: Worker, private readonly wake: Int32Array, private readonly parked: Socket[], private readonly exited: Promise<void>) {}

  static async open(target: LocalTarget): Promise<FullAcceptQueue> {
    const host = target.host ?? '127.0.0.1';
    const wake = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(PARKED_LISTENER, { eval: true, workerData: { host, port: target.port, wake } });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const queue = new FullAcceptQueue(worker, wake, [], exited);
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('message', (message: { listening?: true; error?: string }) => {
          if (message.listening) resolve();
          else reject(new Error(`local target '${target.name}' cannot listen on ${host}:${target.port}: ${message.error} (pick another port)`));
        });
        worker.once('error', reject);
      });
      for (let i = 0; ; i++) {
        if (i === MAX_PARKED) throw new Error(`local target '${target.name}': ${host}:${target.port} still accepted connections after ${MAX_PARKED} were queued; cannot blackhole it this way`);
        const socket = await connectWithin(host, target.port, QUEUE_FULL_AFTER_MS);
        if (socket === 'timeout') break;
        if (socket === 'failed') throw new Error(`local target '${target.name}': a connection to ${host}:${target.port} failed while filling its accept queue`);
        queue.parked.push(socket);
      }
      return queue;
    } catch (error) {
      await queue.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    Atomics.store(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
    // The thread closes its listener as soon as it wakes; terminate() only if it does not.
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
    for (const socket of this.parked) socket.destroy();
  }
}

/** The worker thread of a FullAcceptQueue (plain JavaScript: it is evaluated, not loaded through tsx). */
const PARKED_LISTENER = `
const { workerData, parentPort } = require('node:worker_threads');
const server = require('node:net').createServer((socket) => socket.destroy());
server.once('error', (error) => parentPort.postMessage({ error: error.code || error.message }));
server.listen({ host: workerData.host, port: workerData.port, backlog: 1, exclusive: true }, () => {
  parentPort.postMessage({ listening: true });
  Atomics.wait(workerData.wake, 0, 0);
  server.close();
});
`;

/** A connected socket; `timeout` when the connect did not complete in time (it is then abandoned); `failed` otherwise. */
function connectWithin(host: string, port: number, ms: number): Promise<Socket | 'timeout' | 'failed'> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    // A parked socket is reset when the queue closes; that is expected.
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve('failed');
    });
  });
}

/** A set of targets, started up, switched by name. */
export class TargetSet {
  private readonly servers = new Map<string, TargetServer>();

  constructor(targets: LocalTarget[]) {
    for (const target of targets) this.servers.set(target.name, new TargetServer(target));
  }

  /** Starts every target up, or in the state given for it (else its own `initial`). */
  /** Serves each target in its initial state; if one cannot be served, the others are stopped again before it throws. */
  async start(initial: Record<string, TargetState> = {}): Promise<void> {
    const started = await Promise.allSettled([...this.servers].map(([name, server]) => server.set(initial[name] ?? server.target.initial ?? 'up')));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (!failed) return;
    // A listener left open would keep the process alive after the fleet gave up starting.
    await this.stop().catch(() => undefined);
    throw failed.reason;
  }

  async set(name: string, state: TargetState): Promise<void> {
    const server = this.servers.get(name);
    if (!server) throw new Error(`no local target named '${name}' (targets: ${[...this.servers.keys()].join(', ') || 'none'})`);
    await server.set(state);
  }

  states(): Record<string, TargetState> {
    return Object.fromEntries([...this.servers].map(([name, server]) => [name, server.state]));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.set('down')));
  }
}

/** Asks the kernel for free loopback ports (in this namespace), distinct from each other. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: 0, exclusive: true }, () => resolve());
      });
      servers.push(server);
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
