// The monitor declaration (what a user writes) and the resolved monitor (every default applied).
import type { Family, PresetName, Severity, StarttlsProtocol, Weekday } from './constants';

/** Bytes to send: a string (sent as UTF-8, `\r\n` written literally) or hex. */
export type SendSpec = string | { hex: string };

/** What the reply must contain within `expectWithinBytes`: a substring, a regular expression, or bytes. */
export type ExpectSpec = string | { regex: string; flags?: string } | { hex: string };

export interface TlsSpec {
  /** Server name sent in SNI and verified against the certificate. @default the monitor's host (no SNI for IP literals) */
  servername?: string;
  /** Verify the chain and host name. @default true */
  verify?: boolean;
  /** Warn (CERT_EXPIRY alert) when a quorum sees fewer days left than this. @default 14 */
  minDaysValid?: number;
}

export interface HttpSpec {
  /** @default 'GET' */
  method?: 'GET' | 'HEAD' | 'POST' | 'OPTIONS';
  /** @default '/' */
  path?: string;
  /** Host header. @default the TLS servername, else the monitor's host */
  hostHeader?: string;
  /** Accepted status codes, inclusive. @default [200, 399] */
  status?: number | [number, number];
  /** The body (first `expectWithinBytes` bytes) must contain this. @default no body check */
  bodyContains?: string;
}

export interface TimeoutSpec {
  /** @default 2000 */
  dns?: number;
  /** @default 3000 */
  connect?: number;
  /** @default 3000 */
  tls?: number;
  /** Time allowed for the reply after sending (or for the banner). @default 3000 */
  expect?: number;
  /** Overall budget for one attempt. @default 5000 */
  total?: number;
}

/** A one-off window (ISO 8601 instants) or a weekly recurring window (UTC). */
export type MaintenanceWindow =
  | { start: string; end: string; reason?: string }
  | { days: Weekday[]; startUtc: string; durationMinutes: number; reason?: string };

export interface MonitorSpec {
  /** Stable id, used in state keys and alerts: lowercase letters, digits, `-`, `_`, `.`; 1–64 characters. */
  id: string;
  /** DNS name, IPv4 or IPv6 literal. */
  host: string;
  /** TCP port, 1–65535. */
  port: number;
  /** A protocol check behind the port. @default none (a TCP connect is enough) */
  preset?: PresetName;
  /** Bytes to send after connecting (and after TLS). @default nothing */
  send?: SendSpec;
  /** What the reply must contain. @default nothing expected */
  expect?: ExpectSpec;
  /** How many bytes of the reply to read looking for `expect`. @default 4096 */
  expectWithinBytes?: number;
  /** For the http preset. */
  http?: HttpSpec;
  /** TLS directly on the port (`true` or options). @default false */
  tls?: boolean | TlsSpec;
  /** Upgrade to TLS in-protocol before checking. @default none */
  starttls?: StarttlsProtocol;
  /** One number = the overall per-attempt budget; or per phase. @default { dns: 2000, connect: 3000, tls: 3000, expect: 3000, total: 5000 } */
  timeoutMs?: number | TimeoutSpec;
  /** Extra attempts inside a round after a failure (short backoff). @default 1 */
  retries?: number;
  /** @default 'auto' */
  family?: Family;
  /** Probe every resolved address; down if any is down. @default false */
  allAddresses?: boolean;
  /** The port must refuse or stay silent; an open port is the failure. @default false */
  expectClosed?: boolean;
  /** Allow link-local and instance-metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254). @default false */
  allowLinkLocal?: boolean;
  /** Free-form labels, copied into alerts and message attributes. @default {} */
  tags?: Record<string, string>;
  /** @default 'critical' */
  severity?: Severity;
  /** Regions that probe this monitor. @default every fleet region */
  regions?: string[];
  /** Regions that must agree. @default a majority of the monitor's regions */
  quorum?: number;
  /** Seconds between rounds: a divisor of 60 (≥ 10) or a multiple of 60. @default 60 */
  interval?: number;
  /** Consecutive DOWN rounds before alerting. @default 2 */
  failureThreshold?: number;
  /** Consecutive UP rounds before the recovery alert. @default 2 */
  recoveryThreshold?: number;
  /** DEGRADED when a quorum is up but connect time exceeds this. @default off */
  degradedMs?: number;
  /** Windows in which verdicts go on but pages stop. @default none */
  maintenance?: MaintenanceWindow[];
  /** Remind every N minutes while DOWN. @default 0 (off) */
  renotifyMinutes?: number;
  /** Probe group (a VPC probe group declared on the fleet) that checks this monitor. @default the public probes */
  group?: string;
}

/** A monitor with every default applied; what the probe and aggregator work with. */
export interface ResolvedMonitor {
  id: string;
  host: string;
  port: number;
  preset?: PresetName;
  send?: SendSpec;
  expect?: ExpectSpec;
  expectWithinBytes: number;
  http?: Required<Omit<HttpSpec, 'bodyContains' | 'hostHeader' | 'status'>> & { hostHeader?: string; status: [number, number]; bodyContains?: string };
  tls?: { servername?: string; verify: boolean; minDaysValid: number };
  starttls?: StarttlsProtocol;
  timeoutMs: Required<TimeoutSpec>;
  retries: number;
  family: Family;
  allAddresses: boolean;
  expectClosed: boolean;
  allowLinkLocal: boolean;
  tags: Record<string, string>;
  severity: Severity;
  regions: string[];
  quorum: number;
  interval: number;
  failureThreshold: number;
  recoveryThreshold: number;
  degradedMs?: number;
  maintenance: MaintenanceWindow[];
  renotifyMinutes: number;
  group?: string;
}

export const DEFAULTS = {
  expectWithinBytes: 4096,
  timeoutMs: { dns: 2000, connect: 3000, tls: 3000, expect: 3000, total: 5000 },
  retries: 1,
  family: 'auto',
  severity: 'critical',
  interval: 60,
  failureThreshold: 2,
  recoveryThreshold: 2,
  renotifyMinutes: 0,
  minDaysValid: 14,
  httpStatus: [200, 399],
} as const;

/** Majority of n regions: 1→1, 2→2, 3→2, 4→3, 5→3. */
export function majority(regionCount: number): number {
  return Math.floor(regionCount / 2) + 1;
}
