// Loading monitor declarations for the CLI: the CDK app's bin/monitors.ts by default, or a --config file.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, resolveFleet, type FleetConfig, type FleetSpec } from '../../functions/shared/domain';
import { UsageError } from './usage';

/** The declarations the CDK app deploys: bin/monitors.ts of the app in the current directory (this repository's own, here). */
const DEFAULT_DECLARATIONS = 'bin/monitors.ts';

const TYPESCRIPT_EXTENSIONS = ['.ts', '.mts', '.cts'];

/** Editors on Windows may save JSON with a byte order mark; JSON.parse would call it a syntax error. */
const BOM = '\uFEFF';

/**
 * Reads and validates a fleet declaration. JSON files hold a FleetSpec object (a `$schema` key for editors is fine);
 * .ts/.js/.mjs modules export it as `fleet` (or as their default export). An unreadable file is a UsageError, an
 * invalid declaration a ConfigError listing every problem: both exit 2, before any command acts on it.
 */
export async function loadFleetSpec(configPath?: string): Promise<{ spec: FleetSpec; source: string; config: FleetConfig }> {
  const { spec, source } = await readFleetSpec(configPath);
  try {
    return { spec, source, config: resolveFleet(spec) };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // The validator returns problems for any value; anything else thrown here is a bug, still not an outage.
    throw new UsageError(`${source}: the declaration could not be checked: ${(error as Error).message}`);
  }
}

async function readFleetSpec(configPath: string | undefined): Promise<{ spec: FleetSpec; source: string }> {
  if (configPath === undefined) {
    if (!existsSync(DEFAULT_DECLARATIONS)) {
      throw new UsageError(`found no ${DEFAULT_DECLARATIONS} here: run in the CDK app's directory, or give the monitors with --config FILE (.json, .ts or .js)`);
    }
    return { spec: await importSpec(resolve(DEFAULT_DECLARATIONS), DEFAULT_DECLARATIONS), source: DEFAULT_DECLARATIONS };
  }
  const path = resolve(configPath);
  const ext = extname(path);
  if (ext === '.json') {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --config ${configPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      return { spec: JSON.parse(text.startsWith(BOM) ? text.slice(1) : text) as FleetSpec, source: configPath };
    } catch (error) {
      throw new UsageError(`--config ${configPath} is not valid JSON: ${(error as Error).message}`);
    }
  }
  if ([...TYPESCRIPT_EXTENSIONS, '.js', '.mjs', '.cjs'].includes(ext)) return { spec: await importSpec(path, configPath), source: configPath };
  throw new UsageError(`--config ${configPath}: use a .json file or a .ts/.js module exporting 'fleet'`);
}

async function importSpec(path: string, label: string): Promise<FleetSpec> {
  let module: Record<string, unknown>;
  const typescript = TYPESCRIPT_EXTENSIONS.includes(extname(path));
  const tsx = typescript ? tsxLoader(path) : undefined;
  try {
    // tsx's loader, once imported, compiles TypeScript for every later import of this process.
    if (tsx) await import(tsx);
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const hint = typescript && !tsx ? ' (a TypeScript config needs tsx in your project: npm install --save-dev tsx; or use a .js or .json config)' : '';
    throw new UsageError(`cannot load ${label}: ${(error as Error).message}${hint}`);
  }
  const spec = (module.fleet ?? module.default) as FleetSpec | undefined;
  if (!spec || typeof spec !== 'object') throw new UsageError(`${label} must export the fleet declaration as 'fleet' (or default)`);
  return spec;
}

/**
 * tsx's loader, to load a TypeScript config: the one the config's project has (a `cdk init` app has it), else our own
 * (a checkout's). The installed package does not depend on tsx; without it, Node loads what it can itself.
 */
function tsxLoader(path: string): string | undefined {
  for (const base of [path, import.meta.url]) {
    try {
      return pathToFileURL(createRequire(base).resolve('tsx')).href;
    } catch {
      // not installed there
    }
  }
  return undefined;
}
