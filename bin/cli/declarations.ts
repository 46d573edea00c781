// Loading monitor declarations for the CLI: the CDK app's bin/monitors.ts by default, or a --config file.
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FleetSpec } from '../../functions/shared/domain';
import { UsageError } from './usage';

/** The declarations the CDK app deploys. */
export const DEFAULT_DECLARATIONS = new URL('../monitors.ts', import.meta.url);

/**
 * Reads a fleet declaration. JSON files hold a FleetSpec object; .ts/.js/.mjs modules export it as `fleet`
 * (or as their default export).
 */
export async function loadFleetSpec(configPath?: string): Promise<{ spec: FleetSpec; source: string }> {
  if (configPath === undefined) {
    return { spec: await importSpec(DEFAULT_DECLARATIONS.href, 'bin/monitors.ts'), source: 'bin/monitors.ts' };
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
      return { spec: JSON.parse(text) as FleetSpec, source: configPath };
    } catch (error) {
      throw new UsageError(`--config ${configPath} is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) return { spec: await importSpec(pathToFileURL(path).href, configPath), source: configPath };
  throw new UsageError(`--config ${configPath}: use a .json file or a .ts/.js module exporting 'fleet'`);
}

async function importSpec(url: string, label: string): Promise<FleetSpec> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`cannot load ${label}: ${(error as Error).message}`);
  }
  const spec = (module.fleet ?? module.default) as FleetSpec | undefined;
  if (!spec || typeof spec !== 'object') throw new UsageError(`${label} must export the fleet declaration as 'fleet' (or default)`);
  return spec;
}
