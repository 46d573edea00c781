// What the same monitors × regions × interval would cost with Route 53 health checks, Checkly and Datadog
// Synthetics at their list prices (lib/prices.ts): pure functions, each stating what it assumes.
import { ALTERNATIVE_PRICES, AWS_PRICES, PRICES_AS_OF, type Price } from './prices';
import { SECONDS_PER_MONTH } from './cost';

export interface ComparisonInputs {
  monitors: number;
  /** Regions (locations) each monitor is probed from. */
  regions: number;
  intervalSeconds: number;
  /** The targets are outside AWS (Route 53 charges more for those). @default true */
  nonAwsEndpoints?: boolean;
}

export interface AlternativeCost {
  /** Who, and which product or plan. */
  provider: string;
  product: string;
  monthlyUsd: number;
  perMonitorUsd: number;
  /** The interval actually priced (an alternative may not offer the one asked for). */
  pricedIntervalSeconds: number;
  /** Locations each monitor runs from in what was priced. */
  pricedLocations: number;
  /** Whether this is like for like: every monitor from every region at the interval asked for. */
  likeForLike: boolean;
  assumptions: string[];
  source: string;
  unverifiedPrice: boolean;
}

export function compareAlternatives(inputs: ComparisonInputs): AlternativeCost[] {
  const monitors = Math.max(0, Math.floor(inputs.monitors));
  const regions = Math.max(1, Math.floor(inputs.regions));
  const interval = Math.max(1, inputs.intervalSeconds);
  const nonAws = inputs.nonAwsEndpoints ?? true;
  const per = (usd: number) => (monitors === 0 ? 0 : usd / monitors);
  const unverified = (...prices: Price[]) => prices.some((p) => !p.verified);
  const out: AlternativeCost[] = [];

  // Route 53: one health check per monitor whatever the number of regions (its own checkers probe from 8 regions
  // unless narrowed to at least 3); 30 s standard or 10 s fast (an optional feature), nothing slower.
  const r53 = ALTERNATIVE_PRICES.route53;
  const fast = interval < 30;
  const basic = nonAws ? r53.basicNonAwsEndpoint : r53.basicAwsEndpoint;
  const feature = nonAws ? r53.optionalFeatureNonAwsEndpoint : r53.optionalFeatureAwsEndpoint;
  // Route 53 does not notify: a CloudWatch alarm on each check's HealthCheckStatus does (us-east-1, $0.10 each).
  const alarm = AWS_PRICES['us-east-1']!.cloudwatch.alarmMonth.usd;
  const r53Usd = monitors * (basic.usd + (fast ? feature.usd : 0) + alarm);
  out.push({
    provider: 'Route 53 health checks',
    product: `TCP health check${fast ? ' with fast interval' : ''}, ${nonAws ? 'non-AWS' : 'AWS'} endpoint`,
    monthlyUsd: r53Usd,
    perMonitorUsd: per(r53Usd),
    pricedIntervalSeconds: fast ? 10 : 30,
    pricedLocations: 8,
    likeForLike: false,
    assumptions: [
      `one health check per monitor at $${basic.usd.toFixed(2)}${fast ? ` + $${feature.usd.toFixed(2)} fast interval (10 s)` : ' (30 s standard interval: the slowest offered)'} + one $0.10 CloudWatch alarm to be notified`,
      'checks run from Route 53\'s own checker regions (8 by default, at least 3), not yours; no quorum rule of your own, no protocol checks beyond TCP/HTTP(S), no private targets',
      ...(nonAws ? [] : ['the first 50 health checks on AWS endpoints of an account are free (not subtracted)']),
    ],
    source: r53.source,
    unverifiedPrice: unverified(basic, ...(fast ? [feature] : [])),
  });

  // Checkly, like for like: runs from every region in parallel, billed per run at the API-check rate.
  const ck = ALTERNATIVE_PRICES.checkly;
  const runs = monitors * regions * (SECONDS_PER_MONTH / interval);
  const ckRunsUsd = (runs / 1e4) * ck.apiCheckRunsPer10k.usd;
  out.push({
    provider: 'Checkly',
    product: 'checks run in parallel from each region, per run',
    monthlyUsd: ckRunsUsd,
    perMonitorUsd: per(ckRunsUsd),
    pricedIntervalSeconds: interval,
    pricedLocations: regions,
    likeForLike: true,
    assumptions: [
      `${fmtInt(runs)} runs a month (monitors × regions × rounds; each location of a parallel run is a run) at $${ck.apiCheckRunsPer10k.usd} per 10k, the prepaid-bundle rate for API checks (overage costs more; plan fee extra)`,
      'API checks speak HTTP; a raw TCP port is an uptime monitor at Checkly (next line), which runs in parallel only on Enterprise',
    ],
    source: ck.source,
    unverifiedPrice: unverified(ck.apiCheckRunsPer10k),
  });

  // Checkly TCP uptime monitors: billed by count, run round-robin (one location per run) below Enterprise.
  const ckMonitorsUsd = Math.ceil(monitors / 25) * ck.tcpMonitorsPer25.usd;
  out.push({
    provider: 'Checkly',
    product: 'TCP uptime monitors, per monitor',
    monthlyUsd: ckMonitorsUsd,
    perMonitorUsd: per(ckMonitorsUsd),
    pricedIntervalSeconds: interval,
    pricedLocations: 1,
    likeForLike: false,
    assumptions: [
      `$${ck.tcpMonitorsPer25.usd} per 25 monitors a month, whatever their frequency`,
      'round-robin: each run from one location, so no per-round quorum across regions (parallel scheduling of uptime monitors is Enterprise-only, price not published); frequency limits of the plan not verified',
    ],
    source: ck.source,
    unverifiedPrice: unverified(ck.tcpMonitorsPer25),
  });

  // Datadog Synthetics: TCP tests are API tests, billed per run and location; nothing faster than once a minute.
  const dd = ALTERNATIVE_PRICES.datadog;
  const ddInterval = Math.max(interval, dd.shortestIntervalSeconds);
  const ddRuns = monitors * regions * (SECONDS_PER_MONTH / ddInterval);
  for (const [label, price] of [['billed annually', dd.apiTestRunsPer10kAnnual], ['on demand', dd.apiTestRunsPer10kOnDemand]] as const) {
    const usd = (ddRuns / 1e4) * price.usd;
    out.push({
      provider: 'Datadog Synthetics',
      product: `TCP API tests from ${regions} location${regions === 1 ? '' : 's'}, ${label}`,
      monthlyUsd: usd,
      perMonitorUsd: per(usd),
      pricedIntervalSeconds: ddInterval,
      pricedLocations: regions,
      likeForLike: ddInterval === interval,
      assumptions: [
        `${fmtInt(ddRuns)} test runs a month at $${price.usd.toFixed(2)} per 10k`,
        ...(ddInterval !== interval ? [`the shortest frequency offered is ${dd.shortestIntervalSeconds} s: priced at that, not at ${interval} s`] : []),
      ],
      source: dd.source,
      unverifiedPrice: unverified(price),
    });
  }
  return out;
}

/** The comparison as aligned text lines, with portquorum's own total first. */
export function formatComparison(portquorumUsd: number, inputs: ComparisonInputs, alternatives: AlternativeCost[]): string {
  const rows = [
    { name: 'portquorum (this estimate)', usd: portquorumUsd, per: inputs.monitors > 0 ? portquorumUsd / inputs.monitors : 0, note: `${inputs.regions} regions, every ${inputs.intervalSeconds} s`, mark: ' ' },
    ...alternatives.map((a) => ({
      name: `${a.provider}: ${a.product}`,
      usd: a.monthlyUsd,
      per: a.perMonitorUsd,
      note: `${a.pricedLocations} location${a.pricedLocations === 1 ? '' : 's'}, every ${a.pricedIntervalSeconds} s${a.likeForLike ? '' : ' (not like for like)'}`,
      mark: a.unverifiedPrice ? '†' : ' ',
    })),
  ];
  const width = Math.max(...rows.map((r) => r.name.length));
  const money = (usd: number) => `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).padStart(11)}`;
  return [
    `The same ${fmtInt(inputs.monitors)} monitors elsewhere (list prices as of ${PRICES_AS_OF}; month, per monitor-month):`,
    ...rows.map((r) => `  ${r.name.padEnd(width)}  ${money(r.usd)}${r.mark} $${r.per.toFixed(4).padStart(9)}  ${r.note}`),
    ...alternatives.map((a) => `  ${a.provider} (${a.product}): ${a.assumptions.join('; ')}. Source: ${a.source}`),
  ].join('\n');
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
