// Validation and resolution of fleet and monitor declarations: every problem at once, each naming monitor and field.
import { isIP } from './net';
import {
  FAMILIES, PRESETS, SEVERITIES, STARTTLS_PROTOCOLS, WEEKDAYS,
  type StarttlsProtocol,
} from './constants';
import { ConfigError, type ConfigProblem } from './errors';
import { FLEET_CONFIG_SCHEMA_VERSION, type CanarySpec, type FleetConfig, type FleetSpec } from './fleet';
import { DEFAULTS, majority, type MaintenanceWindow, type MonitorSpec, type ResolvedMonitor, type TimeoutSpec } from './monitor';

export interface ValidateOptions {
  /** When given, every region must be one of these (the CDK app passes AWS's region names). @default any name */
  knownRegions?: readonly string[];
}

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TAG_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** SNS allows 10 message attributes; kind, severity, monitor and verdict take four. */
export const MAX_TAGS = 6;
const HOSTNAME_LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;
const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})+$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const TIMEOUT_FIELDS = ['dns', 'connect', 'tls', 'expect', 'total'] as const;
const MAX_TIMEOUT_MS = 60_000;
const MIN_TIMEOUT_MS = 50;

const MONITOR_FIELDS: ReadonlySet<string> = new Set<keyof MonitorSpec>([
  'id', 'host', 'port', 'preset', 'send', 'expect', 'expectWithinBytes', 'http', 'tls', 'starttls', 'timeoutMs',
  'retries', 'family', 'allAddresses', 'expectClosed', 'allowLinkLocal', 'tags', 'severity', 'regions', 'quorum',
  'interval', 'failureThreshold', 'recoveryThreshold', 'degradedMs', 'maintenance', 'renotifyMinutes', 'group',
]);
/** Common misspellings and names from other tools, mapped to ours. */
const FIELD_HINTS: Record<string, string> = {
  timeout: 'timeoutMs', name: 'id', hostname: 'host', target: 'host', address: 'host', interval_seconds: 'interval',
  intervalSeconds: 'interval', threshold: 'failureThreshold', region: 'regions', labels: 'tags', starttls_protocol: 'starttls',
  protocol: 'preset', type: 'preset', retry: 'retries', ipFamily: 'family', expect_closed: 'expectClosed',
};
/** Presets that can upgrade to TLS in-protocol, and the STARTTLS dialect each speaks. */
const PRESET_STARTTLS: Partial<Record<string, StarttlsProtocol>> = {
  smtp: 'smtp', imap: 'imap', pop3: 'pop3', ftp: 'ftp', postgres: 'postgres',
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
  const monitor = checkMonitor(spec, 0, { regions: fleetRegions, groups: {}, problems });
  if (problems.length > 0 || !monitor) throw new ConfigError(problems);
  return monitor;
}

interface FleetContext {
  regions: string[];
  groups: Record<string, { regions: string[] }>;
  problems: ConfigProblem[];
}

function checkFleet(spec: FleetSpec, options: ValidateOptions): { config?: FleetConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const fleetProblem = (field: string, text: string) => problems.push({ monitor: 'fleet', field, message: `Fleet: ${text}` });

  if (spec === null || typeof spec !== 'object') {
    fleetProblem('', 'the declaration must be an object with regions and monitors');
    return { problems };
  }
  const regions = Array.isArray(spec.regions) ? spec.regions : [];
  if (!Array.isArray(spec.regions) || spec.regions.length === 0) {
    fleetProblem('regions', 'regions is empty (list at least one region, e.g. regions: [\'eu-west-1\', \'us-east-1\', \'ap-southeast-1\'])');
  }
  const seenRegions = new Set<string>();
  for (const region of regions) {
    if (typeof region !== 'string' || region.length === 0) {
      fleetProblem('regions', `region ${show(region)} is not a region name`);
      continue;
    }
    if (seenRegions.has(region)) fleetProblem('regions', `region '${region}' is listed twice (list each region once)`);
    seenRegions.add(region);
    if (options.knownRegions && !options.knownRegions.includes(region)) {
      fleetProblem('regions', `region '${region}' is not an AWS region${suggest(region, options.knownRegions)}`);
    }
  }
  const homeRegion = spec.homeRegion ?? regions[0] ?? '';
  if (spec.homeRegion !== undefined && options.knownRegions && !options.knownRegions.includes(spec.homeRegion)) {
    fleetProblem('homeRegion', `homeRegion '${spec.homeRegion}' is not an AWS region${suggest(spec.homeRegion, options.knownRegions)}`);
  }
  const canary = spec.canary === undefined ? undefined : checkCanary(spec.canary, fleetProblem);

  const groups = spec.groups ?? {};
  for (const [name, group] of Object.entries(groups)) {
    for (const region of group.regions ?? []) {
      if (!seenRegions.has(region)) {
        fleetProblem(`groups.${name}.regions`, `group '${name}' runs in region '${region}', which is not one of the fleet's regions ${list(regions)} (add it to regions)`);
      }
    }
  }

  if (!Array.isArray(spec.monitors)) {
    fleetProblem('monitors', 'monitors must be a list of monitor declarations');
    return { problems };
  }
  const ctx: FleetContext = { regions: [...seenRegions], groups, problems };
  const monitors: ResolvedMonitor[] = [];
  const ids = new Map<string, number>();
  spec.monitors.forEach((declared, index) => {
    const merged = { ...(spec.monitorDefaults ?? {}), ...declared } as MonitorSpec;
    const monitor = checkMonitor(merged, index, ctx);
    if (typeof declared?.id === 'string') {
      const first = ids.get(declared.id);
      if (first !== undefined) {
        problems.push({
          monitor: declared.id, field: 'id',
          message: `Monitor '${declared.id}': id is used by monitors #${first + 1} and #${index + 1} (ids must be unique: they key state and alerts)`,
        });
      } else ids.set(declared.id, index);
    }
    if (monitor) monitors.push(monitor);
  });
  if (problems.length > 0) return { problems };
  return {
    problems,
    config: {
      schemaVersion: FLEET_CONFIG_SCHEMA_VERSION,
      regions: [...seenRegions],
      homeRegion,
      ...(canary ? { canary } : {}),
      groups,
      monitors,
    },
  };
}

function checkCanary(canary: CanarySpec, fleetProblem: (field: string, text: string) => void): Required<CanarySpec> | undefined {
  let ok = true;
  if (typeof canary.host !== 'string' || canary.host.trim() === '') {
    fleetProblem('canary.host', 'canary.host is empty (name a target every region can always reach)');
    ok = false;
  }
  if (!isPort(canary.port)) {
    fleetProblem('canary.port', `canary.port ${show(canary.port)} is not a TCP port (use a whole number from 1 to 65535)`);
    ok = false;
  }
  const timeoutMs = canary.timeoutMs ?? 3000;
  if (!isIntIn(timeoutMs, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)) {
    fleetProblem('canary.timeoutMs', `canary.timeoutMs ${show(timeoutMs)} is out of range (use ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS})`);
    ok = false;
  }
  return ok ? { host: canary.host, port: canary.port, timeoutMs } : undefined;
}

/** Checks one monitor, pushing problems; returns the resolved monitor when it has none. */
function checkMonitor(m: MonitorSpec, index: number, ctx: FleetContext): ResolvedMonitor | undefined {
  const before = ctx.problems.length;
  if (m === null || typeof m !== 'object') {
    ctx.problems.push({ monitor: `#${index + 1}`, field: '', message: `Monitor #${index + 1}: must be an object with id, host and port` });
    return undefined;
  }
  const label = typeof m.id === 'string' && m.id !== '' ? m.id : `#${index + 1}`;
  const problem = (field: string, text: string) =>
    ctx.problems.push({ monitor: label, field, message: `Monitor '${label}': ${text}` });

  for (const key of Object.keys(m)) {
    if (!MONITOR_FIELDS.has(key)) {
      const hint = FIELD_HINTS[key];
      problem(key, `unknown field '${key}' (${hint ? `did you mean '${hint}'?` : `known fields: ${[...MONITOR_FIELDS].join(', ')}`})`);
    }
  }

  // Identity and target.
  if (typeof m.id !== 'string' || m.id === '') problem('id', 'id is missing (give every monitor a stable id, e.g. \'orders-db\')');
  else if (!ID_PATTERN.test(m.id)) {
    problem('id', `id '${m.id}' is not allowed (use 1–64 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit)`);
  }
  const hostKind = checkHost(m.host, problem);
  if (!isPort(m.port)) problem('port', `port ${show(m.port)} is not a TCP port (use a whole number from 1 to 65535)`);

  const family = m.family ?? DEFAULTS.family;
  if (!FAMILIES.includes(family)) problem('family', `family ${show(family)} is not one of ${list(FAMILIES)}`);
  else if ((hostKind === 4 && family === 'ipv6') || (hostKind === 6 && family === 'ipv4')) {
    problem('family', `family '${family}' cannot reach the IPv${hostKind} address ${m.host} (set family: 'auto' or use an IPv${hostKind === 4 ? 6 : 4} address)`);
  }
  if (hostKind !== 0 && typeof m.host === 'string' && isLinkLocal(m.host) && m.allowLinkLocal !== true) {
    problem('host', `host ${m.host} is a link-local or instance-metadata address (set allowLinkLocal: true if you really mean to probe it)`);
  }

  // Protocol check.
  if (m.preset !== undefined && !PRESETS.includes(m.preset)) {
    problem('preset', `preset ${show(m.preset)} is not one of ${list(PRESETS)}${suggest(String(m.preset), PRESETS)}`);
  }
  if (m.preset !== undefined && (m.send !== undefined || m.expect !== undefined)) {
    problem(m.send !== undefined ? 'send' : 'expect', `preset '${m.preset}' speaks its own dialogue (remove send/expect, or drop the preset for a custom exchange)`);
  }
  if (m.send !== undefined) checkBytes('send', m.send, problem);
  if (m.expect !== undefined) checkExpect(m.expect, problem);
  const expectWithinBytes = m.expectWithinBytes ?? DEFAULTS.expectWithinBytes;
  if (!isIntIn(expectWithinBytes, 1, 65536)) {
    problem('expectWithinBytes', `expectWithinBytes ${show(expectWithinBytes)} is out of range (use 1 to 65536; replies are read only this far)`);
  }
  if (m.http !== undefined && m.preset !== 'http') {
    problem('http', `http options need preset: 'http' (add preset: 'http' or remove http)`);
  }
  const httpStatus = checkHttp(m, problem);

  // TLS.
  if (m.tls !== undefined && typeof m.tls !== 'boolean' && (m.tls === null || typeof m.tls !== 'object')) {
    problem('tls', `tls ${show(m.tls)} must be true, false or an options object`);
  }
  const tlsOptions = typeof m.tls === 'object' && m.tls !== null ? m.tls : {};
  if (tlsOptions.verify !== undefined && typeof tlsOptions.verify !== 'boolean') {
    problem('tls.verify', `tls.verify ${show(tlsOptions.verify)} must be true or false`);
  }
  if (tlsOptions.minDaysValid !== undefined && !isIntIn(tlsOptions.minDaysValid, 0, 825)) {
    problem('tls.minDaysValid', `tls.minDaysValid ${show(tlsOptions.minDaysValid)} is out of range (use 0 to 825 days; 0 turns the expiry warning off)`);
  }
  if (tlsOptions.servername !== undefined && (typeof tlsOptions.servername !== 'string' || tlsOptions.servername === '' || isIP(tlsOptions.servername) !== 0)) {
    problem('tls.servername', `tls.servername ${show(tlsOptions.servername)} must be a DNS name (SNI cannot carry an IP address)`);
  }
  if (m.starttls !== undefined) {
    if (!STARTTLS_PROTOCOLS.includes(m.starttls)) {
      problem('starttls', `starttls ${show(m.starttls)} is not one of ${list(STARTTLS_PROTOCOLS)}`);
    } else if (m.preset !== undefined && PRESET_STARTTLS[m.preset] !== m.starttls) {
      problem('starttls', PRESET_STARTTLS[m.preset]
        ? `starttls '${m.starttls}' does not match preset '${m.preset}' (use starttls: '${PRESET_STARTTLS[m.preset]}')`
        : `preset '${m.preset}' has no STARTTLS (use tls: true for TLS from the first byte, or remove starttls)`);
    }
  }
  const wantsTls = m.tls === true || (typeof m.tls === 'object' && m.tls !== null) || m.starttls !== undefined;

  // Budgets.
  const timeoutMs = checkTimeouts(m.timeoutMs, problem);
  const retries = m.retries ?? DEFAULTS.retries;
  if (!isIntIn(retries, 0, 5)) problem('retries', `retries ${show(retries)} is out of range (use 0 to 5 extra attempts within a round)`);

  for (const flag of ['allAddresses', 'expectClosed', 'allowLinkLocal'] as const) {
    if (m[flag] !== undefined && typeof m[flag] !== 'boolean') problem(flag, `${flag} ${show(m[flag])} must be true or false`);
  }
  if (m.expectClosed === true && (m.preset !== undefined || wantsTls || m.send !== undefined || m.expect !== undefined)) {
    problem('expectClosed', 'expectClosed checks that nothing answers on the port (remove preset, tls, starttls, send and expect)');
  }

  // Labels.
  const tags = m.tags ?? {};
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) problem('tags', `tags must be an object of string values, e.g. { team: 'payments' }`);
  else {
    const entries = Object.entries(tags);
    if (entries.length > MAX_TAGS) {
      problem('tags', `${entries.length} tags is more than ${MAX_TAGS} (each tag becomes an SNS message attribute and SNS allows 10, 4 of which portquorum uses)`);
    }
    for (const [key, value] of entries) {
      if (!TAG_KEY_PATTERN.test(key)) problem(`tags.${key}`, `tag key '${key}' is not allowed (use 1–64 letters, digits, '-' or '_')`);
      if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
        problem(`tags.${key}`, `tag '${key}' value ${show(value)} must be a non-empty string of at most 256 characters`);
      }
    }
  }
  const severity = m.severity ?? DEFAULTS.severity;
  if (!SEVERITIES.includes(severity)) problem('severity', `severity ${show(severity)} is not one of ${list(SEVERITIES)}`);

  // Verdict fields.
  const group = m.group;
  let allowedRegions = ctx.regions;
  if (group !== undefined) {
    const declared = ctx.groups[group];
    if (!declared) {
      problem('group', `group '${group}' is not declared on the fleet (declare it in groups${Object.keys(ctx.groups).length ? `: ${list(Object.keys(ctx.groups))}` : ''} or remove group)`);
    } else allowedRegions = declared.regions;
  }
  const regions = m.regions ?? allowedRegions;
  if (m.regions !== undefined) {
    if (!Array.isArray(m.regions) || m.regions.length === 0) problem('regions', 'regions is empty (omit it to probe from every fleet region)');
    else {
      const seen = new Set<string>();
      for (const region of m.regions) {
        if (seen.has(region)) problem('regions', `region '${region}' is listed twice`);
        seen.add(region);
        if (!allowedRegions.includes(region)) {
          problem('regions', `region '${region}' is not one of the ${group ? `group '${group}'` : 'fleet'}'s regions ${list(allowedRegions)} (add it there or remove it here)`);
        }
      }
    }
  }
  const regionCount = Array.isArray(regions) ? regions.length : 0;
  const quorum = m.quorum ?? majority(regionCount);
  if (m.quorum !== undefined) {
    if (!Number.isInteger(m.quorum) || m.quorum < 1) problem('quorum', `quorum ${show(m.quorum)} must be a whole number of at least 1`);
    else if (m.quorum > regionCount && regionCount > 0) {
      problem('quorum', `quorum ${m.quorum} is more than the ${regionCount} region${regionCount === 1 ? '' : 's'} that probe it (set quorum ≤ ${regionCount} or add regions)`);
    }
  }
  const interval = m.interval ?? DEFAULTS.interval;
  if (!Number.isInteger(interval) || interval < 10 || interval > 3600 || (interval < 60 ? 60 % interval !== 0 : interval % 60 !== 0)) {
    problem('interval', `interval ${show(interval)} seconds does not align to the minute (use 10, 12, 15, 20, 30 or a multiple of 60 up to 3600)`);
  }
  const failureThreshold = m.failureThreshold ?? DEFAULTS.failureThreshold;
  if (!isIntIn(failureThreshold, 1, 20)) problem('failureThreshold', `failureThreshold ${show(failureThreshold)} is out of range (use 1 to 20 consecutive rounds)`);
  const recoveryThreshold = m.recoveryThreshold ?? DEFAULTS.recoveryThreshold;
  if (!isIntIn(recoveryThreshold, 1, 20)) problem('recoveryThreshold', `recoveryThreshold ${show(recoveryThreshold)} is out of range (use 1 to 20 consecutive rounds)`);
  if (m.degradedMs !== undefined) {
    if (!Number.isInteger(m.degradedMs) || m.degradedMs < 1) problem('degradedMs', `degradedMs ${show(m.degradedMs)} must be a whole number of milliseconds of at least 1`);
    else if (timeoutMs && m.degradedMs >= timeoutMs.connect) {
      problem('degradedMs', `degradedMs ${m.degradedMs} is not below the connect timeout of ${timeoutMs.connect} ms (a slower connect is already a timeout; lower degradedMs or raise timeoutMs.connect)`);
    }
  }
  const maintenance = m.maintenance ?? [];
  if (!Array.isArray(maintenance)) problem('maintenance', 'maintenance must be a list of windows');
  else maintenance.forEach((w, i) => checkWindow(w, i, problem));
  const renotifyMinutes = m.renotifyMinutes ?? DEFAULTS.renotifyMinutes;
  if (!isIntIn(renotifyMinutes, 0, 10080)) problem('renotifyMinutes', `renotifyMinutes ${show(renotifyMinutes)} is out of range (use 0 for off, or 1 to 10080)`);
  else if (renotifyMinutes > 0 && renotifyMinutes * 60 < interval) {
    problem('renotifyMinutes', `renotifyMinutes ${renotifyMinutes} is shorter than the interval of ${interval} s (remind at most once a round)`);
  }

  if (ctx.problems.length > before || !timeoutMs) return undefined;
  const resolved: ResolvedMonitor = {
    id: m.id, host: m.host, port: m.port,
    expectWithinBytes, timeoutMs, retries, family,
    allAddresses: m.allAddresses ?? false, expectClosed: m.expectClosed ?? false, allowLinkLocal: m.allowLinkLocal ?? false,
    tags: { ...tags }, severity, regions: [...regions], quorum, interval, failureThreshold, recoveryThreshold,
    maintenance: [...maintenance], renotifyMinutes,
  };
  if (m.preset !== undefined) resolved.preset = m.preset;
  if (m.send !== undefined) resolved.send = m.send;
  if (m.expect !== undefined) resolved.expect = m.expect;
  if (wantsTls) {
    resolved.tls = { verify: tlsOptions.verify ?? true, minDaysValid: tlsOptions.minDaysValid ?? DEFAULTS.minDaysValid };
    if (tlsOptions.servername !== undefined) resolved.tls.servername = tlsOptions.servername;
  }
  if (m.starttls !== undefined) resolved.starttls = m.starttls;
  if (m.preset === 'http' && httpStatus) {
    resolved.http = { method: m.http?.method ?? 'GET', path: m.http?.path ?? '/', status: httpStatus };
    if (m.http?.hostHeader !== undefined) resolved.http.hostHeader = m.http.hostHeader;
    if (m.http?.bodyContains !== undefined) resolved.http.bodyContains = m.http.bodyContains;
  }
  if (m.degradedMs !== undefined) resolved.degradedMs = m.degradedMs;
  if (group !== undefined) resolved.group = group;
  return resolved;
}

type Problem = (field: string, text: string) => void;

/** Returns 4 or 6 for IP literals, 0 for names, -1 when invalid (a problem was reported). */
function checkHost(host: unknown, problem: Problem): 0 | 4 | 6 | -1 {
  if (typeof host !== 'string' || host.trim() === '') {
    problem('host', 'host is missing (a DNS name or an IP address, e.g. \'db.example.internal\')');
    return -1;
  }
  if (host.includes('://')) {
    problem('host', `host '${host}' has a scheme (write the bare name, e.g. '${host.replace(/^[a-z]+:\/\//i, '').replace(/[:/].*$/, '')}')`);
    return -1;
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family !== 0) return family as 4 | 6;
  if (/:\d+$/.test(host)) {
    problem('host', `host '${host}' includes a port (put the port in port: ${host.replace(/^.*:/, '')})`);
    return -1;
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length > 253 || !name.split('.').every((label) => HOSTNAME_LABEL.test(label))) {
    problem('host', `host '${host}' is not a valid DNS name or IP address (use labels of letters, digits and '-' joined by single dots)`);
    return -1;
  }
  return 0;
}

function checkBytes(field: string, value: unknown, problem: Problem): void {
  if (typeof value === 'string') {
    if (value.length === 0) problem(field, `${field} is empty (remove it, or give the bytes to send)`);
  } else if (value !== null && typeof value === 'object' && 'hex' in value) {
    const hex = (value as { hex: unknown }).hex;
    if (typeof hex !== 'string' || !HEX_PATTERN.test(hex)) problem(`${field}.hex`, `${field}.hex ${show(hex)} is not hex bytes (use pairs of 0-9a-f, e.g. '0d0a')`);
  } else problem(field, `${field} must be a string or { hex: '…' }`);
}

function checkExpect(value: unknown, problem: Problem): void {
  if (value !== null && typeof value === 'object' && 'regex' in value) {
    const { regex, flags } = value as { regex: unknown; flags?: unknown };
    try {
      new RegExp(String(regex), flags === undefined ? undefined : String(flags));
      if (typeof regex !== 'string' || regex === '') throw new Error('empty');
    } catch {
      problem('expect.regex', `expect.regex ${show(regex)}${flags === undefined ? '' : ` with flags ${show(flags)}`} is not a valid regular expression (check its brackets and escapes)`);
    }
    return;
  }
  checkBytes('expect', value, problem);
}

function checkHttp(m: MonitorSpec, problem: Problem): [number, number] | undefined {
  const http = m.http ?? {};
  if (http.method !== undefined && !['GET', 'HEAD', 'POST', 'OPTIONS'].includes(http.method)) {
    problem('http.method', `http.method ${show(http.method)} is not one of 'GET', 'HEAD', 'POST', 'OPTIONS'`);
  }
  if (http.path !== undefined && (typeof http.path !== 'string' || !http.path.startsWith('/') || /\s/.test(http.path))) {
    problem('http.path', `http.path ${show(http.path)} must start with '/' and contain no spaces`);
  }
  if (http.hostHeader !== undefined && (typeof http.hostHeader !== 'string' || /[\s\r\n]/.test(http.hostHeader) || http.hostHeader === '')) {
    problem('http.hostHeader', `http.hostHeader ${show(http.hostHeader)} must be a host name without spaces`);
  }
  const status = http.status ?? DEFAULTS.httpStatus;
  const range: [number, number] = typeof status === 'number' ? [status, status] : [status[0], status[1]];
  if (!Array.isArray(range) || !isIntIn(range[0], 100, 599) || !isIntIn(range[1], 100, 599) || range[0] > range[1]) {
    problem('http.status', `http.status ${show(http.status)} is not a status code or [low, high] range within 100–599`);
    return undefined;
  }
  return range;
}

function checkTimeouts(value: number | TimeoutSpec | undefined, problem: Problem): Required<TimeoutSpec> | undefined {
  if (value === undefined) return { ...DEFAULTS.timeoutMs };
  if (typeof value === 'number') {
    if (!isIntIn(value, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)) {
      problem('timeoutMs', `timeoutMs ${show(value)} is out of range (use ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS} ms)`);
      return undefined;
    }
    // One number is the per-attempt budget; each phase may use all of it.
    return { dns: value, connect: value, tls: value, expect: value, total: value };
  }
  if (value === null || typeof value !== 'object') {
    problem('timeoutMs', `timeoutMs ${show(value)} must be a number of milliseconds or { dns, connect, tls, expect, total }`);
    return undefined;
  }
  const merged = { ...DEFAULTS.timeoutMs, ...value } as Record<string, unknown>;
  let ok = true;
  for (const key of Object.keys(value)) {
    if (!(TIMEOUT_FIELDS as readonly string[]).includes(key)) {
      problem(`timeoutMs.${key}`, `unknown field 'timeoutMs.${key}' (use ${list(TIMEOUT_FIELDS)})`);
      ok = false;
    }
  }
  for (const key of TIMEOUT_FIELDS) {
    if (!isIntIn(merged[key], MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)) {
      problem(`timeoutMs.${key}`, `timeoutMs.${key} ${show(merged[key])} is out of range (use ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS} ms)`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const t = merged as Required<TimeoutSpec>;
  if (value.total === undefined) t.total = Math.max(t.total, t.connect);
  for (const key of ['dns', 'connect', 'tls', 'expect'] as const) {
    if (t[key] > t.total) {
      problem(`timeoutMs.${key}`, `timeoutMs.${key} ${t[key]} is more than timeoutMs.total ${t.total} (raise total or lower ${key})`);
      ok = false;
    }
  }
  return ok ? t : undefined;
}

function checkWindow(w: MaintenanceWindow, i: number, problem: Problem): void {
  const field = `maintenance[${i}]`;
  if (w === null || typeof w !== 'object') {
    problem(field, `${field} must be { start, end } or { days, startUtc, durationMinutes }`);
    return;
  }
  if ('start' in w || 'end' in w) {
    const start = Date.parse(String((w as { start: unknown }).start));
    const end = Date.parse(String((w as { end: unknown }).end));
    const zoned = (v: unknown) => /T.*(Z|[+-]\d\d:\d\d)$/.test(String(v));
    if (Number.isNaN(start) || Number.isNaN(end) || !zoned((w as { start: unknown }).start) || !zoned((w as { end: unknown }).end)) {
      problem(field, `${field} start ${show((w as { start: unknown }).start)} and end ${show((w as { end: unknown }).end)} must be ISO 8601 instants with a zone, e.g. '2026-12-01T22:00:00Z'`);
    } else if (end <= start) {
      problem(field, `${field} ends (${(w as { end: string }).end}) before it starts (${(w as { start: string }).start})`);
    }
    return;
  }
  const r = w as { days?: unknown; startUtc?: unknown; durationMinutes?: unknown };
  if (!Array.isArray(r.days) || r.days.length === 0 || !r.days.every((d) => (WEEKDAYS as readonly unknown[]).includes(d))) {
    problem(`${field}.days`, `${field}.days ${show(r.days)} must list weekdays from ${list(WEEKDAYS)}`);
  }
  if (typeof r.startUtc !== 'string' || !HHMM.test(r.startUtc)) {
    problem(`${field}.startUtc`, `${field}.startUtc ${show(r.startUtc)} must be a UTC time 'HH:MM'`);
  }
  if (!isIntIn(r.durationMinutes, 1, 10080)) {
    problem(`${field}.durationMinutes`, `${field}.durationMinutes ${show(r.durationMinutes)} is out of range (use 1 to 10080 minutes)`);
  }
}

/** Whether an IP literal is link-local or an instance-metadata address. */
export function isLinkLocal(address: string): boolean {
  const a = address.startsWith('[') ? address.slice(1, -1) : address;
  if (isIP(a) === 4) return a.startsWith('169.254.');
  if (isIP(a) === 6) {
    const lower = a.toLowerCase();
    return /^fe[89ab]/.test(lower) || lower === 'fd00:ec2::254' || lower.startsWith('::ffff:169.254.');
  }
  return false;
}

function isPort(value: unknown): value is number {
  return isIntIn(value, 1, 65535);
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

function list(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

/** ` (did you mean 'x'?)` for a close match, else ''. */
function suggest(value: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(value.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
