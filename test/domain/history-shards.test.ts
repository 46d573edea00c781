// History shards: a day's events under a fixed 16 partition keys `history#<day>#<k>`, a monitor's events always in the
// same one (a changed hash would hide stored events from a per-monitor read), near-even; a day's readers read every
// shard, or one monitor's, and always the day's legacy key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTORY_SHARDS, historyDayKey, historyDays, historyItem, historyPartitions, historyPk } from '../../functions/shared/domain/history';

const NOON = Date.parse('2026-12-03T12:00:00Z');
const shardOf = (monitor: string) => Number(historyPk(NOON, monitor).split('#')[2]);

describe('history shards', () => {
  it('keys every event by its UTC day and its monitor’s shard of 0 … 15, the same one on every call', () => {
    expect(HISTORY_SHARDS).toBe(16);
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 4_102_444_800_000 }), (monitor, at) => {
      const pk = historyPk(at, monitor);
      const [prefix, day, shard, ...rest] = pk.split('#');
      expect([prefix, day, rest]).toEqual(['history', new Date(at).toISOString().slice(0, 10), []]);
      expect(Number(shard)).toBeGreaterThanOrEqual(0);
      expect(Number(shard)).toBeLessThan(HISTORY_SHARDS);
      expect(historyPk(at, monitor)).toBe(pk);
      // The item a writer stores is under that key, and a read of the monitor's day finds its partition.
      expect(historyItem({ event: 'ack', alertId: 'a', by: 'me' }, monitor, at, 400).pk).toBe(pk);
      expect(historyPartitions(historyDayKey(at), [monitor])).toContain(pk);
    }));
    // Fixed values: stored events are found under these keys.
    expect(['orders-db', 'ledger-db', 'web', 'fleet', 'incident', 'tag:env=prod'].map(shardOf)).toEqual([8, 0, 8, 11, 0, 4]);
  });

  it('spreads 100,000 monitors within 5 % of 6,250 a shard', () => {
    const sizes = new Array<number>(HISTORY_SHARDS).fill(0);
    for (let i = 0; i < 100_000; i += 1) sizes[shardOf(`svc-${i}`)]! += 1;
    expect(Math.min(...sizes)).toBeGreaterThan(6_250 * 0.95);
    expect(Math.max(...sizes)).toBeLessThan(6_250 * 1.05);
  });

  it('reads a day as its legacy key and every shard, or only the shards of the monitors asked for', () => {
    const [day] = historyDays(NOON, NOON);
    expect(day).toBe('history#2026-12-03');
    expect(historyPartitions(day!)).toEqual(['history#2026-12-03', ...Array.from({ length: 16 }, (_, k) => `history#2026-12-03#${k}`)]);
    expect(historyPartitions(day!, ['orders-db'])).toEqual(['history#2026-12-03', 'history#2026-12-03#8']);
    // Two monitors of one shard read it once; shards ascending.
    expect(historyPartitions(day!, ['web', 'tag:env=prod', 'orders-db', 'ledger-db'])).toEqual(['history#2026-12-03', 'history#2026-12-03#0', 'history#2026-12-03#4', 'history#2026-12-03#8']);
    expect(historyPartitions(day!, [])).toEqual(['history#2026-12-03']);
  });
});
