// Loopback targets the local fleet serves itself (demo services and the canary), which can be taken down and brought back.
import { createServer, type Server, type Socket } from 'node:net';

export const TARGET_KINDS = ['tcp', 'banner', 'http'] as const;
/** tcp: accepts and stays silent; banner: greets like an SSH server; http: answers HTTP/1.1 200. */
export type TargetKind = (typeof TARGET_KINDS)[number];

export const TARGET_STATES = ['up', 'down'] as const;
/** down = the listener is closed, so probes see `refused`, as with a crashed service. */
export type TargetState = (typeof TARGET_STATES)[number];

export interface LocalTarget {
  /** Name used by `setTarget` and on screen, e.g. `web`. */
  name: string;
  kind: TargetKind;
  /** Loopback port; the same in every region's namespace. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
}

const BANNER = 'SSH-2.0-portquorum_demo\r\n';
const HTTP_BODY = 'portquorum demo: ok\n';
const HTTP_REPLY =
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(HTTP_BODY)}\r\nServer: portquorum-demo\r\nConnection: close\r\n\r\n${HTTP_BODY}`;

function onConnection(kind: TargetKind, socket: Socket): void {
  socket.on('error', () => socket.destroy());
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

/** One served target: up or down, switchable at any time. */
export class TargetServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private current: TargetState = 'down';

  constructor(readonly target: LocalTarget) {}

  get state(): TargetState {
    return this.current;
  }

  async set(state: TargetState): Promise<void> {
    if (state === this.current) return;
    this.current = state;
    if (state === 'up') await this.listen();
    else await this.close();
  }

  private async listen(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      onConnection(this.target.kind, socket);
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

/** A set of targets, started up, switched by name. */
export class TargetSet {
  private readonly servers = new Map<string, TargetServer>();

  constructor(targets: LocalTarget[]) {
    for (const target of targets) this.servers.set(target.name, new TargetServer(target));
  }

  async start(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.set('up')));
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
