// The package as a user gets it: `npm pack`, installed into a fresh CDK app outside the repository (no esbuild, no
// sources), the README's example app type-checked against its declarations and synthesized by the real `cdk synth`.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_KINDS } from '../../functions/shared/deployment';
import { PROJECT_ROOT, bundleDir } from '../../lib/bundling';
import { DEPLOY_TIME_HOST } from '../../lib/targets';
import { cdkJsonContext, offlineCdkEnv } from '../cdk/support';
import { canUnshareNetwork } from '../support/netns';

const PACKAGE = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const EXAMPLE = join(PROJECT_ROOT, 'examples', 'basic', 'app.ts');
/** Each step is bounded; together they take about a minute on a quiet machine. */
const STEP_TIMEOUT_MS = 180_000;

interface PackedFile {
  path: string;
  size: number;
}

let root: string;
let app: string;
let packed: { filename: string; size: number; unpackedSize: number; files: PackedFile[] };
const steps: Record<string, SpawnSyncReturns<string>> = {};

/** Runs one step with only what it needs (offlineCdkEnv: no npm_* variables from `npm test`, no NODE_PATH, no credentials). */
function run(step: string, file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = offlineCdkEnv()): SpawnSyncReturns<string> {
  const result = spawnSync(file, args, { cwd, env, encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  steps[step] = result;
  if (result.status !== 0) {
    throw new Error(`${step} failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** The app `cdk init app --language typescript` makes: CommonJS, `module: NodeNext`, strict. */
function writeApp(tarball: string): void {
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'my-monitors', version: '0.1.0', private: true }, null, 2)}\n`);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['es2022'], strict: true,
      skipLibCheck: true, types: ['node'], outDir: 'build', rootDir: '.',
    },
    include: ['bin/**/*.ts'],
  }));
  mkdirSync(join(app, 'bin'));
  writeFileSync(join(app, 'bin', 'app.ts'), readFileSync(EXAMPLE, 'utf8'));
  // Compiles only if the declarations are real: with `any` types the directive would be unused, which is an error.
  writeFileSync(join(app, 'bin', 'types.ts'), [
    "import { App } from 'aws-cdk-lib';",
    "import { ProbeFleet } from 'portquorum';",
    'export const wrong = () =>',
    '  // @ts-expect-error regions is a list of region names',
    "  new ProbeFleet(new App(), 'Fleet', { regions: 'eu-west-1', monitors: [] });",
    '',
  ].join('\n'));
  writeFileSync(join(app, 'cdk.json'), JSON.stringify({ app: 'node build/bin/app.js', notices: false, context: cdkJsonContext() }));
  const pin = (name: string) => `${name}@${PACKAGE.devDependencies[name]}`;
  run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, pin('aws-cdk-lib'), pin('constructs'), pin('@types/node')], app);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pq-package-'));
  app = join(root, 'my-monitors');
  mkdirSync(app);
  // `npm pack` runs the build itself (prepack); here it runs first so that pack's --json output is only JSON.
  run('npm run build', 'npm', ['run', 'build', '--silent'], PROJECT_ROOT, { ...process.env, npm_config_update_notifier: 'false' });
  const pack = run('npm pack', 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], PROJECT_ROOT, offlineCdkEnv());
  packed = (JSON.parse(pack.stdout) as Array<typeof packed>)[0]!;
  writeApp(join(root, packed.filename));
  run('tsc', process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
  const cdk = [process.execPath, join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--output', 'cdk.out'];
  // Offline for sure where this process may make a network namespace; otherwise by the environment alone.
  const [file, ...args] = canUnshareNetwork() ? ['unshare', '--net', ...cdk] : cdk;
  run('cdk synth', file!, args, app);
}, 4 * STEP_TIMEOUT_MS);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

interface Template {
  Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string }; Environment?: { Variables?: Record<string, string> } } }>;
}

function templates(): Map<string, Template> {
  const dir = join(app, 'cdk.out');
  return new Map(readdirSync(dir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => [f.replace(/[0-9A-F]{8}\.template\.json$|\.template\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Template]));
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('npm pack', () => {
  it('ships the built library, declarations, function bundles and CLI, and no tests or TypeScript sources', () => {
    const paths = packed.files.map((f) => f.path);
    console.info(`npm pack: ${packed.filename}, ${paths.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
    for (const expected of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/portquorum.js', 'dist/lib/index.js', 'dist/types/lib/index.d.ts', 'dist/cli/main.js', 'dist/cli/worker.js', 'docs/benchmarks.json', 'schema/fleet.schema.json']) {
      expect(paths).toContain(expected);
    }
    for (const kind of FUNCTION_KINDS) expect(paths).toEqual(expect.arrayContaining([`dist/handlers/${kind}/index.mjs`, `dist/handlers/${kind}/index.mjs.map`]));
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('examples/') || p.startsWith('scripts/'))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths.length).toBeLessThan(100);
  });
});

describe('a CDK app with portquorum installed from the tarball', () => {
  it('has neither esbuild nor tsx nor TypeScript in its node_modules', () => {
    for (const name of ['esbuild', '@esbuild', 'tsx', 'typescript']) expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'portquorum', 'dist', 'lib', 'index.js'))).toBe(true);
  });

  it('type-checks the README example against the package\'s declarations (moduleResolution NodeNext, CommonJS)', () => {
    // tsc ran in beforeAll: it exits non-zero on any error, including an unused @ts-expect-error in bin/types.ts.
    expect(steps.tsc?.status).toBe(0);
    expect(readFileSync(join(app, 'build', 'bin', 'app.js'), 'utf8')).toContain('require("portquorum")');
  });

  it('synthesizes the user\'s stack, the home stack and a probe stack per region', () => {
    expect(steps['cdk synth']?.status).toBe(0);
    expect([...templates().keys()].sort()).toEqual(['FleetHome', 'FleetProbeapsoutheast1', 'FleetProbeeuwest1', 'FleetProbeuseast1', 'Orders']);
  });

  it('gives every function the prebuilt bundle, with the user\'s monitors in fleet.json beside it', () => {
    const prebuilt = new Map(FUNCTION_KINDS.map((kind) => [sha256(readFileSync(join(bundleDir(kind), 'index.mjs'))), kind]));
    const seen = new Set<string>();
    let functions = 0;
    for (const [stack, template] of templates()) {
      for (const [id, resource] of Object.entries(template.Resources)) {
        if (resource.Type !== 'AWS::Lambda::Function' || !resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME) continue;
        functions++;
        const dir = join(app, 'cdk.out', `asset.${String(resource.Properties.Code?.S3Key).replace(/\.zip$/, '')}`);
        const kind = prebuilt.get(sha256(readFileSync(join(dir, 'index.mjs'))));
        expect(kind, `${stack}/${id}: index.mjs is one of the package's prebuilt bundles`).toBeDefined();
        seen.add(kind!);
        // index.mjs, the chunks it loads on demand (the probe's regex engine), their source maps, and fleet.json.
        expect(readdirSync(dir).sort(), `${stack}/${id}`).toEqual(['fleet.json', ...readdirSync(bundleDir(kind!))].sort());
        const fleet = JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')) as { regions: string[]; monitors: Array<{ id: string; host: string; group?: string }> };
        expect(fleet.regions).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-1']);
        expect(fleet.monitors.map((m) => m.id)).toEqual(['orders-db', 'smtp']);
        // The RDS instance's endpoint is known at deploy time only: a placeholder here, the value in the environment.
        expect(fleet.monitors[0]).toMatchObject({ host: DEPLOY_TIME_HOST, group: 'private' });
      }
    }
    // Aggregator and sweeper, a public probe per region and the VPC group's probe in eu-west-1.
    expect(functions).toBe(2 + 3 + 1);
    expect([...seen].sort()).toEqual([...FUNCTION_KINDS].sort());
  });
});

describe('the installed portquorum command', () => {
  const bin = () => join(app, 'node_modules', '.bin', 'portquorum');
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('prints the package\'s version', () => {
    expect(run('portquorum --version', bin(), ['--version'], app).stdout.trim()).toBe(PACKAGE.version);
  });

  it('probes a target and estimates a fleet\'s cost from the built CLI', () => {
    expect(run('portquorum check', bin(), ['check', `127.0.0.1:${port}`], app).stdout).toMatch(/^UP /);
    const config = join(app, 'monitors.json');
    // The JSON Schema path the README gives editors resolves in an installed app, and the CLI accepts the key.
    const $schema = './node_modules/portquorum/schema/fleet.schema.json';
    expect(existsSync(join(app, $schema))).toBe(true);
    writeFileSync(config, JSON.stringify({ $schema, regions: ['eu-west-1', 'us-east-1'], monitors: [{ id: 'local', host: '127.0.0.1', port }] }));
    expect(run('portquorum test', bin(), ['test', '--config', config], app).stdout).toContain('1 up, 0 down');
    // With the bench's figures the package ships (docs/benchmarks.json), found from the built CLI.
    const cost = JSON.parse(run('portquorum cost', bin(), ['cost', '--config', config, '--json'], app).stdout) as { measured: { status: string } };
    expect(cost.measured.status).toBe('used');
  });

  it('says what it needs to load a TypeScript config when the app has no tsx', () => {
    writeFileSync(join(app, 'monitors.ts'), "export const fleet = { regions: ['eu-west-1'], monitors: [] as const };\n");
    const result = spawnSync(bin(), ['test', '--config', 'monitors.ts'], { cwd: app, env: offlineCdkEnv(), encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
    // Node 22.18+ strips the types itself; older Nodes are told how to load TypeScript.
    const nodeLoadsTypeScript = typeof (process.features as { typescript?: unknown }).typescript === 'string';
    if (nodeLoadsTypeScript) expect(result.stderr).not.toContain('npm install --save-dev tsx');
    else expect(result.stderr).toContain('a TypeScript config needs tsx in your project: npm install --save-dev tsx');
  });
});
