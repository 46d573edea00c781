// `portquorum check` and `portquorum test` through the real binary: exit codes, output, JSON shape, --help.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet as exampleFleet } from '../../bin/monitors';
import { isPlaceholderHost } from '../../bin/cli/test-monitors';
import { runCli } from '../support/cli';
import { closedPort, listener } from '../support/ports';

let open: Awaited<ReturnType<typeof listener>>;
let open6: Awaited<ReturnType<typeof listener>>;
let refusedPort: number;

beforeAll(async () => {
  open = await listener('127.0.0.1', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
  open6 = await listener('::1');
  refusedPort = await closedPort();
});
afterAll(async () => {
  await open.close();
  await open6.close();
});

describe('portquorum check', () => {
  it('exits 0 and prints an UP line with timings for an open port', async () => {
    const r = await runCli(['check', `127.0.0.1:${open.port}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^UP +127\\.0\\.0\\.1:${open.port} +tcp .*connect \\d+(\\.\\d+)?ms .*total \\d+(\\.\\d+)?ms`));
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 and names class, phase and code for a refused port', async () => {
    const r = await runCli(['check', `127.0.0.1:${refusedPort}`, '--retries', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^DOWN +127\.0\.0\.1:\d+ +tcp +connection refused \(ECONNREFUSED\)/);
  });

  it('prints one JSON document with --json: what was asked and what happened, timings to 0.1 ms', async () => {
    const r = await runCli(['check', `127.0.0.1:${refusedPort}`, '--json', '--retries', '1']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { target: string; asked: Record<string, unknown>; outcome: Record<string, unknown> };
    expect(Object.keys(doc)).toEqual(['target', 'asked', 'outcome']);
    expect(doc.target).toBe(`127.0.0.1:${refusedPort}`);
    expect(doc.asked).toEqual({ host: '127.0.0.1', port: refusedPort, retries: 1 });
    // Refused is an answer: not retried within the round, whatever --retries says.
    expect(doc.outcome).toMatchObject({ ok: false, errorClass: 'refused', phase: 'connect', code: 'ECONNREFUSED', attempts: 1, portOpen: false });
    const totalMs = (doc.outcome.timings as { totalMs: number }).totalMs;
    expect(Math.round(totalMs * 10) / 10).toBe(totalMs);
    expect(String(totalMs)).toMatch(/^\d+(\.\d)?$/);
  });

  it('prints the whole monitor as probed with --verbose-json', async () => {
    const r = await runCli(['check', `127.0.0.1:${open.port}`, '--verbose-json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { monitor: Record<string, unknown>; outcome: Record<string, unknown> };
    expect(doc.monitor).toMatchObject({ host: '127.0.0.1', port: open.port, retries: 1, timeoutMs: { total: 5000 }, interval: 60 });
    expect(doc.outcome).toMatchObject({ ok: true });
  });

  it('a service answering wrongly to --expect SSH-2.0 is protocol, quoting what it said, after one attempt (issue 12, defect 8)', async () => {
    const plain = await listener('127.0.0.1', 'hello from a plain service\r\n');
    try {
      const r = await runCli(['check', `127.0.0.1:${plain.port}`, '--expect', 'SSH-2.0']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^DOWN +127\\.0\\.0\\.1:${plain.port} +tcp +protocol: wrong answer in expect \\(UNEXPECTED_REPLY\\)`));
      expect(r.stdout).toContain(`127.0.0.1:${plain.port} answered "hello from a plain service\\r\\n" (28 bytes), but no reply containing 'SSH-2.0' within 3000 ms`);
      expect(r.stdout).not.toContain('no answer');
      expect(r.stdout).not.toContain('attempts');
      const json = await runCli(['check', `127.0.0.1:${plain.port}`, '--expect', 'SSH-2.0', '--timeout', '500', '--json']);
      expect(JSON.parse(json.stdout).outcome).toMatchObject({ ok: false, errorClass: 'protocol', code: 'UNEXPECTED_REPLY', attempts: 1, received: 'hello from a plain service\\r\\n' });
    } finally {
      await plain.close();
    }
  });

  it('reads the ssh banner with --preset ssh', async () => {
    const r = await runCli(['check', `127.0.0.1:${open.port}`, '--preset', 'ssh', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toMatchObject({ ok: true, serverVersion: expect.stringContaining('OpenSSH_9.2p1') });
  });

  it('accepts IPv6 literals in brackets', async () => {
    const r = await runCli(['check', `[::1]:${open6.port}`, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ target: `[::1]:${open6.port}`, outcome: { ok: true, address: '::1' } });
  });

  it('with --expect-closed, a refused port is up and an open one is down', async () => {
    expect((await runCli(['check', `127.0.0.1:${refusedPort}`, '--expect-closed'])).code).toBe(0);
    const r = await runCli(['check', `127.0.0.1:${open.port}`, '--expect-closed', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).outcome).toMatchObject({ ok: false, code: 'EXPECTED_CLOSED', portOpen: true });
  });

  it.each([
    [[], 'give exactly one HOST:PORT target (got none)'],
    [['127.0.0.1'], "target '127.0.0.1' has no port"],
    [['::1:22'], 'write IPv6 targets in brackets'],
    [['db:1:2'], "'db:1:2' has more than one ':'"],
    [['127.0.0.1:99999'], "port '99999' in '127.0.0.1:99999' must be a number from 1 to 65535"],
    [['127.0.0.1:22', '--family', '5'], "--family '5' must be 4 or 6"],
    [['127.0.0.1:22', '--preset', 'postgresql'], "--preset 'postgresql' is not one of"],
    [['127.0.0.1:22', '--timeout', 'soon'], "--timeout 'soon' must be a whole number"],
    [['127.0.0.1:22', '--bogus'], "unknown option '--bogus'"],
    [['127.0.0.1:22', '--path', '/x'], '--path, --status and --body need --preset http'],
    [['127.0.0.1:22', '--send', 'a', '--send-hex', '00'], 'give only one of --send and --send-hex'],
  ])('exits 2 with a clear message for bad usage %j', async (args, message) => {
    const r = await runCli(['check', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("See 'portquorum check --help'");
  });

  it('--help documents every flag', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--preset', '--tls', '--starttls', '--send', '--expect', '--timeout', '--family', '--all-addresses', '--expect-closed', '--json', '--verbose-json', '--insecure', '--retries']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('[::1]:5432');
  });
});

describe('portquorum test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-cli-'));

  it('probes every declared monitor, prints a table and exits 1 when one is down', async () => {
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify({
      regions: ['local'],
      monitors: [
        { id: 'up-one', host: '127.0.0.1', port: open.port },
        { id: 'down-one', host: '127.0.0.1', port: refusedPort, retries: 0 },
      ],
    }));
    const r = await runCli(['test', '--config', config]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^MONITOR +TARGET +VERDICT +CLASS +PHASE +CONNECT +TOTAL +CERT DAYS +DETAIL$/);
    expect(lines.find((l) => l.startsWith('up-one'))).toMatch(/ UP +- +- /);
    expect(lines.find((l) => l.startsWith('down-one'))).toMatch(/ DOWN +refused +connect /);
    expect(r.stdout).toContain('1 up, 1 down');

    const json = await runCli(['test', '--config', config, '--monitor', 'up-one', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([{ monitor: 'up-one', target: `127.0.0.1:${open.port}`, outcome: expect.objectContaining({ ok: true }) }]);
  });

  it('says when hosts that do not resolve are placeholders, and where to put real ones', async () => {
    const config = join(dir, 'placeholders.json');
    writeFileSync(config, JSON.stringify({
      regions: ['local'],
      monitors: [
        { id: 'db', host: 'orders.example.invalid', port: 5432, retries: 0 },
        { id: 'up-one', host: '127.0.0.1', port: open.port },
      ],
    }));
    const r = await runCli(['test', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`portquorum test: a host does not resolve because it is a placeholder (orders.example.invalid); replace them in ${config} with your own targets\n`);
  });

  it("knows the shipped example's hosts for placeholders, and no real name for one", () => {
    expect(exampleFleet.monitors.map((m) => m.host).filter((h) => typeof h === 'string' && !isPlaceholderHost(h))).toEqual([]);
    for (const host of ['db.internal', 'examples.com', 'example-db.internal', '127.0.0.1']) expect(isPlaceholderHost(host)).toBe(false);
  });

  it('exits 2 listing every problem of bad declarations', async () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ regions: ['a', 'b'], monitors: [{ id: 'x', host: '127.0.0.1', port: 0, quorum: 3 }] }));
    const r = await runCli(['test', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Monitor 'x': port 0 is not a TCP port (use a whole number from 1 to 65535)");
    expect(r.stderr).toContain("Monitor 'x': quorum 3 is more than the 2 regions that probe it (set quorum ≤ 2 or add regions)");
  });

  it('exits 2 when the config file cannot be read', async () => {
    const r = await runCli(['test', '--config', join(dir, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read --config');
  });
});

describe('portquorum', () => {
  it('lists the commands with --help and rejects unknown ones', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/check +probe one HOST:PORT/);
    const bad = await runCli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown command 'frobnicate'");
  });
});
