// How a handler becomes the bundle a function deploys: the esbuild options, and where the bundle comes from (built from source in a checkout, prebuilt in the package).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import type { FunctionKind } from '../functions/shared/deployment';

/**
 * Where this code runs from: its TypeScript sources (a checkout, through tsx or vitest) or compiled into `dist/`
 * (the installed package, which ships the function bundles prebuilt and has no esbuild).
 */
type CodeOrigin = 'source' | 'package';
const CODE_ORIGIN: CodeOrigin = import.meta.url.endsWith('.ts') ? 'source' : 'package';

/** The repository root (sources: `lib/bundling.ts`) or the installed package's root (compiled: `dist/lib/index.js`). */
export const PROJECT_ROOT = fileURLToPath(new URL(CODE_ORIGIN === 'source' ? '..' : '../..', import.meta.url));

/** Path of a function's handler entry (TypeScript, in a checkout). */
function handlerEntry(kind: FunctionKind): string {
  return join(PROJECT_ROOT, 'functions', kind, 'handler.ts');
}

/** Where `npm run build` writes a function's bundle, and where the package's synth reads it. */
export function bundleDir(kind: FunctionKind): string {
  return join(PROJECT_ROOT, 'dist', 'handlers', kind);
}

/**
 * The AWS SDK v3 is left out of the bundles: the Node.js 22 and 24 runtimes ship it, which keeps bundles small and
 * cold starts short (the one trade: the runtime's SDK version).
 */
export const BUNDLE_TARGET = 'node22';
const EXTERNAL_MODULES = ['@aws-sdk/*'];

/** The esbuild options of every function bundle: ESM, minified, with a source map (its path is set per function). */
const BUNDLING_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: BUNDLE_TARGET,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: EXTERNAL_MODULES,
  // Some CommonJS dependencies call require(); give ESM output one.
  banner: { js: "import{createRequire as __pqRequire}from'node:module';const require=__pqRequire(import.meta.url);" },
  logLevel: 'warning',
} satisfies BuildOptions;

/** One file of a function bundle: `index.mjs`, a chunk it imports on demand, or a source map. */
interface BundleFile {
  name: string;
  contents: Uint8Array;
}

export interface Bundle {
  files: BundleFile[];
  /** Packages the bundle imports at run time (the runtime's AWS SDK), when it was built in this process. */
  externals?: string[];
}

/**
 * Bundles a handler from its sources with esbuild (synchronously: constructs are built synchronously). The output
 * path is the prebuilt bundle's, so the source map's paths — and so every byte — match what `npm run build` ships.
 */
export function bundleFromSource(kind: FunctionKind): Bundle {
  // Loaded here, never at import: the installed package has no esbuild and never bundles.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    ...BUNDLING_OPTIONS,
    entryPoints: { index: handlerEntry(kind) },
    outdir: bundleDir(kind),
    outExtension: { '.js': '.mjs' },
    // A module the handler imports on demand (the probe's regex engine, only for monitors with expect.regex) becomes a
    // file of its own beside index.mjs, so index.mjs and cold starts stay small for fleets that never load it.
    splitting: true,
    chunkNames: '[name]-[hash]',
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    write: false,
  });
  const externals = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) if (imported.external && !imported.path.startsWith('node:')) externals.add(imported.path);
  }
  return { files: result.outputFiles.map((f) => ({ name: basename(f.path), contents: f.contents })), externals: [...externals].sort() };
}

/** The files of a prebuilt bundle, as the package ships them: index.mjs, the chunks it loads on demand, their source maps. */
function prebuiltBundle(kind: FunctionKind): Bundle {
  const dir = bundleDir(kind);
  const required = ['index.mjs', 'index.mjs.map'];
  const missing = required.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) {
    throw new Error(`portquorum: the prebuilt ${kind} function bundle is missing (${missing.map((n) => join(dir, n)).join(', ')}); reinstall portquorum`);
  }
  const names = readdirSync(dir).filter((name) => name.endsWith('.mjs') || name.endsWith('.mjs.map')).sort();
  return { files: names.map((name) => ({ name, contents: readFileSync(join(dir, name)) })) };
}

const bundles = new Map<FunctionKind, Bundle>();

/** A function's bundle: from source in a checkout, prebuilt in the package; built or read once per process. */
export function functionBundle(kind: FunctionKind): Bundle {
  let bundle = bundles.get(kind);
  if (!bundle) {
    bundle = CODE_ORIGIN === 'source' ? bundleFromSource(kind) : prebuiltBundle(kind);
    bundles.set(kind, bundle);
  }
  return bundle;
}
