// One address policy: the link-local / instance-metadata rule is one domain function that validation and the probe
// engine share, and it holds for every spelling of an address.
import { describe, expect, it } from 'vitest';
import { isLinkLocal as engineIsLinkLocal } from '../../functions/probe/engine';
import { ConfigError, isIP, isLinkLocal, resolveMonitor } from '../../functions/shared/domain';

const BLOCKED = [
  // 169.254.0.0/16, and what getaddrinfo also reads as it.
  '169.254.169.254', '169.254.0.1', '169.254.255.255', '0xa9fea9fe', '0XA9FEA9FE', '2852039166', '169.254.43518', '0251.0376.0251.0376',
  // IPv4-mapped IPv6, dotted or hex, any case, written out.
  '::ffff:169.254.169.254', '::FFFF:169.254.169.254', '::ffff:a9fe:a9fe', '::FFFF:A9FE:A9FE', '0:0:0:0:0:ffff:a9fe:a9fe', '0000:0000:0000:0000:0000:ffff:169.254.0.1',
  // fe80::/10, any case, with zone ids, in brackets.
  'fe80::1', 'FE80::1', 'fe80::1%eth0', 'fe80::1%25eth0', 'febf:ffff::1', 'fe80:0000:0000:0000:0000:0000:0000:0001', '[fe80::1]', '[fe80::1%eth0]',
  // The EC2 metadata service over IPv6, compressed or written out.
  'fd00:ec2::254', 'FD00:EC2::254', 'fd00:0ec2:0000:0000:0000:0000:0000:0254', 'fd00:ec2:0:0:0:0:0:254', 'fd00:0ec2::0254', '[fd00:ec2::254]',
];
const ALLOWED = [
  '127.0.0.1', '10.0.0.1', '169.253.255.255', '169.255.0.1', '::1', '::', 'fec0::1', 'fe7f::1', 'fd00:ec2::253', 'fd00:ec2::1:254',
  '::ffff:10.0.0.1', '::ffff:a9ff:1', '::a9fe:a9fe', '2001:db8::1', 'db.example.internal', 'a9fea9fe', '169.254.1.1.1', '256.1.1.1', '',
];

describe('isLinkLocal', () => {
  it('is the one function: the probe engine uses the domain policy', () => {
    expect(engineIsLinkLocal).toBe(isLinkLocal);
  });

  it.each(BLOCKED)('blocks %s', (address) => {
    expect(isLinkLocal(address)).toBe(true);
  });

  it.each(ALLOWED)('allows %j', (address) => {
    expect(isLinkLocal(address)).toBe(false);
  });
});

describe('validation applies the same policy as the probes', () => {
  // Each spelling a monitor's host can hold (brackets stripped as the engine sees resolved addresses).
  const hosts = BLOCKED.filter((a) => !a.includes('%25'));

  it.each(hosts)('refuses host %s unless allowLinkLocal is set', (host) => {
    let thrown: unknown;
    try {
      resolveMonitor({ id: 'imds', host, port: 80 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.map((p) => [p.field, p.message])).toEqual([
      ['host', `Monitor 'imds': host ${host} is a link-local or instance-metadata address (set allowLinkLocal: true if you really mean to probe it)`],
    ]);
    expect(resolveMonitor({ id: 'imds', host, port: 80, allowLinkLocal: true }).host).toBe(host);
  });

  it('recognises IPv6 spellings the way node:net does', async () => {
    const net = await import('node:net');
    for (const address of [...BLOCKED, ...ALLOWED].map((a) => a.replace(/^\[(.*)\]$/, '$1'))) {
      expect(isIP(address), address).toBe(net.isIP(address));
    }
  });
});
