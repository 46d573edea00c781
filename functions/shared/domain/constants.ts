// Value lists of the domain, kept as const arrays so validation, docs and types derive from one place.

/** `config`: the probe could not run the check as declared (its send's secret could not be read); appended last, the record codec stores the index. */
export const ERROR_CLASSES = ['refused', 'timeout', 'unreachable', 'dns', 'reset', 'tls', 'protocol', 'config'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** The phase a probe reached; a failure names the phase it failed in. */
export const PHASES = ['dns', 'connect', 'tls', 'send', 'expect'] as const;
export type Phase = (typeof PHASES)[number];

/** Preset names and STARTTLS dialects come from the preset table (one row per preset). */
export { PRESETS, STARTTLS_PROTOCOLS, type PresetName, type StarttlsProtocol } from './presets';

export const FAMILIES = ['auto', 'ipv4', 'ipv6'] as const;
export type Family = (typeof FAMILIES)[number];

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const VERDICTS = ['UP', 'DOWN', 'DEGRADED', 'UNKNOWN'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const ALERT_KINDS = ['DOWN', 'UP', 'DEGRADED', 'CERT_EXPIRY', 'FLEET_DEGRADED', 'FLEET_RECOVERED', 'HOME_DOWN', 'HOME_RECOVERED', 'REMINDER', 'FLAPPING', 'FLAPPING_SETTLED', 'EXPOSED', 'EXPOSURE_CLOSED', 'INCIDENT', 'INCIDENT_UPDATED', 'INCIDENT_RESOLVED', 'DIVERGED', 'CONVERGED', 'REACH_BROKEN', 'REACH_RESTORED', 'TEST'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** public: the port should be open (the usual); private: it must stay closed from the public probe regions. */
export const EXPOSURES = ['public', 'private'] as const;

/** What a monitor expects from one vantage point (`reach`): the port open (reachable) or closed. */
export const REACH_EXPECTATIONS = ['open', 'closed'] as const;
export type ReachExpectation = (typeof REACH_EXPECTATIONS)[number];
/** The `reach` key that stands for the public probes (every other key names a probe group). */
export const PUBLIC_VANTAGE = 'public';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Weekday = (typeof WEEKDAYS)[number];

/** Every region name AWS Lambda runs in (commercial, GovCloud and China partitions). */
export const AWS_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'af-south-1',
  'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3',
  'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ca-central-1', 'ca-west-1',
  'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1',
  'il-central-1', 'me-south-1', 'me-central-1', 'mx-central-1', 'sa-east-1',
  'us-gov-east-1', 'us-gov-west-1', 'cn-north-1', 'cn-northwest-1',
] as const;

