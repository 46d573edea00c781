// The live table's rendering: every line fits the terminal by display width (wide characters, escapes, tabs), the
// screen never holds more lines than the terminal has, and latencies and "since" read as everywhere else.
import { describe, expect, it } from 'vitest';
import { render, type ViewModel } from '../../bin/local/view';
import { clip, displayWidth } from '../../bin/local/width';

const NOW = Date.parse('2026-12-02T14:00:00Z');

function model(monitors: number, events: string[]): ViewModel {
  return {
    title: 'portquorum local — demo: 3 regions, 10 s rounds, quorum 2',
    regions: ['eu-west-1', 'us-east-1', 'ap-southeast-1'],
    rows: Array.from({ length: monitors }, (_, i) => ({
      monitor: `monitor-${i}`, target: `127.0.0.1:${40_000 + i}`, verdict: i % 2 ? 'UP' : 'DOWN', since: '2026-12-02T13:59:30.000Z',
      regions: { 'eu-west-1': { ok: true, latencyMs: 0.4321, at: '' }, 'us-east-1': { ok: false, detail: 'refused', at: '' } },
    })),
    faults: { 'ap-southeast-1': 'blackhole' },
    events,
    footer: 'Ctrl-C stops the fleet and everything it started.',
  };
}

const LONG_EVENTS = [
  `14:00:01 ALERT DOWN web — ${'refused '.repeat(30)}`,
  `14:00:02 banner 'サーバーの応答が遅れています。しばらくお待ちください。サーバーの応答が遅れています' 🚀🚀🚀🚀`,
  '14:00:03 tab\there and a newline\nin the middle',
  `14:00:04 ${'é'.repeat(200)}`,
];

describe('display width', () => {
  it('counts wide characters as two columns, combining marks and escapes as none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('\u001b[1;31mDOWN\u001b[0m')).toBe(4);
    expect(displayWidth('—…→')).toBe(3);
  });

  it('clips by columns without splitting a wide character, and keeps the colour reset', () => {
    expect(clip('日本語テキスト', 6)).toBe('日本…');
    expect(displayWidth(clip('日本語テキスト', 6))).toBeLessThanOrEqual(6);
    expect(clip('\u001b[31mrefused refused\u001b[0m', 8)).toBe('\u001b[31mrefused\u001b[0m…');
    expect(clip('short', 80)).toBe('short');
  });
});

describe('the live table', () => {
  it.each([[80, 24], [160, 45], [40, 10], [200, 60]])('at %i×%i no line is as wide as the terminal and none is too many', (columns, rows) => {
    for (const monitors of [1, 5, 60]) {
      for (const color of [true, false]) {
        const lines = render(model(monitors, LONG_EVENTS), color, { columns, rows }, NOW);
        expect(lines.length).toBeLessThanOrEqual(rows);
        for (const line of lines) {
          expect(displayWidth(line), line).toBeLessThan(columns);
          expect(line).not.toMatch(/[\n\t\r]/);
        }
        expect(lines.filter((l) => l.includes('MONITOR'))).toHaveLength(1);
      }
    }
  });

  it('says how many monitors it could not show, and keeps the newest events', () => {
    const lines = render(model(60, ['14:00:01 first', '14:00:02 second', '14:00:03 newest']), false, { columns: 80, rows: 24 }, NOW);
    const more = lines.map((l) => /^… and (\d+) more monitors \(portquorum status shows them all\)$/.exec(l)).find(Boolean);
    expect(Number(more?.[1]) + lines.filter((l) => l.startsWith('monitor-')).length).toBe(60);
    expect(lines).toHaveLength(24);
    expect(lines.some((l) => l.includes('newest'))).toBe(true);
    expect(lines.some((l) => l.includes('first'))).toBe(false);
  });

  it('drops the TARGET column before clipping the table, and shows latency and since as the CLI does', () => {
    const wide = render(model(2, []), false, { columns: 160, rows: 45 }, NOW);
    expect(wide.find((l) => l.startsWith('MONITOR'))).toMatch(/^MONITOR +TARGET +eu-west-1 +us-east-1 +ap-southeast-1 +VERDICT +SINCE$/);
    expect(wide.find((l) => l.startsWith('monitor-0'))).toMatch(/^monitor-0 +127\.0\.0\.1:40000 +up 0\.4ms +refused +waiting +DOWN +13:59:30 UTC$/);
    const narrow = render(model(2, []), false, { columns: 80, rows: 24 }, NOW);
    expect(narrow.find((l) => l.startsWith('MONITOR'))).toMatch(/^MONITOR +eu-west-1 +us-east-1 +ap-southeast-1 +VERDICT +SINCE$/);
    expect(narrow).toContain('region faults: ap-southeast-1 blackhole');
  });
});

describe('the live table marks', () => {
  it('a monitor whose reach a probe group breaks, beside its verdict, as portquorum status does', () => {
    const m = model(2, []);
    m.rows[0] = { ...m.rows[0]!, verdict: 'UP', reach: { vpc: 'closed from vpc', office: 'open from office' } };
    const screen = render(m, false, { columns: 200, rows: 20 }, NOW).join('\n');
    expect(screen).toMatch(/monitor-0 .* UP REACH\(open from office,closed from vpc\)/);
    expect(screen).not.toMatch(/monitor-1 .*REACH/);
  });
});
