// The README's monitor field table, the schema's JSDoc @default tags and the CLI's flags agree with the declaration
// schema: every field documented with its default, no documented field that does not exist, every check flag a field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECK_FLAGS } from '../../bin/cli/check';
import { DEFAULTS, SCHEMA } from '../../functions/shared/domain';
import { fleetJsonSchema } from '../../functions/shared/domain/json-schema';
import { runCli } from '../support/cli';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const SCHEMA_SOURCE = readFileSync(new URL('../../functions/shared/domain/schema.ts', import.meta.url), 'utf8');
const MONITOR_FIELDS = Object.keys(SCHEMA.monitorFields);

/** The README's `| field | meaning | default |` table: the field names of each row and its default cell. */
function fieldTable(): { names: string[]; defaultCell: string }[] {
  const start = README.indexOf('| field | meaning | default |');
  expect(start, 'README has the monitor field table').toBeGreaterThan(0);
  const table = README.slice(start, README.indexOf('\n\n', start)).split('\n').slice(2);
  return table.map((row) => {
    const cells = row.split(' | ');
    return { names: [...cells[0]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!), defaultCell: cells[cells.length - 1]!.replace(/ \|$/, '') };
  });
}

/** How a default appears in prose: each primitive leaf of it, `[]` also as "none". */
function leaves(value: unknown): string[][] {
  if (Array.isArray(value)) return value.length === 0 ? [['[]', 'none']] : value.flatMap(leaves);
  if (typeof value === 'object' && value !== null) return Object.keys(value).length === 0 ? [['{}']] : Object.values(value).flatMap(leaves);
  return [[String(value)]];
}

function mentions(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`(?<![\\w.])${escaped}(?![\\w])`).test(text);
}

/** A field's own default in the schema (undefined when it has none, or one that depends on other fields). */
function ownDefault(schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }): unknown {
  const parsed = schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

describe("README's monitor field table", () => {
  const rows = fieldTable();

  it('has a row for every field of the schema', () => {
    const documented = rows.flatMap((r) => r.names);
    for (const field of MONITOR_FIELDS) expect(documented, field).toContain(field);
  });

  it('names no field the schema lacks', () => {
    for (const { names } of rows) for (const name of names) expect(MONITOR_FIELDS, name).toContain(name);
  });

  it("shows each field's default as the schema has it", () => {
    for (const { names, defaultCell } of rows) {
      for (const name of names) {
        const fallback = (DEFAULTS as Record<string, unknown>)[name];
        if (fallback === undefined) continue;
        for (const spellings of leaves(fallback)) {
          expect(spellings.some((s) => mentions(defaultCell, s)), `${name}: default ${JSON.stringify(fallback)} not in '${defaultCell}'`).toBe(true);
        }
      }
    }
  });

  it('mentions every fleet field', () => {
    for (const field of Object.keys(SCHEMA.fleetFields)) expect(README, field).toContain(`\`${field}\``);
  });
});

describe("the schema's JSDoc @default tags", () => {
  /** `@default X` of each property in a `const NAME = …({ … })` block of schema.ts. */
  function jsdocDefaults(block: string): Map<string, string> {
    const start = SCHEMA_SOURCE.indexOf(`const ${block} = `);
    expect(start, block).toBeGreaterThan(0);
    const end = SCHEMA_SOURCE.indexOf('\n  };', start) > 0 && block === 'monitorFields' ? SCHEMA_SOURCE.indexOf('\n  };', start) : SCHEMA_SOURCE.indexOf('\n  })', start);
    const text = SCHEMA_SOURCE.slice(start, end);
    return new Map([...text.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*\n\s*(\w+):/g)]
      .flatMap((m) => (/@default (.*?)\s*$/.exec(m[1]!) ? [[m[2]!, /@default (.*?)\s*$/.exec(m[1]!)![1]!] as [string, string]] : [])));
  }

  it.each([
    ['monitorFields', SCHEMA.monitorFields],
    ['tlsOptions', SCHEMA.tlsOptions.shape],
    ['http', SCHEMA.http.shape],
    ['timeouts', SCHEMA.timeouts.shape],
    ['canary', SCHEMA.canary.shape],
  ] as const)('in %s say what the schema defaults to', (block, shape) => {
    const tags = jsdocDefaults(block);
    for (const [name, schema] of Object.entries(shape)) {
      const fallback = ownDefault(schema as never);
      if (fallback === undefined) continue;
      const tag = tags.get(name);
      expect(tag, `${block}.${name} has a default, so its JSDoc says @default`).toBeDefined();
      for (const spellings of leaves(fallback)) expect(spellings.some((s) => mentions(tag!, s)), `${block}.${name}: @default ${tag} vs ${JSON.stringify(fallback)}`).toBe(true);
    }
  });
});

describe('CLI flags', () => {
  /** The JSON Schema node at a dotted monitor field path, through unions. */
  function nodeAt(path: string): unknown {
    const schema = fleetJsonSchema() as { properties: { monitors: { items: unknown } } };
    let nodes: unknown[] = [schema.properties.monitors.items];
    for (const part of path.split('.')) {
      const expand = (n: unknown): unknown[] => {
        const node = n as { anyOf?: unknown[]; oneOf?: unknown[]; properties?: Record<string, unknown> };
        return [...(node.anyOf ?? node.oneOf ?? []).flatMap(expand), ...(node.properties?.[part] !== undefined ? [node.properties[part]] : [])];
      };
      nodes = nodes.flatMap(expand);
    }
    return nodes[0];
  }

  it("every option of 'portquorum check' maps to a field of the schema", async () => {
    const help = (await runCli(['check', '--help'])).stdout;
    const flags = [...help.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]!).filter((f) => !['json', 'verbose-json', 'help'].includes(f));
    expect(flags.length).toBeGreaterThan(10);
    expect(flags.sort()).toEqual(Object.keys(CHECK_FLAGS).sort());
    for (const flag of flags) expect(nodeAt(CHECK_FLAGS[flag]!), `--${flag} → ${CHECK_FLAGS[flag]}`).toBeDefined();
  });

  it("every flag the README gives a portquorum command is in that command's --help", async () => {
    const commands = ['check', 'test', 'local', 'status', 'cost'];
    const helps = new Map(await Promise.all(commands.map(async (c) => [c, (await runCli([c, '--help'])).stdout] as const)));
    let checked = 0;
    for (const [, command, rest] of README.matchAll(/portquorum (\w+)([^\n`]*)/g)) {
      if (!helps.has(command!)) continue;
      for (const [, flag] of rest!.matchAll(/(?<![\w-])--([a-z][a-z-]+)/g)) {
        expect(helps.get(command!), `portquorum ${command} --${flag}`).toContain(`--${flag}`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });
});
