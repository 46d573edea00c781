// `portquorum cost` through the real binary: the what-if and the declared fleet, measured figures, the goal, the
// comparison, --json, --help and exit 2 with a clear message on bad usage.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

const STATE_REREADS_1000 = (43_200 / 5) * 49;

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/cost/${name}`, import.meta.url));
const MEASURED = fixture('measured.json');
const ROUNDS_AT_60S = (30 * 24 * 3600) / 60;

interface Item { service: string; part: string; monthlyUsd: number; basis: string; unverifiedPrice: boolean }
interface Report {
  fleet: { label: string; monitors: number; regions: string[]; homeRegion: string; intervalSeconds: number };
  estimate: { items: Item[]; totalUsd: number; perMonitorUsd: number; unpricedRegions: string[] };
  perMonitor: { monitor: string; regions: number; intervalSeconds: number; monthlyUsd: number }[] | null;
  goal: { targetPerMonitorUsd: number; perMonitorUsd: number; met: boolean; atStatedPoint: boolean };
  measured: { status: string; used: string[]; note: string };
  alternatives: { provider: string; product: string; monthlyUsd: number; likeForLike: boolean; pricedIntervalSeconds: number }[];
  prices: { asOf: string; regions: Record<string, unknown> };
}

async function report(args: string[]): Promise<Report> {
  const r = await runCli(['cost', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Report;
}
const item = (rep: Report, service: string, part = '') => rep.estimate.items.find((i) => i.service === service && i.part === part)!;

describe('portquorum cost', () => {
  it('leads a small fleet with its total and what dominates, and never calls it a failed design goal', async () => {
    const r = await runCli(['cost', '--monitors', '5']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[2]).toMatch(/^Total: \$\d+\.\d\d a month \(\$\d+\.\d\d per monitor\), mostly CloudWatch dashboard \$3\.00, KMS \$1\.00(, [^,]+ \$\d+\.\d\d)?\.$/);
    expect(r.stdout).not.toMatch(/^Design goal|NOT MET/m);
    expect(r.stdout).toContain('Per monitor the bill falls as monitors are added');
  });

  it('prints the itemised what-if, the per-monitor figure, the goal verdict and the comparison', async () => {
    const r = await runCli(['cost', '--monitors', '1000', '--regions', '3', '--interval', '60', '--model-only']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = await report(['--monitors', '1000', '--regions', '3', '--interval', '60', '--model-only']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('portquorum cost — what-if: 1,000 monitors × 3 regions every 60 s');
    for (const label of ['Lambda · probe', 'Lambda · aggregator', 'Lambda · sweeper', 'DynamoDB · writes', 'DynamoDB · reads', 'DynamoDB · storage',
      'Data transfer', 'SNS', 'Schedules', 'Logs', 'CloudWatch · metrics', 'CloudWatch · alarms', 'CloudWatch · dashboard', 'KMS']) {
      expect(lines.some((l) => l.startsWith(`  ${label} `))).toBe(true);
    }
    expect(r.stdout).toContain(`  Total                   $${json.estimate.totalUsd.toFixed(2).padStart(8)}`);
    expect(lines[2]).toMatch(new RegExp(`^Total: \\$${json.estimate.totalUsd.toFixed(2)} a month \\(\\$${json.estimate.perMonitorUsd.toFixed(4)} per monitor\\), mostly CloudWatch dashboard \\$3\\.00, KMS \\$1\\.00, [^,]+ \\$\\d\\.\\d\\d\\.$`));
    expect(r.stdout).toContain(`Design goal (1,000 monitors × 3 regions: $0.01 at 60 s, $0.05 at 10 s): $${json.goal.perMonitorUsd.toFixed(4)} per monitor-month against at most $0.01: ${json.goal.met ? 'met' : 'NOT met'}\n`);
    expect(r.stdout).toContain('Measured figures: --model-only: every line from the model');
    expect(r.stdout).toMatch(/^ {2}Route 53 health checks: TCP health check, non-AWS endpoint +\$ +850\.00†/m);
    expect(r.stdout).toMatch(/^ {2}Datadog Synthetics: TCP API tests from 3 locations, billed annually +\$ +64,800\.00 /m);
    expect(r.stdout).toContain('Prices: lib/pricing/prices.ts as of 2026-12-01, regions us-east-1, eu-west-1, ap-southeast-1');
  });

  it('states the goal for a 10 s what-if against $0.05, and prices Datadog at its 60 s floor', async () => {
    const rep = await report(['--monitors', '1000', '--regions', '3', '--interval', '10', '--model-only']);
    expect(rep.goal).toMatchObject({ targetPerMonitorUsd: 0.05, atStatedPoint: true });
    expect(rep.goal.met).toBe(rep.estimate.perMonitorUsd <= 0.05);
    const datadog = rep.alternatives.find((a) => a.provider === 'Datadog Synthetics')!;
    expect(datadog).toMatchObject({ pricedIntervalSeconds: 60, likeForLike: false });
  });

  it('adds up: the total is the sum of the items and the per-monitor figure is the total over the monitors', async () => {
    const rep = await report(['--monitors', '250', '--regions', '2', '--model-only']);
    expect(rep.fleet).toMatchObject({ monitors: 250, regions: ['us-east-1', 'eu-west-1'], homeRegion: 'us-east-1', intervalSeconds: 60 });
    expect(rep.estimate.totalUsd).toBeCloseTo(rep.estimate.items.reduce((s, i) => s + i.monthlyUsd, 0), 10);
    expect(rep.estimate.perMonitorUsd).toBeCloseTo(rep.estimate.totalUsd / 250, 12);
    expect(rep.goal.atStatedPoint).toBe(false);
    expect(Object.keys(rep.prices.regions)).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('uses measured figures and marks those lines measured, the rest modelled', async () => {
    const rep = await report(['--monitors', '1000', '--regions', 'us-east-1,us-west-2,eu-west-1', '--measured', MEASURED]);
    expect(rep.measured).toMatchObject({ status: 'used', used: ['probeRoundMs', 'aggregatorMsPerItem', 'dynamoPerRound', 'bundles'] });
    expect(item(rep, 'DynamoDB', 'writes')).toMatchObject({ basis: 'measured' });
    // Plus the incident book, which the bench leaves out: a write for each of the 100 alerts a month modelled, a read
    // for each of them and for each sweep (one a minute).
    expect(item(rep, 'DynamoDB', 'writes').monthlyUsd).toBeCloseTo((75 * ROUNDS_AT_60S + 100) * 0.625e-6, 10);
    // Plus the warm aggregator's re-read of 1,000 states (49 units of 4 KB) every 5 minutes, which the bench leaves out.
    expect(item(rep, 'DynamoDB', 'reads').monthlyUsd).toBeCloseTo((400 * ROUNDS_AT_60S + STATE_REREADS_1000 + 100 + ROUNDS_AT_60S) * 0.125e-6, 10);
    expect(item(rep, 'Lambda', 'probe').basis).toBe('measured');
    expect(item(rep, 'Logs').basis).toBe('modelled');
    const text = await runCli(['cost', '--monitors', '1000', '--measured', MEASURED]);
    expect(text.stdout).toMatch(/^ {2}DynamoDB · writes +\$ +\d+\.\d\d  measured /m);
    expect(text.stdout).toContain(`Measured figures: from ${MEASURED}: probeRoundMs, aggregatorMsPerItem, dynamoPerRound, bundles\n`);
  });

  it('models every line when the bench file has none of the figures it uses', async () => {
    const rep = await report(['--monitors', '1000', '--measured', fixture('measured-empty.json')]);
    expect(rep.measured.status).toBe('absent');
    expect(rep.measured.note).toContain('has none of probeRoundMs, aggregatorMsPerItem, dynamoPerRound, bundles: every line is modelled');
    expect(rep.estimate.items.filter((i) => i.basis === 'measured')).toEqual([]);
  });

  it('prices the declared fleet from --config, with each monitor\'s share adding up to the total', async () => {
    const rep = await report(['--config', fixture('fleet.json'), '--model-only']);
    expect(rep.fleet).toMatchObject({ monitors: 3, regions: ['eu-west-1', 'us-east-1', 'ap-northeast-1'], homeRegion: 'eu-west-1' });
    expect(rep.perMonitor!.map((m) => [m.monitor, m.regions, m.intervalSeconds])).toEqual([['orders-db', 3, 60], ['edge-fast', 2, 10], ['batch-slow', 3, 300]]);
    expect(rep.perMonitor!.reduce((s, m) => s + m.monthlyUsd, 0)).toBeCloseTo(rep.estimate.totalUsd, 10);
    // edge-fast causes 2/10 probes a second against orders-db's 3/60: four times the share.
    expect(rep.perMonitor![1]!.monthlyUsd / rep.perMonitor![0]!.monthlyUsd).toBeCloseTo(4, 10);
    // The 10 s monitor keeps the probe function up the whole minute.
    expect(rep.estimate.items.find((i) => i.part === 'probe')!.monthlyUsd).toBeGreaterThan(10);
    const text = await runCli(['cost', '--config', fixture('fleet.json'), '--model-only']);
    expect(text.stdout).toMatch(/^ {2}edge-fast {3} +2 +10 s +\$\d+\.\d{4}$/m);
  });

  it('prices bin/monitors.ts by default', async () => {
    const rep = await report(['--model-only']);
    expect(rep.fleet.label).toBe('declared fleet (bin/monitors.ts): 5 monitors × 3 regions');
    expect(rep.perMonitor).toHaveLength(5);
  });

  it('prices a region missing from the table as us-east-1 and says so', async () => {
    const rep = await report(['--monitors', '100', '--regions', 'sa-east-1,us-east-1', '--model-only']);
    expect(rep.estimate.unpricedRegions).toEqual(['sa-east-1']);
    expect(item(rep, 'DynamoDB', 'writes').unverifiedPrice).toBe(true);
    const text = await runCli(['cost', '--monitors', '100', '--regions', 'sa-east-1,us-east-1', '--model-only']);
    expect(text.stdout).toContain('assumes no prices for sa-east-1: us-east-1 prices used');
  });

  it('prices watch mode with --watch N: at 60 s the probe function stays up for its minute, as the line Lambda watch', async () => {
    const plain = await report(['--monitors', '1000', '--model-only']);
    const watched = await report(['--monitors', '1000', '--watch', '50', '--model-only']);
    expect(item(watched, 'Lambda', 'watch').monthlyUsd).toBeGreaterThan(1);
    expect(watched.estimate.totalUsd).toBeCloseTo(plain.estimate.totalUsd + item(watched, 'Lambda', 'watch').monthlyUsd, 10);
    expect(watched.fleet.label).toContain('50 in watch mode');
    const bad = await runCli(['cost', '--monitors', '10', '--watch', '11']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--watch/);
    expect((await runCli(['cost', '--watch', '1'])).stderr).toMatch(/--watch describes a what-if fleet/);
  });

  it('takes the free tier off with --free-tier, as its own line', async () => {
    const list = await report(['--monitors', '1000', '--model-only']);
    const free = await report(['--monitors', '1000', '--model-only', '--free-tier']);
    expect(item(free, 'Free tier').monthlyUsd).toBeLessThan(0);
    expect(free.estimate.totalUsd).toBeCloseTo(list.estimate.totalUsd + item(free, 'Free tier').monthlyUsd, 10);
  });

  it('documents every flag in --help and is listed by portquorum --help', async () => {
    const r = await runCli(['cost', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--config FILE', '--monitors N', '--regions R', '--interval S', '--home REGION', '--watch N', '--probe-memory MB', '--alerts N', '--free-tier', '--measured FILE', '--model-only', '--json', '-h, --help']) {
      expect(r.stdout).toContain(`  ${flag}`);
    }
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}cost {2,}itemised monthly AWS cost/m);
  });

  it.each([
    [['--monitors', '0'], "cost: --monitors '0' must be a whole number from 1 to 1000000"],
    [['--monitors', 'many'], "cost: --monitors 'many' must be a whole number from 1 to 1000000"],
    [['--monitors', '10', '--interval', '45'], "cost: --interval '45' seconds does not align to the minute (use 10, 12, 15, 20, 30 or a multiple of 60 up to 3600)"],
    [['--monitors', '10', '--regions', '0'], "cost: --regions '0' must be a whole number from 1 to 20"],
    [['--monitors', '10', '--regions', 'mars'], "cost: --regions 'mars' must be a count from 1 to 20 or region names separated by commas (e.g. us-east-1,eu-west-1); not a region name: 'mars'"],
    [['--monitors', '10', '--regions', 'us-east-1,us-east-1'], 'cost: --regions names us-east-1 twice (list each region once)'],
    [['--monitors', '10', '--home', 'home'], "cost: --home 'home' is not a region name (e.g. us-east-1)"],
    [['--regions', '3'], 'cost: --regions describes a what-if fleet: add --monitors N (or drop --regions to price the declared fleet)'],
    [['--monitors', '10', '--config', 'x.json'], 'cost: give either --config FILE (price declared monitors) or --monitors N (a what-if), not both'],
    [['--monitors', '10', '--probe-memory', '64'], "cost: --probe-memory '64' must be a whole number from 128 to 10240"],
    [['--monitors', '10', '--model-only', '--measured', 'x.json'], 'cost: give either --measured FILE or --model-only, not both'],
    [['--monitors', '10', '--measured', '/nonexistent/benchmarks.json'], 'cost: cannot read --measured /nonexistent/benchmarks.json: ENOENT (run npm run bench to write docs/benchmarks.json)'],
    [['--monitors', '10', '--measured', fixture('measured-truncated.json')], `cost: --measured ${fixture('measured-truncated.json')} is not valid JSON`],
    [['--config', fixture('missing.json')], `cannot read --config ${fixture('missing.json')}: ENOENT`],
    [['--bogus'], "cost: unknown option '--bogus'"],
    [['fleet.json'], "cost: unexpected argument 'fleet.json' (use --config FILE or --monitors N)"],
  ])('exits 2 with a clear message for bad usage %j', async (args, message) => {
    const r = await runCli(['cost', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("See 'portquorum cost --help'.");
  });

  it('exits 2 naming the monitor and field when the declarations are invalid', async () => {
    const r = await runCli(['cost', '--config', fixture('fleet-invalid.json')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("portquorum cost: Monitor 'orders-db': quorum 4 is more than the 3 regions that probe it (set quorum ≤ 3 or add regions)\n");
  });
});

describe('docs/deploy.md', () => {
  const DEPLOY = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const rows = [...DEPLOY.matchAll(/^\| ([\d,]+) monitors(?: \(the example\))?, (\d+) regions, (\d+) s \| \$([\d.]+) \| \$([\d.]+)/gm)];

  it.each(rows.map((m) => [m[0].split(' | ')[0]!.slice(2), m] as const))('prints what portquorum cost says for %s', async (_, m) => {
    const [, monitors, regions, interval, total, perMonitor] = m;
    const example = m[0].includes('the example');
    const rep = await report(example ? [] : ['--monitors', monitors!.replace(/,/g, ''), '--regions', regions!, '--interval', interval!]);
    expect(rep.fleet.monitors).toBe(Number(monitors!.replace(/,/g, '')));
    expect(rep.estimate.totalUsd.toFixed(2)).toBe(total);
    expect(rep.estimate.perMonitorUsd.toFixed(perMonitor!.split('.')[1]!.length)).toBe(perMonitor);
  });

  it('has the rows', () => expect(rows.length).toBeGreaterThanOrEqual(4));
});
