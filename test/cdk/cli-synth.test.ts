// The real `cdk synth` CLI, once, offline (in a network namespace with no interfaces up when we can make one), bundling for real.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet as exampleFleet } from '../../bin/monitors';
import { homeFleet } from '../../functions/shared/domain';
import { prepareFleet } from '../../lib/fleet-validation';
import { PROJECT_ROOT } from '../../lib/function';
import { runCli } from '../support/cli';
import { canUnshareNetwork } from '../support/netns';
import { missingHandlers, offlineCdkEnv } from './support';

/** A minified handler bundle above this is too big for a fast cold start (the SDK is external; chunks loaded on demand are not counted). */
const MAX_BUNDLE_BYTES = 150 * 1024;

const missing = missingHandlers();
const skipReason = missing.length > 0 ? ` (skipped: handler files not written yet: ${missing.map((p) => p.replace(PROJECT_ROOT, '')).join(', ')})` : '';

let outdir: string;
let synth: { status: number | null; stdout: string; stderr: string; isolated: boolean };

beforeAll(() => {
  if (missing.length > 0) return;
  outdir = mkdtempSync(join(tmpdir(), 'pq-cdk-cli-'));
  const isolated = canUnshareNetwork();
  const env = offlineCdkEnv();
  const command = ['npx', 'cdk', 'synth', '--quiet', '--no-notices', '--output', outdir];
  const [file, args] = isolated ? ['unshare', ['--net', ...command]] : [command[0]!, command.slice(1)];
  if (!isolated) console.warn('cdk synth runs without a network namespace here (unshare --net is not permitted); offline is then up to the environment variables');
  const result = spawnSync(file, args, { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 240_000 });
  synth = { status: result.status, stdout: result.stdout, stderr: result.stderr, isolated };
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

interface FunctionAsset {
  stack: string;
  logicalId: string;
  dir: string;
}

function functionAssets(): FunctionAsset[] {
  const assets: FunctionAsset[] = [];
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as { Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }> };
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const hash = String(resource.Properties.Code?.S3Key).replace(/\.zip$/, '');
      assets.push({ stack: file.replace('.template.json', ''), logicalId, dir: join(outdir, `asset.${hash}`) });
    }
  }
  return assets;
}

describe('npx cdk synth', () => {
  it.skipIf(missing.length > 0)(`succeeds offline and writes a template per stack, printing the cost${skipReason}`, async () => {
    expect(synth.status, `${synth.stdout}\n${synth.stderr}`).toBe(0);
    const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    expect(templates.map((t) => t.replace(/[0-9A-F]{8}\.template\.json$/, '')).sort()).toEqual([
      'FleetHome', 'FleetProbeapsoutheast1', 'FleetProbeeuwest1', 'FleetProbeuseast1',
    ]);
    // One short line, not an annotation to acknowledge, with the number `portquorum cost` prints for the same fleet.
    const line = (synth.stdout + synth.stderr).split('\n').find((l) => l.startsWith('portquorum: Fleet: estimated $'));
    expect(line, synth.stderr).toMatch(/^portquorum: Fleet: estimated \$\d+\.\d\d a month \(\$[\d.]+ per monitor\), mostly .+ \(itemised: npx portquorum cost\)$/);
    expect(synth.stdout + synth.stderr).not.toMatch(/Acknowledge|Estimated monthly cost/);
    const cost = await runCli(['cost', '--json'], { env: { AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(cost.code, cost.stderr).toBe(0);
    expect(line).toContain(`estimated $${(JSON.parse(cost.stdout) as { estimate: { totalUsd: number } }).estimate.totalUsd.toFixed(2)} a month`);
  });

  it.skipIf(missing.length > 0)(`bundles each function as a small ESM index.mjs with a source map and fleet.json beside it${skipReason}`, () => {
    expect(synth.status).toBe(0);
    const expected = prepareFleet(exampleFleet).config;
    const assets = functionAssets();
    expect(assets.length).toBe(2 + 3); // aggregator and sweeper, a probe per region
    const sizes: Record<string, number> = {};
    for (const asset of assets) {
      const bundle = join(asset.dir, 'index.mjs');
      expect(existsSync(bundle), `${asset.stack}/${asset.logicalId}`).toBe(true);
      expect(existsSync(join(asset.dir, 'index.mjs.map'))).toBe(true);
      // The probe's fleet.json holds every field; the aggregator's and the sweeper's none only the probe reads.
      expect(JSON.parse(readFileSync(join(asset.dir, 'fleet.json'), 'utf8'))).toEqual(asset.logicalId.startsWith('Probe') ? expected : homeFleet(expected));
      const size = statSync(bundle).size;
      sizes[`${asset.logicalId.replace(/[0-9A-F]{8}$/, '')} (${asset.dir.slice(-8)})`] = size;
      expect(size, `${asset.stack}/${asset.logicalId} index.mjs`).toBeLessThan(MAX_BUNDLE_BYTES);
    }
    console.info(`bundle sizes (index.mjs, bytes): ${JSON.stringify(sizes)}`);
  });

  it.skipIf(missing.length > 0)(`each bundle loads as an ES module and exports handler${skipReason}`, () => {
    expect(synth.status).toBe(0);
    const seen = new Set<string>();
    for (const asset of functionAssets()) {
      if (seen.has(asset.dir)) continue;
      seen.add(asset.dir);
      // The SDK is external (the Lambda runtime has it): give the copy the project's node_modules to resolve it.
      const dir = mkdtempSync(join(tmpdir(), 'pq-bundle-'));
      try {
        cpSync(asset.dir, dir, { recursive: true });
        symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
        // A chunk the handler loads on demand (the probe's regex engine) must load from the asset too.
        const pattern = readdirSync(dir).find((name) => /^pattern-\w+\.mjs$/.test(name));
        const probe = `const m = await import("./index.mjs"); let line = typeof m.handler;${pattern ? ` const p = await import("./${pattern}"); line += " " + p.compilePattern("(a+)+$", "").test("a".repeat(30) + "!");` : ''} console.log(line);`;
        const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
          cwd: dir,
          encoding: 'utf8',
          timeout: 60_000,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'eu-west-1',
            AWS_EC2_METADATA_DISABLED: 'true',
            PORTQUORUM_TABLE: 'portquorum',
            PORTQUORUM_TABLE_REGION: 'eu-west-1',
            PORTQUORUM_REGION: 'eu-west-1',
            PORTQUORUM_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:portquorum-alerts',
          },
        });
        expect(output.trim(), asset.dir).toBe(asset.stack.includes('Probe') ? 'function false' : 'function');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });
});
