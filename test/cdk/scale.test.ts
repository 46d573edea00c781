// The template does not grow with the monitors: 10,000 monitors in one probe shard synthesize to the same resources as
// a handful, and 100,000 monitors to the resources of their shard count.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorSpec } from '../../functions/shared/domain';
import { ProbeFleet } from '../../lib';
import { removeApp, testApp } from './support';

/** CloudFormation's limits on one template. */
const MAX_TEMPLATE_BYTES = 1_000_000;
const MAX_RESOURCES = 500;
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1', 'eu-central-1', 'us-west-2'];

interface Synthesized {
  app: App;
  fleet: ProbeFleet;
  templates: Map<string, { bytes: number; resources: number; types: string[] }>;
}

function synthFleet(count: number, monitorsPerProbe?: number): Synthesized {
  const app = testApp();
  const monitors: MonitorSpec[] = Array.from({ length: count }, (_, i) => ({
    id: `svc-${String(i).padStart(5, '0')}`,
    host: `svc-${i}.example.internal`,
    port: 1024 + (i % 60000),
    ...(i % 3 === 0 ? { preset: 'redis' as const } : {}),
    ...(i % 7 === 0 ? { interval: 30, tags: { team: `team-${i % 13}` } } : {}),
  }));
  const fleet = new ProbeFleet(app, 'Fleet', { regions: REGIONS, monitors, ...(monitorsPerProbe !== undefined ? { monitorsPerProbe } : {}) });
  const assembly = app.synth();
  const templates = new Map<string, { bytes: number; resources: number; types: string[] }>();
  for (const stack of assembly.stacks) {
    const path = join(assembly.directory, stack.templateFile);
    const template = JSON.parse(readFileSync(path, 'utf8')) as { Resources: Record<string, { Type: string }> };
    templates.set(stack.hierarchicalId, {
      bytes: statSync(path).size,
      resources: Object.keys(template.Resources).length,
      types: Object.values(template.Resources).map((r) => r.Type).sort(),
    });
  }
  return { app, fleet, templates };
}

let small: Synthesized;
let large: Synthesized;
let sharded: Synthesized;
let huge: Synthesized;

beforeAll(() => {
  small = synthFleet(5);
  large = synthFleet(10_000, 10_000);
  sharded = synthFleet(10_000, 200);
  huge = synthFleet(100_000);
}, 600_000);

afterAll(() => {
  for (const s of [small, large, sharded, huge]) removeApp(s.app);
});

/** The probe shards each rule of a probe stack starts, from its targets' inputs. */
function scheduledShards(app: App, stackId: string): number[] {
  const assembly = app.synth();
  const template = assembly.stacks.find((s) => s.hierarchicalId === stackId)!.template as {
    Resources: Record<string, { Type: string; Properties: { Targets?: Target[] } }>;
  };
  return Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule')
    .flatMap((r) => (r.Properties.Targets ?? []).map((t) => targetInput(t).probeShard ?? -1))
    .sort((a, b) => a - b);
}

interface Target { InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string } }

/** What EventBridge gives the function: the template with each placeholder replaced by its path's value (here, the path). */
function targetInput(target: Target): { time?: string; probeShard?: number } {
  const transformer = target.InputTransformer;
  if (!transformer) return {};
  const text = Object.entries(transformer.InputPathsMap).reduce((t, [name, path]) => t.replaceAll(`<${name}>`, JSON.stringify(path)), transformer.InputTemplate);
  return JSON.parse(text) as { time?: string; probeShard?: number };
}

describe('10,000 monitors', () => {
  it('synthesizes every template well under CloudFormation\'s limits', () => {
    expect(large.templates.size).toBe(1 + REGIONS.length);
    for (const [id, t] of large.templates) {
      expect(t.bytes, id).toBeLessThan(MAX_TEMPLATE_BYTES / 20);
      expect(t.resources, id).toBeLessThan(MAX_RESOURCES / 10);
    }
  });

  it('has exactly the resources of a 5-monitor fleet, and templates of about the same size', () => {
    for (const [id, t] of large.templates) {
      const s = small.templates.get(id)!;
      expect(t.types, id).toEqual(s.types);
      // Only descriptions mention the monitor count.
      expect(Math.abs(t.bytes - s.bytes), id).toBeLessThan(50);
    }
  });

  it('puts all 10,000 monitors in the one fleet file the functions ship', () => {
    const dir = join(large.app.outdir, 'portquorum');
    const [file] = readdirSync(dir);
    const config = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as { monitors: { id: string }[] };
    expect(config.monitors).toHaveLength(10_000);
    expect(config.monitors[9_999]!.id).toBe('svc-09999');
  });

  it('estimates the cost from the whole fleet', () => {
    expect(large.fleet.costEstimate.totalUsd).toBeGreaterThan(small.fleet.costEstimate.totalUsd);
    expect(large.fleet.costEstimate.assumptions[0]).toContain('10,000 monitors × 5 regions');
  });
});

describe('100,000 monitors', () => {
  it('runs each region\'s probes as 50 shards of about 2,000, each started by its own rule target with its shard and the time', () => {
    for (const region of REGIONS) expect(scheduledShards(huge.app, `Fleet/Probe-${region}`)).toEqual(Array.from({ length: 50 }, (_, k) => k));
    const assembly = huge.app.synth();
    const stack = assembly.stacks.find((s) => s.hierarchicalId === 'Fleet/Probe-eu-west-1')!;
    const rule = Object.values(stack.template.Resources as Record<string, { Type: string; Properties: { Targets: Target[] } }>).find((r) => r.Type === 'AWS::Events::Rule')!;
    expect(targetInput(rule.Properties.Targets[0]!)).toEqual({ time: '$.time', probeShard: 0 });
    // The shard count is explained where the synth reports it.
    const info = stack.messages.filter((m) => m.level === 'info').map((m) => String(m.entry.data));
    expect(info).toContain('portquorum: the public probes in eu-west-1 run as 50 shards, 100000 monitors at monitorsPerProbe 2000');
  });

  it('has the resources of its shard count, not of its monitors: the same as 10,000 monitors in 50 shards', () => {
    for (const [id, t] of huge.templates) {
      const s = sharded.templates.get(id)!;
      expect(t.types, id).toEqual(s.types);
      expect(Math.abs(t.bytes - s.bytes), id).toBeLessThan(50);
      expect(t.bytes, id).toBeLessThan(MAX_TEMPLATE_BYTES / 10);
      expect(t.resources, id).toBeLessThan(MAX_RESOURCES / 4);
    }
  });

  it('refuses a shard count its schedules cannot start, naming monitorsPerProbe and how the count came about', () => {
    const app = testApp();
    const monitors: MonitorSpec[] = Array.from({ length: 30_000 }, (_, i) => ({ id: `m-${i}`, host: `m-${i}.example.internal`, port: 5432 }));
    expect(() => new ProbeFleet(app, 'Fleet', { regions: ['eu-west-1'], monitors, monitorsPerProbe: 100 })).toThrow(
      'Fleet: the public probes in eu-west-1 would run as 300 shards (30000 monitors, monitorsPerProbe 100); at most 200 shards a probe function can be scheduled: raise monitorsPerProbe to at least 150',
    );
    removeApp(app);
  });
});
