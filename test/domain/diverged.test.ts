// Regions that disagree: a quorum up while regions see different certificates, addresses or banners pages DIVERGED
// once after divergedRounds rounds, with each region's view side by side, and CONVERGED once when they agree again.
import { describe, expect, it } from 'vitest';
import { decodeRoundItem, encodeRoundItems, type RoundResult } from '../../functions/shared/domain/record';
import { graceMs } from '../../functions/shared/domain/rounds';
import { next, type MonitorState, type RoundEvidence } from '../../functions/shared/domain/verdict';
import { viewOf } from '../../functions/shared/domain/view';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { monitor, REGIONS, T0, UP } from './helpers';

const MINUTE = 60_000;
const CANARY = { status: 'up' as const, connectMs: 1, totalMs: 1 };
const CERT_A = 'cert 3f2a9c1d0b7e6a55 R11 until 2027-03-01';
const CERT_B = 'cert 9d0c44e1a2b3c4d5 R10 until 2026-12-20';
const www = (spec: Parameters<typeof monitor>[0] = {}) => monitor({ id: 'www', host: 'www.example.com', port: 443, tls: true, failureThreshold: 1, recoveryThreshold: 1, ...spec });

/** One round: per region, 'u' (up, no view), a view text (up, carrying it), or 'd' (refused). */
function roundOf(index: number, cells: string[]): RoundEvidence {
  const reports: RoundEvidence['reports'] = {};
  cells.forEach((cell, k) => {
    const result: RoundResult = cell === 'd'
      ? { status: 'down', errorClass: 'refused', phase: 'connect', totalMs: 1, code: 'ECONNREFUSED', message: 'refused' }
      : cell === 'u' ? UP : { ...(UP as Extract<RoundResult, { status: 'up' }>), view: cell };
    reports[REGIONS[k]!] = { result, canary: CANARY };
  });
  return { instant: T0 + index * MINUTE, reports };
}

function run(m: ReturnType<typeof www>, script: string[][]): { state: MonitorState | undefined; alerts: AlertMessage[]; changes: boolean[] } {
  let state: MonitorState | undefined;
  const alerts: AlertMessage[] = [];
  const changes: boolean[] = [];
  const history: RoundEvidence[] = [];
  script.forEach((cells, i) => {
    history.push(roundOf(i, cells));
    const step = next(state, { monitor: m, rounds: history.slice(-4) }, T0 + i * MINUTE + graceMs(m.interval));
    state = step.state;
    alerts.push(...step.alerts);
    changes.push(step.changed);
  });
  return { state, alerts, changes };
}

describe('diverged: scripted rounds (3 regions, divergedRounds 3 by default)', () => {
  it('pages DIVERGED once after 3 rounds in which one region sees another certificate, each region side by side', () => {
    const r = run(www(), [[CERT_A, CERT_A, CERT_A], ['u', CERT_B, 'u'], ['u', 'u', 'u'], ['u', 'u', 'u'], ['u', 'u', 'u'], ['u', 'u', 'u']]);
    expect(r.alerts.map((a) => a.kind)).toEqual(['DIVERGED']);
    const [diverged] = r.alerts;
    expect(diverged!.alertId).toBe(`www:DIVERGED:${(T0 + MINUTE) / 1000}`);
    expect(diverged!.subject).toBe('DIVERGED www — regions see 2 different things: us-east-1, ap-south-1 | eu-west-1');
    expect(diverged!.divergence).toEqual({
      since: new Date(T0 + MINUTE).toISOString(), rounds: 3,
      views: [{ region: 'us-east-1', view: CERT_A }, { region: 'eu-west-1', view: CERT_B }, { region: 'ap-south-1', view: CERT_A }],
    });
    // A lasting divergence, paged once, costs no state write per round.
    expect(r.changes.slice(4)).toEqual([false, false]);
  });

  it('pages CONVERGED once when every region sees the same again', () => {
    const r = run(www(), [[CERT_A, CERT_B, CERT_A], ['u', 'u', 'u'], ['u', 'u', 'u'], ['u', CERT_A, 'u'], ['u', 'u', 'u']]);
    expect(r.alerts.map((a) => a.kind)).toEqual(['DIVERGED', 'CONVERGED']);
    expect(r.alerts[1]!.divergence).toMatchObject({ converged: new Date(T0 + 3 * MINUTE).toISOString(), views: [{ view: CERT_A }, { view: CERT_A }, { view: CERT_A }] });
    expect(r.alerts[1]!.subject).toBe('CONVERGED www www.example.com:443 — every region sees the same again');
  });

  it('counts only rounds a quorum is up; a shorter streak pages nothing', () => {
    expect(run(www(), [[CERT_A, CERT_B, CERT_A], ['u', 'u', 'u'], ['u', CERT_A, 'u'], ['u', CERT_B, 'u']]).alerts.filter((a) => a.kind === 'DIVERGED')).toEqual([]);
    const down = run(www(), [[CERT_A, CERT_B, CERT_A], ['d', 'd', 'u'], ['d', 'd', 'u'], ['u', 'u', 'u']]);
    expect(down.alerts.map((a) => a.kind)).toEqual(['DOWN', 'UP']);
  });

  it('divergedRounds: 0 turns it off', () => {
    expect(run(www({ divergedRounds: 0 }), [[CERT_A, CERT_B, CERT_A], ['u', 'u', 'u'], ['u', 'u', 'u'], ['u', 'u', 'u']]).alerts).toEqual([]);
  });

  it('a replayed round counts once', () => {
    const m = www();
    const history = [roundOf(0, [CERT_A, CERT_B, CERT_A]), roundOf(1, ['u', 'u', 'u'])];
    let state: MonitorState | undefined;
    for (const upTo of [1, 2, 2, 2]) state = next(state, { monitor: m, rounds: history.slice(0, upTo) }, T0 + (upTo - 1) * MINUTE + graceMs(60)).state;
    expect(state!.diverged!.rounds).toBe(2);
  });
});

describe('diverged: what the probe records', () => {
  it('a view names the certificate, the resolved addresses and the server version', () => {
    expect(viewOf({
      ok: true, portOpen: true, attempts: 1, timings: { totalMs: 5 }, resolved: ['10.0.0.1', '10.0.0.2'], serverVersion: 'nginx/1.25.3',
      tls: { protocol: 'TLSv1.3', subject: 'CN=www.example.com', issuer: 'C=US, O=Let\'s Encrypt, CN=R11', sans: [], notAfter: '2027-03-01T00:00:00.000Z', daysLeft: 90, authorized: true, fingerprint: '3f2a9c1d0b7e6a55' },
    })).toBe('cert 3f2a9c1d0b7e6a55 R11 until 2027-03-01 · addr 10.0.0.1,10.0.0.2 · version nginx/1.25.3');
    expect(viewOf({ ok: true, portOpen: true, attempts: 1, timings: { totalMs: 5 } })).toBeUndefined();
    // A raw banner is left out: many carry the time of day, so the view would change every round.
    expect(viewOf({ ok: true, portOpen: true, attempts: 1, timings: { totalMs: 5 }, banner: '220 mx ESMTP ready at Wed, 02 Dec 2026 19:00:01' })).toBeUndefined();
  });

  it('the round item carries a view only where the probe put one, and reads it back', () => {
    const items = encodeRoundItems({ instant: T0, region: 'us-east-1', probedAt: T0 + 900, canary: { status: 'none' }, results: { www: { ...(UP as Extract<RoundResult, { status: 'up' }>), view: CERT_A }, db: UP } });
    const record = decodeRoundItem(items[0] as unknown as Record<string, unknown>);
    expect(record.results).toEqual({ www: { ...UP, view: CERT_A }, db: UP });
    expect(items[0]!.r).toBe(`www\tu\t12\t14\t\t${CERT_A}\ndb\tu\t12\t14\t`);
  });
});
