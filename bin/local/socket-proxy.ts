// A UNIX-socket → TCP relay, so region workers inside network namespaces reach DynamoDB Local on the host's loopback.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { Agent } from 'node:http';

export interface SocketProxy {
  path: string;
  close(): Promise<void>;
}

/**
 * Listens on a UNIX socket and relays each connection to host:port. Filesystems are shared across network
 * namespaces, so this path works from any namespace, and iptables rules inside a namespace never touch it.
 */
export async function startSocketProxy(path: string, target: { host: string; port: number }): Promise<SocketProxy> {
  await rm(path, { force: true });
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}

/** An http.Agent whose connections go to a UNIX socket: give it to the SDK as `requestHandler: { httpAgent }`. */
export function unixSocketAgent(path: string): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  // createConnection is how http.Agent opens sockets; pointing it at the socket keeps the HTTP layer untouched.
  (agent as unknown as { createConnection: () => Socket }).createConnection = () => connect(path);
  return agent;
}
