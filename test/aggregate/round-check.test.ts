// Which decoded round items the aggregator evaluates: the bounds of roundItemProblem and instantText.
import { describe, expect, it } from 'vitest';
import { instantText, MAX_ROUND_AHEAD_MS, roundItemProblem } from '../../functions/aggregate/round-check';
import type { RoundRecord } from '../../functions/shared/domain/record';

const NOW = Date.UTC(2026, 11, 2, 15, 0, 0);
const fleet = { regions: ['us-east-1', 'eu-west-1'], groups: { vpc: { regions: ['eu-central-1'] } } };
const round = (instant: number, region = 'us-east-1', group?: string): RoundRecord => ({
  schemaVersion: 2, instant, region, ...(group ? { group } : {}), shard: 0, shards: 1, probedAt: instant, canary: { status: 'none' }, results: {},
});

describe('roundItemProblem', () => {
  it('accepts a round a few seconds ahead (a probe clock off) and one as old as the table keeps', () => {
    expect(roundItemProblem(round(NOW + 2000), fleet, NOW)).toBeUndefined();
    expect(roundItemProblem(round(NOW + MAX_ROUND_AHEAD_MS), fleet, NOW)).toBeUndefined();
    expect(roundItemProblem(round(NOW - 2 * 86_400_000), fleet, NOW)).toBeUndefined();
    expect(roundItemProblem(round(NOW, 'eu-central-1', 'vpc'), fleet, NOW)).toBeUndefined();
  });

  it.each([
    ['too far ahead', round(NOW + MAX_ROUND_AHEAD_MS + 1000), "is 31 s ahead of the aggregator's clock"],
    ['older than the TTL', round(NOW - 2 * 86_400_000 - 60_000), 'older than the 2 days the table keeps rounds'],
    ['beyond any date', round(9e15), 'is not an instant a clock can show'],
    ['a foreign region', round(NOW, 'xx-foreign-1'), "region 'xx-foreign-1' does not probe this fleet"],
    ['a region outside its group', round(NOW, 'us-east-1', 'vpc'), "region 'us-east-1' does not probe group 'vpc'"],
    ['an undeclared group', round(NOW, 'us-east-1', 'constructor'), "probe group 'constructor' is not one of this fleet's groups"],
  ])('rejects %s', (_, record, message) => {
    expect(roundItemProblem(record, fleet, NOW)).toContain(message);
  });
});

describe('instantText', () => {
  it('never throws', () => {
    expect(instantText(NOW)).toBe('2026-12-02T15:00:00.000Z');
    expect(instantText(9e15)).toBe('9000000000000000 (not a date)');
    expect(instantText(Number.NaN)).toBe('NaN (not a date)');
  });
});
