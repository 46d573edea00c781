// In-process loopback fixture servers for probe tests: silent, reset, banner, slow, endless, TLS, scripted.
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket, createServer as createTlsServer, type TlsOptions } from 'node:tls';

export interface FixtureServer {
  host: string;
  port: number;
  /** Connections open right now (counted down on the first of end/error/close). */
  readonly open: number;
  /** Most connections open at once. */
  readonly peak: number;
  /** Connections accepted in total. */
  readonly accepted: number;
  /** Resolves once no connection is open (bounded by `ms`, rejects after). */
  idle(ms?: number): Promise<void>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** TLS options (cert, key) to serve TLS from the first byte. */
  tls?: TlsOptions;
}

/** Starts a server on a free loopback port; `onConnection` scripts each connection. */
export async function startFixture(onConnection: (socket: Socket) => void, options: FixtureOptions = {}): Promise<FixtureServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let open = 0;
  let peak = 0;
  let accepted = 0;
  let idleWaiters: Array<() => void> = [];
  const track = (socket: Socket) => {
    accepted += 1;
    open += 1;
    peak = Math.max(peak, open);
    sockets.add(socket);
    let counted = true;
    // The first sign the client is gone counts it out: 'close' comes a loop turn later than 'end'.
    const done = () => {
      if (!counted) return;
      counted = false;
      open -= 1;
      if (open === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        waiters.forEach((w) => w());
      }
    };
    socket.on('end', done);
    socket.on('error', done);
    socket.on('close', () => {
      done();
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    // A fixture that never reads would never see the client's FIN; drain it so 'end' (and the count) come.
    if (socket.listenerCount('data') === 0) socket.resume();
  };
  const server: Server = options.tls
    ? createTlsServer(options.tls, (socket) => onConnection(socket))
    : createTcpServer((socket) => onConnection(socket));
  // Count raw TCP connections (before any TLS handshake) so a failed handshake is still seen. Registered
  // after the script's listener for plain TCP, so `track` sees whether the script reads.
  server.on('connection', track);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, backlog: 1024 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    get open() { return open; },
    get peak() { return peak; },
    get accepted() { return accepted; },
    idle(ms = 10_000) {
      if (open === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fixture on port ${port} still has ${open} open connections after ${ms} ms`)), ms);
        idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on which nothing listens (bound once to get a free number, then closed). */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts and never says anything. */
export const silentServer = (options?: FixtureOptions) => startFixture(() => undefined, options);

/** Accepts and resets at once (RST, not FIN). */
export const resetServer = (options?: FixtureOptions) => startFixture((socket) => socket.resetAndDestroy(), options);

/** Sends `banner` on connect and keeps the connection open until the client leaves. */
export const bannerServer = (banner: string | Buffer, options?: FixtureOptions) =>
  startFixture((socket) => socket.write(banner), options);

/** Sends `banner` after `delayMs`. */
export const slowBannerServer = (banner: string, delayMs: number, options?: FixtureOptions) =>
  startFixture((socket) => {
    const timer = setTimeout(() => socket.writable && socket.write(banner), delayMs);
    socket.on('close', () => clearTimeout(timer));
  }, options);

/** Streams bytes without end (up to `totalBytes`), counting what it managed to write. */
export function endlessServer(totalBytes = 10 * 1024 * 1024, options?: FixtureOptions): Promise<FixtureServer & { written(): number }> {
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const fixture = startFixture((socket) => {
    const pump = () => {
      while (written < totalBytes && !socket.destroyed) {
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }, options);
  return fixture.then((f) => Object.assign(f, { written: () => written }));
}

/** What a scripted line server can do with its connection. */
export interface LineSession {
  write(data: string | Buffer): void;
  /** Switches to TLS as the server side of STARTTLS; later lines are read from the TLS layer. */
  startTls(): void;
  close(): void;
}

/**
 * Answers each received line with `reply(line, session)` (undefined = say nothing); `greeting` is sent
 * first. `tls` (cert, key) enables `session.startTls()` for STARTTLS fakes.
 */
export function lineServer(
  reply: (line: string, session: LineSession) => string | Buffer | undefined,
  greeting?: string,
  options: FixtureOptions & { starttls?: TlsOptions } = {},
): Promise<FixtureServer> {
  const { starttls, ...fixtureOptions } = options;
  return startFixture((raw) => {
    let stream: Socket | TLSSocket = raw;
    let pending = '';
    const onData = (data: Buffer) => {
      pending += data.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, i).replace(/\r$/, '');
        pending = pending.slice(i + 1);
        const answer = reply(line, session);
        if (answer !== undefined && stream.writable) stream.write(answer);
      }
    };
    const session: LineSession = {
      write: (data) => {
        if (stream.writable) stream.write(data);
      },
      startTls: () => {
        if (!starttls) throw new Error('lineServer: startTls needs options.starttls (cert, key)');
        stream.off('data', onData);
        pending = '';
        const secure = new TLSSocket(raw, { isServer: true, ...starttls });
        secure.on('error', () => undefined);
        secure.on('data', onData);
        stream = secure;
      },
      close: () => stream.end(),
    };
    raw.on('data', onData);
    if (greeting) raw.write(greeting);
  }, fixtureOptions);
}
