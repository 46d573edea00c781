// IP literal recognition without node:net, so the domain stays pure (and runs in the CDK app unchanged).

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** 4 for an IPv4 literal, 6 for an IPv6 literal (zone id allowed), 0 otherwise — like node:net's isIP. */
export function isIP(value: string): 0 | 4 | 6 {
  if (IPV4.test(value)) return 4;
  return isIPv6(value) ? 6 : 0;
}

function isIPv6(value: string): boolean {
  const address = value.includes('%') ? value.slice(0, value.indexOf('%')) : value;
  if (!address.includes(':')) return false;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...tail];
  let width = all.length;
  // An embedded IPv4 address (::ffff:1.2.3.4) takes the last two hextets.
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!IPV4.test(last)) return false;
    all.pop();
    width += 1;
  }
  if (!all.every((g) => HEXTET.test(g))) return false;
  return halves.length === 2 ? width <= 7 : width === 8;
}

/** `host:port` as people and URLs write it: an IPv6 literal in brackets (`[::1]:5432`). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
