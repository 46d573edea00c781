// Maps raw socket, DNS and TLS error codes to the domain's error classes (pure; table-tested).
import type { ErrorClass, Phase } from '../../shared/domain';

const BY_CODE: Record<string, ErrorClass> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  ETIMEOUT: 'timeout',
  DEADLINE: 'timeout',
  ROUND_DEADLINE: 'timeout',
  ABORTED: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  BLOCKED_LINK_LOCAL: 'unreachable',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ENODATA: 'dns',
  ESERVFAIL: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  EOF: 'reset',
};

/** Codes OpenSSL and Node use for certificate verification failures (authorizationError values). */
const CERT_CODE = /^(CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH)/;

/**
 * The error class for a raw code seen in a phase. A deadline is always `timeout`; anything else that goes
 * wrong during the TLS handshake is `tls` (a reset mid-handshake is a handshake failure, which is what
 * the user has to fix); unknown codes fall back to the phase's natural class.
 */
export function classifyError(code: string | undefined, phase: Phase): ErrorClass {
  const known = code === undefined ? undefined : BY_CODE[code];
  if (known === 'timeout') return 'timeout';
  if (phase === 'tls') return 'tls';
  if (known) return known;
  if (code !== undefined && (CERT_CODE.test(code) || code === 'EPROTO')) return 'tls';
  switch (phase) {
    case 'dns': return 'dns';
    case 'connect': return 'unreachable';
    default: return 'protocol';
  }
}

/**
 * DNS answers that are authoritative: the name does not exist, or has no address of the family asked.
 * Retrying them inside a round cannot change the answer, so they are neither retried nor re-asked.
 */
export function isDefinitiveDnsAnswer(code: string): boolean {
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NODATA' || code === 'EAI_NONAME';
}
