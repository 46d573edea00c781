// The template does not grow with the monitors: 10,000 monitors synthesize to the same resources as a handful.
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

function synthFleet(count: number): Synthesized {
  const app = testApp();
  const monitors: MonitorSpec[] = Array.from({ length: count }, (_, i) => ({
    id: `svc-${String(i).padStart(5, '0')}`,
    host: `svc-${i}.example.internal`,
    port: 1024 + (i % 60000),
    ...(i % 3 === 0 ? { preset: 'redis' as const } : {}),
    ...(i % 7 === 0 ? { interval: 30, tags: { team: `team-${i % 13}` } } : {}),
  }));
  const fleet = new ProbeFleet(app, 'Fleet', { regions: REGIONS, monitors });
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

beforeAll(() => {
  small = synthFleet(5);
  large = synthFleet(10_000);
});

afterAll(() => {
  removeApp(small.app);
  removeApp(large.app);
});

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
