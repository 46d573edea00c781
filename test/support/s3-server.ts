// A loopback HTTP server answering the S3 calls the status page makes (PutObject, HeadObject, GetObject, path-style),
// so the real S3 client is exercised over a real socket without AWS. It also fails on request, as S3 can.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';

interface StoredObject {
  body: string;
  contentType?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
  lastModified: Date;
}

export interface LoopbackS3 {
  endpoint: string;
  /** Objects by `bucket/key`. */
  objects: Map<string, StoredObject>;
  /** Every request, as `METHOD /bucket/key`. */
  requests: string[];
  /** When set, every request is answered 503 SlowDown. */
  failing: boolean;
  client(): S3Client;
  close(): Promise<void>;
}

export async function startLoopbackS3(): Promise<LoopbackS3> {
  const objects = new Map<string, StoredObject>();
  const requests: string[] = [];
  const state = { failing: false };
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname).slice(1);
    requests.push(`${request.method} /${path}`);
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (state.failing) {
        response.writeHead(503, { 'content-type': 'application/xml' }).end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        return;
      }
      const found = objects.get(path);
      if (request.method === 'PUT') {
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) if (name.startsWith('x-amz-meta-')) metadata[name.slice(11)] = String(value);
        objects.set(path, {
          body: Buffer.concat(chunks).toString('utf8'), metadata, lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
          ...(request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}),
          ...(request.headers['cache-control'] ? { cacheControl: request.headers['cache-control'] } : {}),
        });
        response.writeHead(200, { etag: '"1"' }).end();
      } else if ((request.method === 'HEAD' || request.method === 'GET') && found) {
        response.writeHead(200, {
          'content-type': found.contentType ?? 'binary/octet-stream', 'last-modified': found.lastModified.toUTCString(), 'content-length': Buffer.byteLength(found.body),
          ...Object.fromEntries(Object.entries(found.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
        }).end(request.method === 'GET' ? found.body : undefined);
      } else if (request.method === 'HEAD' || request.method === 'GET') {
        response.writeHead(404, { 'content-type': 'application/xml' }).end(request.method === 'GET' ? '<Error><Code>NoSuchKey</Code></Error>' : undefined);
      } else {
        response.writeHead(405).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: S3Client[] = [];
  return {
    endpoint, objects, requests,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    client() {
      const client = new S3Client({
        endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        // Plain bodies (no aws-chunked trailers) for this small server.
        requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
