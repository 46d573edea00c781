// Issue 12, defect 9: what a monitor sends (a password) appears in no output. A loopback server echoes the send back
// instead of answering as expected, so the secret reaches every place a reply is quoted; the real probe handler, the
// DynamoDB Local stream, the aggregator, the sweeper, the status reader, the live view and the CLI each must hide it.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeHandler } from '../../functions/probe/handler';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { redactMonitor, redactedSend, redactSecrets, secretsOf, type MonitorSpec } from '../../functions/shared/domain';
import { readStatus } from '../../bin/cli/status-read';
import { Screen } from '../../bin/local/screen';
import { render } from '../../bin/local/view';
import { runCli } from '../support/cli';
import { REGIONS, usePipelines, type LogLine } from '../support/pipeline';
import { startFixture, type FixtureServer } from '../support/tcp-servers';

const open = usePipelines();
const MINUTE = 60_000;
const SECRET = 'pq-echo-secret-51d3a0';
const SEND = `AUTH ${SECRET}\r\n`;

let echo: FixtureServer;
beforeAll(async () => {
  // Echoes what it is sent and keeps the connection open: never the '+OK' the monitor waits for.
  echo = await startFixture((socket) => {
    socket.on('data', (data) => socket.write(data));
  });
});
afterAll(async () => {
  await echo.close();
});

describe('redaction, in the domain', () => {
  it('shows a send as its length only, and a reply with the send (whole or a line of it) as <redacted>', () => {
    expect(redactedSend(SEND)).toBe('<redacted: 28 bytes>');
    expect(redactedSend({ hex: '0d0a' })).toBe('<redacted: 2 bytes>');
    expect(redactedSend('pässword')).toBe('<redacted: 9 bytes>');
    expect(redactMonitor({ id: 'a', send: SEND, expect: '+OK' })).toEqual({ id: 'a', send: '<redacted: 28 bytes>', expect: '+OK' });
    expect(redactMonitor({ id: 'a' })).toEqual({ id: 'a' });
    const secrets = secretsOf(new TextEncoder().encode(`USER app\r\nPASS ${SECRET}\r\n`));
    expect(redactSecrets(`-ERR PASS ${SECRET} rejected`, secrets)).toBe('-ERR <redacted> rejected');
    // Lines shorter than 4 characters are not hunted for (they would blank ordinary words).
    expect(redactSecrets('OK', secretsOf(new TextEncoder().encode('OK\r\n')))).toBe('OK');
  });
});

describe('portquorum check', () => {
  it.each([['--json'], ['--verbose-json'], []])('never prints the send, nor a reply that echoes it (%s)', async (...flags) => {
    const r = await runCli(['check', `127.0.0.1:${echo.port}`, '--send', 'AUTH pq-echo-secret-51d3a0\\r\\n', '--expect', '+OK', '--timeout', '500', '--retries', '0', ...flags]);
    expect(r.code).toBe(1);
    expect(`${r.stdout}\n${r.stderr}`).not.toContain(SECRET);
    if (flags.length === 0) {
      expect(r.stdout).toContain('<redacted>');
      return;
    }
    const doc = JSON.parse(r.stdout) as { asked?: MonitorSpec; monitor?: MonitorSpec; outcome: { errorClass: string; code: string; message: string; received: string } };
    expect((doc.asked ?? doc.monitor)!.send).toBe('<redacted: 28 bytes>');
    // The echo is the whole send: it is redacted whole.
    expect(doc.outcome).toMatchObject({ errorClass: 'protocol', code: 'UNEXPECTED_REPLY', received: '<redacted>' });
    expect(doc.outcome.message).toContain('answered "<redacted>"');
  });

  it('says what is wrong with a bad --send-hex without quoting it', async () => {
    const r = await runCli(['check', '127.0.0.1:1', '--send-hex', `${Buffer.from(SECRET).toString('hex')}z`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--send-hex <redacted: 43 bytes> is not hex bytes');
    expect(r.stderr).not.toContain(Buffer.from(SECRET).toString('hex'));
  });
});

describe('the deployed pipeline', () => {
  it('keeps the send out of round items, alert bodies, every function\'s logs, status and the live view', async () => {
    const monitor: MonitorSpec = { id: 'queue-auth', host: '127.0.0.1', port: echo.port, send: SEND, expect: '+OK', retries: 0, timeoutMs: 500 };
    const p = await open({ monitors: [monitor] }, { sweeper: { startupGraceMs: 3 * MINUTE } });
    const probeLogs: LogLine[] = [];
    const capture = (level: LogLine['level']) => (message: string, extra?: Record<string, unknown>) => probeLogs.push({ level, message, ...(extra ? { extra } : {}) });
    const invoke = (region: string, minute: number) => createProbeHandler({
      fleet: p.fleet, region, store: p.table.store, metrics: memoryMetrics(),
      log: { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') },
      now: () => minute + 50,
      sleep: async () => undefined,
    })({ time: new Date(minute).toISOString() }, { getRemainingTimeInMillis: () => 70_000 });

    for (const k of [0, 1]) {
      const minute = p.clock.base + k * MINUTE;
      await p.whileWriting(async () => {
        await Promise.all(REGIONS.map((region) => invoke(region, minute)));
        p.clock.now = minute + 5_000;
      });
      await p.drain();
      p.clock.now = minute + 45_000;
      await p.sweep();
    }

    // The monitor went DOWN on the echoed reply, quoted with the send redacted.
    const alerts = p.alerts();
    expect(alerts.map((a) => a.kind)).toEqual(['DOWN']);
    expect(alerts[0]!.regions.map((r) => `${r.status} ${r.class}`)).toEqual(REGIONS.map(() => 'down protocol'));
    expect(alerts[0]!.regions[0]!.message).toContain('answered "<redacted>"');

    const status = await readStatus(p.table.store, p.fleet, { now: p.clock.now });
    const screen = new Screen(p.fleet, Object.assign(new PassThrough(), { isTTY: false }), 'live', 'secrets');
    for (const alert of alerts) {
      screen.handle({ kind: 'alert', alert });
      screen.showAlert(alert);
    }
    for (const line of [...probeLogs, ...p.logs]) {
      if (line.level !== 'debug') screen.handle({ kind: 'log', level: line.level, source: 'eu-west-1', message: line.message, ...(line.extra ? { detail: line.extra } : {}) });
    }
    const rows = await p.table.client.send(new ScanCommand({ TableName: p.table.tableName }));

    const outputs: Record<string, string> = {
      'alert bodies and subjects': JSON.stringify(p.publishes()),
      'probe logs': JSON.stringify(probeLogs),
      'aggregator and sweeper logs': JSON.stringify(p.logs),
      'table items (rounds, states, outbox)': JSON.stringify(rows.Items),
      'status --json': JSON.stringify(status),
      'live view': render(screen.model(), false, { columns: 160, rows: 45 }).join('\n'),
    };
    for (const [where, text] of Object.entries(outputs)) expect(text, where).not.toContain(SECRET);
    expect(outputs['table items (rounds, states, outbox)']).toContain('<redacted>');
  });
});
