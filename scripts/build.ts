// `npm run build`: the package's dist/ — function bundles, the construct library (JavaScript and declarations), the CLI.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { FUNCTION_KINDS } from '../functions/shared/deployment';
import { PROJECT_ROOT, bundleDir, bundleFromSource } from '../lib/bundling';

const DIST = join(PROJECT_ROOT, 'dist');

/** What the package needs at run time stays an import (dependencies and peers); our own code is bundled. */
const LIBRARY_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The CLI and synth run on the Node of the user's machine (package.json engines), not Lambda's.
  target: 'node20.19',
  packages: 'external',
  absWorkingDir: PROJECT_ROOT,
  logLevel: 'warning',
} as const;

/** Each function's bundle, exactly as a checkout's synth bundles it (same call, same output path). */
function buildFunctions(): void {
  for (const kind of FUNCTION_KINDS) {
    const dir = bundleDir(kind);
    // Chunk names carry a content hash: an older build's chunks must not ride along.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const file of bundleFromSource(kind).files) writeFileSync(join(dir, file.name), file.contents);
  }
}

/** The construct library: one ES module, `import { ProbeFleet } from 'portquorum'`. */
async function buildLibrary(): Promise<void> {
  await build({ ...LIBRARY_OPTIONS, entryPoints: ['lib/index.ts'], outfile: join(DIST, 'lib', 'index.js') });
}

/**
 * The CLI and the local fleet's region worker (a process of its own). Split, so each command's code loads when the
 * command runs, as it does from source.
 */
async function buildCli(): Promise<void> {
  await build({
    ...LIBRARY_OPTIONS,
    entryPoints: { main: 'bin/cli/main.ts', worker: 'bin/local/worker.ts' },
    outdir: join(DIST, 'cli'),
    splitting: true,
    // Chunks beside main.js and worker.js: code that finds the worker or docs/ relative to itself runs from any of them.
    chunkNames: '[name]-[hash]',
  });
}

/**
 * The library's type declarations, from tsconfig.build.json. Relative imports get the `.js` a compiled ES module
 * needs, so the declarations resolve under `moduleResolution: nodenext` (what `cdk init` sets up) as well as `bundler`.
 */
function buildDeclarations(): void {
  const configPath = join(PROJECT_ROOT, 'tsconfig.build.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => fail([d]),
  });
  if (!config) throw new Error(`cannot read ${configPath}`);
  if (config.errors.length > 0) fail(config.errors);
  const program = ts.createProgram(config.fileNames, config.options);
  const emitted = program.emit(undefined, undefined, undefined, true, { afterDeclarations: [withJsExtensions(program)] });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0 || emitted.emitSkipped) fail(diagnostics);
}

/** Rewrites `./probe-fleet` to `./probe-fleet.js` and `../functions/shared/domain` to `…/domain/index.js`. */
function withJsExtensions(program: ts.Program): ts.TransformerFactory<ts.SourceFile | ts.Bundle> {
  return (context) => (root) => {
    if (!ts.isSourceFile(root)) return root;
    const { factory } = context;
    const from = dirname(root.fileName);
    const rewrite = (specifier: string): string => {
      if (!specifier.startsWith('.')) return specifier;
      const target = join(from, specifier);
      for (const [source, compiled] of [['.ts', '.js'], ['/index.ts', '/index.js']] as const) {
        if (program.getSourceFile(target + source)) return specifier + compiled;
      }
      throw new Error(`${relative(PROJECT_ROOT, root.fileName)}: cannot find the module '${specifier}' to give its declaration an extension`);
    };
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateImportDeclaration(node, node.modifiers, node.importClause, factory.createStringLiteral(rewrite(node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, factory.createStringLiteral(rewrite(node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const argument = factory.createLiteralTypeNode(factory.createStringLiteral(rewrite(node.argument.literal.text)));
        return factory.updateImportTypeNode(node, argument, node.attributes, node.qualifier, node.typeArguments, node.isTypeOf);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitEachChild(root, visit, context);
  };
}

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => PROJECT_ROOT, getNewLine: () => '\n' };
  throw new Error(`type declarations failed:\n${ts.formatDiagnostics(diagnostics, host)}`);
}

const started = performance.now();
rmSync(DIST, { recursive: true, force: true });
buildFunctions();
await Promise.all([buildLibrary(), buildCli()]);
buildDeclarations();
console.log(`portquorum: built ${relative(process.cwd(), DIST) || '.'}/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
