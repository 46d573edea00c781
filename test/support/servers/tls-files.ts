// Certificate files for the real servers, from the shared test CA (test/support/certs.ts, made with openssl).
import { testCert, type CertKind } from '../certs';
import { requireBinary } from './common';

/** PEM files a server reads, plus the CA a probe must trust to verify it. */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  /** The test CA certificate (PEM file) that issued certFile. */
  caFile: string;
  /** The same CA as PEM text, ready for a probe's trusted CAs. */
  caPem: string;
  /** Nothing to do today: certs.ts removes its dir at process exit. Kept so callers need not know. */
  remove(): void;
}

/**
 * A leaf for localhost, 127.0.0.1 and ::1 signed by the test CA (`valid`: about a year left;
 * `expiring`: about 5 days; `expired`: ended yesterday; `selfSigned`: not from the CA).
 */
export async function makeServerTlsFiles(kind: CertKind = 'valid'): Promise<ServerTlsFiles> {
  requireBinary('/usr/bin/openssl', 'openssl');
  const cert = testCert(kind);
  return { certFile: cert.paths.cert, keyFile: cert.paths.key, caFile: cert.paths.ca, caPem: cert.caPem, remove: () => undefined };
}
