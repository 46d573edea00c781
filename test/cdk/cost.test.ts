// The cost model, the per-region price table and the comparison with the alternatives: itemised, priced by region,
// measured where the bench measured, and honest about what the functions really emit.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../functions/shared/adapters/observability';
import { ALWAYS_EMITTED_METRICS, LOG_ONLY_COUNTS, METRIC_NAMES, SERVICES } from '../../functions/shared/deployment';
import { compareAlternatives } from '../../lib/pricing/alternatives';
import { prepareFleet } from '../../lib/fleet-validation';
import {
  ALWAYS_EMITTED_METRICS_PER_PROBE_REGION, PRICES, SECONDS_PER_MONTH, costInputsFromFleet, costPerMonitor, designGoal,
  estimateMonthlyCost, formatCostEstimate, interpolate, type CostEstimate, type CostInputs,
} from '../../lib/pricing/cost';
import { parseMeasured } from '../../lib/pricing/measured';
import { ALTERNATIVE_PRICES, AWS_PRICES, PRICES_AS_OF, pricesFor } from '../../lib/pricing/prices';

const STATE_REREADS_1000 = (43_200 / 5) * 49;

const base = { monitors: 1000, regions: 3, intervalSeconds: 60 };
const usRegions = { regionNames: ['us-east-1', 'us-west-2', 'eu-west-1'] };
const line = (estimate: CostEstimate, service: string, part = '') => estimate.items.find((i) => i.service === service && i.part === part)!;
const usd = (inputs: CostInputs, service: string, part = '') => line(estimateMonthlyCost(inputs), service, part).monthlyUsd;
const measured = parseMeasured(readFileSync(new URL('../fixtures/cost/measured.json', import.meta.url), 'utf8')).figures;
const ROUNDS_AT_60S = SECONDS_PER_MONTH / 60;

describe('estimateMonthlyCost', () => {
  it('itemises every billed part, and the total and per-monitor figures are their sum', () => {
    const estimate = estimateMonthlyCost(base);
    expect(estimate.items.map((i) => (i.part ? `${i.service} · ${i.part}` : i.service))).toEqual([
      'Lambda · probe', 'Lambda · aggregator', 'Lambda · sweeper', 'DynamoDB · writes', 'DynamoDB · reads', 'DynamoDB · history', 'DynamoDB · storage',
      'Data transfer', 'SNS', 'Schedules', 'Logs', 'CloudWatch · metrics', 'CloudWatch · alarms', 'CloudWatch · dashboard', 'KMS',
    ]);
    expect(estimate.totalUsd).toBeCloseTo(estimate.items.reduce((s, i) => s + i.monthlyUsd, 0), 10);
    expect(estimate.perMonitorUsd).toBeCloseTo(estimate.totalUsd / 1000, 12);
    expect(estimate.pricesAsOf).toBe(PRICES_AS_OF);
    expect(estimate.regions).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-1']);
    expect(estimate.homeRegion).toBe('us-east-1');
  });

  it('grows with monitors and regions, and shrinks with longer intervals', () => {
    const total = (inputs: CostInputs) => estimateMonthlyCost(inputs).totalUsd;
    expect(total({ ...base, monitors: 10_000 })).toBeGreaterThan(total(base));
    expect(total({ ...base, regions: 5 })).toBeGreaterThan(total(base));
    expect(total({ ...base, intervalSeconds: 300 })).toBeLessThan(total(base));
  });

  it('charges a sub-minute interval for the whole minute the probe stays up', () => {
    expect(usd({ ...base, intervalSeconds: 10 }, 'Lambda', 'probe')).toBeGreaterThan(20 * usd(base, 'Lambda', 'probe'));
  });

  it('prices watch mode at 60 s as the probe function staying up for its minute, and as nothing more under 60 s', () => {
    const at60 = estimateMonthlyCost({ ...base, watchedMonitors: 100 });
    const watch = line(at60, 'Lambda', 'watch');
    const probe = line(at60, 'Lambda', 'probe');
    expect(watch.basis).toBe('modelled');
    expect(watch.detail).toMatch(/100 monitors in watch mode: the probe function stays up for its minute/);
    // The rest of each minute, in every region, at the probe's memory: much more than the rounds themselves.
    expect(watch.monthlyUsd).toBeGreaterThan(10 * probe.monthlyUsd);
    expect(at60.totalUsd).toBeCloseTo(estimateMonthlyCost(base).totalUsd + watch.monthlyUsd, 6);
    // Under a minute the function already waits out its minute between rounds.
    expect(usd({ ...base, intervalSeconds: 10, watchedMonitors: 100 }, 'Lambda', 'watch')).toBe(0);
    expect(estimateMonthlyCost(base).items.some((i) => i.part === 'watch')).toBe(false);
  });

  it('bills round-item writes per started KB of the deflated item: 1,000 results of 24 bytes are one 8 KB item per region-round', () => {
    const writes = line(estimateMonthlyCost({ ...base, ...usRegions }), 'DynamoDB', 'writes');
    // 130 bytes of keys and attributes + 1,000 × 24 bytes deflated to a third = 8,130 bytes → 8 write units, × 3 regions,
    // + 2 per alert (the state and the outbox clear) + 1 per alert (the incident book).
    expect(writes.monthlyUsd).toBeCloseTo((3 * 8 * ROUNDS_AT_60S + 300) * 0.625e-6, 10);
    expect(writes.basis).toBe('modelled');
    // A small fleet's results stay text (under 700 bytes): 130 + 20 × 24 bytes fit one unit.
    const small = line(estimateMonthlyCost({ ...base, ...usRegions, monitors: 20 }), 'DynamoDB', 'writes');
    expect(small.monthlyUsd).toBeCloseTo((3 * 1 * ROUNDS_AT_60S + 300) * 0.625e-6, 10);
  });

  it('keeps logs to one summary line per round: cents, not the ~$13 of a line per monitor', () => {
    expect(usd(base, 'Logs')).toBeLessThan(1);
  });

  it('uses the aggregator and sweeper memory the home stack deploys (512 and 256 MB)', () => {
    const estimate = estimateMonthlyCost(base);
    expect(line(estimate, 'Lambda', 'aggregator').detail).toContain('at 512 MB');
    expect(line(estimate, 'Lambda', 'sweeper').detail).toContain('at 256 MB');
  });

  it('takes the free tier off only when asked, as a negative line that leaves the total positive', () => {
    const list = estimateMonthlyCost(base);
    const free = estimateMonthlyCost({ ...base, freeTier: true });
    const credit = line(free, 'Free tier');
    expect(list.items.some((i) => i.service === 'Free tier')).toBe(false);
    expect(credit.monthlyUsd).toBeLessThan(-3); // at least the dashboard ($3) and alarms
    expect(free.totalUsd).toBeCloseTo(list.totalUsd + credit.monthlyUsd, 10);
    expect(free.totalUsd).toBeGreaterThan(0);
  });
});

describe('prices per region', () => {
  it('has every price for the regions a fleet commonly uses, dated and positive', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1']) {
      const p = AWS_PRICES[region]!;
      expect(p.region).toBe(region);
      const all = [...Object.values(p.lambda), ...Object.values(p.dynamodb), ...Object.values(p.cloudwatch), ...Object.values(p.sns), ...Object.values(p.kms), p.interRegionTransferGb];
      expect(all).toHaveLength(16);
      for (const price of all) expect(price.usd).toBeGreaterThan(0);
    }
    expect(PRICES.dynamodb.writeRequestUnit.usd).toBe(0.625e-6);
  });

  it('prices the table in the home region: the same fleet homed in Tokyo pays Tokyo\'s write price', () => {
    const virginia = usd({ ...base, regionNames: ['us-east-1', 'eu-west-1', 'ap-northeast-1'] }, 'DynamoDB', 'writes');
    const tokyo = usd({ ...base, regionNames: ['us-east-1', 'eu-west-1', 'ap-northeast-1'], homeRegion: 'ap-northeast-1' }, 'DynamoDB', 'writes');
    expect(tokyo / virginia).toBeCloseTo(0.715 / 0.625, 10);
  });

  it('prices each probe region\'s logs and metrics in that region', () => {
    const us = estimateMonthlyCost({ ...base, regionNames: ['us-east-1', 'us-west-2', 'us-east-1'] });
    const withTokyo = estimateMonthlyCost({ ...base, regionNames: ['us-east-1', 'us-west-2', 'ap-northeast-1'] });
    expect(line(withTokyo, 'Logs').monthlyUsd).toBeGreaterThan(line(us, 'Logs').monthlyUsd);
    // Transfer out of Tokyo costs $0.09 a GB against $0.02 from us-west-2.
    expect(line(withTokyo, 'Data transfer').monthlyUsd).toBeGreaterThan(3 * line(us, 'Data transfer').monthlyUsd / 2);
  });

  it('marks a line whose price could not be verified, and prices an unknown region as us-east-1, unverified', () => {
    const verified = estimateMonthlyCost({ ...base, regions: 1, regionNames: ['us-east-1'] });
    expect(line(verified, 'DynamoDB', 'writes').unverifiedPrice).toBe(false);
    expect(line(verified, 'CloudWatch', 'dashboard').unverifiedPrice).toBe(true);
    const unknown = estimateMonthlyCost({ ...base, regions: 1, regionNames: ['sa-east-1'] });
    expect(unknown.unpricedRegions).toEqual(['sa-east-1']);
    expect(line(unknown, 'DynamoDB', 'writes').unverifiedPrice).toBe(true);
    expect(line(unknown, 'DynamoDB', 'writes').monthlyUsd).toBeCloseTo(line(verified, 'DynamoDB', 'writes').monthlyUsd, 10);
    expect(pricesFor('sa-east-1').prices.lambda.gbSecondArm64.note).toBe("no price data for sa-east-1: us-east-1's price used");
    expect(unknown.assumptions).toContain('no prices for sa-east-1: us-east-1 prices used');
  });
});

describe('measured figures', () => {
  it('uses the bench\'s counted DynamoDB units per round, marked measured', () => {
    const estimate = estimateMonthlyCost({ ...base, ...usRegions }, measured);
    expect(line(estimate, 'DynamoDB', 'writes')).toMatchObject({ basis: 'measured' });
    // Plus the incident book, which the bench leaves out: a write and a read per alert (100), a read per sweep.
    expect(line(estimate, 'DynamoDB', 'writes').monthlyUsd).toBeCloseTo((75 * ROUNDS_AT_60S + 100) * 0.625e-6, 10);
    // Plus the warm aggregator's re-read of 1,000 states (49 units of 4 KB) every 5 minutes, which the bench leaves out.
    expect(line(estimate, 'DynamoDB', 'reads').monthlyUsd).toBeCloseTo((400 * ROUNDS_AT_60S + STATE_REREADS_1000 + 100 + ROUNDS_AT_60S) * 0.125e-6, 10);
    // Between the bench's 100 and 1,000 monitors the units are interpolated.
    const mid = estimateMonthlyCost({ ...base, ...usRegions, monitors: 550 }, measured);
    expect(line(mid, 'DynamoDB', 'writes').monthlyUsd).toBeCloseTo((42 * ROUNDS_AT_60S + 100) * 0.625e-6, 10);
  });

  it('uses the measured round and aggregator times, and stays modelled for what the bench did not measure', () => {
    const estimate = estimateMonthlyCost(base, measured);
    expect(line(estimate, 'Lambda', 'probe').basis).toBe('measured');
    expect(line(estimate, 'Lambda', 'probe').detail).toContain('150 ms measured on loopback (exact');
    expect(line(estimate, 'Lambda', 'aggregator').detail).toContain('120 ms per item measured');
    expect(line(estimate, 'Logs').basis).toBe('modelled');
    const modelled = estimateMonthlyCost(base);
    expect(line(modelled, 'Lambda', 'probe').basis).toBe('modelled');
    expect(line(modelled, 'DynamoDB', 'reads').basis).toBe('modelled');
  });

  it('falls back to the model when a figure has no rows, and scales rows counted for other region counts', () => {
    expect(line(estimateMonthlyCost(base, { dynamoPerRound: [] }), 'DynamoDB', 'writes').basis).toBe('modelled');
    const sixRegions = estimateMonthlyCost({ ...base, regions: 6 }, measured);
    expect(line(sixRegions, 'DynamoDB', 'writes').monthlyUsd).toBeCloseTo((150 * ROUNDS_AT_60S + 100) * 0.625e-6, 10);
    expect(line(sixRegions, 'DynamoDB', 'writes').detail).toContain('scaled from 3 regions');
  });

  it('interpolates between points and extrapolates past them', () => {
    const points = [{ x: 100, y: 10 }, { x: 1000, y: 100 }];
    expect(interpolate(points, 550)).toEqual({ y: 55, how: 'interpolated' });
    expect(interpolate(points, 2000)).toEqual({ y: 200, how: 'extrapolated' });
    expect(interpolate([{ x: 100, y: 10 }], 300)).toEqual({ y: 30, how: 'extrapolated' });
    expect(interpolate([], 300)).toBeUndefined();
  });
});

describe('metrics the model bills are the metrics the functions emit', () => {
  let written: string[] = [];
  afterEach(() => vi.restoreAllMocks());
  const capture = () => {
    written = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  };
  const emitted = () => written.flatMap((w) => w.split('\n')).filter((l) => l.includes('"_aws"'))
    .flatMap((l) => (JSON.parse(l)._aws.CloudWatchMetrics[0].Metrics as { Name: string }[]).map((m) => m.Name));

  it('a healthy probe round emits only ProbesDown; a healthy batch or sweep emits nothing', () => {
    capture();
    const probe = createMetrics(SERVICES.probe, { region: 'eu-west-1' });
    for (const name of Object.values(METRIC_NAMES.probe)) probe.count(name, name === 'Rounds' ? 6 : 0);
    probe.flush();
    const aggregator = createMetrics(SERVICES.aggregate);
    for (const name of Object.values(METRIC_NAMES.aggregate)) aggregator.count(name, name === 'StreamRecords' ? 3 : 0);
    aggregator.flush();
    vi.restoreAllMocks();
    expect(emitted()).toEqual(['ProbesDown']);
    expect(ALWAYS_EMITTED_METRICS).toHaveLength(ALWAYS_EMITTED_METRICS_PER_PROBE_REGION);
    expect(written.join('')).not.toContain('No application metrics');
  });

  it('an event counter is emitted in the flush where it is non-zero; volume counters never become metrics', () => {
    capture();
    const aggregator = createMetrics(SERVICES.aggregate);
    aggregator.count('Transitions', 2);
    aggregator.count('StreamRecords', 3);
    aggregator.flush();
    vi.restoreAllMocks();
    expect(emitted()).toEqual(['Transitions']);
    expect(LOG_ONLY_COUNTS).toContain('StreamRecords');
  });

  it('bills one always-emitted metric per probe region', () => {
    expect(line(estimateMonthlyCost({ ...base, regions: 5 }), 'CloudWatch', 'metrics').detail).toMatch(/^5 metrics always/);
  });
});

describe('design goal', () => {
  const at = (perMonitorUsd: number, intervalSeconds: number, monitors = 1000) =>
    designGoal({ ...estimateMonthlyCost({ ...base, monitors, intervalSeconds }), perMonitorUsd });

  it('is $0.01 a monitor-month at 60 s and slower, $0.05 under 60 s', () => {
    expect(at(0.0099, 60)).toMatchObject({ targetPerMonitorUsd: 0.01, met: true, atStatedPoint: true });
    expect(at(0.0101, 60).met).toBe(false);
    expect(at(0.0101, 300)).toMatchObject({ targetPerMonitorUsd: 0.01, met: false, atStatedPoint: false });
    expect(at(0.049, 10)).toMatchObject({ targetPerMonitorUsd: 0.05, met: true, atStatedPoint: true });
    expect(at(0.051, 30)).toMatchObject({ targetPerMonitorUsd: 0.05, met: false, atStatedPoint: false });
    expect(at(0.001, 60, 50).atStatedPoint).toBe(false);
  });
});

describe('fleet inputs and per-monitor shares', () => {
  const config = prepareFleet({
    regions: ['eu-west-1', 'us-east-1'],
    homeRegion: 'us-east-1',
    monitors: [
      { id: 'a', host: 'a.example.internal', port: 1, interval: 30, failureThreshold: 3 },
      { id: 'b', host: 'b.example.internal', port: 1, interval: 60, regions: ['eu-west-1'], quorum: 1 },
    ],
  }).config;

  it('counts monitors, takes regions and home from the fleet, and weights intervals by how often monitors are probed', () => {
    const inputs = costInputsFromFleet(config);
    // 2 probes/30 s + 1 probe/60 s = 5 per minute ⇒ the same as 4 monitor-regions every 48 s.
    expect(inputs).toMatchObject({ monitors: 2, regions: 2, shortestIntervalSeconds: 30, regionNames: ['eu-west-1', 'us-east-1'], homeRegion: 'us-east-1', windowRounds: 6 });
    expect(inputs.intervalSeconds).toBeCloseTo(48, 10);
    expect(inputs.bytesPerResult).toBe(13); // one-character ids
  });

  it('shares the bill by probes caused, and the shares add up to the total', () => {
    const estimate = estimateMonthlyCost(costInputsFromFleet(config));
    const shares = costPerMonitor(estimate, config.monitors);
    expect(shares.map((s) => s.monitor)).toEqual(['a', 'b']);
    expect(shares[0]!.monthlyUsd / shares[1]!.monthlyUsd).toBeCloseTo(4, 10); // 2 regions / 30 s against 1 / 60 s
    expect(shares.reduce((s, m) => s + m.monthlyUsd, 0)).toBeCloseTo(estimate.totalUsd, 10);
  });

  it('counts the probes a reach group adds to a monitor (each of the group\'s regions, every round)', () => {
    const reach = prepareFleet({
      regions: ['eu-west-1', 'us-east-1'],
      homeRegion: 'us-east-1',
      groups: { vpc: { regions: ['eu-west-1'] } },
      monitors: [
        { id: 'a', host: 'a.example.internal', port: 1, interval: 60 },
        { id: 'b', host: 'b.example.internal', port: 1, interval: 60, reach: { vpc: 'open', public: 'closed' } },
      ],
    }).config;
    // 2 + (2 + 1) probes a minute for 2 monitors in 2 regions: as if every monitor-region were probed every 48 s.
    expect(costInputsFromFleet(reach).intervalSeconds).toBeCloseTo(48, 10);
    const shares = costPerMonitor(estimateMonthlyCost(costInputsFromFleet(reach)), reach.monitors);
    expect(shares[1]!.monthlyUsd / shares[0]!.monthlyUsd).toBeCloseTo(1.5, 10);
  });

  it('formats one aligned line per item with the total, the per-monitor figure and the assumptions', () => {
    const text = formatCostEstimate(estimateMonthlyCost(base));
    expect(text.split('\n')[0]).toBe('Estimated monthly cost (USD):');
    expect(text).toMatch(/^ {2}Total {19}\$ +\d+\.\d\d$/m);
    expect(text).toMatch(/^ {2}Per monitor {13}\$ +0\.\d{4}$/m);
    expect(text).toMatch(/^ {2}CloudWatch · dashboard {2}\$ +3\.00† counted/m);
    expect(text).toContain('assumes 1,000 monitors × 3 regions (us-east-1, eu-west-1, ap-southeast-1; home us-east-1), a round every 60 s');
  });
});

describe('compareAlternatives', () => {
  const find = (list: ReturnType<typeof compareAlternatives>, provider: string, product: RegExp) => list.find((a) => a.provider === provider && product.test(a.product))!;

  it('prices Route 53 per health check, with the fast-interval feature under 30 s and an alarm to be notified', () => {
    const slow = find(compareAlternatives({ ...base }), 'Route 53 health checks', /TCP/);
    expect(slow.monthlyUsd).toBeCloseTo(1000 * (0.75 + 0.1), 10);
    expect(slow).toMatchObject({ pricedIntervalSeconds: 30, likeForLike: false, unverifiedPrice: true });
    const fast = find(compareAlternatives({ ...base, intervalSeconds: 10 }), 'Route 53 health checks', /fast interval/);
    expect(fast.monthlyUsd).toBeCloseTo(1000 * (0.75 + 2 + 0.1), 10);
    const aws = find(compareAlternatives({ ...base, nonAwsEndpoints: false }), 'Route 53 health checks', /AWS endpoint/);
    expect(aws.monthlyUsd).toBeCloseTo(1000 * (0.5 + 0.1), 10);
    // Route 53 charges per check, not per region.
    expect(find(compareAlternatives({ ...base, regions: 6 }), 'Route 53 health checks', /TCP/).monthlyUsd).toBeCloseTo(slow.monthlyUsd, 10);
  });

  it('prices Datadog per 10k test runs and location, never faster than once a minute', () => {
    const runs = 1000 * 3 * ROUNDS_AT_60S;
    const annual = find(compareAlternatives(base), 'Datadog Synthetics', /annually/);
    expect(annual.monthlyUsd).toBeCloseTo((runs / 1e4) * ALTERNATIVE_PRICES.datadog.apiTestRunsPer10kAnnual.usd, 6);
    expect(annual.likeForLike).toBe(true);
    expect(find(compareAlternatives(base), 'Datadog Synthetics', /on demand/).monthlyUsd).toBeCloseTo((runs / 1e4) * 7.2, 6);
    const tenSeconds = find(compareAlternatives({ ...base, intervalSeconds: 10 }), 'Datadog Synthetics', /annually/);
    expect(tenSeconds).toMatchObject({ pricedIntervalSeconds: 60, likeForLike: false, monthlyUsd: annual.monthlyUsd });
    expect(tenSeconds.assumptions.join(' ')).toContain('priced at that, not at 10 s');
  });

  it('prices Checkly per run in parallel (scaling with regions and interval) and per TCP monitor (neither)', () => {
    const runs = find(compareAlternatives(base), 'Checkly', /per run/);
    expect(runs.monthlyUsd).toBeCloseTo(((1000 * 3 * ROUNDS_AT_60S) / 1e4) * 2, 6);
    expect(find(compareAlternatives({ ...base, regions: 6 }), 'Checkly', /per run/).monthlyUsd).toBeCloseTo(2 * runs.monthlyUsd, 6);
    const monitors = find(compareAlternatives(base), 'Checkly', /uptime/);
    expect(monitors.monthlyUsd).toBe(400);
    expect(find(compareAlternatives({ ...base, monitors: 1001, intervalSeconds: 10 }), 'Checkly', /uptime/).monthlyUsd).toBe(410);
    expect(monitors).toMatchObject({ pricedLocations: 1, likeForLike: false });
  });

  it('names a source for every alternative', () => {
    for (const a of compareAlternatives(base)) expect(a.source).toMatch(/^https:\/\//);
  });
});
