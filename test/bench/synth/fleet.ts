// One ProbeFleet synthesized in this process, timed, with the size of every template and of the fleet file it ships.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MonitorSpec } from '../../../functions/shared/domain';
import { ProbeFleet } from '../../../lib';
import { removeApp, testApp } from '../../cdk/support';

/** The example fleet's regions (bin/monitors.ts): a home stack and three probe stacks. */
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

/**
 * aws-cdk-lib's built-in CloudFormation validation at synth (a WebAssembly engine): on by default, as `cdk synth` runs it;
 * `off` sets CDK_VALIDATION=false for the synth, as a user can.
 */
export type Validation = 'on' | 'off';

export interface SynthResult {
  monitors: number;
  regions: string[];
  bundling: 'skip' | 'bundle';
  validation: Validation;
  /** `new ProbeFleet(…)`: validating the monitors, writing fleet.json, building the construct tree. */
  constructMs: number;
  /** `app.synth()`: resolving tokens and writing the cloud assembly (and bundling, when asked). */
  synthMs: number;
  templates: Array<{ stack: string; bytes: number; resources: number }>;
  fleetFileBytes: number;
  /** Each function asset's index.mjs (bundled synths only), by asset directory. */
  assets: Array<{ asset: string; indexMjs: Buffer }>;
}

/** Monitors like a real declaration: a third with a preset, some with their own interval and tags (as test/cdk/scale.test.ts). */
function monitorsOf(count: number): MonitorSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `svc-${String(i).padStart(5, '0')}`,
    host: `svc-${i}.example.internal`,
    port: 1024 + (i % 60000),
    ...(i % 3 === 0 ? { preset: 'redis' as const } : {}),
    ...(i % 7 === 0 ? { interval: 30, tags: { team: `team-${i % 13}` } } : {}),
  }));
}

/** Synthesizes a fleet of `count` monitors in a fresh App (its own temporary cloud assembly, removed afterwards). */
export function synthFleet(count: number, bundling: 'skip' | 'bundle' = 'skip', validation: Validation = 'on'): SynthResult {
  const monitors = monitorsOf(count); // the declaration is the user's code, not synth work
  const app = testApp({ bundling });
  const previous = process.env.CDK_VALIDATION;
  try {
    if (validation === 'off') process.env.CDK_VALIDATION = 'false';
    else delete process.env.CDK_VALIDATION; // 'on' means the default, whatever this shell set
    const t0 = performance.now();
    new ProbeFleet(app, 'Fleet', { regions: REGIONS, monitors });
    const t1 = performance.now();
    const assembly = app.synth();
    const t2 = performance.now();
    const templates = assembly.stacks.map((stack) => {
      const path = join(assembly.directory, stack.templateFile);
      const template = JSON.parse(readFileSync(path, 'utf8')) as { Resources?: Record<string, unknown> };
      return { stack: stack.hierarchicalId, bytes: statSync(path).size, resources: Object.keys(template.Resources ?? {}).length };
    });
    const fleetDir = join(app.outdir, 'portquorum');
    const fleetFileBytes = readdirSync(fleetDir).reduce((sum, f) => sum + statSync(join(fleetDir, f)).size, 0);
    const assets = bundling === 'skip' ? [] : readdirSync(assembly.directory)
      .filter((d) => d.startsWith('asset.'))
      .flatMap((d) => {
        try {
          return [{ asset: d, indexMjs: readFileSync(join(assembly.directory, d, 'index.mjs')) }];
        } catch {
          return []; // not a function asset
        }
      });
    return { monitors: count, regions: REGIONS, bundling, validation, constructMs: t1 - t0, synthMs: t2 - t1, templates, fleetFileBytes, assets };
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
    removeApp(app);
  }
}
