// The cost model: itemised, monotonic in what drives the bill, and honest about sub-minute intervals.
import { describe, expect, it } from 'vitest';
import { PRICES, costInputsFromFleet, estimateMonthlyCost, formatCostEstimate, prepareFleet } from '../../lib';

const base = { monitors: 1000, regions: 3, intervalSeconds: 60 };
const item = (inputs: Parameters<typeof estimateMonthlyCost>[0], service: string) =>
  estimateMonthlyCost(inputs).items.find((i) => i.service === service)!.monthlyUsd;

describe('estimateMonthlyCost', () => {
  it('itemises Lambda, DynamoDB, SNS, schedules and logs, and the total is their sum', () => {
    const estimate = estimateMonthlyCost(base);
    expect(estimate.items.map((i) => i.service)).toEqual(['Lambda', 'DynamoDB', 'SNS', 'Schedules', 'Logs', 'CloudWatch', 'KMS']);
    expect(estimate.totalUsd).toBeCloseTo(estimate.items.reduce((s, i) => s + i.monthlyUsd, 0), 10);
    expect(estimate.pricesAsOf).toBe(PRICES.asOf);
  });

  it('grows with monitors and regions, and shrinks with longer intervals', () => {
    const total = (inputs: typeof base) => estimateMonthlyCost(inputs).totalUsd;
    expect(total({ ...base, monitors: 10_000 })).toBeGreaterThan(total(base));
    expect(total({ ...base, regions: 5 })).toBeGreaterThan(total(base));
    expect(total({ ...base, intervalSeconds: 300 })).toBeLessThan(total(base));
  });

  it('charges a sub-minute interval for the whole minute the probe stays up', () => {
    expect(item({ ...base, intervalSeconds: 10 }, 'Lambda')).toBeGreaterThan(20 * item(base, 'Lambda'));
  });

  it('keeps logs to one summary line per round: cents, not the ~$13 of a line per monitor', () => {
    expect(item(base, 'Logs')).toBeLessThan(1);
  });

  it('counts a fleet\'s monitors and weights intervals by how often they are probed', () => {
    const config = prepareFleet({
      regions: ['eu-west-1', 'us-east-1'],
      monitors: [
        { id: 'a', host: 'a.example.internal', port: 1, interval: 30 },
        { id: 'b', host: 'b.example.internal', port: 1, interval: 60, regions: ['eu-west-1'] },
      ],
    }).config;
    const inputs = costInputsFromFleet(config);
    // 2 probes/30 s + 1 probe/60 s = 5 per minute ⇒ the same as 4 monitor-regions every 48 s.
    expect(inputs).toMatchObject({ monitors: 2, regions: 2, shortestIntervalSeconds: 30 });
    expect(inputs.intervalSeconds).toBeCloseTo(48, 10);
  });

  it('formats one aligned line per item with the total and the assumptions', () => {
    const text = formatCostEstimate(estimateMonthlyCost(base));
    expect(text.split('\n')[0]).toBe('Estimated monthly cost (USD):');
    expect(text).toMatch(/^ {2}Total {7}\$ +\d+\.\d\d$/m);
    expect(text).toContain('assumes 1,000 monitors × 3 regions, a round every 60 s');
  });
});
