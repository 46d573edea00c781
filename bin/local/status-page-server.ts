// The status page of the local fleet on a loopback port: the one renderer over DynamoDB Local, rendered per request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FleetConfig } from '../../functions/shared/domain';
import { renderStatusPage } from '../../functions/shared/domain/status-page';
import type { TableStore } from '../../functions/shared/adapters/store';
import { readStatusPage, type HistorySource } from '../../functions/shared/evaluation/status-page';
import type { Part } from './supervisor';

export interface StatusPageServer extends Part {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
}

/** Serves `/` (the page) and `/status.json` on 127.0.0.1 (`port` 0: a free one). */
export async function serveStatusPage(options: { fleet: FleetConfig; store: TableStore; history?: HistorySource; port?: number; onError?: (error: Error) => void }): Promise<StatusPageServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/' && path !== '/index.html' && path !== '/status.json') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the status page is / and its data /status.json\n');
      return;
    }
    readStatusPage(options.store, options.fleet, Date.now(), options.history).then((data) => {
      const json = path === '/status.json';
      const body = json ? `${JSON.stringify(data, null, 2)}\n` : renderStatusPage(data);
      response.writeHead(200, {
        'content-type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // The page needs nothing from anywhere: no script runs, nothing loads.
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      }).end(request.method === 'HEAD' ? undefined : body);
    }, (error: Error) => {
      options.onError?.(error);
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`the status page could not be read from the table: ${error.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    name: 'the status page server',
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
