// Exposure audit: a private monitor pages EXPOSED when any one region connects (whatever the others say), once per
// exposure, and EXPOSURE_CLOSED when it is closed again; it never pages DOWN or UP.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openPath, openPortMessage } from '../../functions/shared/domain/exposure';
import { graceMs } from '../../functions/shared/domain/rounds';
import { isExposed, next } from '../../functions/shared/domain/verdict';
import { monitor, round, runRounds, T0 } from './helpers';

const MINUTE = 60_000;
const kinds = (run: { alerts: { kind: string }[] }) => run.alerts.map((a) => a.kind);
const privateDb = (spec: Parameters<typeof monitor>[0] = {}) => monitor({ exposure: 'private', severity: 'warning', ...spec });

describe('exposure: the probe message', () => {
  it('is read back into the address and what answered', () => {
    expect(openPath('eu-west-1', { status: 'down', code: 'EXPECTED_CLOSED', message: openPortMessage('10.0.1.5:5432', "SSH-2.0-It's me") }))
      .toEqual({ region: 'eu-west-1', address: '10.0.1.5:5432', answered: "SSH-2.0-It's me" });
    expect(openPath('eu-west-1', { status: 'down', code: 'EXPECTED_CLOSED', message: openPortMessage('[::1]:6379', undefined) }))
      .toEqual({ region: 'eu-west-1', address: '[::1]:6379' });
    expect(openPath('eu-west-1', { status: 'down', code: 'ECONNREFUSED', message: 'refused' })).toBeUndefined();
    expect(openPath('eu-west-1', { status: 'up' })).toBeUndefined();
  });
});

describe('exposure: scripted rounds (3 regions; o = connected, u = closed or silent, d = refused/unresolvable)', () => {
  it('pages EXPOSED once when one region connects, with the region, address and banner, at severity critical', () => {
    const run = runRounds(privateDb(), ['uuu', 'uuu', 'uou', 'uou', 'uou']);
    expect(kinds(run)).toEqual(['EXPOSED']);
    const [exposed] = run.alerts;
    expect(exposed!.subject).toBe("EXPOSED orders-db 10.0.1.5:5432 — open from eu-west-1 (answered 'SSH-2.0-OpenSSH_9.2p1')");
    expect(exposed!.monitor!.severity).toBe('critical');
    expect(exposed!.exposure).toEqual({
      since: new Date(T0 + 2 * MINUTE).toISOString(),
      paths: [{ region: 'eu-west-1', address: '10.0.1.5:5432', answered: 'SSH-2.0-OpenSSH_9.2p1' }],
    });
    expect(exposed!.alertId).toBe(`orders-db:EXPOSED:${(T0 + 2 * MINUTE) / 1000}`);
    expect(isExposed(run.state!)).toBe(true);
  });

  it('pages EXPOSURE_CLOSED once after recoveryThreshold rounds with no region connecting, naming where it was open', () => {
    const run = runRounds(privateDb(), ['uuu', 'ouu', 'oou', 'uuu', 'uuu', 'uuu']);
    expect(kinds(run)).toEqual(['EXPOSED', 'EXPOSURE_CLOSED']);
    const closed = run.alerts[1]!;
    expect(closed.subject).toBe('EXPOSURE_CLOSED orders-db 10.0.1.5:5432 — closed again (was open from us-east-1, eu-west-1)');
    expect(closed.exposure!.closed).toBe(new Date(T0 + 4 * MINUTE).toISOString());
    expect(closed.exposure!.paths.map((p) => p.region)).toEqual(['us-east-1', 'eu-west-1']);
    expect(isExposed(run.state!)).toBe(false);
  });

  it('never pages DOWN or UP for a private monitor, even when every region connects', () => {
    const run = runRounds(privateDb(), ['uuu', 'ooo', 'ooo', 'ooo', 'uuu', 'uuu', 'ddd', 'ddd']);
    expect(kinds(run)).toEqual(['EXPOSED', 'EXPOSURE_CLOSED']);
  });

  it('pages EXPOSED inside a maintenance window (a finding, not an outage)', () => {
    const window = { start: new Date(T0).toISOString(), end: new Date(T0 + 60 * MINUTE).toISOString() };
    expect(kinds(runRounds(privateDb({ maintenance: [window] }), ['uuu', 'uuo']))).toEqual(['EXPOSED']);
  });

  it('counts a region whose canary fails when it connects: an open path is a finding whatever the canary says', () => {
    expect(kinds(runRounds(privateDb(), ['uuu', 'Ouu']))).toEqual(['EXPOSED']);
  });

  it('closes an exposure with its one alert when the monitor is declared public again', () => {
    const run = runRounds(privateDb(), ['uuu', 'ouu']);
    const after = runRounds(monitor(), ['ouu'], { start: run });
    expect(kinds(after)).toEqual(['EXPOSED', 'EXPOSURE_CLOSED']);
    expect(isExposed(after.state!)).toBe(false);
  });

  it('leaves public monitors alone: an open port is their UP', () => {
    expect(kinds(runRounds(monitor(), ['uuu', 'ouu', 'ouu']))).toEqual([]);
  });
});

// ---- Properties ----

const anyCode = fc.constantFrom('u', 'd', 's', 'v', 't', 'o', 'O');
const rounds = fc.array(fc.array(anyCode, { minLength: 3, maxLength: 3 }).map((c) => c.join('')), { minLength: 1, maxLength: 20 });

describe('exposure: properties', () => {
  it('an exposure in one region always pages, whatever the others say', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3 }), rounds, fc.nat(2), fc.array(fc.constantFrom('u', 'd', 's', 'v', 't', 'o', 'O'), { minLength: 2, maxLength: 2 }),
      (recoveryThreshold, before, region, others) => {
        const m = privateDb({ recoveryThreshold });
        const codes = [...others];
        codes.splice(region, 0, 'o');
        const run = runRounds(m, [...before, codes.join('')]);
        // After the round is in, the monitor is exposed, the last exposure alert said so, and the region is on record
        // (a region joining an exposure already paged is named by its EXPOSURE_CLOSED).
        expect(isExposed(run.state!)).toBe(true);
        const last = run.alerts.filter((a) => a.kind === 'EXPOSED' || a.kind === 'EXPOSURE_CLOSED').pop();
        expect(last?.kind).toBe('EXPOSED');
        expect(run.state!.exposedPaths!.map((p) => p.region)).toContain(m.regions[region]);
        const closed = runRounds(m, Array<string>(recoveryThreshold).fill('uuu'), { start: run });
        expect(closed.alerts.at(-1)!.exposure!.paths.map((p) => p.region)).toContain(m.regions[region]);
      },
    ), { numRuns: 600 });
  });

  it('replaying any prefix of the stream adds no alert and changes nothing', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), rounds, fc.nat(), (recoveryThreshold, script, cut) => {
      const m = privateDb({ recoveryThreshold });
      const run = runRounds(m, script);
      const evidence = script.map((codes, i) => round(m, i, codes));
      const now = evidence.at(-1)!.instant + graceMs(m.interval);
      let state = run.state;
      for (let i = 0; i <= cut % evidence.length; i += 1) {
        const step = next(state, { monitor: m, rounds: evidence.slice(0, i + 1) }, now);
        expect(step.alerts).toEqual([]);
        expect(step.changed).toBe(false);
        state = step.state;
      }
    }), { numRuns: 300 });
  });

  it('EXPOSED and EXPOSURE_CLOSED alternate, starting with EXPOSED, and nothing else pages', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), rounds, (recoveryThreshold, script) => {
      const run = runRounds(privateDb({ recoveryThreshold }), script);
      run.alerts.forEach((a, i) => expect(a.kind).toBe(i % 2 === 0 ? 'EXPOSED' : 'EXPOSURE_CLOSED'));
    }), { numRuns: 400 });
  });
});
