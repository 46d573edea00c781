// Error classification, printable evidence and the link-local guard, table-tested.
import { describe, expect, it } from 'vitest';
import type { ErrorClass, Phase } from '../../../functions/shared/domain';
import { classifyError, isDefinitiveDnsAnswer, isLinkLocal, printable } from '../../../functions/probe/engine';

describe('classifyError', () => {
  const table: Array<[string | undefined, Phase, ErrorClass]> = [
    ['ECONNREFUSED', 'connect', 'refused'],
    ['ETIMEDOUT', 'connect', 'timeout'],
    ['ETIMEDOUT', 'tls', 'timeout'],
    ['ETIMEDOUT', 'expect', 'timeout'],
    ['ABORTED', 'dns', 'timeout'],
    ['EHOSTUNREACH', 'connect', 'unreachable'],
    ['ENETUNREACH', 'connect', 'unreachable'],
    ['BLOCKED_LINK_LOCAL', 'connect', 'unreachable'],
    ['ENOTFOUND', 'dns', 'dns'],
    ['EAI_AGAIN', 'dns', 'dns'],
    ['ENODATA', 'dns', 'dns'],
    ['ECONNRESET', 'expect', 'reset'],
    ['ECONNRESET', 'connect', 'reset'],
    ['EPIPE', 'send', 'reset'],
    ['EOF', 'expect', 'reset'],
    ['ECONNRESET', 'tls', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'expect', 'tls'],
    ['EPROTO', 'expect', 'tls'],
    ['UNEXPECTED_REPLY', 'expect', 'protocol'],
    [undefined, 'expect', 'protocol'],
    [undefined, 'dns', 'dns'],
    ['SOMETHING_NEW', 'connect', 'unreachable'],
  ];
  it.each(table)('%s in phase %s is %s', (code, phase, expected) => {
    expect(classifyError(code, phase)).toBe(expected);
  });

  it('treats NXDOMAIN-like answers as definitive and EAI_AGAIN as transient', () => {
    expect(isDefinitiveDnsAnswer('ENOTFOUND')).toBe(true);
    expect(isDefinitiveDnsAnswer('ENODATA')).toBe(true);
    expect(isDefinitiveDnsAnswer('EAI_AGAIN')).toBe(false);
  });
});

describe('printable', () => {
  it('escapes control and non-ASCII bytes', () => {
    expect(printable(Buffer.from([0x53, 0x0d, 0x0a, 0x00, 0xff, 0x09, 0x5c]))).toBe('S\\r\\n\\x00\\xff\\t\\\\');
  });
  it('truncates to the limit with an ellipsis', () => {
    const text = printable('x'.repeat(500));
    expect(text.length).toBe(121);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('isLinkLocal', () => {
  it.each([
    ['169.254.169.254', true], ['169.254.0.1', true], ['fe80::1', true], ['fe80::1%eth0', true], ['febf::1', true],
    ['fd00:ec2::254', true], ['fd00:0ec2:0:0:0:0:0:254', true], ['::ffff:169.254.169.254', true],
    ['127.0.0.1', false], ['10.0.0.1', false], ['::1', false], ['fec0::1', false], ['fd00:ec2::253', false], ['169.253.1.1', false],
  ])('%s → %s', (address, blocked) => {
    expect(isLinkLocal(address)).toBe(blocked);
  });
});
