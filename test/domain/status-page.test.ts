// The status page's data and HTML: rows and groups, 90 daily bars by quorum verdict, incidents, maintenance and
// silences, user text escaped, nothing external.
import { describe, expect, it } from 'vitest';
import { pageContent, renderStatusPage, statusPageData, type StatusPageInput } from '../../functions/shared/domain/status-page';
import type { VerdictChange } from '../../functions/shared/domain/uptime';
import { T0 } from './helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Noon on the 90th day after T0. */
const AT = T0 + 89 * DAY + 12 * HOUR;

function input(over: Partial<StatusPageInput> = {}): StatusPageInput {
  return {
    spec: { title: 'Acme status' },
    at: AT,
    monitors: [{ id: 'web' }, { id: 'db' }, { id: 'admin', exposure: 'private' }],
    states: new Map([['web', { verdict: 'UP', since: T0 }], ['db', { verdict: 'UP', since: T0 }], ['admin', { verdict: 'UP', since: T0 }]]),
    changes: new Map(),
    silences: [],
    ...over,
  };
}

describe('status page data', () => {
  it('shows every monitor but private ones by default, 90 UTC days each, the last one today so far', () => {
    const data = statusPageData(input());
    expect(data.rows.map((r) => [r.kind, r.name, r.verdict])).toEqual([['monitor', 'web', 'UP'], ['monitor', 'db', 'UP']]);
    const days = data.rows[0]!.days;
    expect(days).toHaveLength(90);
    expect(days[0]!.day).toBe('2024-06-03');
    expect(days[89]!.day).toBe(new Date(AT).toISOString().slice(0, 10));
    expect(days.every((d) => d.level === 'up' && d.uptime === 1)).toBe(true);
    expect(data.overall).toBe('UP');
    expect(data.rows[0]!.since).toBe(new Date(T0).toISOString());
  });

  it('bars each day by its worst verdict and its uptime, from the history and the current state together', () => {
    const changes: VerdictChange[] = [
      { at: T0 + 10 * DAY + HOUR, verdict: 'DOWN', previous: 'UP' },
      { at: T0 + 10 * DAY + HOUR + 36 * MIN, verdict: 'UP', previous: 'DOWN' },
      { at: T0 + 20 * DAY, verdict: 'DEGRADED', previous: 'UP' },
      { at: T0 + 20 * DAY + 2 * HOUR, verdict: 'UP', previous: 'DEGRADED' },
      { at: T0 + 30 * DAY, verdict: 'UNKNOWN', previous: 'UP' },
    ];
    const data = statusPageData(input({
      changes: new Map([['web', changes]]),
      // The state says UP again since day 31: the history has not kept that change (yet).
      states: new Map([['web', { verdict: 'UP', since: T0 + 31 * DAY }], ['db', { verdict: 'DOWN', since: AT - HOUR }]]),
    }));
    const web = data.rows[0]!;
    expect(web.days[10]).toEqual({ day: '2024-06-13', level: 'down', uptime: 1 - 36 / 1440, downMinutes: 36 });
    expect(web.days[20]!.level).toBe('degraded');
    expect(web.days[20]!.uptime).toBe(1);
    expect(web.days[30]).toMatchObject({ level: 'unknown', uptime: null });
    expect(web.days[31]!.level).toBe('up');
    expect(web.uptime).toBeCloseTo(1 - 36 / (89 * 1440 - 1440 + 12 * 60), 9);
    const db = data.rows[1]!;
    expect(db.verdict).toBe('DOWN');
    expect(db.days[89]).toMatchObject({ level: 'down', downMinutes: 60 });
    expect(data.overall).toBe('DOWN');
    expect(data.incidents).toEqual([
      { monitor: 'db', from: new Date(AT - HOUR).toISOString(), ongoing: true, minutes: 60 },
    ]);
  });

  it('lists incidents that ended in the last 14 days, newest first, after the ongoing ones', () => {
    const changes: VerdictChange[] = [
      { at: AT - 20 * DAY, verdict: 'DOWN' }, { at: AT - 20 * DAY + HOUR, verdict: 'UP' },
      { at: AT - 3 * DAY, verdict: 'DOWN' }, { at: AT - 3 * DAY + 5 * MIN, verdict: 'UP' },
      { at: AT - 2 * DAY, verdict: 'DOWN' }, { at: AT - 2 * DAY + 90 * MIN, verdict: 'UP' },
    ];
    const data = statusPageData(input({ changes: new Map([['web', changes]]), states: new Map([['web', { verdict: 'UP', since: AT - 2 * DAY + 90 * MIN }]]) }));
    expect(data.incidents.map((i) => [i.from, i.minutes, i.ongoing])).toEqual([
      [new Date(AT - 2 * DAY).toISOString(), 90, false],
      [new Date(AT - 3 * DAY).toISOString(), 5, false],
    ]);
  });

  it('shows a group as the worst of its members, its members not again, and its incidents under its name', () => {
    const data = statusPageData(input({
      spec: { title: 't', groups: { 'Public site': ['web', 'db'] } },
      states: new Map([['web', { verdict: 'UP', since: T0 }], ['db', { verdict: 'DEGRADED', since: AT - 2 * HOUR }]]),
      changes: new Map([['db', [{ at: AT - 3 * HOUR, verdict: 'DOWN', previous: 'UP' }, { at: AT - 2 * HOUR, verdict: 'DEGRADED' }]]]),
    }));
    expect(data.rows.map((r) => [r.kind, r.name, r.verdict, r.monitors])).toEqual([['group', 'Public site', 'DEGRADED', ['web', 'db']]]);
    expect(data.rows[0]!.since).toBe(new Date(AT - 2 * HOUR).toISOString());
    expect(data.rows[0]!.days[89]).toMatchObject({ level: 'down', downMinutes: 60 });
    expect(data.incidents).toEqual([{ monitor: 'db', group: 'Public site', from: new Date(AT - 3 * HOUR).toISOString(), to: new Date(AT - 2 * HOUR).toISOString(), ongoing: false, minutes: 60 }]);
  });

  it('leaves maintenance and silenced time out of the bars, and says what runs now and what comes within a week', () => {
    const data = statusPageData(input({
      spec: { title: 't', monitors: ['web'] },
      monitors: [{ id: 'web', maintenance: [{ start: new Date(AT - HOUR).toISOString(), end: new Date(AT + HOUR).toISOString() }] }],
      states: new Map([['web', { verdict: 'DOWN', since: AT - 30 * MIN }]]),
      changes: new Map([['web', [{ at: T0, verdict: 'UP' }]]]),
      silences: [{ monitors: ['web'], from: AT - 30 * DAY, until: AT - 29 * DAY, by: 'ana', reason: 'cut-over' }],
    }));
    const web = data.rows[0]!;
    expect(web.days[89]).toMatchObject({ level: 'up', downMinutes: 0, uptime: 1 });
    expect(web.days[59]).toMatchObject({ level: 'up', uptime: 1 });
    expect(web.maintenanceUntil).toBe(new Date(AT + HOUR).toISOString());
    expect(data.maintenance).toEqual([{ monitor: 'web', from: new Date(AT - HOUR).toISOString(), to: new Date(AT + HOUR).toISOString(), now: true }]);
    expect(data.silences).toEqual([]);
    // A whole day silenced is a maintenance-coloured bar.
    const silenced = statusPageData(input({ silences: [{ monitors: ['web'], from: T0 + 5 * DAY, until: T0 + 6 * DAY, reason: 'move' }, { monitors: ['web'], from: AT - HOUR, until: AT + HOUR, by: 'bo' }] }));
    expect(silenced.rows[0]!.days[5]).toMatchObject({ level: 'maintenance', uptime: null });
    expect(silenced.rows[0]!.silencedUntil).toBe(new Date(AT + HOUR).toISOString());
    expect(silenced.silences).toEqual([{ monitors: ['web'], until: new Date(AT + HOUR).toISOString(), by: 'bo' }]);
  });

  it('changes its content only when something shown changes, not with the instant it is rendered at', () => {
    const a = statusPageData(input());
    const b = statusPageData(input({ at: AT + MIN }));
    expect(pageContent(a)).toBe(pageContent(b));
    const c = statusPageData(input({ at: AT + MIN, states: new Map([['web', { verdict: 'DOWN', since: AT }], ['db', { verdict: 'UP', since: T0 }]]) }));
    expect(pageContent(c)).not.toBe(pageContent(a));
  });
});

describe('status page HTML', () => {
  const hostile = '<script>alert(1)</script>"\'&';

  it('escapes every piece of user text: title, monitor ids, group names, reasons', () => {
    const html = renderStatusPage(statusPageData(input({
      spec: { title: hostile, monitors: [hostile], groups: { [`g${hostile}`]: ['web'] } },
      monitors: [{ id: hostile }, { id: 'web' }],
      states: new Map([[hostile, { verdict: 'DOWN', since: AT - HOUR }], ['web', { verdict: 'UP', since: T0 }]]),
      silences: [{ monitors: [hostile], from: AT - HOUR, until: AT + HOUR, by: hostile, reason: hostile }],
    })));
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/"'&[^a#]/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(html).toContain(`data-monitor="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;" data-verdict="DOWN"`);
  });

  it('is one self-contained page: no script, no external font, style sheet or image, a viewport for phones', () => {
    const html = renderStatusPage(statusPageData(input()));
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html.match(/<li class="row"/g)).toHaveLength(2);
    expect(html.match(/<span class="up" title="/g)).toHaveLength(180);
    expect(html).toContain('data-overall="UP"');
  });
});
