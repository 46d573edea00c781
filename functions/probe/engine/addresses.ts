// Address checks done after resolution: the link-local / instance-metadata guard.
import { isIP } from 'node:net';

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  const bare = address.split('%')[0]!.toLowerCase();
  if (isIP(bare) !== 6) return undefined;
  let text = bare;
  // An embedded IPv4 tail becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}

/**
 * True for link-local and cloud instance-metadata addresses: 169.254.0.0/16 (IPv4 and IPv4-mapped),
 * fe80::/10 and fd00:ec2::254. A probe Lambda inside a VPC could otherwise be pointed at the metadata
 * service by a monitor declaration (or a DNS name that resolves there).
 */
export function isLinkLocal(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('169.254.');
  const g = ipv6Groups(address);
  if (!g) return false;
  if ((g[0]! & 0xffc0) === 0xfe80) return true;
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  if (mapped && g[6] === 0xa9fe) return true;
  const metadata = [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254];
  return g.every((x, i) => x === metadata[i]);
}
