// Placeholder until the validator lands in the next commit: applies defaults without checking.
import { ConfigError } from './errors';
import { DEFAULTS, majority, type MonitorSpec, type ResolvedMonitor } from './monitor';
import type { FleetConfig, FleetSpec } from './fleet';

export function resolveFleet(spec: FleetSpec): FleetConfig {
  const homeRegion = spec.homeRegion ?? spec.regions[0]!;
  return {
    schemaVersion: 1,
    regions: spec.regions,
    homeRegion,
    ...(spec.canary ? { canary: { timeoutMs: 3000, ...spec.canary } } : {}),
    groups: spec.groups ?? {},
    monitors: spec.monitors.map((m) => resolveMonitor({ ...spec.monitorDefaults, ...m } as MonitorSpec, spec.regions)),
  };
}

export function resolveMonitor(m: MonitorSpec, fleetRegions: string[]): ResolvedMonitor {
  if (!m.id) throw new ConfigError([{ monitor: '?', field: 'id', message: 'missing id' }]);
  const regions = m.regions ?? fleetRegions;
  const t = typeof m.timeoutMs === 'number' ? { ...DEFAULTS.timeoutMs, total: m.timeoutMs } : { ...DEFAULTS.timeoutMs, ...m.timeoutMs };
  return {
    id: m.id, host: m.host, port: m.port, preset: m.preset, send: m.send, expect: m.expect,
    expectWithinBytes: m.expectWithinBytes ?? DEFAULTS.expectWithinBytes,
    tls: m.tls ? { verify: true, minDaysValid: DEFAULTS.minDaysValid, ...(m.tls === true ? {} : m.tls) } : undefined,
    starttls: m.starttls, timeoutMs: t, retries: m.retries ?? DEFAULTS.retries, family: m.family ?? 'auto',
    allAddresses: m.allAddresses ?? false, expectClosed: m.expectClosed ?? false, allowLinkLocal: m.allowLinkLocal ?? false,
    tags: m.tags ?? {}, severity: m.severity ?? 'critical', regions, quorum: m.quorum ?? majority(regions.length),
    interval: m.interval ?? 60, failureThreshold: m.failureThreshold ?? 2, recoveryThreshold: m.recoveryThreshold ?? 2,
    degradedMs: m.degradedMs, maintenance: m.maintenance ?? [], renotifyMinutes: m.renotifyMinutes ?? 0, group: m.group,
    http: m.preset === 'http' ? { method: m.http?.method ?? 'GET', path: m.http?.path ?? '/', hostHeader: m.http?.hostHeader,
      status: typeof m.http?.status === 'number' ? [m.http.status, m.http.status] : (m.http?.status ?? [200, 399]), bodyContains: m.http?.bodyContains } : undefined,
  };
}
