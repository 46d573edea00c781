// http: one request with Connection: close; the status must be in range and the body may have to contain a string.
import { isIP } from 'node:net';
import type { ResolvedMonitor } from '../../shared/domain';
import { presetFacts, type Preset, type PresetDialog } from './types';

function hostHeader(m: ResolvedMonitor, secure: boolean): string {
  const name = m.http?.hostHeader ?? m.tls?.servername ?? m.host;
  if (m.http?.hostHeader !== undefined) return name;
  const host = isIP(name) === 6 ? `[${name}]` : name;
  const defaultPort = secure ? 443 : 80;
  return m.port === defaultPort ? host : `${host}:${m.port}`;
}

const HTTP_PREFIX = Buffer.from('HTTP/');

function headerEnd(b: Buffer): number | undefined {
  // Not HTTP from the first bytes (an SSH banner, say): take what is here so the status check fails now.
  if (b.length >= HTTP_PREFIX.length && !b.subarray(0, HTTP_PREFIX.length).equals(HTTP_PREFIX)) return b.length;
  const i = b.indexOf('\r\n\r\n');
  return i < 0 ? undefined : i + 4;
}

/** Decodes as much of a chunked body as arrived; good enough to search it for a substring. */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, Math.min(raw.length, lineEnd + 2 + size)));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

async function readBody(dialog: PresetDialog, headers: Map<string, string>): Promise<Buffer> {
  const length = headers.get('content-length');
  if (length !== undefined && /^\d+$/.test(length)) {
    const n = Number(length);
    // Only the first `expectWithinBytes` bytes are read: the substring must appear early.
    return dialog.readUntil((b) => (b.length >= n ? n : undefined), 'response body').catch((e: unknown) => {
      if ((e as { errorClass?: string }).errorClass === 'protocol') return dialog.readRest();
      throw e;
    });
  }
  const raw = await dialog.readRest();
  return /chunked/i.test(headers.get('transfer-encoding') ?? '') ? dechunk(raw) : raw;
}

export const http: Preset = {
  ...presetFacts('http'),
  async run(dialog, { monitor: m, secure }) {
    const method = m.http?.method ?? 'GET';
    const path = m.http?.path ?? '/';
    const [low, high] = m.http?.status ?? [200, 399];
    await dialog.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostHeader(m, secure)}\r\nUser-Agent: portquorum\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    const head = (await dialog.readUntil(headerEnd, 'complete HTTP response header')).toString('latin1');
    const [statusLine = '', ...headerLines] = head.split('\r\n');
    const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusLine);
    if (!status) return dialog.fail('expected an HTTP status line', { received: statusLine });
    const httpStatus = Number(status[1]);
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const server = headers.get('server');
    if (httpStatus < low || httpStatus > high) {
      dialog.fail(`HTTP status ${httpStatus} is outside the expected ${low}-${high} (the port is open but the service fails)`, { received: statusLine, httpStatus, code: 'HTTP_STATUS' });
    }
    const wanted = m.http?.bodyContains;
    if (wanted !== undefined) {
      const noBody = method === 'HEAD' || httpStatus === 204 || httpStatus === 304;
      const body = noBody ? Buffer.alloc(0) : await readBody(dialog, headers);
      if (!body.includes(wanted)) {
        dialog.fail(`the response body does not contain '${wanted}' within the first ${m.expectWithinBytes} bytes`, { received: body, httpStatus, code: 'HTTP_BODY' });
      }
    }
    return { banner: statusLine, httpStatus, ...(server ? { serverVersion: server } : {}) };
  },
};
