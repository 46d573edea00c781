// The one dated price table behind `portquorum cost`: AWS list prices per region, and the list prices of the
// alternatives it is compared with. Pure data: every number names its source and says whether it was verified.

/** The date the table was last checked against its sources. */
export const PRICES_AS_OF = '2026-12-01';

/**
 * A list price in USD. `verified` is true when the number was read from the source named in `PRICE_SOURCES` (or
 * AWS's own price-list files) while building this table; false when it is the author's reading of the published
 * list that could not be re-checked on `PRICES_AS_OF` — `portquorum cost` marks every line that uses one.
 */
export interface Price {
  usd: number;
  verified: boolean;
  /** Why the number is what it is, when that is not obvious (a derivation, a caveat). */
  note?: string;
}

/** The AWS prices the cost model uses in one region (on-demand, first tier, no free tier). */
export interface RegionPrices {
  region: string;
  lambda: {
    /** Per request. */
    request: Price;
    /** Per GB-second on arm64 (Graviton), first tier (7.5 billion GB-s a month). */
    gbSecondArm64: Price;
  };
  dynamodb: {
    /** Per on-demand write request unit (1 KB), Standard table class. */
    writeRequestUnit: Price;
    /** Per on-demand read request unit (4 KB strongly consistent). */
    readRequestUnit: Price;
    /** Per GB-month of table storage (Standard). */
    storageGbMonth: Price;
    /** Per GB-month of point-in-time-recovery (continuous backup) storage. */
    pitrGbMonth: Price;
  };
  cloudwatch: {
    /** Per GB of log data ingested (Standard log class). */
    logIngestionGb: Price;
    /** Per GB-month of stored (archived) logs. */
    logStorageGbMonth: Price;
    /** Per custom metric-month (first 10,000), prorated by the hour a metric receives data. */
    metricMonth: Price;
    /** Per standard-resolution alarm metric-month. */
    alarmMonth: Price;
    /** Per dashboard-month. */
    dashboardMonth: Price;
  };
  sns: {
    /** Per publish request (64 KB chunk). */
    publish: Price;
    /** Per email / email-JSON notification delivered. */
    emailDelivery: Price;
  };
  kms: {
    /** Per customer-managed key-month (automatic rotation adds $1 a month after each of the first two rotations). */
    keyMonth: Price;
    /** Per symmetric API request. */
    request: Price;
  };
  /** Per GB sent from this region to another AWS region (a probe region writing to the home table). */
  interRegionTransferGb: Price;
}

/** Where each AWS price comes from. */
export const PRICE_SOURCES = {
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  dynamodb: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  cloudwatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  sns: 'https://aws.amazon.com/sns/pricing/',
  kms: 'https://aws.amazon.com/kms/pricing/',
  s3: 'https://aws.amazon.com/s3/pricing/',
  cloudfront: 'https://aws.amazon.com/cloudfront/pricing/',
  eventbridge: 'https://aws.amazon.com/eventbridge/pricing/',
  dataTransfer: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
  priceList: 'https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json (AWS Price List offer files, publications of 2026-09 and 2026-10)',
  route53: 'https://aws.amazon.com/route53/pricing/',
  checkly: 'https://www.checklyhq.com/docs/monitoring/check-pricing/ and https://www.checklyhq.com/docs/admin/usage/',
  datadog: 'https://www.datadoghq.com/pricing/list/',
} as const;

const v = (usd: number, note?: string): Price => (note === undefined ? { usd, verified: true } : { usd, verified: true, note });
const u = (usd: number, note?: string): Price => (note === undefined ? { usd, verified: false } : { usd, verified: false, note });

/**
 * Prices the same in every region of the table. KMS's page states its prices without a region; SNS publish and
 * standard alarms were read for us-east-1 and eu-west-1 only, so elsewhere they are the same numbers, unverified.
 */
const kms = { keyMonth: v(1), request: v(0.03 / 1e4) };
const snsAlarms = (verified: boolean) => ({
  sns: { publish: verified ? v(0.5 / 1e6) : u(0.5 / 1e6), emailDelivery: u(2 / 1e5) },
  alarmMonth: verified ? v(0.1) : u(0.1),
  dashboardMonth: u(3),
});

/** Half of the pre-November-2024 on-demand price: AWS cut on-demand throughput by 50 % in every region then. */
const halved = (before: number) => `half of the pre-2024-11 price ($${before.toFixed(4)} per million)`;

/**
 * AWS prices by region. us-east-1 and ap-northeast-1 are the most completely verified; figures marked unverified
 * are the published list as the author last read it, not re-checked on PRICES_AS_OF.
 */
export const AWS_PRICES: Record<string, RegionPrices> = {
  'us-east-1': {
    region: 'us-east-1',
    lambda: { request: v(0.2 / 1e6), gbSecondArm64: v(0.0000133334) },
    dynamodb: { writeRequestUnit: v(0.625 / 1e6), readRequestUnit: v(0.125 / 1e6), storageGbMonth: v(0.25), pitrGbMonth: u(0.2) },
    cloudwatch: { logIngestionGb: v(0.5), logStorageGbMonth: v(0.03), metricMonth: v(0.3), alarmMonth: snsAlarms(true).alarmMonth, dashboardMonth: snsAlarms(true).dashboardMonth },
    sns: snsAlarms(true).sns,
    kms,
    interRegionTransferGb: u(0.02),
  },
  'us-west-2': {
    region: 'us-west-2',
    lambda: { request: u(0.2 / 1e6), gbSecondArm64: u(0.0000133334) },
    dynamodb: { writeRequestUnit: u(0.625 / 1e6), readRequestUnit: u(0.125 / 1e6), storageGbMonth: u(0.25), pitrGbMonth: u(0.2) },
    cloudwatch: { logIngestionGb: u(0.5), logStorageGbMonth: u(0.03), metricMonth: u(0.3), alarmMonth: snsAlarms(false).alarmMonth, dashboardMonth: snsAlarms(false).dashboardMonth },
    sns: snsAlarms(false).sns,
    kms,
    interRegionTransferGb: u(0.02),
  },
  'eu-west-1': {
    region: 'eu-west-1',
    lambda: { request: v(0.2 / 1e6), gbSecondArm64: v(0.0000133334) },
    dynamodb: {
      writeRequestUnit: u(0.70675 / 1e6, halved(1.4135)),
      readRequestUnit: u(0.1415 / 1e6, halved(0.283)),
      storageGbMonth: u(0.283),
      pitrGbMonth: u(0.2264),
    },
    cloudwatch: { logIngestionGb: v(0.57), logStorageGbMonth: v(0.03), metricMonth: u(0.3), alarmMonth: snsAlarms(true).alarmMonth, dashboardMonth: snsAlarms(true).dashboardMonth },
    sns: snsAlarms(true).sns,
    kms,
    interRegionTransferGb: u(0.02),
  },
  'eu-central-1': {
    region: 'eu-central-1',
    lambda: { request: u(0.2 / 1e6), gbSecondArm64: u(0.0000133334) },
    dynamodb: {
      writeRequestUnit: u(0.7625 / 1e6, halved(1.525)),
      readRequestUnit: u(0.1525 / 1e6, halved(0.305)),
      storageGbMonth: u(0.306),
      pitrGbMonth: u(0.2448),
    },
    cloudwatch: { logIngestionGb: u(0.63), logStorageGbMonth: u(0.0324), metricMonth: u(0.3), alarmMonth: snsAlarms(false).alarmMonth, dashboardMonth: snsAlarms(false).dashboardMonth },
    sns: snsAlarms(false).sns,
    kms,
    interRegionTransferGb: u(0.02),
  },
  'ap-southeast-1': {
    region: 'ap-southeast-1',
    lambda: { request: u(0.2 / 1e6), gbSecondArm64: u(0.0000133334) },
    dynamodb: {
      writeRequestUnit: u(0.715 / 1e6, 'taken equal to ap-northeast-1 (verified there)'),
      readRequestUnit: u(0.1425 / 1e6, 'taken equal to ap-northeast-1 (verified there)'),
      storageGbMonth: u(0.285),
      pitrGbMonth: u(0.228),
    },
    cloudwatch: { logIngestionGb: u(0.67), logStorageGbMonth: u(0.03), metricMonth: u(0.3), alarmMonth: snsAlarms(false).alarmMonth, dashboardMonth: snsAlarms(false).dashboardMonth },
    sns: snsAlarms(false).sns,
    kms,
    interRegionTransferGb: u(0.09),
  },
  'ap-northeast-1': {
    region: 'ap-northeast-1',
    lambda: { request: v(0.2 / 1e6), gbSecondArm64: v(0.0000133334) },
    dynamodb: { writeRequestUnit: v(0.715 / 1e6), readRequestUnit: v(0.1425 / 1e6), storageGbMonth: v(0.285), pitrGbMonth: u(0.228) },
    cloudwatch: { logIngestionGb: v(0.76), logStorageGbMonth: v(0.033), metricMonth: u(0.3), alarmMonth: snsAlarms(false).alarmMonth, dashboardMonth: snsAlarms(false).dashboardMonth },
    sns: snsAlarms(false).sns,
    kms,
    interRegionTransferGb: v(0.09, 'the price list rate from Tokyo to Osaka; other destinations assumed equal'),
  },
};

/** Regions a what-if (`--regions N`) uses, in order; the first is the home region. */
export const DEFAULT_REGION_ORDER = ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2', 'eu-central-1', 'ap-northeast-1'] as const;

/** The region whose prices stand in for a region the table does not have. */
const FALLBACK_REGION = 'us-east-1';

/** A region's prices; a region missing from the table gets us-east-1's, every one marked unverified. */
export function pricesFor(region: string): { prices: RegionPrices; known: boolean } {
  const known = AWS_PRICES[region];
  if (known) return { prices: known, known: true };
  const base = AWS_PRICES[FALLBACK_REGION]!;
  const note = `no price data for ${region}: ${FALLBACK_REGION}'s price used`;
  const mark = <T extends Record<string, Price>>(group: T): T =>
    Object.fromEntries(Object.entries(group).map(([k, p]) => [k, { usd: p.usd, verified: false, note }])) as T;
  return {
    known: false,
    prices: {
      region,
      lambda: mark(base.lambda),
      dynamodb: mark(base.dynamodb),
      cloudwatch: mark(base.cloudwatch),
      sns: mark(base.sns),
      kms: mark(base.kms),
      interRegionTransferGb: { usd: base.interRegionTransferGb.usd, verified: false, note },
    },
  };
}

/**
 * What the status page adds (ProbeFleet's statusPage): S3 writes of its two objects, and CloudFront for its visitors.
 * One price for every region: the page is a few cents at most wherever it runs.
 */
export const STATUS_PAGE_PRICES = {
  /** Per S3 Standard PUT request (us-east-1; a few regions charge up to ~40 % more). */
  s3Put: { usd: 0.000005, verified: false, note: '$0.005 per 1,000 PUT requests, S3 Standard, us-east-1' } satisfies Price,
  /** CloudFront's always-free allowance, per account and month. */
  cloudfrontFreeRequests: 10_000_000,
  cloudfrontFreeTransferGb: 1024,
} as const;

/** Free tier of an AWS account (per account and month, shared by everything else in it). */
export const AWS_FREE_TIER = {
  lambdaRequests: 1_000_000,
  lambdaGbSeconds: 400_000,
  dynamodbStorageGb: 25,
  cloudwatchMetrics: 10,
  cloudwatchAlarms: 10,
  cloudwatchDashboards: 3,
  cloudwatchLogGb: 5,
  kmsRequests: 20_000,
  snsPublishes: 1_000_000,
  snsEmails: 1_000,
} as const;

/** List prices of the alternatives, with what each one charges for. */
export const ALTERNATIVE_PRICES = {
  route53: {
    source: PRICE_SOURCES.route53,
    /** Per health check-month, endpoint inside AWS (the first 50 such checks of an account are free). */
    basicAwsEndpoint: u(0.5, 'corroborated by a tutorial quoting the console\'s price summary; pricing page not re-read'),
    /** Per health check-month, endpoint outside AWS. */
    basicNonAwsEndpoint: u(0.75, 'corroborated by a tutorial quoting the console\'s price summary; pricing page not re-read'),
    /** Per optional feature per health check-month (HTTPS, string matching, fast interval, latency), AWS endpoint. */
    optionalFeatureAwsEndpoint: u(1),
    /** The same for an endpoint outside AWS. */
    optionalFeatureNonAwsEndpoint: u(2),
    /** The two request intervals Route 53 offers (seconds): standard and fast. */
    intervals: [30, 10],
  },
  checkly: {
    source: PRICE_SOURCES.checkly,
    /** TCP uptime monitors: $10 per 25 monitors a month, billed by count, not by runs. */
    tcpMonitorsPer25: v(10),
    /** Synthetic API check runs, prepaid bundles (overage costs more); each location of a parallel run is a run. */
    apiCheckRunsPer10k: v(2),
  },
  datadog: {
    source: PRICE_SOURCES.datadog,
    /** Synthetic API test runs (TCP tests included), per 10,000 runs, billed annually. */
    apiTestRunsPer10kAnnual: v(5, 'read from a transcription of the pricing page dated 2026-09-20'),
    /** The same, on demand. */
    apiTestRunsPer10kOnDemand: v(7.2, 'read from a transcription of the pricing page dated 2026-09-20'),
    /** The shortest test frequency Datadog offers (seconds). */
    shortestIntervalSeconds: 60,
  },
} as const;
