// The checked-in JSON Schema is what the declaration schema generates, and a JSON fleet config that uses it is valid.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA, validateFleet } from '../../functions/shared/domain';
import { bundleFromSource } from '../../lib/bundling';
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
  // The functions read a resolved fleet.json; the validator (zod and the schema) must not ride along. Bundled with the
  // deployed options (lib/bundling.ts): modules loaded on demand, such as the probe's regex engine, are files of their own.
  it.each(['probe', 'aggregate', 'sweeper'] as const)('%s leaves the declaration schema out and its index.mjs stays under 150 KB', (name) => {
    const files = bundleFromSource(name).files.filter((f) => f.name.endsWith('.mjs'));
    const text = (f: { contents: Uint8Array }) => Buffer.from(f.contents).toString('utf8');
    for (const file of files) {
      // zod's own issue code, and a message only the declaration schema holds.
      expect(text(file).includes('invalid_union'), `zod in ${file.name}`).toBe(false);
      expect(text(file).includes('does not align to the minute'), `the declaration schema in ${file.name}`).toBe(false);
    }
    const index = files.find((f) => f.name === 'index.mjs')!;
    expect(index.contents.length).toBeLessThanOrEqual(150 * 1024);
    // re2js (~150 KB) is never part of what a cold start loads: index.mjs only imports it on demand, if at all.
    expect(text(index).includes('unsupported Perl syntax'), 're2js in index.mjs').toBe(false);
    expect(/(^|;)import[^;]*from"\.\//.test(text(index)), 'index.mjs imports a chunk statically').toBe(false);
  });

  it('the probe loads the regex engine from its own file', () => {
    const bundle = bundleFromSource('probe').files.filter((f) => f.name.endsWith('.mjs'));
    expect(bundle.some((f) => /^pattern-\w+\.mjs$/.test(f.name))).toBe(true);
    expect(bundle.some((f) => f.name !== 'index.mjs' && Buffer.from(f.contents).toString('utf8').includes('unsupported Perl syntax'))).toBe(true);
  });
});
