// The uptime report over a scripted month: exact figures by the stated accounting, outages, MTTR, per-region
// availability beside the quorum figure; md, csv and json renderings.
import { describe, expect, it } from 'vitest';
import { computeReport, reportCsv, reportMarkdown, type ReportInput } from '../../functions/shared/domain/report';
import { NOV, SCRIPTED_MAINTENANCE, SCRIPTED_MONTH, SCRIPTED_SILENCE } from '../support/scripted-month';

const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

function input(): ReportInput {
  return {
    window: NOV,
    monitors: [{ id: 'web', maintenance: SCRIPTED_MAINTENANCE, regions: ['eu-west-1', 'us-east-1'] }, { id: 'new', regions: ['eu-west-1', 'us-east-1'] }],
    changes: new Map([['web', SCRIPTED_MONTH], ['new', [{ at: at('2026-11-16T00:00:00Z'), verdict: 'UP', previous: 'UNKNOWN' }]]]),
    silences: new Map([['web', [SCRIPTED_SILENCE]]]),
    regions: new Map([['web', {
      'eu-west-1': [{ at: at('2026-10-20T00:00:00Z'), status: 'up' }],
      // us-east-1 fails alone for an hour (the quorum stays UP), then is silent for an hour (left out).
      'us-east-1': [
        { at: at('2026-10-20T00:00:00Z'), status: 'up' },
        { at: at('2026-11-12T00:00:00Z'), status: 'down' }, { at: at('2026-11-12T01:00:00Z'), status: 'up' },
        { at: at('2026-11-13T00:00:00Z'), status: 'silent' }, { at: at('2026-11-13T01:00:00Z'), status: 'up' },
      ],
    }]]),
  };
}

describe('the uptime report', () => {
  const report = computeReport(input());
  const web = report.monitors[0]!;

  it('gives the exact uptime of the scripted month by the stated accounting', () => {
    // 30 days = 43,200 min; maintenance 5 Sundays × 60 = 300; silenced 120; DOWN counted 45 + 30; DEGRADED 120; UNKNOWN 60.
    expect(web).toMatchObject({
      maintenanceMs: 300 * MIN, silencedMs: 120 * MIN, downMs: 75 * MIN, degradedMs: 120 * MIN, unknownMs: 60 * MIN,
      upMs: (43_200 - 300 - 120 - 75 - 120 - 60) * MIN,
      outages: 2, longestOutageMs: 45 * MIN, mttrMs: 37.5 * MIN,
    });
    expect(web.uptime).toBe(42_645 / 42_720);
    expect(report.accounting).toContain('(UP + DEGRADED) / (UP + DEGRADED + DOWN)');
  });

  it('shows a region that failed alone beside a quorum figure it did not move', () => {
    expect(web.regions['eu-west-1']).toBe(1);
    expect(web.regions['us-east-1']).toBe(1 - 60 / (43_200 - 60));
  });

  it('counts the time before a monitor\'s first verdict as UNKNOWN, and has no region figures without region history', () => {
    expect(report.monitors[1]).toMatchObject({ monitor: 'new', unknownMs: 15 * 1440 * MIN, upMs: 15 * 1440 * MIN, uptime: 1, outages: 0, mttrMs: null, regions: { 'eu-west-1': null, 'us-east-1': null } });
  });

  it('renders markdown with the accounting above the table', () => {
    const md = reportMarkdown(report);
    expect(md.split('\n').slice(0, 5)).toEqual([
      '# Uptime 2026-11-01T00:00:00.000Z to 2026-12-01T00:00:00.000Z', '', report.accounting, '',
      '| Monitor | Uptime | Up | Degraded | Down | Unknown | Maintenance | Silenced | Outages | Longest | MTTR | eu-west-1 | us-east-1 |',
    ]);
    expect(md).toContain('| web | 99.824 % | 29d 12h 45m | 2h | 1h 15m | 1h | 5h | 2h | 2 | 45m | 37m 30s | 100.000 % | 99.860 % |');
  });

  it('renders csv with the accounting as a comment line, seconds and ratios', () => {
    const lines = reportCsv(report).trim().split('\n');
    expect(lines[0]).toMatch(/^# 2026-11-01T00:00:00.000Z to 2026-12-01T00:00:00.000Z\. Uptime = /);
    expect(lines[1]).toBe('monitor,uptime,up_s,degraded_s,down_s,unknown_s,maintenance_s,silenced_s,outages,longest_outage_s,mttr_s,region_eu-west-1,region_us-east-1');
    expect(lines[2]).toBe(`web,0.998244,${(43_200 - 675) * 60},7200,4500,3600,18000,7200,2,2700,2250,1,0.998609`);
    expect(lines[3]).toBe('new,1,1296000,0,0,1296000,0,0,0,0,,,');
  });
});
