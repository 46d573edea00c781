// Writes schema/fleet.schema.json from the declaration schema: `npm run schema` after changing a field.
import { writeFileSync } from 'node:fs';
import { fleetJsonSchemaText } from '../functions/shared/domain/json-schema';

const FLEET_SCHEMA_FILE = new URL('../schema/fleet.schema.json', import.meta.url);

writeFileSync(FLEET_SCHEMA_FILE, fleetJsonSchemaText());
process.stdout.write(`wrote ${FLEET_SCHEMA_FILE.pathname}\n`);
