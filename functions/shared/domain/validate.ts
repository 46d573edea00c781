// Validation and resolution of fleet and monitor declarations against the schema: every problem at once, each naming
// monitor and field, in the schema's field order; whatever the value (null, a prototype name, 100,000 levels deep).
import type { z } from 'zod';
import { DEFAULT_MONITORS_PER_PROBE, fleetProbeShards, MAX_PROBE_SHARDS } from './probe-shards';
import { ConfigError, type ConfigProblem } from './errors';
import { FLEET_CONFIG_SCHEMA_VERSION, type FleetConfig } from './fleet';
import { majority } from './monitor';
import { cut, list, suggest } from './quote';
import {
  FLEET_RULES, MONITOR_RULES, effectiveRegions, effectiveTimeouts, isPrivate, wantsTls,
  type Finding, type FleetContext, type MonitorView,
} from './rules';
import { vantagesOf } from './reach';
import { SCHEMA, type FleetSpec, type MonitorSpec, type ResolvedMonitor } from './schema';

export interface ValidateOptions {
  /** When given, every region must be one of these (the CDK app passes AWS's region names). @default any name */
  knownRegions?: readonly string[];
}

/** Common misspellings and names from other tools, mapped to ours. */
const FIELD_HINTS: Readonly<Record<string, string>> = {
  timeout: 'timeoutMs', name: 'id', hostname: 'host', target: 'host', address: 'host', interval_seconds: 'interval',
  intervalSeconds: 'interval', threshold: 'failureThreshold', region: 'regions', labels: 'tags', starttls_protocol: 'starttls',
  protocol: 'preset', type: 'preset', retry: 'retries', ipFamily: 'family', expect_closed: 'expectClosed',
};

/** Resolves a fleet declaration, or throws ConfigError listing every problem. */
export function resolveFleet(spec: FleetSpec, options: ValidateOptions = {}): FleetConfig {
  const { config, problems } = checkFleet(spec, options);
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config;
}

/** Every problem in a fleet declaration (empty when valid). */
export function validateFleet(spec: FleetSpec, options: ValidateOptions = {}): ConfigProblem[] {
  return checkFleet(spec, options).problems;
}

/** Resolves one monitor outside a fleet (the CLI's `check`), or throws ConfigError. */
export function resolveMonitor(spec: MonitorSpec, fleetRegions: string[] = ['local']): ResolvedMonitor {
  const problems: ConfigProblem[] = [];
  const monitor = checkMonitor(spec, 0, { regions: fleetRegions, groups: {} }, problems);
  if (problems.length > 0 || !monitor) throw new ConfigError(problems);
  return monitor;
}

function checkFleet(spec: unknown, options: ValidateOptions): { config?: FleetConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const report = (findings: Finding[]) => {
    for (const { field, text } of sortByField(findings, FLEET_FIELDS())) problems.push({ monitor: 'fleet', field, message: `Fleet: ${text}` });
  };
  if (!isPlainObject(spec)) {
    report([{ field: '', text: 'the declaration must be an object with regions and monitors' }]);
    return { problems };
  }
  // Monitors are checked one by one below (with monitorDefaults merged in); here only that they are a list.
  const findings: Finding[] = unknownFields(spec, FLEET_FIELDS(), {}, '');
  const valid: Record<string, unknown> = {};
  for (const field of FLEET_FIELDS()) {
    if (field === 'monitors' || field === 'monitorDefaults') continue;
    checkField(SCHEMA.fleetFields[field], spec, field, findings, valid);
  }
  const defaults = spec.monitorDefaults;
  if (defaults !== undefined && !isPlainObject(defaults)) {
    findings.push({ field: 'monitorDefaults', text: "monitorDefaults must be an object of monitor fields, e.g. { tags: { team: 'platform' } }" });
  }
  if (!Array.isArray(spec.monitors)) findings.push({ field: 'monitors', text: 'monitors must be a list of monitor declarations' });
  const fleetView = { valid: valid as Partial<z.output<typeof SCHEMA.fleet>>, knownRegions: options.knownRegions };
  for (const rule of FLEET_RULES) findings.push(...asList(rule(fleetView)));
  report(findings);
  if (!Array.isArray(spec.monitors)) return { problems };

  // Monitors are judged against the regions that were written out well, so one bad region is reported once.
  const regions = [...new Set((Array.isArray(spec.regions) ? spec.regions : []).filter((r): r is string => typeof r === 'string' && r !== ''))];
  const groups = declaredGroups(spec.groups);
  const context: FleetContext = { regions, groups };
  const hasDefaults = isPlainObject(defaults) && Object.keys(defaults).length > 0;
  const monitors: ResolvedMonitor[] = [];
  const ids = new Map<string, number>();
  spec.monitors.forEach((declared: unknown, index: number) => {
    const merged = isPlainObject(declared) && hasDefaults ? withDefaults(defaults, declared) : declared;
    const monitor = checkMonitor(merged, index, context, problems);
    if (monitor) monitors.push(monitor);
    const id = isPlainObject(declared) ? declared.id : undefined;
    // An empty id was reported as missing; two of them are not a duplicate.
    if (typeof id !== 'string' || id === '') return;
    const first = ids.get(id);
    if (first === undefined) ids.set(id, index);
    else {
      problems.push({
        monitor: id, field: 'id',
        message: `Monitor '${cut(id)}': id is used by monitors #${first + 1} and #${index + 1} (ids must be unique: they key state and alerts)`,
      });
    }
  });
  const statusPage = fleetView.valid.statusPage;
  if (statusPage) {
    const known = [...ids.keys()];
    const unknown = (field: string, id: string) => problems.push({
      monitor: 'fleet', field, message: `Fleet: ${field} names '${cut(id)}', which is not a monitor of this fleet${suggest(id, known)}`,
    });
    for (const id of statusPage.monitors ?? []) if (!ids.has(id)) unknown('statusPage.monitors', id);
    for (const [name, members] of Object.entries(statusPage.groups ?? {})) for (const id of members) if (!ids.has(id)) unknown(`statusPage.groups.${cut(name)}`, id);
  }
  problems.push(...dependencyProblems(monitors, ids));
  problems.push(...shardProblems({ regions, groups, monitors, monitorsPerProbe: fleetView.valid.monitorsPerProbe }));
  if (problems.length > 0) return { problems };
  const canary = fleetView.valid.canary;
  return {
    problems,
    config: {
      schemaVersion: FLEET_CONFIG_SCHEMA_VERSION,
      regions,
      homeRegion: fleetView.valid.homeRegion ?? regions[0] ?? '',
      ...(canary ? { canary: { host: canary.host, port: canary.port, timeoutMs: canary.timeoutMs } } : {}),
      groups,
      monitors,
      ...(fleetView.valid.monitorsPerProbe !== undefined ? { monitorsPerProbe: fleetView.valid.monitorsPerProbe } : {}),
      ...(statusPage ? { statusPage } : {}),
    },
  };
}

/** A probe function split into more shards than its schedule can start is refused, saying how the count came about. */
function shardProblems(fleet: Parameters<typeof fleetProbeShards>[0]): ConfigProblem[] {
  const perProbe = fleet.monitorsPerProbe ?? DEFAULT_MONITORS_PER_PROBE;
  return fleetProbeShards(fleet).filter((f) => f.shards > MAX_PROBE_SHARDS).map((f) => ({
    monitor: 'fleet', field: 'monitorsPerProbe',
    message: `Fleet: the ${f.group === undefined ? 'public probes' : `probe group '${f.group}'`} in ${f.region} would run as ${f.shards} shards (${f.monitors} monitors, monitorsPerProbe ${perProbe}); at most ${MAX_PROBE_SHARDS} shards a probe function can be scheduled: raise monitorsPerProbe to at least ${Math.ceil(f.monitors / MAX_PROBE_SHARDS)}`,
  }));
}

/**
 * dependsOn names declared monitors, never the monitor itself, and makes no cycle (a → b → a would let each one's
 * DOWN hide in the other's incident). Judged over the monitors that resolved; every id declared counts as known.
 */
function dependencyProblems(monitors: readonly ResolvedMonitor[], ids: ReadonlyMap<string, number>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = [...ids.keys()];
  const edges = new Map<string, string[]>();
  for (const monitor of monitors) {
    const label = cut(monitor.id);
    const problem = (message: string) => problems.push({ monitor: label, field: 'dependsOn', message: `Monitor '${label}': ${message}` });
    const good: string[] = [];
    for (const id of new Set(monitor.dependsOn ?? [])) {
      if (id === monitor.id) problem(`dependsOn names the monitor itself (list the monitors it depends on, e.g. the router in front of it)`);
      else if (!ids.has(id)) problem(`dependsOn '${cut(id)}' is not a monitor of this fleet${suggest(id, known) || ' (name the id of a declared monitor)'}`);
      else good.push(id);
    }
    edges.set(monitor.id, good);
  }
  // A cycle is reported once, by its smallest id, as the path that closes it.
  const reported = new Set<string>();
  for (const start of [...edges.keys()].sort()) {
    const path = cycleFrom(start, edges);
    if (!path || reported.has(path.slice(0, -1).sort().join(' '))) continue;
    reported.add(path.slice(0, -1).sort().join(' '));
    problems.push({
      monitor: cut(start), field: 'dependsOn',
      message: `Monitor '${cut(start)}': dependsOn makes a cycle ${path.map((id) => `'${cut(id)}'`).join(' → ')} (a monitor cannot depend on itself through others; remove one of these dependencies)`,
    });
  }
  return problems;
}

/** The shortest path of dependencies from `start` back to it (start … start), or undefined. */
function cycleFrom(start: string, edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of edges.get(at) ?? []) {
      if (next === start) {
        const path = [at];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return [...path, start];
      }
      if (!parent.has(next) && next !== start) {
        parent.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** Checks one monitor, pushing its problems; returns the resolved monitor when it has none. */
function checkMonitor(declared: unknown, index: number, fleet: FleetContext, problems: ConfigProblem[]): ResolvedMonitor | undefined {
  if (!isPlainObject(declared)) {
    problems.push({ monitor: `#${index + 1}`, field: '', message: `Monitor #${index + 1}: must be an object with id, host and port` });
    return undefined;
  }
  const label = cut(typeof declared.id === 'string' && declared.id !== '' ? declared.id : `#${index + 1}`);
  const findings = unknownFields(declared, MONITOR_FIELDS(), FIELD_HINTS, '');
  // The common case, a valid monitor, is one parse; only a bad one is taken apart field by field to say what is wrong.
  // zod drops a `__proto__` key of a record without a word, so a monitor with one takes the long way and hears why.
  const parsed = findings.length === 0 && !RECORD_FIELDS().some((f) => isPlainObject(declared[f]) && Object.hasOwn(declared[f], '__proto__'))
    ? SCHEMA.monitor.safeParse(declared)
    : undefined;
  let valid: Record<string, unknown>;
  if (parsed?.success) valid = parsed.data;
  else {
    valid = {};
    for (const field of MONITOR_FIELDS()) checkField(SCHEMA.monitorFields[field], declared, field, findings, valid);
  }
  const view: MonitorView = { valid: valid as MonitorView['valid'], raw: declared };
  for (const rule of MONITOR_RULES) {
    const found = rule(view, fleet);
    if (found === undefined) continue;
    if (Array.isArray(found)) findings.push(...found);
    else findings.push(found);
  }
  if (findings.length > 0) {
    for (const { field, text } of sortByField(findings, MONITOR_FIELDS())) problems.push({ monitor: label, field, message: `Monitor '${label}': ${text}` });
    return undefined;
  }
  return resolve(view, fleet);
}

/**
 * The resolved monitor: the schema's output (a fresh object, so it is completed in place rather than copied, which
 * matters at 100,000 monitors) plus what depends on other fields: regions, quorum, timeouts, TLS and HTTP options.
 */
function resolve(view: MonitorView, fleet: FleetContext): ResolvedMonitor {
  const resolved = view.valid as Record<string, unknown>;
  const regions = [...effectiveRegions(view, fleet)!];
  resolved.timeoutMs = effectiveTimeouts(view);
  resolved.regions = regions;
  resolved.quorum = view.valid.quorum ?? majority(regions.length);
  if (wantsTls(view.raw)) resolved.tls = typeof view.valid.tls === 'object' ? view.valid.tls : SCHEMA.tlsOptions.parse({});
  else if (resolved.tls !== undefined) delete resolved.tls;
  // The probe audits a private port as it checks expectClosed: connecting is the failure (with what answered).
  // reach.public 'closed' is the same audit, written the other way.
  if (isPrivate(view.valid)) {
    resolved.exposure = 'private';
    resolved.expectClosed = true;
  }
  const vantages = vantagesOf(view.valid.reach, fleet.groups, view.valid.quorum);
  if (vantages.length > 0) resolved.vantages = vantages;
  // Off is left out, as a fleet.json written before watch mode has it: every function's fleet file stays as it was.
  if (resolved.watch !== true) delete resolved.watch;
  if (view.valid.preset === 'http') {
    const http = view.valid.http ?? SCHEMA.http.parse({});
    resolved.http = { ...http, status: typeof http.status === 'number' ? [http.status, http.status] : http.status };
  }
  return resolved as ResolvedMonitor;
}

/** Checks one field of a declaration; when it passes, its value with defaults goes into `valid`. */
function checkField(schema: z.ZodType, declared: Record<string, unknown>, field: string, findings: Finding[], valid: Record<string, unknown>): void {
  const before = findings.length;
  walk(schema, declared[field], [field], findings, undefined);
  if (findings.length > before) return;
  const parsed = schema.safeParse(declared[field]);
  if (parsed.success && parsed.data !== undefined) valid[field] = parsed.data;
}

type Path = (string | number)[];
/** Marks an issue no check of ours put a message on: the nearest enclosing check with a message speaks instead. */
const UNWORDED = '\u0000unworded';

/**
 * Reports what is wrong with `value` against `schema`, down to the value that is wrong. zod's own union check says
 * only "no option matched"; here the option is chosen by the value's shape (a string, `{ regex }`, `{ days }`…) so the
 * message names the part that is wrong. Object keys are own keys only, so `__proto__` and `constructor` are plain
 * names; the depth walked is the schema's, never the value's.
 */
function walk(schema: z.ZodType, value: unknown, path: Path, findings: Finding[], speaker: { schema: z.ZodType; value: unknown; path: Path } | undefined): void {
  const def = schema._zod.def as unknown as Def;
  const here = def.error ? { schema, value, path } : speaker;
  const say = (issues: readonly z.core.$ZodIssue[]) => {
    for (const issue of issues) {
      if (issue.message !== UNWORDED) findings.push(finding([...path, ...(issue.path as Path)], issue.message));
      else if (here) findings.push(finding(here.path, wording(here.schema, here.value)));
      else findings.push(finding([...path, ...(issue.path as Path)], `${renderPath([...path, ...(issue.path as Path)])} is not valid`));
    }
  };
  const own = () => {
    const result = schema.safeParse(value, { error: () => UNWORDED });
    if (!result.success) say(dedupe(result.error.issues));
  };
  switch (def.type) {
    case 'optional':
    case 'default':
      if (value !== undefined) walk(def.innerType!, value, path, findings, here);
      return;
    case 'union': {
      const option = pickOption(def.options!, value);
      if (option) walk(option, value, path, findings, here);
      else own();
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) return own();
      const before = findings.length;
      const shape = def.shape!;
      findings.push(...unknownFields(value, Object.keys(shape), {}, renderPath(path)));
      for (const [key, child] of Object.entries(shape)) walk(child, value[key], [...path, key], findings, here);
      if (findings.length === before) own();
      return;
    }
    case 'record': {
      if (!isPlainObject(value)) return own();
      const before = findings.length;
      for (const key of Object.keys(value)) {
        const keyFindings = findings.length;
        walk(def.keyType!, key, [...path, key], findings, undefined);
        if (key === '__proto__') {
          // zod would drop this key without a word; JavaScript objects cannot hold it safely.
          if (findings.length === keyFindings) findings.push(finding([...path, key], `key '__proto__' in ${renderPath(path)} is not allowed (JavaScript reserves the name; choose another)`));
          continue;
        }
        walk(def.valueType!, value[key], [...path, key], findings, here);
      }
      if (findings.length === before) own();
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) return own();
      const before = findings.length;
      value.forEach((element, i) => walk(def.element!, element, [...path, i], findings, here));
      if (findings.length === before) own();
      return;
    }
    default:
      own();
  }
}

interface Def {
  type: string;
  error?: (issue: { input: unknown; code: string }) => unknown;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
}

/** The message a check with its own wording gives for this value. */
function wording(schema: z.ZodType, value: unknown): string {
  const said = (schema._zod.def as unknown as Def).error?.({ input: value, code: 'custom' });
  return typeof said === 'string' ? said : 'is not valid';
}

/** The union option a value was meant for: the one of its JavaScript type, or among objects the one sharing most keys. */
function pickOption(options: readonly z.ZodType[], value: unknown): z.ZodType | undefined {
  const fitting = options.filter((option) => kindsOf(option).includes(kindOf(value)));
  if (fitting.length <= 1 || !isPlainObject(value)) return fitting[0];
  const keys = Object.keys(value);
  const scored = fitting.map((option) => {
    const shape = (unwrap(option)._zod.def as unknown as Def).shape ?? {};
    return { option, score: keys.filter((k) => Object.hasOwn(shape, k)).length };
  }).sort((a, b) => b.score - a.score);
  return scored[0]!.score > 0 && scored[0]!.score > scored[1]!.score ? scored[0]!.option : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as unknown as Def;
  return (def.type === 'optional' || def.type === 'default') && def.innerType ? unwrap(def.innerType) : schema;
}

function kindsOf(schema: z.ZodType): string[] {
  const def = unwrap(schema)._zod.def as unknown as Def;
  switch (def.type) {
    case 'enum':
    case 'string': return ['string'];
    case 'record': return ['object'];
    case 'tuple': return ['array'];
    case 'union': return def.options!.flatMap(kindsOf);
    default: return [def.type];
  }
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

/** `unknown field 'x' (did you mean 'y'?)` for each own key the schema does not have. */
function unknownFields(value: Record<string, unknown>, known: readonly string[], hints: Readonly<Record<string, string>>, at: string): Finding[] {
  const findings: Finding[] = [];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const name = at === '' ? cut(key) : `${at}.${cut(key)}`;
    const hint = (Object.hasOwn(hints, key) ? hints[key] : undefined) ?? /did you mean '([^']+)'/.exec(suggest(key, known))?.[1];
    const help = hint ? `did you mean '${hint}'?` : at === '' ? `known fields: ${known.join(', ')}` : `use ${list(known)}`;
    findings.push({ field: at === '' ? key : `${at}.${key}`, text: `unknown field '${name}' (${help})` });
  }
  return findings;
}

function finding(path: Path, message: string): Finding {
  const field = renderPath(path);
  const key = String(path[path.length - 1] ?? '');
  // Placeholders come before any declared value in a message, so only their first occurrence is replaced.
  return { field, text: message.replace('{field}', () => field).replace('{key}', () => cut(key)) };
}

/** `maintenance[0].days`, `tags.team`. */
function renderPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** One message per value: a check that fails several ways (too small and not whole) speaks once. */
function dedupe(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path.join('\u0000')}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Problems in the schema's field order (unknown fields first), each field's in the order found, each said once. */
function sortByField(findings: Finding[], order: readonly string[]): Finding[] {
  const rank = (f: Finding) => order.indexOf(/^[^.[]*/.exec(f.field)![0]);
  const seen = new Set<string>();
  return findings
    .filter((f) => !seen.has(`${f.field}\u0000${f.text}`) && seen.add(`${f.field}\u0000${f.text}`))
    .map((f, i) => ({ f, i, r: rank(f) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map(({ f }) => f);
}

/** The groups monitors may name: every well-formed one, so one bad group does not make its monitors' group unknown. */
function declaredGroups(groups: unknown): Record<string, { regions: string[] }> {
  if (!isPlainObject(groups)) return {};
  return Object.fromEntries(Object.entries(groups)
    .filter((entry): entry is [string, { regions: unknown[] }] => entry[0] !== '__proto__' && isPlainObject(entry[1]) && Array.isArray(entry[1].regions))
    .map(([name, group]) => [name, { regions: group.regions.filter((r): r is string => typeof r === 'string') }]));
}

/**
 * The fleet's monitorDefaults under a monitor's own fields. A loop, not `{ ...a, ...b }`: spreading objects of many
 * shapes takes V8's slow path (several µs each, seconds at 100,000 monitors). A declared `__proto__` stays a key, so
 * it is reported as an unknown field instead of becoming the merged object's prototype.
 */
function withDefaults(defaults: Record<string, unknown>, declared: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const source of [defaults, declared]) {
    for (const key of Object.keys(source)) {
      if (key === '__proto__') Object.defineProperty(merged, key, { value: source[key], enumerable: true, writable: true, configurable: true });
      else merged[key] = source[key];
    }
  }
  return merged;
}

function asList(found: Finding | Finding[] | undefined): Finding[] {
  return found === undefined ? [] : Array.isArray(found) ? found : [found];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value made on first use: a bundle that never validates must be able to drop the schema (see SCHEMA). */
function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
const MONITOR_FIELDS = /* @__PURE__ */ lazy(() => Object.keys(SCHEMA.monitorFields) as (keyof typeof SCHEMA.monitorFields)[]);
const FLEET_FIELDS = /* @__PURE__ */ lazy(() => Object.keys(SCHEMA.fleetFields) as (keyof typeof SCHEMA.fleetFields)[]);
/** Monitor fields holding records (tags), whose `__proto__` key zod would drop silently. */
const RECORD_FIELDS = /* @__PURE__ */ lazy(() => MONITOR_FIELDS().filter((f) => (unwrap(SCHEMA.monitorFields[f])._zod.def as unknown as Def).type === 'record'));
