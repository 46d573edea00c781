// The home-region watchdog's pure machine: votes (a stale heartbeat counts only with the region's canary fine), one
// HOME_DOWN when a quorum of current votes says stale, one HOME_RECOVERED when a newer heartbeat is seen.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { castVote, defaultWatchdogQuorum, nextWatchdog, type WatchdogState, type WatchdogVote } from '../../functions/shared/domain/watchdog';
import { T0 } from './helpers';

const MINUTE = 60_000;
const SETTINGS = { homeRegion: 'eu-west-1', staleAfterMs: 5 * MINUTE, quorum: 2, voteTtlMs: 3 * MINUTE };
const PROBES = ['us-east-1', 'ap-south-1', 'eu-central-1'];

describe('watchdog votes', () => {
  it('a heartbeat older than staleAfter (or unreadable) is stale; a stale one counts only with the canary fine', () => {
    expect(castVote('us-east-1', T0, true, T0 + 5 * MINUTE, SETTINGS)).toEqual({ region: 'us-east-1', at: T0 + 5 * MINUTE, stale: false, heartbeatAt: T0 });
    expect(castVote('us-east-1', T0, true, T0 + 5 * MINUTE + 1, SETTINGS)).toMatchObject({ stale: true, heartbeatAt: T0 });
    expect(castVote('us-east-1', undefined, true, T0, SETTINGS)).toEqual({ region: 'us-east-1', at: T0, stale: true });
    // Its own network broken: no stale vote (it cannot tell), but a fresh heartbeat read is still proof of life.
    expect(castVote('us-east-1', undefined, false, T0, SETTINGS)).toBeUndefined();
    expect(castVote('us-east-1', T0 - 10 * MINUTE, false, T0, SETTINGS)).toBeUndefined();
    expect(castVote('us-east-1', T0, false, T0 + MINUTE, SETTINGS)).toMatchObject({ stale: false });
  });

  it('the default quorum is a majority of the probe regions', () => {
    expect([1, 2, 3, 4, 5].map(defaultWatchdogQuorum)).toEqual([1, 2, 2, 3, 3]);
  });
});

describe('nextWatchdog', () => {
  const vote = (region: string, at: number, stale: boolean, heartbeatAt?: number): WatchdogVote => ({ region, at, stale, ...(heartbeatAt !== undefined ? { heartbeatAt } : {}) });

  it('pages HOME_DOWN once when a quorum of current votes is stale, and HOME_RECOVERED once on a newer heartbeat', () => {
    const now = T0 + 6 * MINUTE;
    const lone = nextWatchdog(undefined, [vote('us-east-1', now, true, T0)], now, SETTINGS);
    expect(lone.alert).toBeUndefined();
    // A stale vote cast no later than the state's last change does not count (it may be about an outage already paged).
    expect(nextWatchdog(lone.state, [vote('us-east-1', now, true, T0), vote('ap-south-1', now, true, T0)], now, SETTINGS).alert).toBeUndefined();
    const down = nextWatchdog(lone.state, [vote('us-east-1', now + 1000, true, T0), vote('ap-south-1', now + 1000, true, T0)], now + 1000, SETTINGS);
    expect(down.alert).toMatchObject({ kind: 'HOME_DOWN', verdict: 'DOWN', previousVerdict: 'UP', alertId: `home:HOME_DOWN:${now / 1000 + 1}` });
    expect(down.alert!.home).toMatchObject({ homeRegion: 'eu-west-1', staleRegions: ['ap-south-1', 'us-east-1'], lastHeartbeat: new Date(T0).toISOString(), quorum: 2 });
    expect(down.state).toMatchObject({ status: 'DOWN', since: now + 1000, lastHeartbeat: T0 });
    // The same votes, or more stale ones: nothing more.
    expect(nextWatchdog(down.state, [vote('us-east-1', now + MINUTE, true, T0), vote('ap-south-1', now + MINUTE, true, T0), vote('eu-central-1', now + MINUTE, true)], now + MINUTE, SETTINGS).alert).toBeUndefined();
    // A fresh vote that only saw the old heartbeat (cast before the outage was called) is no recovery.
    expect(nextWatchdog(down.state, [vote('eu-central-1', now - MINUTE, false, T0)], now, SETTINGS).alert).toBeUndefined();
    const back = nextWatchdog(down.state, [vote('us-east-1', now + 2 * MINUTE, false, now + 2 * MINUTE - 5000)], now + 2 * MINUTE, SETTINGS);
    expect(back.alert).toMatchObject({ kind: 'HOME_RECOVERED', verdict: 'UP', previousVerdict: 'DOWN' });
    expect(back.alert!.home!.downSince).toBe(new Date(now + 1000).toISOString());
    expect(back.state.status).toBe('UP');
    expect(back.alert!.subject).toBe('HOME_RECOVERED — home region eu-west-1: heartbeat back (HOME_DOWN since 00:06 UTC)');
    expect(down.alert!.subject).toBe('HOME_DOWN — home region eu-west-1: no heartbeat since 00:00 UTC (stale in ap-south-1, us-east-1)');
  });

  it('votes older than voteTtl no longer count', () => {
    const now = T0 + 10 * MINUTE;
    const votes = [vote('us-east-1', now, true, T0), vote('ap-south-1', now - 3 * MINUTE - 1, true, T0)];
    expect(nextWatchdog(undefined, votes, now, SETTINGS).alert).toBeUndefined();
  });

  // A random run: each step one region casts a vote (stale or not, seeing a heartbeat at some age), time moves on.
  const step = fc.record({
    region: fc.constantFrom(...PROBES),
    advance: fc.integer({ min: 0, max: 90_000 }),
    stale: fc.boolean(),
    beatAge: fc.integer({ min: 0, max: 10 * MINUTE }),
  });
  const run = (steps: { region: string; advance: number; stale: boolean; beatAge: number }[]) => {
    let now = T0;
    let state: WatchdogState | undefined;
    const votes = new Map<string, WatchdogVote>();
    const kinds: string[] = [];
    const staleCounts: number[] = [];
    for (const s of steps) {
      now += s.advance;
      votes.set(s.region, vote(s.region, now, s.stale, now - s.beatAge));
      const r = nextWatchdog(state, [...votes.values()], now, SETTINGS);
      if (r.alert) {
        kinds.push(r.alert.kind);
        staleCounts.push([...votes.values()].filter((v) => v.stale && now - v.at <= SETTINGS.voteTtlMs && v.at > (state?.since ?? -1)).length);
      }
      // Stepping again with the same votes never adds an alert.
      expect(nextWatchdog(r.state, [...votes.values()], now, SETTINGS).alert).toBeUndefined();
      state = r.state;
    }
    return { kinds, staleCounts };
  };

  it('property: HOME_DOWN and HOME_RECOVERED alternate, starting with HOME_DOWN, each only once per change', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const { kinds } = run(steps);
      kinds.forEach((k, i) => expect(k).toBe(i % 2 === 0 ? 'HOME_DOWN' : 'HOME_RECOVERED'));
    }), { numRuns: 300 });
  });

  it('property: HOME_DOWN only with a quorum of current stale votes; a lone region never pages', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const { kinds, staleCounts } = run(steps);
      kinds.forEach((k, i) => { if (k === 'HOME_DOWN') expect(staleCounts[i]).toBeGreaterThanOrEqual(SETTINGS.quorum); });
      const lone = steps.map((s) => ({ ...s, region: 'us-east-1' }));
      expect(run(lone).kinds).toEqual([]);
    }), { numRuns: 300 });
  });
});
