// `portquorum check HOST:PORT`: probe one target once from this machine with the same engine the Lambdas run.
import { probeMonitor } from '../../functions/probe/engine';
import {
  ConfigError, DEFAULTS, FAMILIES, PRESETS, SCHEMA, STARTTLS_PROTOCOLS, hostPort, presetPort, redactMonitor, resolveMonitor, wholeNumberBounds,
  type MonitorField, type MonitorSpec, type PresetName, type StarttlsProtocol,
} from '../../functions/shared/domain';
import { outcomeLine, roundTimings } from './format';
import { parseTarget, unescapeArg } from './target';
import { EXIT, UsageError, intFlag, parse } from './usage';

/** Monitor fields that are plain switches on the command line: `--all-addresses` sets `allAddresses: true`. */
const SWITCHES = ['allAddresses', 'expectClosed', 'allowLinkLocal'] as const satisfies readonly MonitorField[];
const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every option of `check` and the monitor field it fills (test/docs checks each against the schema). */
export const CHECK_FLAGS: Readonly<Record<string, string>> = {
  preset: 'preset', tls: 'tls', starttls: 'starttls', insecure: 'tls.verify', servername: 'tls.servername',
  send: 'send', 'send-hex': 'send.hex', expect: 'expect', 'expect-regex': 'expect.regex', 'expect-hex': 'expect.hex',
  path: 'http.path', status: 'http.status', body: 'http.bodyContains', timeout: 'timeoutMs', retries: 'retries', family: 'family',
  ...Object.fromEntries(SWITCHES.map((field) => [kebab(field), field])),
};

const TIMEOUT = wholeNumberBounds(SCHEMA.timeouts.shape.total);
const RETRIES = wholeNumberBounds(SCHEMA.monitorFields.retries);
const switchHelp = SWITCHES.map((field) => {
  const about = SCHEMA.monitorFields[field].description ?? '';
  return `  ${`--${kebab(field)}`.padEnd(21)}${about.charAt(0).toLowerCase()}${about.slice(1).replace(/\.$/, '')}`;
}).join('\n');
const t = DEFAULTS.timeoutMs!;

const HELP = `Usage: portquorum check HOST:PORT [options]

Probe one TCP target once from this machine, with the same engine the probe Lambdas run.
Prints one line (verdict, error class and phase, timings, certificate days left) or one JSON
document. Exit status: 0 up, 1 down, 2 bad usage.

HOST:PORT              a DNS name or IP address and a port; IPv6 literals in brackets: [::1]:5432
                       (the port may be left out with --preset, which knows its well-known port)

Options:
  --preset NAME        speak a little of the protocol: ${PRESETS.join(', ')}
  --tls                TLS from the first byte (certificate verified; SNI = host)
  --starttls PROTO     upgrade to TLS in-protocol: ${STARTTLS_PROTOCOLS.join(', ')}
  --insecure           do not verify the certificate chain and name (details are still shown)
  --servername NAME    server name for SNI and verification (default: the host)
  --send S             send S after connecting; escapes \\r \\n \\t \\xHH are understood
  --send-hex HEX       send these bytes instead (e.g. 0d0a)
  --expect S           the reply must contain S (same escapes)
  --expect-regex RE    the reply must match this regular expression (RE2 syntax)
  --expect-hex HEX     the reply must contain these bytes
  --path PATH          with --preset http: request path (default ${DEFAULTS.http.path})
  --status LOW[-HIGH]  with --preset http: accepted status codes (default ${[DEFAULTS.http.status].flat().join('-')})
  --body S             with --preset http: the body must contain S
  --timeout MS         budget for one attempt, every phase included (${TIMEOUT.min}–${TIMEOUT.max}; default: dns ${t.dns},
                       connect ${t.connect}, tls ${t.tls}, expect ${t.expect}, total ${t.total})
  --retries N          extra attempts after a timeout or reset (default ${DEFAULTS.retries}; refused and
                       wrong answers are not retried)
  --family 4|6         resolve and connect over IPv4 or IPv6 only (default: either)
${switchHelp}
  --json               print one JSON document: { target, asked, outcome }: the fields you set,
                       and what happened (timings in ms, to 0.1 ms); send shows as <redacted: N bytes>
  --verbose-json       the same with the whole monitor as the probe ran it (every default filled
                       in) and timings unrounded
  -h, --help           show this help`;

const OPTIONS = {
  preset: { type: 'string' },
  tls: { type: 'boolean' },
  starttls: { type: 'string' },
  insecure: { type: 'boolean' },
  servername: { type: 'string' },
  send: { type: 'string' },
  'send-hex': { type: 'string' },
  expect: { type: 'string' },
  'expect-regex': { type: 'string' },
  'expect-hex': { type: 'string' },
  path: { type: 'string' },
  status: { type: 'string' },
  body: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  family: { type: 'string' },
  'all-addresses': { type: 'boolean' },
  'expect-closed': { type: 'boolean' },
  'allow-link-local': { type: 'boolean' },
  json: { type: 'boolean' },
  'verbose-json': { type: 'boolean' },
} as const;

/** Which flag sets each monitor field: `send.hex` → `--send-hex`, for messages about the flags a user typed. */
const FLAG_OF_FIELD: ReadonlyMap<string, string> = new Map(Object.entries(CHECK_FLAGS).map(([flag, field]) => [field, `--${flag}`]));

/**
 * A declaration problem of the monitor built from the flags, said in the flags' words: no internal monitor id, the
 * flag instead of the field (`--send-hex 'zz' is not hex bytes`), `target host` for the host.
 */
function flagMessage(message: string, field: string): string {
  const text = message.replace(/^Monitor '[^']*': /, '');
  const flag = field === 'host' || field === 'port' ? `target ${field}` : FLAG_OF_FIELD.get(field);
  return flag && text.startsWith(`${field} `) ? `${flag}${text.slice(field.length)}` : text;
}

export const command = {
  summary: 'probe one HOST:PORT once from this machine',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('check', args, OPTIONS);
    if (positionals.length !== 1) {
      throw new UsageError(`check: give exactly one HOST:PORT target (got ${positionals.length === 0 ? 'none' : positionals.join(' ')})`);
    }
    const spec = toSpec(positionals[0]!, values);
    let monitor: ReturnType<typeof resolveMonitor>;
    try {
      monitor = resolveMonitor(spec);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new UsageError(error.problems.map((p) => `check: ${flagMessage(p.message, p.field)}`).join('\n'));
    }
    const outcome = await probeMonitor(monitor);
    const target = hostPort(monitor.host, monitor.port);
    if (values['verbose-json']) {
      process.stdout.write(`${JSON.stringify({ target, monitor: redactMonitor(monitor), outcome }, null, 2)}\n`);
    } else if (values.json) {
      const { id: _id, ...asked } = spec;
      process.stdout.write(`${JSON.stringify({ target, asked: redactMonitor(asked), outcome }, roundTimings, 2)}\n`);
    } else {
      process.stdout.write(`${outcomeLine(monitor, outcome)}\n`);
    }
    return outcome.ok ? EXIT.up : EXIT.down;
  },
};

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

function toSpec(target: string, v: Values): MonitorSpec {
  if (v.preset !== undefined && !(PRESETS as readonly string[]).includes(v.preset)) {
    throw new UsageError(`check: --preset '${v.preset}' is not one of ${PRESETS.join(', ')}`);
  }
  if (v.starttls !== undefined && !(STARTTLS_PROTOCOLS as readonly string[]).includes(v.starttls)) {
    throw new UsageError(`check: --starttls '${v.starttls}' is not one of ${STARTTLS_PROTOCOLS.join(', ')}`);
  }
  if (v.family !== undefined && v.family !== '4' && v.family !== '6') throw new UsageError(`check: --family '${v.family}' must be 4 or 6`);
  const sends = [v.send, v['send-hex']].filter((x) => x !== undefined);
  const expects = [v.expect, v['expect-regex'], v['expect-hex']].filter((x) => x !== undefined);
  if (sends.length > 1) throw new UsageError('check: give only one of --send and --send-hex');
  if (expects.length > 1) throw new UsageError('check: give only one of --expect, --expect-regex and --expect-hex');
  if ((v.path ?? v.status ?? v.body) !== undefined && v.preset !== 'http') {
    throw new UsageError('check: --path, --status and --body need --preset http');
  }
  const preset = v.preset as PresetName | undefined;
  const tls = v.tls === true || v.starttls !== undefined;
  const defaultPort = preset ? presetPort(preset, tls ? 'tls' : 'plain') : undefined;
  const { host, port } = parseTarget(target, defaultPort);

  const spec: MonitorSpec = { id: 'check', host, port };
  if (preset) spec.preset = preset;
  if (tls) spec.tls = { verify: v.insecure !== true, ...(v.servername ? { servername: v.servername } : {}) };
  else if (v.insecure || v.servername) throw new UsageError('check: --insecure and --servername need --tls or --starttls');
  if (v.starttls) spec.starttls = v.starttls as StarttlsProtocol;
  if (v.send !== undefined) spec.send = unescapeArg(v.send);
  if (v['send-hex'] !== undefined) spec.send = { hex: v['send-hex'] };
  if (v.expect !== undefined) spec.expect = unescapeArg(v.expect);
  if (v['expect-regex'] !== undefined) spec.expect = { regex: v['expect-regex'] };
  if (v['expect-hex'] !== undefined) spec.expect = { hex: v['expect-hex'] };
  if (preset === 'http' && (v.path ?? v.body ?? v.status) !== undefined) {
    spec.http = {};
    if (v.path !== undefined) spec.http.path = v.path;
    if (v.body !== undefined) spec.http.bodyContains = v.body;
    if (v.status !== undefined) {
      const m = /^(\d{3})(?:-(\d{3}))?$/.exec(v.status);
      if (!m) throw new UsageError(`check: --status '${v.status}' must be a code or a range like 200-299`);
      spec.http.status = [Number(m[1]), Number(m[2] ?? m[1])];
    }
  }
  const timeout = intFlag('check', 'timeout', v.timeout, TIMEOUT.min, TIMEOUT.max);
  if (timeout !== undefined) spec.timeoutMs = timeout;
  const retries = intFlag('check', 'retries', v.retries, RETRIES.min, RETRIES.max);
  if (retries !== undefined) spec.retries = retries;
  if (v.family) spec.family = v.family === '4' ? FAMILIES[1] : FAMILIES[2];
  for (const field of SWITCHES) if (v[kebab(field) as keyof Values]) spec[field] = true;
  return spec;
}
