// Certificate files for the real servers: a test CA and a leaf for localhost/127.0.0.1/::1, written by openssl.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary } from './common';

const run = promisify(execFile);

/** PEM files a server reads, plus the CA a probe must trust to verify it. */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  /** The test CA certificate (PEM file) that issued certFile. */
  caFile: string;
  /** The same CA as PEM text, ready for a probe's trusted CAs. */
  caPem: string;
  /** Removes the files. */
  remove(): void;
}

/**
 * Makes a fresh test CA and a leaf for localhost, 127.0.0.1 and ::1, valid for 30 days.
 * Kept inside test/support/servers/ so the harnesses do not depend on another helper's module;
 * openssl is the real tool a server operator would use.
 */
export async function makeServerTlsFiles(): Promise<ServerTlsFiles> {
  requireBinary('/usr/bin/openssl', 'openssl');
  const dir = mkdtempSync(join(tmpdir(), 'portquorum-tls-'));
  const f = (name: string): string => join(dir, name);
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await run('/usr/bin/openssl', args, { cwd: dir, timeout: 60_000 });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`openssl ${args[0]} failed while making test certificates: ${e.stderr || e.message}`);
    }
  };
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30', '-subj', '/CN=portquorum test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('leaf.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '',
  ].join('\n'));
  await openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.crt'), '-days', '30', '-extfile', f('leaf.ext')]);
  return {
    certFile: f('server.crt'),
    keyFile: f('server.key'),
    caFile: f('ca.crt'),
    caPem: readFileSync(f('ca.crt'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
