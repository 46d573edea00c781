// The declaration's cross-field rules: each a small named function over the fields that passed the schema, returning
// what is wrong (field and message) or nothing. Single-field checks live in schema.ts; the order here is reading order.
import type { z } from 'zod';
import { isIP, isLinkLocal } from './net';
import { starttlsOf } from './presets';
import { cut, list, show, suggest } from './quote';
import type { SCHEMA } from './schema';
import { PUBLIC_VANTAGE } from './constants';

type MonitorOutput = z.output<typeof SCHEMA.monitor>;
type FleetOutput = z.output<typeof SCHEMA.fleet>;

/** One problem a rule found: the dotted field and the message (without the `Monitor 'id': ` prefix). */
export interface Finding {
  field: string;
  text: string;
}

/** A monitor's fields that passed the schema (defaults applied), and the declaration as written. */
export interface MonitorView {
  valid: Partial<MonitorOutput>;
  raw: Readonly<Record<string, unknown>>;
  /** effectiveTimeouts, worked out once. */
  timeouts?: Required<z.output<typeof SCHEMA.timeouts>>;
}

/** What a monitor's rules know of the fleet around it. */
export interface FleetContext {
  regions: readonly string[];
  /** Own properties only: a group named `constructor` must not find Object's. */
  groups: Readonly<Record<string, { regions: string[] }>>;
}

type MonitorRule = (m: MonitorView, fleet: FleetContext) => Finding | Finding[] | undefined;

/** The regions a monitor may name: its group's when it has a declared one, else the fleet's. */
function allowedRegions(m: MonitorView, fleet: FleetContext): readonly string[] {
  const group = m.valid.group;
  return group !== undefined && Object.hasOwn(fleet.groups, group) ? fleet.groups[group]!.regions : fleet.regions;
}

/** The regions that probe the monitor, or undefined when its regions field is invalid. */
export function effectiveRegions(m: MonitorView, fleet: FleetContext): readonly string[] | undefined {
  if (m.raw.regions !== undefined) return m.valid.regions;
  return allowedRegions(m, fleet);
}

/** Per-phase timeouts: one number is the per-attempt budget for every phase; an unset total grows to the connect timeout. */
export function effectiveTimeouts(m: MonitorView): Required<z.output<typeof SCHEMA.timeouts>> | undefined {
  if (m.timeouts !== undefined) return m.timeouts;
  const t = m.valid.timeoutMs;
  if (t === undefined) return undefined;
  m.timeouts = resolveTimeouts(t, m.raw.timeoutMs);
  return m.timeouts;
}

function resolveTimeouts(t: number | Required<z.output<typeof SCHEMA.timeouts>>, declared: unknown): Required<z.output<typeof SCHEMA.timeouts>> {
  if (typeof t === 'number') return { dns: t, connect: t, tls: t, expect: t, total: t };
  return (declared as { total?: unknown } | undefined)?.total === undefined ? { ...t, total: Math.max(t.total, t.connect) } : { ...t };
}

/** TLS is wanted by `tls: true`, by TLS options, or by STARTTLS. */
export function wantsTls(raw: Readonly<Record<string, unknown>>): boolean {
  return raw.tls === true || (typeof raw.tls === 'object' && raw.tls !== null) || raw.starttls !== undefined;
}

const familyReachesHost: MonitorRule = ({ valid: { host, family } }) => {
  if (host === undefined || family === undefined) return undefined;
  const kind = isIP(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if ((kind === 4 && family === 'ipv6') || (kind === 6 && family === 'ipv4')) {
    return { field: 'family', text: `family '${family}' cannot reach the IPv${kind} address ${cut(host)} (set family: 'auto' or use an IPv${kind === 4 ? 6 : 4} address)` };
  }
  return undefined;
};

const linkLocalNeedsOptIn: MonitorRule = ({ valid: { host, allowLinkLocal } }) =>
  host !== undefined && allowLinkLocal !== true && isLinkLocal(host)
    ? { field: 'host', text: `host ${cut(host)} is a link-local or instance-metadata address (set allowLinkLocal: true if you really mean to probe it)` }
    : undefined;

const presetSpeaksItsOwnDialogue: MonitorRule = ({ raw }) =>
  raw.preset !== undefined && (raw.send !== undefined || raw.expect !== undefined)
    ? { field: raw.send !== undefined ? 'send' : 'expect', text: `preset ${show(raw.preset)} speaks its own dialogue (remove send/expect, or drop the preset for a custom exchange)` }
    : undefined;

const httpNeedsHttpPreset: MonitorRule = ({ raw }) =>
  raw.http !== undefined && raw.preset !== 'http'
    ? { field: 'http', text: `http options need preset: 'http' (add preset: 'http' or remove http)` }
    : undefined;

const starttlsMatchesPreset: MonitorRule = ({ valid: { preset, starttls } }) => {
  if (preset === undefined || starttls === undefined) return undefined;
  const dialect = starttlsOf(preset);
  if (dialect === starttls) return undefined;
  return {
    field: 'starttls',
    text: dialect
      ? `starttls '${starttls}' does not match preset '${preset}' (use starttls: '${dialect}')`
      : `preset '${preset}' has no STARTTLS (use tls: true for TLS from the first byte, or remove starttls)`,
  };
};

const phasesFitTotal: MonitorRule = (m) => {
  const t = effectiveTimeouts(m);
  if (!t || (t.dns <= t.total && t.connect <= t.total && t.tls <= t.total && t.expect <= t.total)) return undefined;
  return (['dns', 'connect', 'tls', 'expect'] as const)
    .filter((phase) => t[phase] > t.total)
    .map((phase) => ({ field: `timeoutMs.${phase}`, text: `timeoutMs.${phase} ${t[phase]} is more than timeoutMs.total ${t.total} (raise total or lower ${phase})` }));
};

const expectClosedStandsAlone: MonitorRule = ({ valid, raw }) =>
  valid.expectClosed === true && (raw.preset !== undefined || wantsTls(raw) || raw.send !== undefined || raw.expect !== undefined)
    ? { field: 'expectClosed', text: 'expectClosed checks that nothing answers on the port (remove preset, tls, starttls, send and expect)' }
    : undefined;

const groupIsDeclared: MonitorRule = ({ valid: { group } }, fleet) => {
  if (group === undefined || Object.hasOwn(fleet.groups, group)) return undefined;
  const names = Object.keys(fleet.groups);
  return { field: 'group', text: `group '${cut(group)}' is not declared on the fleet (declare it in groups${names.length ? `: ${list(names)}` : ''} or remove group)` };
};

const regionsProbeThisFleet: MonitorRule = (m, fleet) => {
  const regions = m.valid.regions;
  if (regions === undefined) return undefined;
  const allowed = allowedRegions(m, fleet);
  const owner = m.valid.group !== undefined && Object.hasOwn(fleet.groups, m.valid.group) ? `group '${m.valid.group}'` : 'fleet';
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const region of regions) {
    if (seen.has(region)) findings.push({ field: 'regions', text: `region '${cut(region)}' is listed twice` });
    seen.add(region);
    if (!allowed.includes(region)) {
      findings.push({ field: 'regions', text: `region '${cut(region)}' is not one of the ${owner}'s regions ${list(allowed)} (add it there or remove it here)` });
    }
  }
  return findings;
};

const quorumWithinRegions: MonitorRule = (m, fleet) => {
  const quorum = m.valid.quorum;
  const count = effectiveRegions(m, fleet)?.length ?? 0;
  if (quorum === undefined || count === 0 || quorum <= count) return undefined;
  return { field: 'quorum', text: `quorum ${quorum} is more than the ${count} region${count === 1 ? '' : 's'} that probe it (set quorum ≤ ${count} or add regions)` };
};

const degradedBelowConnect: MonitorRule = (m) => {
  const degradedMs = m.valid.degradedMs;
  const connect = effectiveTimeouts(m)?.connect;
  if (degradedMs === undefined || connect === undefined || degradedMs < connect) return undefined;
  return {
    field: 'degradedMs',
    text: `degradedMs ${degradedMs} is not below the connect timeout of ${connect} ms (a slower connect is already a timeout; lower degradedMs or raise timeoutMs.connect)`,
  };
};

const renotifyAtLeastOneRound: MonitorRule = ({ valid: { renotifyMinutes, interval } }) =>
  renotifyMinutes !== undefined && interval !== undefined && renotifyMinutes > 0 && renotifyMinutes * 60 < interval
    ? { field: 'renotifyMinutes', text: `renotifyMinutes ${renotifyMinutes} is shorter than the interval of ${interval} s (remind at most once a round)` }
    : undefined;

const flapLeaveAtMostEnter: MonitorRule = ({ valid: { flapping } }) =>
  flapping && flapping.leavePercent > flapping.enterPercent
    ? { field: 'flapping.leavePercent', text: `flapping.leavePercent ${flapping.leavePercent} is above enterPercent ${flapping.enterPercent} (a monitor would settle before it could flap; use a lower leavePercent)` }
    : undefined;

const privateStandsAlone: MonitorRule = ({ valid, raw }) => {
  if (!isPrivate(valid)) return undefined;
  // reach.public 'closed' has its own word on group and expectClosed (reachNamesVantages).
  if (valid.exposure !== 'private') {
    return raw.preset !== undefined || wantsTls(raw) || raw.send !== undefined || raw.expect !== undefined
      ? { field: 'reach.public', text: "reach.public 'closed' checks that nothing answers from the public regions (remove preset, tls, starttls, send and expect)" }
      : undefined;
  }
  if (raw.expectClosed !== undefined) return { field: 'exposure', text: "exposure 'private' already expects the port closed (remove expectClosed)" };
  if (raw.preset !== undefined || wantsTls(raw) || raw.send !== undefined || raw.expect !== undefined) {
    return { field: 'exposure', text: "exposure 'private' checks that nothing answers from the public regions (remove preset, tls, starttls, send and expect)" };
  }
  if (raw.group !== undefined) {
    return { field: 'exposure', text: `exposure 'private' is audited from the public probe regions (remove group; reach: { ${cut(String(raw.group))}: 'open' } checks it is open from inside)` };
  }
  return undefined;
};

/** Whether the monitor expects its port closed from the public probes: exposure 'private', or reach.public 'closed'. */
export function isPrivate(valid: Partial<MonitorOutput>): boolean {
  return valid.exposure === 'private' || valid.reach?.[PUBLIC_VANTAGE] === 'closed';
}

const reachNamesVantages: MonitorRule = ({ valid, raw }, fleet) => {
  const reach = valid.reach;
  if (reach === undefined) return undefined;
  const findings: Finding[] = [];
  const keys = Object.keys(reach);
  if (keys.length === 0) findings.push({ field: 'reach', text: `reach is empty (name each vantage point's expectation, e.g. { vpc: 'open', public: 'closed' }, or remove reach)` });
  if (raw.group !== undefined) {
    findings.push({ field: 'reach', text: `reach names the probe groups that check the monitor (remove group; write reach: { ${cut(String(raw.group))}: 'open' } instead)` });
  }
  if (raw.expectClosed !== undefined) {
    findings.push({ field: 'reach', text: `reach says per vantage point whether the port must be open or closed (remove expectClosed)` });
  }
  const groups = Object.keys(fleet.groups);
  for (const key of keys) {
    if (key === PUBLIC_VANTAGE) {
      if (Object.hasOwn(fleet.groups, key)) {
        findings.push({ field: `reach.${key}`, text: `reach.${key} means the public probes, but the fleet also declares a group named '${key}' (rename the group)` });
      }
      continue;
    }
    if (!Object.hasOwn(fleet.groups, key)) {
      findings.push({
        field: `reach.${cut(key)}`,
        text: `reach.${cut(key)} names no probe group of the fleet${suggest(key, [...groups, PUBLIC_VANTAGE]) || ` (use '${PUBLIC_VANTAGE}' or a group declared in groups${groups.length ? `: ${list(groups)}` : ''})`}`,
      });
    } else if (fleet.groups[key]!.regions.length === 0) {
      findings.push({ field: `reach.${key}`, text: `reach.${key}: group '${key}' runs in no region, so nothing can check it (give the group regions or remove it from reach)` });
    }
  }
  const declared = raw.exposure;
  if (reach[PUBLIC_VANTAGE] === 'open' && declared === 'private') {
    findings.push({ field: 'reach.public', text: "reach.public 'open' contradicts exposure 'private' (which expects the port closed from the public probes; keep one of them)" });
  }
  if (reach[PUBLIC_VANTAGE] === 'closed' && declared === 'public') {
    findings.push({ field: 'reach.public', text: "reach.public 'closed' contradicts exposure 'public' (reach.public 'closed' is exposure 'private'; keep one of them)" });
  }
  const closedElsewhere = keys.filter((k) => k !== PUBLIC_VANTAGE && reach[k] === 'closed');
  if (closedElsewhere.length > 0 && (raw.preset !== undefined || wantsTls(raw) || raw.send !== undefined || raw.expect !== undefined)) {
    findings.push({
      field: `reach.${cut(closedElsewhere[0]!)}`,
      text: `reach.${cut(closedElsewhere[0]!)} 'closed' checks that nothing answers from that group (remove preset, tls, starttls, send and expect)`,
    });
  }
  return findings;
};
const watchNeedsAnOpenPort: MonitorRule = ({ valid }) =>
  valid.watch === true && (valid.expectClosed === true || isPrivate(valid))
    ? { field: 'watch', text: `watch holds a connection open, and this monitor expects the port closed (${valid.exposure === 'private' ? "exposure 'private'" : valid.expectClosed === true ? 'expectClosed' : "reach.public 'closed'"}); remove watch` }
    : undefined;

/** Every cross-field rule a monitor must pass. */
export const MONITOR_RULES: readonly MonitorRule[] = [
  familyReachesHost, linkLocalNeedsOptIn, presetSpeaksItsOwnDialogue, httpNeedsHttpPreset, starttlsMatchesPreset,
  phasesFitTotal, expectClosedStandsAlone, groupIsDeclared, regionsProbeThisFleet, quorumWithinRegions,
  degradedBelowConnect, renotifyAtLeastOneRound, flapLeaveAtMostEnter, privateStandsAlone, reachNamesVantages, watchNeedsAnOpenPort,
];

/** The fleet's fields that passed the schema, and what the caller knows of AWS. */
interface FleetView {
  valid: Partial<FleetOutput>;
  knownRegions: readonly string[] | undefined;
}

type FleetRule = (fleet: FleetView) => Finding | Finding[] | undefined;

const regionsListedOnceAndKnown: FleetRule = ({ valid: { regions }, knownRegions }) => {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const region of regions ?? []) {
    if (seen.has(region)) findings.push({ field: 'regions', text: `region '${cut(region)}' is listed twice (list each region once)` });
    seen.add(region);
    if (knownRegions && !knownRegions.includes(region)) {
      findings.push({ field: 'regions', text: `region '${cut(region)}' is not an AWS region${suggest(region, knownRegions)}` });
    }
  }
  return findings;
};

const homeRegionKnown: FleetRule = ({ valid: { homeRegion }, knownRegions }) =>
  homeRegion !== undefined && knownRegions && !knownRegions.includes(homeRegion)
    ? { field: 'homeRegion', text: `homeRegion '${cut(homeRegion)}' is not an AWS region${suggest(homeRegion, knownRegions)}` }
    : undefined;

const groupsRunInFleetRegions: FleetRule = ({ valid: { regions, groups } }) => {
  if (regions === undefined || groups === undefined) return undefined;
  return Object.entries(groups).flatMap(([name, group]) => group.regions
    .filter((region) => !regions.includes(region))
    .map((region) => ({
      field: `groups.${name}.regions`,
      text: `group '${name}' runs in region '${cut(region)}', which is not one of the fleet's regions ${list(regions)} (add it to regions)`,
    })));
};

/** Every cross-field rule of the fleet's own settings. */
export const FLEET_RULES: readonly FleetRule[] = [regionsListedOnceAndKnown, homeRegionKnown, groupsRunInFleetRegions];
