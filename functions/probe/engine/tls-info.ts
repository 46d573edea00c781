// Reads certificate details off a TLS socket, whether or not verification passed.
import { createSecureContext, rootCertificates, type SecureContext, type TLSSocket } from 'node:tls';
import type { TlsInfo } from '../../shared/domain';

const DAY_MS = 86_400_000;

export function readTlsInfo(socket: TLSSocket, now: number): TlsInfo | undefined {
  const cert = socket.getPeerCertificate(false);
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const notAfter = new Date(cert.valid_to);
  const info: TlsInfo = {
    protocol: socket.getProtocol() ?? 'unknown',
    subject: distinguishedName(cert.subject as unknown as Record<string, string>),
    issuer: distinguishedName(cert.issuer as unknown as Record<string, string>),
    sans: (cert.subjectaltname ?? '').split(', ').filter(Boolean).map((san) => san.replace(/^IP Address:/, 'IP:')),
    notAfter: Number.isNaN(notAfter.getTime()) ? cert.valid_to : notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now) / DAY_MS),
    authorized: socket.authorized,
  };
  if (cert.fingerprint256) info.fingerprint = cert.fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase();
  const cipher = socket.getCipher()?.name;
  if (cipher) info.cipher = cipher;
  if (!socket.authorized && socket.authorizationError) info.authorizationError = String(socket.authorizationError);
  return info;
}

function distinguishedName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`).join(', ');
}

export type ExtraCa = string | Buffer | Array<string | Buffer>;

const contexts = new Map<ExtraCa, SecureContext>();

/**
 * A secure context trusting the public roots plus extra CAs. Built once per CA value: parsing the
 * ~140 roots per connection would cost milliseconds of CPU per probe.
 */
export function contextWithExtraCa(ca: ExtraCa): SecureContext {
  let context = contexts.get(ca);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, ...(Array.isArray(ca) ? ca : [ca])] });
    contexts.set(ca, context);
  }
  return context;
}
