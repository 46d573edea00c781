// The region worker's gate on probe-shard rounds (bin/local/round-gate.ts): at most `atOnce` rounds probe at once, the
// rest in order of arrival, each keeping what is left of its own deadline; one-monitor re-probes never wait.
import { describe, expect, it } from 'vitest';
import type { ProbeRoundFn } from '../../functions/probe/handler';
import type { ResolvedMonitor } from '../../functions/shared/domain';
import { gatedProbeRound } from '../../bin/local/round-gate';

const monitors = (n: number): ResolvedMonitor[] => Array.from({ length: n }, (_, i) => ({ id: `m${i}` }) as ResolvedMonitor);

/** A probe round that ends only when the test says so, recording what it was asked and how many ran at once. */
function scriptedRounds() {
  const calls: Array<{ size: number; deadlineMs: number | undefined; finish: () => void }> = [];
  let running = 0;
  let most = 0;
  const started: Array<() => void> = [];
  const probeRound: ProbeRoundFn = (list, options) => new Promise((resolve) => {
    running += 1;
    most = Math.max(most, running);
    calls.push({ size: list.length, deadlineMs: options?.deadlineMs, finish: () => (running -= 1, resolve(new Map())) });
    started.shift()?.();
  });
  /** Resolves once `n` calls have started in all. */
  const startedCount = (n: number): Promise<void> => (calls.length >= n ? Promise.resolve() : new Promise((resolve) => started.push(() => void startedCount(n).then(resolve))));
  return { probeRound, calls, most: () => most, startedCount };
}

describe('gatedProbeRound', () => {
  it('probes at most atOnce rounds at a time, starts the queued ones in order as rounds end, and ends them all', async () => {
    const s = scriptedRounds();
    const gated = gatedProbeRound(s.probeRound, 2);
    const done = [3, 4, 5, 6, 7].map((n) => gated(monitors(n), { deadlineMs: 10_000 }));
    await s.startedCount(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.calls.map((c) => c.size)).toEqual([3, 4]); // the other three wait
    s.calls[1]!.finish();
    await s.startedCount(3);
    expect(s.calls.map((c) => c.size)).toEqual([3, 4, 5]);
    s.calls[0]!.finish();
    s.calls[2]!.finish();
    await s.startedCount(5);
    s.calls[3]!.finish();
    s.calls[4]!.finish();
    await Promise.all(done);
    expect(s.most()).toBe(2);
    expect(s.calls.map((c) => c.size)).toEqual([3, 4, 5, 6, 7]);
  });

  it('gives a round that waited what is left of its deadline, never less than nothing', async () => {
    const s = scriptedRounds();
    let clock = 1000;
    const gated = gatedProbeRound(s.probeRound, 1, () => clock);
    const first = gated(monitors(2), { deadlineMs: 10_000 });
    const second = gated(monitors(2), { deadlineMs: 10_000 });
    const third = gated(monitors(2), { deadlineMs: 5_000 });
    await s.startedCount(1);
    clock += 3_000;
    s.calls[0]!.finish();
    await s.startedCount(2);
    clock += 4_000;
    s.calls[1]!.finish();
    await s.startedCount(3);
    s.calls[2]!.finish();
    await Promise.all([first, second, third]);
    expect(s.calls.map((c) => c.deadlineMs)).toEqual([10_000, 7_000, 0]);
  });

  it('lets a one-monitor re-probe (watch mode) through while the rounds are busy', async () => {
    const s = scriptedRounds();
    const gated = gatedProbeRound(s.probeRound, 1);
    const round = gated(monitors(50), { deadlineMs: 10_000 });
    const reprobe = gated(monitors(1), { deadlineMs: 2_000 });
    await s.startedCount(2);
    expect(s.calls.map((c) => c.size)).toEqual([50, 1]);
    s.calls[1]!.finish();
    s.calls[0]!.finish();
    await Promise.all([round, reprobe]);
  });

  it('refuses a gate that lets nothing through', () => {
    expect(() => gatedProbeRound(async () => new Map(), 0)).toThrow(/atOnce must be a whole number ≥ 1, not 0/);
  });
});
