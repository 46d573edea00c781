// Monitor and fleet validation: every bad-spec fixture gives exactly its recorded messages; good specs resolve with defaults.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, isIP, resolveFleet, resolveMonitor, validateFleet, type FleetSpec } from '../../functions/shared/domain';

const fixtureDir = join(import.meta.dirname, '../fixtures/bad-specs');
const fixtures = readdirSync(fixtureDir).filter((name) => name.endsWith('.json')).sort();

describe('bad monitor declarations', () => {
  it('has at least 25 fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures)('%s gives exactly its recorded problems', (name) => {
    const { fleet, problems } = JSON.parse(readFileSync(join(fixtureDir, name), 'utf8')) as { fleet: FleetSpec; problems: string[] };
    expect(problems.length).toBeGreaterThan(0);
    expect(validateFleet(fleet).map((p) => p.message)).toEqual(problems);
    let thrown: unknown;
    try {
      resolveFleet(fleet);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.map((p) => p.message)).toEqual(problems);
    for (const message of problems) expect(message).toMatch(/^(Monitor '[^']+'|Monitor #\d+|Fleet): /);
  });

  it('refuses a runbook URL that carries credentials, without repeating them', () => {
    const problems = validateFleet({ regions: ['a', 'b'], monitors: [{ id: 'x', host: 'h', port: 1, runbook: 'https://ops:hunter2@wiki.invalid/runbooks/x' }] });
    expect(problems.map((p) => [p.monitor, p.field, p.message])).toEqual([[
      'x', 'runbook',
      "Monitor 'x': runbook 'https://<credentials>@wiki.invalid/runbooks/x' carries credentials in the URL (user:password@): every alert copies the link to every subscriber; link a page that asks for them",
    ]]);
    expect(validateFleet({ regions: ['a', 'b'], monitors: [{ id: 'x', host: 'h', port: 1, runbook: 'https://wiki.invalid/runbooks/x?user=ops' }] })).toEqual([]);
  });

  it('names the field of each problem', () => {
    const problems = validateFleet({ regions: ['a', 'b'], monitors: [{ id: 'x', host: 'h', port: 1, quorum: 3, tls: { minDaysValid: -1 } }] });
    expect(problems.map((p) => [p.monitor, p.field])).toEqual([['x', 'tls.minDaysValid'], ['x', 'quorum']]);
  });

  it('rejects unknown AWS regions only when told the known ones', () => {
    const fleet: FleetSpec = { regions: ['eu-west-1', 'eu-wset-2'], monitors: [] };
    expect(validateFleet(fleet)).toEqual([]);
    expect(validateFleet(fleet, { knownRegions: ['eu-west-1', 'eu-west-2'] }).map((p) => p.message)).toEqual([
      "Fleet: region 'eu-wset-2' is not an AWS region (did you mean 'eu-west-2'?)",
    ]);
  });
});

describe('resolution', () => {
  it('applies the documented defaults', () => {
    const { monitors } = resolveFleet({ regions: ['a', 'b', 'c'], monitors: [{ id: 'db', host: 'db.internal', port: 5432 }] });
    expect(monitors[0]).toEqual({
      id: 'db', host: 'db.internal', port: 5432,
      expectWithinBytes: DEFAULTS.expectWithinBytes, timeoutMs: DEFAULTS.timeoutMs, retries: 1, family: 'auto',
      allAddresses: false, expectClosed: false, allowLinkLocal: false, tags: {}, severity: 'critical',
      regions: ['a', 'b', 'c'], quorum: 2, interval: 60, failureThreshold: 2, recoveryThreshold: 2,
      maintenance: [], renotifyMinutes: 0, flapping: { enterPercent: 40, leavePercent: 20 }, divergedRounds: 3, exposure: 'public',
    });
  });

  it('merges fleet-wide monitor defaults under each monitor', () => {
    const { monitors } = resolveFleet({
      regions: ['a', 'b', 'c'],
      monitorDefaults: { interval: 10, tags: { team: 'core' } },
      monitors: [{ id: 'db', host: 'db.internal', port: 5432 }, { id: 'mx', host: 'mx.internal', port: 25, interval: 30 }],
    });
    expect(monitors.map((m) => [m.interval, m.tags])).toEqual([[10, { team: 'core' }], [30, { team: 'core' }]]);
  });

  it('turns one timeout number into a per-attempt budget for every phase', () => {
    expect(resolveMonitor({ id: 'x', host: '127.0.0.1', port: 1, timeoutMs: 800 }).timeoutMs).toEqual({ dns: 800, connect: 800, tls: 800, expect: 800, total: 800 });
  });

  it('resolves tls, starttls and http options', () => {
    const smtp = resolveMonitor({ id: 'mx', host: 'mx.internal', port: 25, preset: 'smtp', starttls: 'smtp', tls: { minDaysValid: 21 } });
    expect(smtp.tls).toEqual({ verify: true, minDaysValid: 21 });
    expect(smtp.starttls).toBe('smtp');
    const web = resolveMonitor({ id: 'web', host: 'web.internal', port: 443, tls: true, preset: 'http', http: { status: 204 } });
    expect(web.http).toEqual({ method: 'GET', path: '/', status: [204, 204] });
    expect(web.tls).toEqual({ verify: true, minDaysValid: 14 });
  });

  it('accepts IPv6 literals, bracketed or not, and allows link-local when asked', () => {
    expect(resolveMonitor({ id: 'v6', host: '::1', port: 22 }).host).toBe('::1');
    expect(resolveMonitor({ id: 'imds', host: '169.254.169.254', port: 80, allowLinkLocal: true }).allowLinkLocal).toBe(true);
  });

  it('throws one ConfigError listing every problem', () => {
    expect(() => resolveMonitor({ id: 'x', host: '', port: 0 })).toThrowError(
      "2 problems in the monitor declarations:\n  - Monitor 'x': host is missing (a DNS name or an IP address, e.g. 'db.example.internal')\n  - Monitor 'x': port 0 is not a TCP port (use a whole number from 1 to 65535)",
    );
  });
});

describe('isIP (pure, matches node:net)', () => {
  it.each([
    ['127.0.0.1', 4], ['255.255.255.255', 4], ['256.1.1.1', 0], ['01.2.3.4', 0], ['::1', 6], ['::', 6], ['fe80::1%eth0', 6],
    ['2001:db8::8a2e:370:7334', 6], ['::ffff:10.0.0.1', 6], ['1:2:3:4:5:6:7:8', 6], ['1:2:3:4:5:6:7:8:9', 0], ['1::2::3', 0],
    ['localhost', 0], ['db.internal', 0], ['12345::', 0],
  ])('%s → %i', async (value, family) => {
    const net = await import('node:net');
    expect(isIP(value)).toBe(family);
    expect(net.isIP(value)).toBe(family);
  });
});
