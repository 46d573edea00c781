// Test CA and server certificates made with the openssl CLI, once per process, in a temp dir removed at exit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** valid: signed by the test CA, ~1 year; expiring: ~5 days left; expired: ended yesterday; selfSigned: not from the CA. */
export type CertKind = 'valid' | 'expiring' | 'expired' | 'selfSigned';

export interface TestCert {
  caPem: string;
  certPem: string;
  keyPem: string;
  paths: { ca: string; cert: string; key: string; dir: string };
}

const DAY_MS = 86_400_000;
let dir: string | undefined;
const made = new Map<CertKind, TestCert>();

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
}

/** YYYYMMDDHHMMSSZ, the form `openssl ca -startdate/-enddate` takes. */
function asn1Time(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

function setUpCa(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'portquorum-certs-'));
  const created = dir;
  process.once('exit', () => rmSync(created, { recursive: true, force: true }));
  mkdirSync(join(dir, 'newcerts'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  // OpenSSL 3.0's `x509 -days` cannot backdate; `openssl ca` with -startdate/-enddate can.
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = testca',
    '[testca]', `dir = ${dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir/newcerts', 'serial = $dir/serial',
    'certificate = $dir/ca.pem', 'private_key = $dir/ca.key', 'default_md = sha256', 'policy = policy_any',
    'unique_subject = no', 'copy_extensions = none', 'default_days = 365',
    '[policy_any]', 'commonName = supplied', 'organizationName = optional',
    '[leaf]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth', 'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1',
    '[req]', 'distinguished_name = dn', '[dn]',
    '[selfsigned]', 'basicConstraints = critical, CA:FALSE', 'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1',
    '',
  ].join('\n'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=portquorum test CA/O=portquorum tests', '-config', 'ca.cnf', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return dir;
}

/** The certificate of a kind, made on first use and cached for the process. */
export function testCert(kind: CertKind): TestCert {
  const cached = made.get(kind);
  if (cached) return cached;
  const base = setUpCa();
  const key = join(base, `${kind}.key`);
  const cert = join(base, `${kind}.pem`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const now = Date.now();
  if (kind === 'selfSigned') {
    openssl(['req', '-x509', ...ec, '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost/O=self-signed', '-config', 'ca.cnf', '-extensions', 'selfsigned']);
  } else {
    const csr = join(base, `${kind}.csr`);
    openssl(['req', '-new', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=localhost/O=portquorum ${kind}`, '-config', 'ca.cnf']);
    const [start, end] = kind === 'valid' ? [now - DAY_MS, now + 365 * DAY_MS]
      : kind === 'expiring' ? [now - DAY_MS, now + 5 * DAY_MS + 6 * 3_600_000]
        : [now - 30 * DAY_MS, now - DAY_MS];
    openssl(['ca', '-batch', '-notext', '-config', 'ca.cnf', '-extensions', 'leaf', '-in', csr, '-out', cert,
      '-startdate', asn1Time(start), '-enddate', asn1Time(end)]);
  }
  const result: TestCert = {
    caPem: readFileSync(join(base, 'ca.pem'), 'utf8'),
    certPem: readFileSync(cert, 'utf8'),
    keyPem: readFileSync(key, 'utf8'),
    paths: { ca: join(base, 'ca.pem'), cert, key, dir: base },
  };
  made.set(kind, result);
  return result;
}
