// Bench section "coldstart": each function bundle built with the construct's esbuild settings, its sizes, and its cold import time in a fresh node.
import { runChild } from '../lib/child';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { MonitorSpec } from '../../../functions/shared/domain';
import { ENV, FUNCTION_KINDS, METRICS_NAMESPACE, SERVICES, type FunctionKind } from '../../../functions/shared/deployment';
import type { BenchContext, BenchSection, SectionReport } from '../lib/section';
import { fmt, fmtSpread, spread, type Spread } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';

const FUNCTIONS: readonly FunctionKind[] = FUNCTION_KINDS;

/** The handler module's own factory of its dependencies (reads fleet.json, builds SDK clients): what the first invocation runs. */
const DEPS_EXPORT: Record<FunctionKind, string> = { probe: 'probeDepsFromEnv', aggregate: 'aggregateDepsFromEnv', sweeper: 'sweeperDepsFromEnv' };

/** The fleet shipped in fleet.json: the cost goal's reference size (1,000 monitors, 3 regions). */
const FLEET_MONITORS = 1000;
const FLEET_REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

interface Plan {
  /** Fresh node processes per bundle. */
  runs: number;
  /** Fresh node processes per SDK-only baseline (fewer in quick mode: it is context, not a headline). */
  sdkRuns: number;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { runs: 2, sdkRuns: 1 },
  full: { runs: 15, sdkRuns: 7 },
};

/** A child that has not reported by then is killed; an import takes well under a second. */
const CHILD_TIMEOUT_MS = 30_000;

/**
 * The environment the stacks give the functions (names only matter; nothing is called), and no credential source
 * that could reach the network: the SDK clients are constructed, never used.
 */
function functionEnv(kind: FunctionKind): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'eu-west-1',
    [ENV.table]: 'portquorum',
    [ENV.tableRegion]: 'eu-west-1',
    [ENV.region]: 'eu-west-1',
    [ENV.topicArn]: 'arn:aws:sns:eu-west-1:111111111111:portquorum-alerts',
    [ENV.powertoolsServiceName]: SERVICES[kind],
    [ENV.powertoolsMetricsNamespace]: METRICS_NAMESPACE,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

export interface Bundle {
  kind: FunctionKind;
  dir: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  fleetBytes: number;
  /** Modules left external (the AWS SDK), which the import resolves from node_modules here. */
  externals: string[];
  /** esbuild's target, from the construct's options. */
  target: string;
}

/** Each function's code asset as the construct writes it (writeFunctionCode: index.mjs, its source map, fleet.json beside them). */
export async function buildBundles(root: string): Promise<Bundle[]> {
  const { App } = await import('aws-cdk-lib');
  const { Construct } = await import('constructs');
  const { bundleFromSource, BUNDLE_TARGET, PROJECT_ROOT } = await import('../../../lib/bundling');
  const { writeFleetFile, writeFunctionCode } = await import('../../../lib/function');
  const { prepareFleet } = await import('../../../lib/fleet-validation');

  const monitors: MonitorSpec[] = Array.from({ length: FLEET_MONITORS }, (_, i) => ({
    id: `svc-${String(i).padStart(5, '0')}`,
    host: `svc-${i}.example.internal`,
    port: 1024 + i,
    ...(i % 3 === 0 ? { preset: 'redis' as const } : {}),
  }));
  const { config } = prepareFleet({ regions: FLEET_REGIONS, monitors });
  // A construct inside the app, as in ProbeFleet: writeFleetFile asks for the stage *containing* its scope, and the App contains none.
  const app = new App({ outdir: join(root, 'cdk.out') });
  const fleetFile = writeFleetFile(new Construct(app, 'Fleet'), config);
  if (!fleetFile.probe.startsWith(root)) throw new Error(`coldstart bench: the fleet file went to ${fleetFile.probe}, outside the bench's temporary directory`);

  // The SDK is external, as in Lambda (where the runtime provides it); here it resolves from the project's node_modules.
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const bundles: Bundle[] = [];
  for (const kind of FUNCTIONS) {
    // Built from source here (the construct would reuse this process's bundle): the same esbuild call `npm run build` makes.
    const { externals = [] } = bundleFromSource(kind);
    const { dir } = writeFunctionCode(root, kind, fleetFile);
    const file = join(dir, 'index.mjs');
    const code = readFileSync(file);
    bundles.push({
      kind,
      dir,
      file,
      bytes: code.length,
      gzipBytes: gzipSync(code).length,
      mapBytes: statSync(`${file}.map`).size,
      fleetBytes: statSync(join(dir, 'fleet.json')).size,
      externals,
      target: BUNDLE_TARGET,
    });
  }
  return bundles;
}

interface ColdRun {
  /** From process start to the first line of our code: Node's own start-up. */
  bootMs: number;
  /** `await import(index.mjs)`: loading and evaluating the handler module (and the SDK it imports). */
  importMs: number;
  /** The handler's deps factory: reading and parsing fleet.json, constructing the SDK clients, logger and metrics. */
  initMs: number;
  /** Spawn to exit, as the parent saw it. */
  processMs: number;
}

// Runs in the child: time from process start, then the import, then the first invocation's set-up (no call is made).
const CHILD_CODE = `
const bootMs = performance.now();
const t0 = performance.now();
const m = await import(process.env.PQ_MODULE);
const t1 = performance.now();
let initMs = 0;
if (process.env.PQ_DEPS) {
  if (typeof m.handler !== 'function') throw new Error('the bundle exports no handler');
  const deps = m[process.env.PQ_DEPS]();
  initMs = performance.now() - t1;
  if (!Array.isArray(deps.fleet?.monitors)) throw new Error('deps without a fleet');
}
process.stdout.write(JSON.stringify({ bootMs, importMs: t1 - t0, initMs }) + '\\n', () => process.exit(0));
`;

async function coldRun(module: string, deps: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<ColdRun> {
  // --enable-source-maps because the construct sets NODE_OPTIONS to it: Node then loads the map with the module.
  const run = await runChild(['--enable-source-maps', '--input-type=module', '-e', CHILD_CODE], {
    cwd, env: { ...env, PQ_MODULE: module, ...(deps ? { PQ_DEPS: deps } : {}) }, timeoutMs: CHILD_TIMEOUT_MS,
  });
  if (run.code !== 0) throw new Error(`coldstart bench: importing ${module} failed (exit ${run.signal ?? run.code}${run.timedOut ? ', timed out' : ''}):\n${run.stderr}`);
  return { ...(JSON.parse(run.stdout) as Omit<ColdRun, 'processMs'>), processMs: run.ms };
}

interface Measured {
  bundle: Bundle;
  runs: ColdRun[];
  /** The same fresh-process import of only the SDK packages the bundle leaves external. */
  sdkRuns: ColdRun[];
}

async function measure(ctx: BenchContext, plan: Plan): Promise<Measured[]> {
  const root = mkdtempSync(join(tmpdir(), 'pq-bench-coldstart-'));
  try {
    ctx.log('coldstart: bundling probe, aggregate, sweeper with the construct\'s esbuild options');
    const bundles = await buildBundles(root);
    // A module that imports only the bundle's externals, in the same directory so they resolve the same way.
    for (const b of bundles) writeFileSync(join(b.dir, 'sdk-only.mjs'), `${b.externals.map((name) => `import ${JSON.stringify(name)};`).join('\n')}\n`);
    const measured: Measured[] = bundles.map((bundle) => ({ bundle, runs: [], sdkRuns: [] }));
    ctx.log(`coldstart: ${plan.runs} fresh node processes per bundle, ${plan.sdkRuns} per SDK-only import`);
    // Interleaved, so drift on a shared machine hits every bundle alike.
    for (let run = 0; run < Math.max(plan.runs, plan.sdkRuns); run++) {
      for (const m of measured) {
        const env = functionEnv(m.bundle.kind);
        if (run < plan.runs) m.runs.push(await coldRun(pathToFileURL(m.bundle.file).href, DEPS_EXPORT[m.bundle.kind], env, m.bundle.dir));
        if (run < plan.sdkRuns) m.sdkRuns.push(await coldRun(pathToFileURL(join(m.bundle.dir, 'sdk-only.mjs')).href, undefined, env, m.bundle.dir));
      }
    }
    return measured;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const KB = 1024;

function report(measured: Measured[], plan: Plan): SectionReport {
  const sizes: Table = {
    header: ['function', 'index.mjs', 'gzipped', 'index.mjs.map', 'fleet.json', 'external (runtime-provided)'],
    rows: measured.map(({ bundle: b }) => [
      b.kind,
      `${fmt(b.bytes / KB)} KiB`,
      `${fmt(b.gzipBytes / KB)} KiB`,
      `${fmt(b.mapBytes / KB)} KiB`,
      `${fmt(b.fleetBytes / KB)} KiB`,
      b.externals.join(', ') || 'none',
    ]),
  };
  const spreads = measured.map((m) => ({
    kind: m.bundle.kind,
    importMs: spread(m.runs.map((r) => r.importMs)),
    sdkMs: spread(m.sdkRuns.map((r) => r.importMs)),
    initMs: spread(m.runs.map((r) => r.initMs)),
    bootMs: spread(m.runs.map((r) => r.bootMs)),
    processMs: spread(m.runs.map((r) => r.processMs)),
  }));
  const times: Table = {
    header: ['function', 'import ms (cold)', 'of which SDK alone', 'first-invocation set-up ms', 'node start-up ms', 'process spawn→exit ms'],
    rows: spreads.map((s) => [s.kind, fmtSpread(s.importMs), fmtSpread(s.sdkMs), fmtSpread(s.initMs), fmtSpread(s.bootMs), fmtSpread(s.processMs)]),
  };

  const markdown = [
    '## Cold start: bundle sizes and cold import',
    '',
    'Each handler (functions/{probe,aggregate,sweeper}/handler.ts) bundled by the esbuild call that `npm run build` makes for the package',
    '(`bundleFromSource` with `BUNDLING_OPTIONS`, lib/bundling.ts:',
    `ESM, target \`${measured[0]?.bundle.target ?? '?'}\`, minified, linked source map without sources content, the AWS SDK v3 external), with`,
    `fleet.json beside index.mjs in the code asset the construct's own \`writeFunctionCode\` writes, for a ${FLEET_MONITORS.toLocaleString('en-US')}-monitor fleet in ${FLEET_REGIONS.length} regions.`,
    '',
    markdownTable(sizes),
    '',
    `Cold import: \`median (min–max)\` over ${plan.runs} fresh \`node --enable-source-maps\` processes per bundle (${plan.sdkRuns} for the SDK-only import; the construct sets`,
    '`NODE_OPTIONS=--enable-source-maps`), interleaved across bundles. "import" is `await import(\'index.mjs\')` — loading and',
    'evaluating the handler module, which is what Lambda\'s init phase spends on our code; "first-invocation set-up" is the',
    'handler\'s deps factory (`probeDepsFromEnv` …: read and parse fleet.json, construct the SDK clients, logger and metrics), which',
    'the handler runs lazily on its first event; no AWS call is made.',
    '',
    markdownTable(times),
    '',
    'Honest caveats: the SDK is external, as in Lambda, where the runtime provides it; here it resolves from the project\'s',
    'node_modules (the pinned versions in package.json), so "of which SDK alone" (a fresh process importing only the packages the',
    'bundle leaves external) is this machine\'s figure for the runtime\'s copy, not Lambda\'s. Files come from the page cache',
    `after the first run, and Node here is ${process.version} while the functions run on Lambda's Node.js 24 (or 22); the figures exclude`,
    'Lambda\'s own sandbox start and runtime bootstrap. "node start-up" is Node\'s start-up before our first line, for scale.',
    '',
  ].join('\n');

  const text = ['Cold start: bundle sizes', textTable(sizes), '', 'Cold import — median (min–max) ms', textTable(times)].join('\n');
  const ms = (s: Spread) => ({ min: round2(s.min), median: round2(s.median), max: round2(s.max), runs: s.runs });
  return {
    markdown,
    text,
    figures: {
      bundles: measured.map((m, i) => ({ function: m.bundle.kind, bytes: m.bundle.bytes, coldImportMs: ms(spreads[i]!.importMs) })),
    },
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export const coldStartSection: BenchSection = {
  name: 'coldstart',
  title: 'Cold start: bundle sizes and cold import time of each function bundle',
  async run(ctx) {
    const plan = ctx.quick ? PLANS.quick : PLANS.full;
    return report(await measure(ctx, plan), plan);
  },
};
