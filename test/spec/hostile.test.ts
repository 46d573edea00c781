// Hostile declarations: whatever the value, the validator returns problems naming monitor and field, or a valid
// fleet; it never throws. The file-sized cases are bad-spec fixtures; the ones too big for a file are built here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveFleet, resolveMonitor, validateFleet, type FleetSpec } from '../../functions/shared/domain';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const monitor = { id: 'orders-db', host: 'orders.example.internal', port: 5432 };

function nested(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

/** validateFleet and resolveFleet agree: a valid fleet resolves, an invalid one throws ConfigError with the same problems. */
function judge(spec: unknown): string[] {
  const problems = validateFleet(spec as FleetSpec).map((p) => p.message);
  try {
    resolveFleet(spec as FleetSpec);
    expect(problems).toEqual([]);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.message)).toEqual(problems);
  }
  return problems;
}

describe('values too big for a fixture file', () => {
  it('names the field of a value nested 100,000 levels deep, showing only its first levels', () => {
    const deepArray = nested(100_000, 1, (v) => [v]);
    const deepObject = nested(100_000, 1, (v) => ({ a: v }));
    expect(judge({ regions: REGIONS, monitors: [{ ...monitor, port: deepObject, tags: deepArray }] })).toEqual([
      `Monitor 'orders-db': port {"a":{"a":{"a":{…}}}} is not a TCP port (use a whole number from 1 to 65535)`,
      "Monitor 'orders-db': tags must be an object of string values, e.g. { team: 'payments' }",
    ]);
    expect(judge({ regions: REGIONS, monitors: [monitor], canary: deepObject })).toEqual([
      "Fleet: unknown field 'canary.a' (use 'host', 'port', 'timeoutMs')",
      'Fleet: canary.host is empty (name a target every region can always reach)',
      'Fleet: canary.port undefined is not a TCP port (use a whole number from 1 to 65535)',
    ]);
    expect(judge(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toEqual(['Fleet: the declaration must be an object with regions and monitors']);
  });

  it('cuts a 1 MB id or host in the message and says how long it was', () => {
    const huge = 'a'.repeat(1 << 20);
    const shown = `${'a'.repeat(80)}… (1048576 characters)`;
    expect(judge({ regions: REGIONS, monitors: [{ ...monitor, id: huge }] })).toEqual([
      `Monitor '${shown}': id '${shown}' is not allowed (use 1–64 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit)`,
    ]);
    expect(judge({ regions: REGIONS, monitors: [{ ...monitor, host: huge }] })).toEqual([
      `Monitor 'orders-db': host '${shown}' is not a valid DNS name or IP address (use labels of letters, digits and '-' joined by single dots)`,
    ]);
    expect(judge({ regions: REGIONS, monitors: [{ ...monitor, [huge]: 1 }] })[0]).toContain(`unknown field '${shown}'`);
  });

  it('keeps tag keys and groups named like Object.prototype members as plain names', () => {
    const fleet = resolveFleet({
      regions: REGIONS,
      groups: { constructor: { regions: ['eu-west-1'] } },
      monitors: [{ ...monitor, group: 'constructor', tags: { constructor: 'a', toString: 'b', hasOwnProperty: 'c' } }],
    });
    expect(fleet.monitors[0]!.regions).toEqual(['eu-west-1']);
    expect(Object.entries(fleet.monitors[0]!.tags)).toEqual([['constructor', 'a'], ['toString', 'b'], ['hasOwnProperty', 'c']]);
    expect(Object.getPrototypeOf(fleet.monitors[0]!.tags)).toBe(Object.prototype);
  });

  it('resolveMonitor (the CLI check) reports instead of throwing anything but ConfigError', () => {
    for (const spec of [null, [], 'x', { ...monitor, tls: null }, { ...monitor, timeoutMs: JSON.parse('{"__proto__": null}') }]) {
      expect(() => resolveMonitor(spec as never)).toThrow(ConfigError);
    }
  });
});

/** Keys that are special in JavaScript objects, mixed into every generated object. */
const nastyKey = fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'id', 'host', 'port', 'regions');
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, Infinity, -Infinity, Number.NaN, 1e400, -0, '', '\uFEFF', '169.254.169.254', 'fe80::1%eth0'),
  fc.dictionary(nastyKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
/** Something shaped like a monitor: real field names with arbitrary values, and stray keys. */
const monitorLike = fc.record({
  id: fc.oneof(fc.constantFrom('orders-db', 'a', 'constructor'), anyValue),
  host: fc.oneof(fc.constantFrom('orders.example.internal', '::1', '0xa9fea9fe'), anyValue),
  port: fc.oneof(fc.integer({ min: -1, max: 70_000 }), anyValue),
  preset: anyValue, send: anyValue, expect: anyValue, http: anyValue, tls: anyValue, starttls: anyValue, timeoutMs: anyValue,
  tags: fc.oneof(fc.dictionary(nastyKey, anyValue, { maxKeys: 3 }), anyValue), regions: anyValue, quorum: anyValue,
  interval: anyValue, maintenance: fc.oneof(fc.array(anyValue, { maxLength: 3 }), anyValue), group: fc.oneof(nastyKey, anyValue),
}, { requiredKeys: [] }).chain((m) => fc.dictionary(nastyKey, anyValue, { maxKeys: 2 }).map((extra) => ({ ...m, ...extra })));
const fleetLike = fc.record({
  regions: fc.oneof(fc.constant(REGIONS), anyValue),
  homeRegion: anyValue,
  canary: anyValue,
  monitorDefaults: fc.oneof(monitorLike, anyValue),
  groups: fc.oneof(fc.dictionary(nastyKey, fc.oneof(fc.record({ regions: fc.oneof(fc.constant(['eu-west-1']), anyValue) }), anyValue), { maxKeys: 3 }), anyValue),
  monitors: fc.oneof(fc.array(fc.oneof(monitorLike, anyValue), { maxLength: 4 }), anyValue),
}, { requiredKeys: [] });

describe('property: arbitrary declarations', () => {
  it('any JSON value gives problems or a fleet, never an exception', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      judge(value);
    }), { numRuns: 300 });
  });

  it('fleet-shaped objects with arbitrary values and prototype-named keys give problems or a fleet', () => {
    fc.assert(fc.property(fleetLike, (spec) => {
      // An id may hold any character (a quote, a newline): the prefix shows it as written.
      for (const problem of validateFleet(spec as FleetSpec)) expect(problem.message).toMatch(/^(Monitor '[\s\S]+'|Monitor #\d+|Fleet): \S/);
      judge(spec);
    }), { numRuns: 400 });
  });

  it('the same, after a trip through JSON (where __proto__ becomes an own key)', () => {
    fc.assert(fc.property(fleetLike, (spec) => {
      const text = JSON.stringify(spec, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? 1e400 : value));
      if (text !== undefined) judge(JSON.parse(text.replaceAll('"constructor"', '"__proto__"')));
    }), { numRuns: 300 });
  });
});
