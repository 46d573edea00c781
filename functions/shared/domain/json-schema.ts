// The fleet declaration as JSON Schema, for editors: autocomplete and inline errors in a JSON fleet config that says
// `"$schema": "./node_modules/portquorum/schema/fleet.schema.json"`. Generated from SCHEMA; `npm run schema` writes it.
import { z } from 'zod';
import { SCHEMA } from './schema';

/** A name, not an address: editors find the file through a fleet config's `$schema` path. */
export const FLEET_JSON_SCHEMA_ID = 'urn:portquorum:fleet-schema:1';

/** The JSON Schema of a fleet declaration (draft 2020-12), as checked in at schema/fleet.schema.json. */
export function fleetJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(SCHEMA.fleet, { io: 'input', target: 'draft-2020-12', unrepresentable: 'throw'}) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: FLEET_JSON_SCHEMA_ID,
    title: 'portquorum fleet',
    ...rest,
    description: 'A portquorum fleet declaration: the regions that probe and the monitors (TCP targets and how to check them). '
      + 'Checks that compare fields (quorum against regions, timeouts against each other…) run in `portquorum test` and `cdk synth`.',
  };
}

/** The file's text: two-space JSON and a final newline, so a regenerated file diffs cleanly. */
export function fleetJsonSchemaText(): string {
  return `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`;
}
