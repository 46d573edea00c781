// The declaration schema: the one description of a fleet and its monitors. Types, defaults, validation messages, the
// JSON Schema for editors (schema/fleet.schema.json), the README's field table and the CLI's flags all derive from it.
//
// Messages: each check says what is wrong and the fix; validate.ts prefixes `Monitor 'id': ` or `Fleet: `, and puts
// the dotted path of the checked value where a message says {field}. Checks that compare two fields are in rules.ts.
import { z } from 'zod';
import { EXPOSURES, FAMILIES, PUBLIC_VANTAGE, REACH_EXPECTATIONS, SEVERITIES, WEEKDAYS } from './constants';
import { isIP } from './net';
import { flagsProblem, patternProblem } from './pattern';
import { PRESETS, STARTTLS_PROTOCOLS } from './presets';
import { cut, list, show, suggest } from './quote';
import { redactedSend } from './secrets';
import type { Vantage } from './reach';

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const GROUP_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const TAG_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** SNS allows 10 message attributes; kind, severity, monitor and verdict take four. */
const MAX_TAGS = 6;
const HOSTNAME_LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;
const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})+$/;
const PARTITION = 'arn:aws(?:-[a-z]+)*';
/** A parameter name (`/a/b`, `a.b`: letters, digits, `_.-/`, at most 15 levels deep) or a parameter ARN. */
const SSM_PARAMETER = new RegExp(`^(?:/?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+){0,14}|${PARTITION}:ssm:[a-z0-9-]+:\\d{12}:parameter/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+){0,14})$`);
const SECRET_ARN = new RegExp(`^${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+$`);
const KMS_KEY_ARN = new RegExp(`^${PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$`);
/** How a stored secret becomes the bytes sent. */
export const SECRET_ENCODINGS = ['text', 'hex'] as const;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const ZONED_INSTANT = /T.*(Z|[+-]\d\d:\d\d)$/;
const MIN_TIMEOUT_MS = 50;
const MAX_TIMEOUT_MS = 60_000;
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'] as const;
const TIMEOUT_PHASES = ['dns', 'connect', 'tls', 'expect', 'total'] as const;

/** A check's message, from the checked value. */
const says = (text: (input: unknown) => string) => ({ error: (iss: { input?: unknown }) => text(iss.input) });

/** A whole number in [min, max]; every way of missing (a string, 1.5, 1e400, out of range) gives the one message. */
function wholeNumber(min: number, max: number, text: (input: unknown) => string) {
  const error = says(text);
  return z.int(error).min(min, error).max(max, error);
}

const tcpPort = (field: string) => wholeNumber(1, 65535, (v) => `${field} ${show(v)} is not a TCP port (use a whole number from 1 to 65535)`);
const flag = (field: string) => z.boolean(says((v) => `${field} ${show(v)} must be true or false`));

/** What is wrong with a host, or undefined: a DNS name, an IPv4 or IPv6 literal (IPv6 may be bracketed). */
function hostProblem(host: string): string | undefined {
  if (host.trim() === '') return `host is missing (a DNS name or an IP address, e.g. 'db.example.internal')`;
  if (host.includes('://')) {
    return `host '${cut(host)}' has a scheme (write the bare name, e.g. '${cut(host.replace(/^[a-z]+:\/\//i, '').replace(/[:/].*$/, ''))}')`;
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return undefined;
  if (/:\d+$/.test(host)) return `host '${cut(host)}' includes a port (put the port in port: ${host.replace(/^.*:/, '')})`;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length > 253 || !name.split('.').every((label) => HOSTNAME_LABEL.test(label))) {
    return `host '${cut(host)}' is not a valid DNS name or IP address (use labels of letters, digits and '-' joined by single dots)`;
  }
  return undefined;
}

/** The bounds of a whole-number field, as the CLI's flags enforce them before the schema does. */
/** A URL with a user name or password in it (`https://user:pass@host/…`). */
function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

/** The URL with its credentials replaced, so a message about them never repeats them. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace('://', '://<credentials>@');
}

export function wholeNumberBounds(schema: z.ZodType): { min: number; max: number } {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType };
  if ((def.type === 'default' || def.type === 'optional') && def.innerType) return wholeNumberBounds(def.innerType);
  const number = schema as z.ZodNumber;
  return { min: number.minValue ?? Number.MIN_SAFE_INTEGER, max: number.maxValue ?? Number.MAX_SAFE_INTEGER };
}

function isAligned(interval: number): boolean {
  return interval >= 10 && interval <= 3600 && (interval < 60 ? 60 % interval === 0 : interval % 60 === 0);
}

function build() {
  // What a monitor sends may be a password: its messages show it redacted (secrets.ts), never quoted.
  const hexBytes = (secret: boolean) => {
    const quote = secret ? redactedSend : show;
    return z.strictObject({
      hex: z.string(says((v) => `{field} ${quote(v)} is not hex bytes (use pairs of 0-9a-f, e.g. '0d0a')`))
        .regex(HEX_PATTERN, says((v) => `{field} ${quote(v)} is not hex bytes (use pairs of 0-9a-f, e.g. '0d0a')`))
        .describe('Bytes as hex pairs, e.g. 0d0a.'),
    });
  };
  // Where a send's bytes live instead of the declaration, read by the probe at cold start (the probe's role may read
  // only these). ARNs are checked in shape here; rules.ts has nothing to add (any region may hold them).
  const encoding = z.enum(SECRET_ENCODINGS, says((v) => `send.encoding ${show(v)} is not one of ${list(SECRET_ENCODINGS)}`)).optional()
    .describe("How the stored value becomes bytes: 'text' (UTF-8, as stored) or 'hex' (pairs of 0-9a-f). Default: text.");
  const kmsKeyArn = z.string(says((v) => `send.kmsKeyArn ${show(v)} is not a KMS key ARN (e.g. 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'; an alias cannot be granted kms:Decrypt)`))
    .regex(KMS_KEY_ARN, says((v) => `send.kmsKeyArn ${show(v)} is not a KMS key ARN (e.g. 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'; an alias cannot be granted kms:Decrypt)`))
    .optional()
    .describe('The customer managed KMS key that encrypts the value; the probe is granted kms:Decrypt on it through SSM or Secrets Manager only. Default: the AWS managed key.');
  const ssmMessage = says((v) => `send.ssmParameter ${show(v)} is not an SSM parameter name or ARN (e.g. '/portquorum/orders-db/hello', read in each probing region, or 'arn:aws:ssm:eu-west-1:123456789012:parameter/portquorum/orders-db/hello')`);
  const ssmReference = z.strictObject({
    ssmParameter: z.string(ssmMessage).regex(SSM_PARAMETER, ssmMessage)
      .describe('An SSM Parameter Store parameter (a SecureString): its name, read in each region that probes the monitor, or its ARN, read in its region.'),
    encoding,
    kmsKeyArn,
  });
  const secretMessage = says((v) => `send.secretArn ${show(v)} is not a Secrets Manager secret ARN (e.g. 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:portquorum/orders-db-AbCdEf')`);
  const secretReference = z.strictObject({
    secretArn: z.string(secretMessage).regex(SECRET_ARN, secretMessage)
      .describe("A Secrets Manager secret's ARN (its SecretString, or SecretBinary as bytes), read in the ARN's region."),
    encoding,
    kmsKeyArn,
  });
  const text = (field: string) => z.string().min(1, says(() => `${field} is empty (remove it, or give the bytes to send)`));
  const regexMessage = (regex: unknown, flags: unknown, why?: string) => (why === undefined
    ? `expect.regex ${show(regex)} is not a valid regular expression (give a non-empty string in RE2 syntax)`
    : `expect.regex ${show(regex)}${flags === undefined ? '' : ` with flags ${show(flags)}`} is not a valid regular expression for RE2: ${cut(why)} (check its brackets and escapes; RE2 matches in linear time, so it has no lookaround or backreferences)`);
  const regexExpect = z.strictObject({
    regex: z.string(says((v) => regexMessage(v, undefined))).min(1, says((v) => regexMessage(v, undefined)))
      .describe('A regular expression (RE2 syntax, matched in linear time) the reply must match.'),
    flags: z.string(says((v) => `expect.flags ${show(v)} must be a string of regular expression flags, e.g. 'i'`)).optional()
      .describe('Regular expression flags: i, m, s (g, y and u are accepted and change nothing).'),
  }).superRefine((value, ctx) => {
    const flagsWrong = value.flags === undefined ? undefined : flagsProblem(value.flags);
    if (flagsWrong !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['flags'], message: `expect.flags ${show(value.flags)}: ${flagsWrong} (use i, m or s; g, y and u are accepted and change nothing)` });
      return;
    }
    const why = patternProblem(value.regex, value.flags);
    if (why !== undefined) ctx.addIssue({ code: 'custom', path: ['regex'], message: regexMessage(value.regex, value.flags, why) });
  });

  const tlsOptions = z.strictObject({
    /** Server name sent in SNI and verified against the certificate. @default the monitor's host (no SNI for IP literals) */
    servername: z.string(says((v) => `tls.servername ${show(v)} must be a DNS name (SNI cannot carry an IP address)`))
      .refine((name) => name !== '' && isIP(name) === 0, says((v) => `tls.servername ${show(v)} must be a DNS name (SNI cannot carry an IP address)`))
      .optional()
      .describe("Server name sent in SNI and verified against the certificate. Default: the monitor's host (no SNI for IP literals)."),
    /** Verify the chain and host name. @default true */
    verify: flag('tls.verify').default(true).describe('Verify the chain and host name.'),
    /** Warn (CERT_EXPIRY alert) when a quorum sees fewer days left than this; 0 turns the warning off. @default 14 */
    minDaysValid: wholeNumber(0, 825, (v) => `tls.minDaysValid ${show(v)} is out of range (use 0 to 825 days; 0 turns the expiry warning off)`)
      .default(14)
      .describe('Warn (CERT_EXPIRY alert) when a quorum sees fewer days left than this; 0 turns the warning off.'),
  });

  const statusMessage = says((v) => `http.status ${show(v)} is not a status code or [low, high] range within 100–599`);
  const statusCode = z.int(statusMessage).min(100, statusMessage).max(599, statusMessage);
  const http = z.strictObject({
    /** @default 'GET' */
    method: z.enum(HTTP_METHODS, says((v) => `http.method ${show(v)} is not one of ${list(HTTP_METHODS)}`)).default('GET').describe('Request method.'),
    /** @default '/' */
    path: z.string(says((v) => `http.path ${show(v)} must start with '/' and contain no spaces`))
      .regex(/^\/\S*$/, says((v) => `http.path ${show(v)} must start with '/' and contain no spaces`))
      .default('/')
      .describe('Request path.'),
    /** Host header. @default the TLS servername, else the monitor's host */
    hostHeader: z.string(says((v) => `http.hostHeader ${show(v)} must be a host name without spaces`))
      .regex(/^\S+$/, says((v) => `http.hostHeader ${show(v)} must be a host name without spaces`))
      .optional()
      .describe("Host header. Default: the TLS servername, else the monitor's host."),
    /** Accepted status codes, inclusive. @default [200, 399] */
    status: z.union([
      statusCode,
      z.tuple([statusCode, statusCode], statusMessage).refine(([low, high]) => low <= high, statusMessage),
    ], statusMessage).default([200, 399]).describe('Accepted status: one code, or an inclusive [low, high] range.'),
    /** The body (first `expectWithinBytes` bytes) must contain this. @default no body check */
    bodyContains: z.string(says((v) => `http.bodyContains ${show(v)} must be a non-empty string`))
      .min(1, says((v) => `http.bodyContains ${show(v)} must be a non-empty string`))
      .optional()
      .describe('The body (its first expectWithinBytes bytes) must contain this.'),
  });

  const percent = (field: string, fallback: number, description: string) =>
    wholeNumber(1, 100, (v) => `flapping.${field} ${show(v)} is out of range (use a whole percent from 1 to 100)`).default(fallback).describe(description);
  const flapOptions = z.strictObject({
    /** FLAPPING starts when the weighted percent of state change over 21 rounds reaches this. @default 40 */
    enterPercent: percent('enterPercent', 40, 'FLAPPING starts when the weighted percent of state change over the last 21 rounds reaches this.'),
    /** FLAPPING settles when the percent falls below this. @default 20 */
    leavePercent: percent('leavePercent', 20, 'FLAPPING settles when the percent falls below this.'),
  });

  const phase = (name: (typeof TIMEOUT_PHASES)[number], fallback: number, description: string) =>
    wholeNumber(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, (v) => `timeoutMs.${name} ${show(v)} is out of range (use ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS} ms)`)
      .default(fallback)
      .describe(description);
  const timeouts = z.strictObject({
    /** @default 2000 */
    dns: phase('dns', 2000, 'Milliseconds for DNS resolution.'),
    /** @default 3000 */
    connect: phase('connect', 3000, 'Milliseconds for the TCP handshake.'),
    /** @default 3000 */
    tls: phase('tls', 3000, 'Milliseconds for the TLS handshake.'),
    /** Time allowed for the reply after sending (or for the banner). @default 3000 */
    expect: phase('expect', 3000, 'Milliseconds allowed for the reply after sending (or for the banner).'),
    /** Overall budget for one attempt; when unset it grows to the connect timeout. @default 5000 */
    total: phase('total', 5000, 'Overall budget for one attempt; when unset it grows to the connect timeout.'),
  });

  const oneOffWindow = z.strictObject({
    start: z.string(says((v) => `{field} ${show(v)} must be an ISO 8601 instant with a zone, e.g. '2026-12-01T22:00:00Z'`))
      .describe('ISO 8601 instant with a zone, e.g. 2026-12-01T22:00:00Z.'),
    end: z.string(says((v) => `{field} ${show(v)} must be an ISO 8601 instant with a zone, e.g. '2026-12-01T23:00:00Z'`))
      .describe('ISO 8601 instant with a zone, after start.'),
    reason: z.string().optional().describe('Shown beside the monitor while the window is open.'),
  }).superRefine(({ start, end }, ctx) => {
    const from = Date.parse(start);
    const to = Date.parse(end);
    if (Number.isNaN(from) || Number.isNaN(to) || !ZONED_INSTANT.test(start) || !ZONED_INSTANT.test(end)) {
      ctx.addIssue({ code: 'custom', message: `{field} start ${show(start)} and end ${show(end)} must be ISO 8601 instants with a zone, e.g. '2026-12-01T22:00:00Z'` });
    } else if (to <= from) {
      ctx.addIssue({ code: 'custom', message: `{field} ends (${cut(end)}) before it starts (${cut(start)})` });
    }
  });
  const recurringWindow = z.strictObject({
    days: z.array(z.enum(WEEKDAYS), says((v) => `{field} ${show(v)} must list weekdays from ${list(WEEKDAYS)}`))
      .min(1, says((v) => `{field} ${show(v)} must list weekdays from ${list(WEEKDAYS)}`))
      .describe('Weekdays the window opens on (UTC).'),
    startUtc: z.string(says((v) => `{field} ${show(v)} must be a UTC time 'HH:MM'`))
      .regex(HHMM, says((v) => `{field} ${show(v)} must be a UTC time 'HH:MM'`))
      .describe('UTC time the window opens, HH:MM.'),
    durationMinutes: wholeNumber(1, 10080, (v) => `{field} ${show(v)} is out of range (use 1 to 10080 minutes)`).describe('How long the window stays open.'),
    reason: z.string().optional().describe('Shown beside the monitor while the window is open.'),
  });
  const maintenanceWindow = z.union([oneOffWindow, recurringWindow],
    says(() => `{field} must be { start, end } or { days, startUtc, durationMinutes }`));

  const regionName = z.string(says((v) => `region ${show(v)} is not a region name`)).min(1, says((v) => `region ${show(v)} is not a region name`));

  const tagKey = z.string().regex(TAG_KEY_PATTERN, says((v) => `tag key '${cut(String(v))}' is not allowed (use 1–64 letters, digits, '-' or '_')`));
  const tagValue = z.string(says((v) => `tag '{key}' value ${show(v)} must be a non-empty string of at most 256 characters`))
    .min(1, says((v) => `tag '{key}' value ${show(v)} must be a non-empty string of at most 256 characters`))
    .max(256, says((v) => `tag '{key}' value ${show(v)} must be a non-empty string of at most 256 characters`));

  const monitorFields = {
    /** Stable id, used in state keys and alerts: lowercase letters, digits, `-`, `_`, `.`; 1–64 characters. */
    id: z.string(says(() => `id is missing (give every monitor a stable id, e.g. 'orders-db')`))
      .min(1, { ...says(() => `id is missing (give every monitor a stable id, e.g. 'orders-db')`), abort: true })
      .regex(ID_PATTERN, says((v) => `id '${cut(String(v))}' is not allowed (use 1–64 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit)`))
      .describe('Stable id, used in state keys and alerts: 1–64 lowercase letters, digits, -, _ or ., starting with a letter or digit.'),
    /** DNS name, IPv4 or IPv6 literal. */
    host: z.string(says(() => `host is missing (a DNS name or an IP address, e.g. 'db.example.internal')`))
      .superRefine((host, ctx) => {
        const problem = hostProblem(host);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('DNS name, IPv4 or IPv6 literal.'),
    /** TCP port, 1–65535. */
    port: tcpPort('port').describe('TCP port, 1–65535.'),
    /** A protocol check behind the port. @default none (a TCP connect is enough) */
    preset: z.enum(PRESETS, says((v) => `preset ${show(v)} is not one of ${list(PRESETS)}${typeof v === 'string' ? suggest(v, PRESETS) : ''}`))
      .optional()
      .describe('A protocol check behind the port. Default: none (a TCP connect is enough).'),
    /** Bytes to send after connecting (and after TLS): a string (sent as UTF-8), `{ hex }`, or a secret read by the probe: `{ ssmParameter }`, `{ secretArn }`. @default nothing */
    send: z.union([text('send'), hexBytes(true), ssmReference, secretReference], says(() => `send must be a string, { hex: '…' }, { ssmParameter: '…' } or { secretArn: '…' }`))
      .optional()
      .describe('Bytes to send after connecting (and after TLS): a string (sent as UTF-8), { hex }, or a secret the probe reads at cold start: { ssmParameter } or { secretArn } (with encoding, kmsKeyArn). Shown everywhere as <redacted: N bytes>.'),
    /** What the reply must contain: a substring, `{ regex, flags }` or `{ hex }`. @default nothing expected */
    expect: z.union([text('expect'), regexExpect, hexBytes(false)], says(() => `expect must be a string, { regex: '…' } or { hex: '…' }`))
      .optional()
      .describe('What the reply must contain: a substring, { regex, flags } or { hex }.'),
    /** How many bytes of the reply to read looking for `expect`. @default 4096 */
    expectWithinBytes: wholeNumber(1, 65536, (v) => `expectWithinBytes ${show(v)} is out of range (use 1 to 65536; replies are read only this far)`)
      .default(4096)
      .describe('How many bytes of the reply to read looking for expect; reads never go further.'),
    /** Options of the http preset. */
    http: http.optional().describe("Options of preset: 'http'."),
    /** TLS directly on the port (`true` or options). @default false */
    tls: z.union([z.boolean(), tlsOptions], says((v) => `tls ${show(v)} must be true, false or an options object`))
      .optional()
      .describe('TLS from the first byte: true, or options. Default: off.'),
    /** Upgrade to TLS in-protocol before checking (uses the `tls` options). @default none */
    starttls: z.enum(STARTTLS_PROTOCOLS, says((v) => `starttls ${show(v)} is not one of ${list(STARTTLS_PROTOCOLS)}`))
      .optional()
      .describe('Upgrade to TLS in-protocol before checking (uses the tls options). Default: none.'),
    /** One number = the overall per-attempt budget, every phase included; or per phase. @default { dns: 2000, connect: 3000, tls: 3000, expect: 3000, total: 5000 } */
    timeoutMs: z.union([
      wholeNumber(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, (v) => `timeoutMs ${show(v)} is out of range (use ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS} ms)`),
      timeouts,
    ], says((v) => `timeoutMs ${show(v)} must be a number of milliseconds or { dns, connect, tls, expect, total }`))
      .default(timeouts.parse({}))
      .describe('One number: the per-attempt budget, every phase included; or per phase.'),
    /** Extra attempts inside a round after a failure (short backoff). @default 1 */
    retries: wholeNumber(0, 5, (v) => `retries ${show(v)} is out of range (use 0 to 5 extra attempts within a round)`)
      .default(1)
      .describe('Extra attempts within a round after a failure (short backoff).'),
    /** @default 'auto' */
    family: z.enum(FAMILIES, says((v) => `family ${show(v)} is not one of ${list(FAMILIES)}`)).default('auto').describe('Address family to resolve and connect with.'),
    /** Probe every resolved address; down if any is down. @default false */
    allAddresses: flag('allAddresses').default(false).describe('Probe every resolved address; down if any is down.'),
    /** The port must refuse or stay silent; an open port is the failure. @default false */
    expectClosed: flag('expectClosed').default(false).describe('The port must refuse or stay silent; an open port is the failure.'),
    /** Allow link-local and instance-metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254). @default false */
    allowLinkLocal: flag('allowLinkLocal').default(false).describe('Allow link-local and instance-metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254).'),
    /** Free-form labels, copied into alerts and message attributes (at most 6). @default {} */
    tags: z.record(tagKey, tagValue, says(() => `tags must be an object of string values, e.g. { team: 'payments' }`))
      .refine((tags) => Object.keys(tags).length <= MAX_TAGS, says((v) =>
        `${Object.keys(v as object).length} tags is more than ${MAX_TAGS} (each tag becomes an SNS message attribute and SNS allows 10, 4 of which portquorum uses)`))
      .default({})
      .describe('Labels copied into alerts; each becomes an SNS message attribute tag.<key> (at most 6).'),
    /** @default 'critical' */
    severity: z.enum(SEVERITIES, says((v) => `severity ${show(v)} is not one of ${list(SEVERITIES)}`)).default('critical').describe('Severity carried by the alerts.'),
    /** An https:// link to what on-call should do when this monitor pages; copied into every alert about it. @default none */
    runbook: z.url({
      protocol: /^https$/,
      ...says((v) => `runbook ${show(v)} is not an https:// URL (link the page on-call should open, e.g. 'https://wiki.example.com/runbooks/orders-db')`),
    }).max(2048, says((v) => `runbook ${show(v)} is longer than 2048 characters (link a shorter URL)`))
      .refine((v) => !hasCredentials(v), says((v) =>
        `runbook ${show(withoutCredentials(String(v)))} carries credentials in the URL (user:password@): every alert copies the link to every subscriber; link a page that asks for them`))
      .optional()
      .describe('An https:// link to what on-call should do when this monitor pages; copied into every alert about it.'),
    /** Regions that probe this monitor. @default every fleet region (or its group's) */
    regions: z.array(regionName, says(() => 'regions is empty (omit it to probe from every fleet region)'))
      .min(1, says(() => 'regions is empty (omit it to probe from every fleet region)'))
      .optional()
      .describe("Regions that probe this monitor. Default: every fleet region (or its group's)."),
    /** Regions that must agree. @default a majority of the monitor's regions */
    quorum: z.int(says((v) => `quorum ${show(v)} must be a whole number of at least 1`))
      .min(1, says((v) => `quorum ${show(v)} must be a whole number of at least 1`))
      .optional()
      .describe("Regions that must agree. Default: a majority of the monitor's regions."),
    /** Seconds between rounds: a divisor of 60 (≥ 10) or a multiple of 60 up to 3600. @default 60 */
    interval: z.int(says((v) => `interval ${show(v)} seconds does not align to the minute (use 10, 12, 15, 20, 30 or a multiple of 60 up to 3600)`))
      .refine(isAligned, says((v) => `interval ${show(v)} seconds does not align to the minute (use 10, 12, 15, 20, 30 or a multiple of 60 up to 3600)`))
      .default(60)
      .describe('Seconds between rounds: 10, 12, 15, 20, 30 or a multiple of 60 up to 3600.'),
    /** Consecutive DOWN rounds before alerting. @default 2 */
    failureThreshold: wholeNumber(1, 20, (v) => `failureThreshold ${show(v)} is out of range (use 1 to 20 consecutive rounds)`)
      .default(2)
      .describe('Consecutive quorum rounds DOWN before the DOWN alert.'),
    /** Consecutive UP rounds before the recovery alert. @default 2 */
    recoveryThreshold: wholeNumber(1, 20, (v) => `recoveryThreshold ${show(v)} is out of range (use 1 to 20 consecutive rounds)`)
      .default(2)
      .describe('Consecutive quorum rounds UP before the UP alert.'),
    /** DEGRADED when a quorum is up but connect time exceeds this. @default off */
    degradedMs: z.int(says((v) => `degradedMs ${show(v)} must be a whole number of milliseconds of at least 1`))
      .min(1, says((v) => `degradedMs ${show(v)} must be a whole number of milliseconds of at least 1`))
      .optional()
      .describe('DEGRADED when a quorum is up but connect time is above this many milliseconds. Default: off.'),
    /** Windows in which verdicts go on but pages stop. @default [] */
    maintenance: z.array(maintenanceWindow, says(() => 'maintenance must be a list of windows'))
      .default([])
      .describe('Windows in which verdicts go on but pages stop: { start, end } (ISO instants) or { days, startUtc, durationMinutes } (weekly, UTC).'),
    /** Remind every N minutes while DOWN; 0 is off. @default 0 */
    renotifyMinutes: wholeNumber(0, 10080, (v) => `renotifyMinutes ${show(v)} is out of range (use 0 for off, or 1 to 10080)`)
      .default(0)
      .describe('Remind every this many minutes while DOWN; 0 is off.'),
    /** Flap detection: thresholds, or `false` for off. @default { enterPercent: 40, leavePercent: 20 } */
    flapping: z.union([z.literal(false), flapOptions], says((v) => `flapping ${show(v)} must be false or { enterPercent, leavePercent }`))
      .default(flapOptions.parse({}))
      .describe('Flap detection (weighted percent of state change over the last 21 rounds, as Nagios does): { enterPercent, leavePercent }, or false for off. While a monitor flaps, its DOWN/UP pages are held.'),
    /** Rounds in a row a quorum is up but regions see different certificates, addresses or server versions before DIVERGED; 0 is off. @default 3 */
    divergedRounds: wholeNumber(0, 100, (v) => `divergedRounds ${show(v)} is out of range (use 0 for off, or 1 to 100 rounds)`)
      .default(3)
      .describe('DIVERGED after this many rounds in a row in which a quorum is up but regions see different things (certificate, resolved addresses, server version); one alert with each region\'s view, and CONVERGED when they agree again. 0 is off (e.g. for a name that geo-DNS answers differently per region).'),
    /** `private`: the port must stay closed from the public probe regions; one region connecting pages EXPOSED. @default 'public' */
    exposure: z.enum(EXPOSURES, says((v) => `exposure ${show(v)} is not one of ${list(EXPOSURES)}`))
      .default('public')
      .describe("public: the port should be open. private (a database, a cache, an admin port): it must stay closed or silent from the public probe regions; any one region connecting pages EXPOSED, once per exposure, and EXPOSURE_CLOSED when it is closed again."),
    /**
     * What each vantage point must find, by probe group (`public` is the public probes): `open` or `closed`, e.g.
     * `{ vpc: 'open', public: 'closed' }`. Each named group probes the monitor too and is judged on its own.
     * @default none (the public probes expect the port open, or closed with exposure 'private')
     */
    reach: z.record(
      z.string(says((v) => `reach key ${show(v)} must be a probe group name or '${PUBLIC_VANTAGE}'`)),
      z.enum(REACH_EXPECTATIONS, says((v) => `{field} ${show(v)} is not one of ${list(REACH_EXPECTATIONS)}`)),
      says((v) => `reach ${show(v)} must be an object of expectations by probe group, e.g. { vpc: 'open', public: 'closed' }`),
    ).optional()
      .describe(`What each vantage point must find, by probe group ('${PUBLIC_VANTAGE}' is the public probes): 'open' or 'closed', e.g. { vpc: 'open', public: 'closed' }. Each group named probes the monitor from all of its regions and is judged by its own quorum (closed: any one region connecting breaks it); REACH_BROKEN names the vantage point, REACH_RESTORED follows when it holds again. ${PUBLIC_VANTAGE}: 'closed' is exposure: 'private'. Default: none.`),
    /** Hold an idle connection open between rounds and re-probe the moment the peer closes it; a quorum of failed re-probes pages DOWN at once. @default false */
    watch: flag('watch').default(false)
      .describe('Watch mode: between rounds each region holds one idle connection to the port and re-probes the moment the peer closes or resets it; when a quorum of regions sees that re-probe fail within a few seconds, the monitor goes DOWN at once instead of at the next rounds (the rounds then confirm or clear it). A close followed by a good re-probe (a server dropping idle clients) is no event. Keeps the probe function up for its whole minute (see portquorum cost).'),
    /** Probe group (declared on the fleet, e.g. VPC probes) that checks this monitor. @default the public probes */
    group: z.string(says((v) => `group ${show(v)} must be the name of a group declared on the fleet`))
      .optional()
      .describe('Probe group (declared on the fleet, e.g. VPC probes) that checks this monitor. Default: the public probes.'),
    /** Ids of monitors this one depends on: while one of them is DOWN, this one's DOWN joins its incident instead of paging. @default none */
    dependsOn: z.array(
      z.string(says((v) => `dependsOn entry ${show(v)} must be a monitor id`)).min(1, says((v) => `dependsOn entry ${show(v)} must be a monitor id`)),
      says((v) => `dependsOn ${show(v)} must be a list of monitor ids, e.g. ['core-router']`),
    ).optional()
      .describe("Ids of monitors this one depends on, e.g. ['core-router']: while one of them is DOWN, this monitor's DOWN joins that monitor's incident (an INCIDENT_UPDATED) instead of paging. Default: none."),
  };
  const monitor = z.strictObject(monitorFields, says(() => 'must be an object with id, host and port'))
    .describe('One monitor: a TCP target and how to check it.');
  const { id: _id, host: _host, port: _port, ...defaultable } = monitorFields;
  const monitorDefaults = z.strictObject(
    Object.fromEntries(Object.entries(defaultable).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof defaultable]: z.ZodOptional<(typeof defaultable)[K]> },
    says(() => "monitorDefaults must be an object of monitor fields, e.g. { tags: { team: 'platform' } }"),
  ).describe('Fields applied to every monitor before its own.');

  const canary = z.strictObject({
    /** Host every region can always reach; `{region}` becomes the probing region's name. */
    host: z.string(says(() => 'canary.host is empty (name a target every region can always reach)'))
      .refine((host) => host.trim() !== '', says(() => 'canary.host is empty (name a target every region can always reach)'))
      .describe('A target every region can always reach; {region} becomes the probing region.'),
    port: tcpPort('canary.port').describe('TCP port, 1–65535.'),
    /** @default 3000 */
    timeoutMs: wholeNumber(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, (v) => `canary.timeoutMs ${show(v)} is out of range (use ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS})`)
      .default(3000)
      .describe('Milliseconds for the canary connect.'),
  }, says(() => 'canary must be { host, port, timeoutMs } (or leave it out: then no region is ever vetoed)'));

  const group = z.strictObject({
    regions: z.array(regionName, says(() => '{field} must be a list of fleet regions'))
      .describe("Regions the group's probes run in (each a fleet region)."),
  }, says(() => "group '{key}' must be an object with regions"));

  const pageText = (field: string) => z.string(says((v) => `${field} ${show(v)} must be text`))
    .refine((text) => text.trim() !== '', says(() => `${field} is empty`))
    .refine((text) => text.length <= 200, says((v) => `${field} ${show(v)} is longer than 200 characters`));
  const statusPage = z.strictObject({
    /** The page's heading and HTML title. */
    title: pageText('statusPage.title').describe("The page's heading and title."),
    /** Monitors shown one per row. @default every monitor not in a group, except private (exposure audit) ones */
    monitors: z.array(z.string(says((v) => `statusPage.monitors entry ${show(v)} must be a monitor id`)), says(() => 'statusPage.monitors must be a list of monitor ids'))
      .optional()
      .describe('Monitors shown one per row. Default: every monitor not in a group, except private (exposure audit) ones.'),
    /** Rows standing for several monitors (name → monitor ids), showing the worst verdict of the members. @default none */
    groups: z.record(
      pageText('statusPage.groups name'),
      z.array(z.string(says((v) => `statusPage.groups entry ${show(v)} must be a monitor id`)), says(() => "statusPage.groups '{key}' must be a list of monitor ids"))
        .min(1, says(() => "statusPage.groups '{key}' is empty (list the monitor ids it stands for)")),
      says(() => "statusPage.groups must be an object of monitor id lists by row name, e.g. { 'Web shop': ['web', 'payments'] }"),
    ).optional().describe('Rows standing for several monitors (row name → monitor ids), showing the worst verdict of the members. Default: none.'),
  }, says(() => "statusPage must be { title, monitors?, groups? }, e.g. { title: 'Acme status' }"));

  const fleetFields = {
    /** Where editors find this JSON Schema, e.g. ./node_modules/portquorum/schema/fleet.schema.json (JSON configs only). */
    $schema: z.string().optional().describe('Where editors find this JSON Schema (JSON configs only).'),
    /** Regions that probe. */
    regions: z.array(regionName, says(() => "regions is empty (list at least one region, e.g. regions: ['eu-west-1', 'us-east-1', 'ap-southeast-1'])"))
      .min(1, says(() => "regions is empty (list at least one region, e.g. regions: ['eu-west-1', 'us-east-1', 'ap-southeast-1'])"))
      .describe('Regions that probe.'),
    /** Region of the results table, aggregator, sweeper and topic. @default regions[0] */
    homeRegion: z.string(says((v) => `homeRegion ${show(v)} is not a region name`)).min(1, says((v) => `homeRegion ${show(v)} is not a region name`))
      .optional()
      .describe('Region of the results table, aggregator, sweeper and topic. Default: the first region.'),
    /** A target that should always be up, probed by every region each round; its failure vetoes that region's downs. @default none (no veto) */
    canary: canary.optional().describe("A target every region probes each round; a region that cannot reach it has its downs vetoed. Default: none."),
    /** Defaults applied to every monitor before its own fields. */
    monitorDefaults: monitorDefaults.optional(),
    /** Probe groups (e.g. VPC probes), by name → regions they run in. @default none */
    groups: z.record(
      z.string().regex(GROUP_NAME, says((v) => `group name '${cut(String(v))}' is not allowed (use 1–32 lowercase letters, digits or '-'; it names the group's probe function)`)),
      group,
      says(() => "groups must be an object of probe groups by name, e.g. { private: { regions: ['eu-west-1'] } }"),
    ).optional().describe('Probe groups (e.g. VPC probes) by name.'),
    monitors: z.array(monitor, says(() => 'monitors must be a list of monitor declarations')).describe('The monitors.'),
    /** Monitors one probe invocation checks at most: more make several shards of the region's probe function, each its own scheduled invocation. @default 2000 */
    monitorsPerProbe: z.int(says((v) => `monitorsPerProbe ${show(v)} must be a whole number of monitors from 100 to 50000`))
      .min(100, says((v) => `monitorsPerProbe ${show(v)} must be a whole number of monitors from 100 to 50000`))
      .max(50_000, says((v) => `monitorsPerProbe ${show(v)} must be a whole number of monitors from 100 to 50000`))
      .optional()
      .describe('Monitors one probe invocation checks at most; a region with more runs its probe function as several shards, each its own scheduled invocation. Default: 2000.'),
    /** A public status page (rendered by the sweeper to S3 behind CloudFront; `portquorum local` serves it). @default none */
    statusPage: statusPage.optional().describe('A status page: { title, monitors?, groups? }. The sweeper renders it to a private S3 bucket served by CloudFront; portquorum local serves it on loopback. Default: none.'),

    /** Targets `portquorum local` serves on loopback for these monitors (see `portquorum local --help`); ignored elsewhere. */
    localTargets: z.array(z.record(z.string(), z.unknown(), says(() => '{field} must be { name, kind, port }')), says(() => 'localTargets must be a list of { name, kind, port }'))
      .optional()
      .describe('Targets portquorum local serves on loopback ({ name, kind, port }); ignored elsewhere.'),
  };
  const fleet = z.strictObject(fleetFields, says(() => 'the declaration must be an object with regions and monitors'))
    .describe('A portquorum fleet: the regions that probe, and the monitors.');

  return { monitor, monitorFields, monitorDefaults, fleet, fleetFields, statusPage, send: monitorFields.send, expect: monitorFields.expect, tlsOptions, http, timeouts, maintenanceWindow, canary, group, flapOptions };
}

/** Built once; `@__PURE__` lets a bundle that never validates (the Lambda handlers) drop zod and the schema whole. */
export const SCHEMA = /* @__PURE__ */ build();
type Schemas = ReturnType<typeof build>;

/** A monitor as a user declares it. */
export type MonitorSpec = z.input<Schemas['monitor']>;
export type MonitorField = keyof MonitorSpec;
/** Bytes to send: a string (sent as UTF-8, `\r\n` written literally), hex, or a reference to a secret the probe reads. */
export type SendSpec = NonNullable<z.output<Schemas['send']>>;
/** What the reply must contain within `expectWithinBytes`: a substring, a regular expression, or bytes. */
export type ExpectSpec = NonNullable<z.output<Schemas['expect']>>;
export type TlsSpec = z.input<Schemas['tlsOptions']>;
export type HttpSpec = z.input<Schemas['http']>;
export type TimeoutSpec = z.input<Schemas['timeouts']>;
/** A one-off window (ISO 8601 instants) or a weekly recurring window (UTC). */
export type MaintenanceWindow = z.output<Schemas['maintenanceWindow']>;
/** A target that should always be up, probed by every region each round; its failure vetoes that region's downs. */
export type CanarySpec = z.input<Schemas['canary']>;
/** A status page as a fleet declares it. */
export type StatusPageSpec = z.output<Schemas['statusPage']>;
/** A fleet as a user declares it: regions, canary, monitor defaults, groups and monitors. */
export type FleetSpec = z.input<Schemas['fleet']>;

type MonitorOutput = z.output<Schemas['monitor']>;
/** A monitor with every default applied; what the probe and aggregator work with. */
export type ResolvedMonitor = Omit<MonitorOutput, 'timeoutMs' | 'tls' | 'http' | 'regions' | 'quorum' | 'flapping' | 'exposure' | 'divergedRounds' | 'watch'> & {
  timeoutMs: Required<z.output<Schemas['timeouts']>>;
  tls?: z.output<Schemas['tlsOptions']>;
  http?: Omit<z.output<Schemas['http']>, 'status'> & { status: [number, number] };
  regions: string[];
  quorum: number;
  /** Absent in a fleet.json written before flap detection existed (and for the canary): off. */
  flapping?: MonitorOutput['flapping'];
  /** Absent in a fleet.json written before the exposure audit existed (and for the canary): public. */
  exposure?: MonitorOutput['exposure'];
  /** Absent in a fleet.json written before divergence was watched (and for the canary): off. */
  divergedRounds?: MonitorOutput['divergedRounds'];
  /** The probe groups `reach` names (not the public probes), each with its regions and quorum; absent when none. */
  vantages?: Vantage[];
  /** Absent in a fleet.json written before watch mode existed (and for the canary): off. */
  watch?: MonitorOutput['watch'];
};
