// Parsing HOST:PORT targets from the command line, IPv6 literals in brackets ([::1]:5432).
import { isIP } from '../../functions/shared/domain';
import { UsageError } from './usage';

/** Well-known ports of URL schemes people paste, and the flags that probe what the scheme speaks. */
const SCHEMES: Readonly<Record<string, { port?: number; flags: string }>> = {
  http: { port: 80, flags: ' --preset http' },
  https: { port: 443, flags: ' --preset http --tls' },
  tcp: { flags: '' },
  tls: { flags: ' --tls' },
  ssh: { port: 22, flags: ' --preset ssh' },
  smtp: { port: 25, flags: ' --preset smtp' },
  redis: { port: 6379, flags: ' --preset redis' },
  postgres: { port: 5432, flags: ' --preset postgres' },
  postgresql: { port: 5432, flags: ' --preset postgres' },
  mysql: { port: 3306, flags: ' --preset mysql' },
};

/** A URL where HOST:PORT belongs: says so, and what to type instead when the URL says enough. */
function urlTarget(text: string): UsageError | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1];
  if (scheme === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const known = SCHEMES[scheme.toLowerCase()];
  const port = url?.port ? Number(url.port) : known?.port;
  const path = url && url.pathname !== '/' && url.pathname !== '' && scheme.toLowerCase().startsWith('http') ? ` --path ${url.pathname}` : '';
  const instead = url?.hostname && port !== undefined && known ? `; try 'portquorum check ${url.hostname}:${port}${known.flags}${path}'` : ' (e.g. db.internal:5432)';
  return new UsageError(`check: '${text}' is a URL, not HOST:PORT${instead}`);
}

export function parseTarget(text: string, defaultPort?: number): { host: string; port: number } {
  const url = urlTarget(text);
  if (url) throw url;
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(host) !== 6) throw new UsageError(`check: '${host}' in brackets is not an IPv6 address`);
  } else if (isIP(text) === 6) {
    if (defaultPort === undefined) throw new UsageError(`check: write IPv6 targets in brackets with the port, e.g. [${text}]:5432`);
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (text.indexOf(':') !== colon) throw new UsageError(`check: '${text}' has more than one ':'; give HOST:PORT, with an IPv6 address in brackets: [::1]:5432`);
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  if (host === '') throw new UsageError(`check: target '${text}' has no host (use HOST:PORT)`);
  if (portText === undefined || portText === '') {
    if (defaultPort === undefined) throw new UsageError(`check: target '${text}' has no port (use HOST:PORT, or a --preset with a well-known port)`);
    return { host, port: defaultPort };
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`check: port '${portText}' in '${text}' must be a number from 1 to 65535`);
  return { host, port };
}

/** Turns `\r\n`, `\t`, `\\` and `\xHH` escapes typed on a command line into the characters they name. */
export function unescapeArg(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rnt0\\])/g, (_, e: string) => {
    if (e.startsWith('x')) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' } as Record<string, string>)[e]!;
  });
}
