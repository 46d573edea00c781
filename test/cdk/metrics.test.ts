// The metrics the dashboard, the alarms and ProbeFleet.metric*() read are the ones the handlers emit: each handler runs
// on DynamoDB Local with the metric sink its *DepsFromEnv builds, and its EMF output is compared with the home stack's template.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { aggregateDepsFromEnv } from '../../functions/aggregate/handler';
import { createProbeHandler, probeDepsFromEnv } from '../../functions/probe/handler';
import { sweeperDepsFromEnv } from '../../functions/sweeper/handler';
import { silentLog, type MetricSink } from '../../functions/shared/adapters/observability';
import { ENV, FUNCTION_KINDS, LOG_ONLY_COUNTS, METRIC_NAMES, SERVICES, type FunctionKind, type MetricName } from '../../functions/shared/deployment';
import { resolveFleet, type FleetConfig, type FleetSpec } from '../../functions/shared/domain';
import { ProbeFleet } from '../../lib';
import { closedPort } from '../support/ports';
import { useDynamoDbLocal } from '../support/dynamodb';
import { pipeline, REGIONS, TOPIC } from '../support/pipeline';
import { removeApp, testApp } from './support';

/** A metric as CloudWatch knows it: namespace, name and dimensions. */
interface CloudWatchMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

const db = useDynamoDbLocal();

/** Names each handler handed to its sink (zero or not), and the EMF metrics it wrote to stdout. */
const counted: Record<FunctionKind, Set<MetricName>> = { probe: new Set(), aggregate: new Set(), sweeper: new Set() };
let emitted: CloudWatchMetric[] = [];
/** What the home stack's dashboard and alarms read, and what ProbeFleet.metric*() return. */
let read: { where: string; metric: CloudWatchMetric }[] = [];

function recording(sink: MetricSink, names: Set<MetricName>): MetricSink {
  return {
    count: (name, value) => {
      names.add(name);
      sink.count(name, value);
    },
    flush: () => sink.flush(),
  };
}

/** Runs `make` with ENV.fleetFile naming a file that holds `fleet`, as the functions find fleet.json. */
function withFleetFile<T>(fleet: FleetConfig, make: () => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'pq-metrics-'));
  const before = process.env[ENV.fleetFile];
  try {
    writeFileSync(join(dir, 'fleet.json'), JSON.stringify(fleet));
    process.env[ENV.fleetFile] = join(dir, 'fleet.json');
    return make();
  } finally {
    if (before === undefined) delete process.env[ENV.fleetFile];
    else process.env[ENV.fleetFile] = before;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The EMF lines among what was written to stdout, one entry per metric. */
function emfMetrics(written: string[]): CloudWatchMetric[] {
  return written.flatMap((w) => w.split('\n')).filter((line) => line.includes('"_aws"')).flatMap((line) => {
    const record = JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
    return record._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => ({
      namespace: d.Namespace,
      name: m.Name,
      dimensions: Object.fromEntries((d.Dimensions[0] ?? []).map((key) => [key, String(record[key])])),
    })));
  });
}

/** The dashboard body with CloudFormation tokens replaced by a placeholder, parsed. */
function dashboardBody(template: Template): { widgets: { properties: { metrics?: unknown[][] } }[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text) as ReturnType<typeof dashboardBody>;
}

/** A dashboard metric row: [namespace, name, dimension, value, …, options?]. */
function fromRow(row: unknown[]): CloudWatchMetric {
  const [namespace, name, ...rest] = row as string[];
  const pairs = rest.filter((x) => typeof x === 'string');
  const dimensions: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
  return { namespace: namespace!, name: name!, dimensions };
}

function fromMetric(metric: cloudwatch.Metric): CloudWatchMetric {
  return { namespace: metric.namespace, name: metric.metricName, dimensions: { ...(metric.dimensions as Record<string, string>) } };
}

function kindOf(metric: CloudWatchMetric): FunctionKind | undefined {
  return FUNCTION_KINDS.find((kind) => SERVICES[kind] === metric.dimensions.service);
}

beforeAll(async () => {
  // The handlers: every region probes a closed loopback port for two minutes (a DOWN page), then the sweeper runs
  // once the probes have gone quiet (silent regions, a fleet page). Their sinks are the ones Lambda would use.
  const closed = await closedPort();
  const spec: FleetSpec = { regions: REGIONS, monitors: [{ id: 'closed-port', host: '127.0.0.1', port: closed, retries: 0, timeoutMs: 3000 }] };
  const fleet = resolveFleet(spec);
  const env = (region: string): NodeJS.ProcessEnv => ({
    AWS_REGION: region, AWS_EC2_METADATA_DISABLED: 'true',
    [ENV.region]: region, [ENV.table]: 'from-the-test', [ENV.tableRegion]: REGIONS[0], [ENV.topicArn]: TOPIC,
  });
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const aggregator = withFleetFile(fleet, () => aggregateDepsFromEnv(env(REGIONS[0]!)));
    const sweeper = withFleetFile(fleet, () => sweeperDepsFromEnv(env(REGIONS[0]!)));
    const p = await pipeline(db, spec, {
      aggregatorMetrics: recording(aggregator.metrics, counted.aggregate),
      sweeper: { metrics: recording(sweeper.metrics, counted.sweeper) },
    });
    try {
      for (const minute of [p.clock.base, p.clock.base + 60_000]) {
        await p.whileWriting(() => Promise.all(REGIONS.map((region) => {
          const deps = withFleetFile(fleet, () => probeDepsFromEnv(env(region)));
          let now = minute + 800;
          const handler = createProbeHandler({
            ...deps, store: p.table.store, metrics: recording(deps.metrics, counted.probe), log: silentLog,
            now: () => now,
            sleep: async (ms) => {
              now += ms;
            },
          });
          return handler({ time: new Date(minute).toISOString() }, { getRemainingTimeInMillis: () => 70_000 });
        })).then(() => {
          p.clock.now = minute + 5_000;
        }));
      }
      await p.drain();
      p.clock.now = p.clock.base + 5 * 60_000;
      await p.sweep();
      expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN', 'FLEET_DEGRADED']);
    } finally {
      await p.close();
    }
  } finally {
    vi.restoreAllMocks();
  }
  emitted = emfMetrics(written);

  // The reading side: the home stack's template and the construct's metric methods.
  const app = testApp();
  try {
    const probeFleet = new ProbeFleet(app, 'Fleet', { regions: REGIONS, monitors: spec.monitors, account: '123456789012' });
    const template = Template.fromStack(probeFleet.homeStack);
    for (const widget of dashboardBody(template).widgets) {
      for (const row of widget.properties.metrics ?? []) read.push({ where: 'dashboard', metric: fromRow(row) });
    }
    for (const [id, alarm] of Object.entries(template.findResources('AWS::CloudWatch::Alarm'))) {
      const p = alarm.Properties as { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value: unknown }[] };
      if (p.Namespace === undefined) continue;
      read.push({ where: `alarm ${id}`, metric: { namespace: p.Namespace, name: p.MetricName!, dimensions: Object.fromEntries((p.Dimensions ?? []).map((d) => [d.Name, String(d.Value)])) } });
    }
    const methods = Object.getOwnPropertyNames(ProbeFleet.prototype).filter((name) => name.startsWith('metric'));
    for (const method of methods) {
      const fn = (probeFleet as unknown as Record<string, (...args: unknown[]) => cloudwatch.Metric>)[method]!;
      // metricProbesDown(region, options?) takes a region first; the others take options only.
      read.push({ where: `ProbeFleet.${method}()`, metric: fromMetric(fn.length === 1 ? fn.call(probeFleet, REGIONS[1]) : fn.call(probeFleet)) });
    }
  } finally {
    removeApp(app);
  }
  // AWS's own metrics (Lambda errors, the failure queue) are not the handlers' to emit.
  read = read.filter((r) => !r.metric.namespace.startsWith('AWS/'));
}, 120_000);

afterAll(() => {
  emitted = [];
  read = [];
});

describe('metrics: what the handlers emit is what the fleet reads', () => {
  it('each handler counts every metric name declared for it, and only those', () => {
    for (const kind of FUNCTION_KINDS) expect([...counted[kind]].sort()).toEqual(Object.values(METRIC_NAMES[kind]).sort());
  });

  it('the handlers emit EMF under their service, probes per region, and never the log-only counts', () => {
    expect(new Set(emitted.map((m) => m.namespace)).size).toBe(1);
    for (const kind of FUNCTION_KINDS) {
      const own = emitted.filter((m) => m.dimensions.service === SERVICES[kind]);
      expect(own.length, `${kind} wrote no EMF metric`).toBeGreaterThan(0);
      for (const m of own) {
        expect(counted[kind].has(m.name as MetricName)).toBe(true);
        expect(LOG_ONLY_COUNTS).not.toContain(m.name);
        expect(Object.keys(m.dimensions).sort()).toEqual(kind === 'probe' ? ['region', 'service'] : ['service']);
      }
    }
    expect(emitted.filter((m) => m.dimensions.service === SERVICES.probe).map((m) => m.dimensions.region).sort())
      .toEqual(expect.arrayContaining([...REGIONS].sort()));
  });

  it('every metric the dashboard, the alarms and ProbeFleet.metric*() read is one a handler emits, with its dimensions', () => {
    expect(read.filter((r) => r.where === 'dashboard').length).toBeGreaterThan(0);
    expect(read.filter((r) => r.where.startsWith('ProbeFleet.')).length).toBeGreaterThanOrEqual(4);
    for (const { where, metric } of read) {
      expect(metric.namespace, `${where} reads ${metric.name} in another namespace`).toBe(emitted[0]!.namespace);
      const kind = kindOf(metric);
      expect(kind, `${where} reads ${metric.name} of an unknown service ${metric.dimensions.service}`).toBeDefined();
      expect(counted[kind!].has(metric.name as MetricName), `${where} reads ${metric.name}, which the ${kind} handler never emits`).toBe(true);
      expect(LOG_ONLY_COUNTS, `${where} reads ${metric.name}, which is never sent as a metric`).not.toContain(metric.name);
      const shape = emitted.find((m) => m.dimensions.service === metric.dimensions.service);
      expect(Object.keys(metric.dimensions).sort(), `${where} reads ${metric.name} with other dimensions than emitted`).toEqual(Object.keys(shape!.dimensions).sort());
      if (metric.dimensions.region !== undefined) expect(REGIONS).toContain(metric.dimensions.region);
    }
  });

  it('every metric a handler sends to CloudWatch is on the dashboard', () => {
    const onDashboard = new Set(read.filter((r) => r.where === 'dashboard').map((r) => `${r.metric.dimensions.service} ${r.metric.name}`));
    for (const kind of FUNCTION_KINDS) {
      for (const name of counted[kind]) {
        if (LOG_ONLY_COUNTS.includes(name)) continue;
        expect(onDashboard.has(`${SERVICES[kind]} ${name}`), `${SERVICES[kind]} ${name} is billed but shown nowhere`).toBe(true);
      }
    }
  });
});
