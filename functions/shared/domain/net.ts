// IP literals and the address policy, without node:net so the domain stays pure (the CDK app, the CLI and the probe
// engine all call these same functions: synth never accepts an address that every probe would then refuse).

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;
/** What getaddrinfo (inet_aton) also reads as IPv4: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x). */
const INET_ATON = /^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$/i;

/** 4 for an IPv4 literal, 6 for an IPv6 literal (zone id allowed), 0 otherwise — like node:net's isIP. */
export function isIP(value: string): 0 | 4 | 6 {
  if (IPV4.test(value)) return 4;
  return ipv6Groups(value) ? 6 : 0;
}

/** The eight 16-bit groups of an IPv6 literal (zone id dropped, embedded IPv4 tail expanded), or undefined. */
function ipv6Groups(value: string): number[] | undefined {
  const zone = value.indexOf('%');
  const address = zone >= 0 ? value.slice(0, zone) : value;
  if (!address.includes(':') || address.length > 45) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parts = (half: string) => (half === '' ? [] : half.split(':'));
  const head = parts(halves[0]!);
  const tail = halves.length === 2 ? parts(halves[1]!) : [];
  // An embedded IPv4 address (::ffff:1.2.3.4) takes the last two groups.
  const last = halves.length === 2 ? tail : head;
  const dotted = last[last.length - 1];
  if (dotted !== undefined && dotted.includes('.')) {
    if (!IPV4.test(dotted)) return undefined;
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    last.splice(last.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  if (![...head, ...tail].every((g) => HEXTET.test(g))) return undefined;
  const width = head.length + tail.length;
  if (halves.length === 2 ? width > 7 : width !== 8) return undefined;
  const groups = (list: string[]) => list.map((g) => parseInt(g, 16));
  return [...groups(head), ...new Array<number>(8 - width).fill(0), ...groups(tail)];
}

/** The four bytes of an IPv4 address as getaddrinfo reads it (`169.254.169.254`, `0xa9fea9fe`, `2852039166`, `169.254.43518`). */
function ipv4Bytes(value: string): number[] | undefined {
  if (!INET_ATON.test(value)) return undefined;
  const parts = value.split('.').map((p) => (/^0x/i.test(p) ? parseInt(p.slice(2), 16) : /^0\d/.test(p) ? (/^0[0-7]+$/.test(p) ? parseInt(p, 8) : NaN) : Number(p)));
  if (parts.some((p) => Number.isNaN(p))) return undefined;
  // The last part fills the bytes the earlier parts leave (inet_aton: a, a.b, a.b.c, a.b.c.d).
  const last = parts.pop()!;
  const lastBytes = 4 - parts.length;
  if (parts.some((p) => p > 255) || last >= 2 ** (8 * lastBytes)) return undefined;
  const bytes = [...parts];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes;
}

/** The metadata service's IPv6 address on Nitro instances, fd00:ec2::254. */
const EC2_METADATA_V6 = [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254];

/**
 * True for link-local and cloud instance-metadata addresses however they are written: 169.254.0.0/16 (also as
 * inet_aton spellings and IPv4-mapped IPv6, dotted or hex), fe80::/10 (any case, with or without a zone id) and
 * fd00:ec2::254 (compressed or written out). A probe inside a VPC could otherwise be pointed at the metadata service by a
 * declaration, or by a DNS name that resolves there; validation and the probe engine both ask this one function.
 */
export function isLinkLocal(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = ipv4Bytes(bare);
  if (v4) return v4[0] === 169 && v4[1] === 254;
  const g = ipv6Groups(bare);
  if (!g) return false;
  if ((g[0]! & 0xffc0) === 0xfe80) return true;
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  if (mapped && g[6] === 0xa9fe) return true;
  return g.every((x, i) => x === EC2_METADATA_V6[i]);
}

/** `host:port` as people and URLs write it: an IPv6 literal in brackets (`[::1]:5432`). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
