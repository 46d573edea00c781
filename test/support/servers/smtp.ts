// Harness for a real SMTP server with STARTTLS: aiosmtpd (Debian python3-aiosmtpd) run by the system python.
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { startServer, type RunningServer } from './common';
import type { ServerTlsFiles } from './tls-files';

const SCRIPT = fileURLToPath(new URL('./smtp_server.py', import.meta.url));
// The Debian python, not whatever python3 is first on PATH: python3-aiosmtpd installs for it only.
const PYTHON = '/usr/bin/python3';

function requireAiosmtpd(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import aiosmtpd'], { stdio: 'pipe', timeout: 30_000 });
  } catch {
    throw new Error(`${PYTHON} cannot import aiosmtpd: install the Debian package 'python3-aiosmtpd'`);
  }
}

export async function startSmtp(tls: ServerTlsFiles): Promise<RunningServer> {
  requireAiosmtpd();
  return startServer((port) => ({
    name: 'smtp (aiosmtpd, starttls)',
    command: PYTHON,
    args: ['-u', SCRIPT, String(port), tls.certFile, tls.keyFile],
    debianPackage: 'python3-aiosmtpd',
    port,
    readiness: { kind: 'log', pattern: /^READY$/m },
  }));
}
