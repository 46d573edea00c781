// The checked-in JSON Schema is what the declaration schema generates, and a JSON fleet config that uses it is valid.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { SCHEMA, validateFleet } from '../../functions/shared/domain';
import { FLEET_JSON_SCHEMA_ID, fleetJsonSchema, fleetJsonSchemaText } from '../../functions/shared/domain/json-schema';

const FILE = new URL('../../schema/fleet.schema.json', import.meta.url);

describe('schema/fleet.schema.json', () => {
  it('is exactly what the schema generates (run `npm run schema` after changing a field)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(fleetJsonSchemaText());
  });

  it('names itself and describes the fleet, every monitor field and its default', () => {
    const schema = fleetJsonSchema() as {
      $id: string; $schema: string; description: string;
      properties: { monitors: { items: { properties: Record<string, { description?: string; default?: unknown }>; required: string[] } } };
    };
    expect(schema.$id).toBe(FLEET_JSON_SCHEMA_ID);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.description).toMatch(/portquorum fleet/);
    const monitor = schema.properties.monitors.items;
    expect(Object.keys(monitor.properties)).toEqual(Object.keys(SCHEMA.monitorFields));
    expect(monitor.required).toEqual(['id', 'host', 'port']);
    for (const [field, property] of Object.entries(monitor.properties)) expect(property.description, field).toBeTruthy();
    expect(monitor.properties.retries!.default).toBe(1);
    expect(monitor.properties.timeoutMs!.default).toEqual({ dns: 2000, connect: 3000, tls: 3000, expect: 3000, total: 5000 });
  });

  it('a JSON config may carry $schema and localTargets beside the fleet', () => {
    expect(validateFleet({
      $schema: './node_modules/portquorum/schema/fleet.schema.json',
      regions: ['eu-west-1'],
      localTargets: [{ name: 'db', kind: 'tcp', port: 5432 }],
      monitors: [{ id: 'db', host: '127.0.0.1', port: 5432 }],
    })).toEqual([]);
  });
});

describe('the Lambda bundles', () => {
  // The functions read a resolved fleet.json; the validator (zod and the schema) must not ride along.
  it.each(['probe', 'aggregate', 'sweeper'])('%s leaves the declaration schema out and stays under 150 KB', async (name) => {
    const result = await build({
      entryPoints: [new URL(`../../functions/${name}/handler.ts`, import.meta.url).pathname],
      bundle: true, platform: 'node', format: 'esm', minify: true, write: false, external: ['@aws-sdk/*'], logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    // zod's own issue code, and a message only the declaration schema holds.
    expect(code.includes('invalid_union'), 'zod in the bundle').toBe(false);
    expect(code.includes('does not align to the minute'), 'the declaration schema in the bundle').toBe(false);
    expect(code.length).toBeLessThanOrEqual(150 * 1024);
  });
});
