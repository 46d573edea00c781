// User regular expressions (expect.regex) run on RE2's linear-time engine: a hostile reply cannot hold the round.
import { describe, expect, it } from 'vitest';
import { probeRound } from '../../../functions/probe/engine';
import { compilePattern } from '../../../functions/shared/domain/pattern';
import { bannerServer, slowBannerServer, type FixtureServer } from '../../support/tcp-servers';
import { expectDown, expectUp, monitor, fixtureTracker } from './helpers';

const fixture = fixtureTracker();

describe('a catastrophic-backtracking pattern against a hostile reply', () => {
  it('(a+)+$ against 30 a\'s and \'!\' ends within its budget, and the round\'s other monitor is not stalled', async () => {
    // On a backtracking engine this match alone takes ~14 s of the one JavaScript thread (issue 12, defect 7).
    const hostile = await fixture(bannerServer(`${'a'.repeat(30)}!`));
    // The other monitor's answer comes after the hostile reply has arrived, so a blocked thread would delay it.
    const neighbour = await fixture(slowBannerServer('READY\r\n', 100));
    const budget = { connect: 1000, tls: 1000, expect: 1000, total: 2000 };
    const outcomes = await probeRound([
      { ...monitor({ port: hostile.port, expect: { regex: '(a+)+$' }, timeoutMs: budget, retries: 0 }), id: 'hostile' },
      { ...monitor({ port: neighbour.port, expect: 'READY', timeoutMs: budget, retries: 0 }), id: 'neighbour' },
    ]);
    const down = expectDown(outcomes.get('hostile')!);
    expect(down.phase).toBe('expect');
    expect(down.received).toBe(`${'a'.repeat(30)}!`);
    expect(down.timings.totalMs).toBeLessThan(budget.total);
    const up = expectUp(outcomes.get('neighbour')!);
    expect(up.banner).toBe('READY');
    // Its reply was read within its own expect budget: nothing held the thread in between.
    expect(up.timings.totalMs).toBeLessThan(budget.expect);
  });

  it('a reply of 64 KB against the same pattern still ends within the budget', async () => {
    const hostile = await fixture(bannerServer(`${'a'.repeat(65_535)}!`));
    const budget = { connect: 1000, tls: 1000, expect: 1000, total: 2000 };
    const outcomes = await probeRound([
      { ...monitor({ port: hostile.port, expect: { regex: '(a+)+$' }, expectWithinBytes: 65_536, timeoutMs: budget, retries: 0 }), id: 'hostile' },
    ]);
    const down = expectDown(outcomes.get('hostile')!);
    expect(down.timings.totalMs).toBeLessThan(budget.total);
  });
});

describe('matching', () => {
  it('a pattern matches anywhere in the reply, with i, m and s', async () => {
    const server = await fixture(bannerServer('220 mail ESMTP\r\nready\r\n'));
    const up = expectUp((await probeRound([monitor({ port: server.port, expect: { regex: '^ready\\r?$', flags: 'm' } })])).get('probe-test')!);
    expect(up.banner).toBe('220 mail ESMTP');
    expect(compilePattern('esmtp', 'i').test('220 mail ESMTP')).toBe(true);
    expect(compilePattern('ESMTP.ready', '').test('ESMTP\nready')).toBe(false);
    expect(compilePattern('ESMTP.ready', 's').test('ESMTP\nready')).toBe(true);
    expect(compilePattern('^ready', '').test('x\nready')).toBe(false);
    expect(compilePattern('^ready', 'gm').test('x\nready')).toBe(true);
  });

  it('bytes above 0x7f are matched one character per byte (latin-1)', async () => {
    const server = await fixture(bannerServer(Buffer.from([0x4f, 0x4b, 0xff, 0x0d, 0x0a])));
    expectUp((await probeRound([monitor({ port: server.port, expect: { regex: 'OK\\xff' } })])).get('probe-test')!);
  });
});
