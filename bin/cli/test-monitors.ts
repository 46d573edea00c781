// `portquorum test`: probe every declared monitor once from this machine, before deploying or in a user's CI.
import { probeRound } from '../../functions/probe/engine';
import { hostPort } from '../../functions/shared/domain';
import { loadFleetSpec } from './declarations';
import { outcomeTable } from './format';
import { EXIT, UsageError, intFlag, parse } from './usage';

const HELP = `Usage: portquorum test [--config FILE] [--monitor ID]... [--max-sockets N] [--json]

Probe every declared monitor once from this machine, with the same engine and round limits the
probe Lambdas use, and print a table: verdict, error class and phase, connect and total time,
certificate days left. Exit status: 0 all up, 1 any down, 2 bad usage or invalid declarations
(every problem is listed).

Options:
  --config FILE      declarations to read: a JSON FleetSpec or a .ts/.js module exporting 'fleet'
                     (default: bin/monitors.ts, the CDK app's monitors)
  --monitor ID       probe only this monitor (repeatable)
  --max-sockets N    cap on sockets open at once (default 256)
  --json             print JSON: [{ monitor, target, outcome }]
  -h, --help         show this help`;

const OPTIONS = {
  config: { type: 'string' },
  monitor: { type: 'string', multiple: true },
  'max-sockets': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Names reserved for examples (RFC 2606, RFC 6761): `example`, `example.com`/`.net`/`.org`, or any name with an `example` label. */
export function isPlaceholderHost(host: string): boolean {
  return host.toLowerCase().replace(/\.$/, '').split('.').includes('example');
}

export const command = {
  summary: 'probe every declared monitor once from this machine',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('test', args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`test: unexpected argument '${positionals[0]}' (use --config FILE)`);
    const { config: fleet, source } = await loadFleetSpec(values.config);
    let monitors = fleet.monitors;
    if (values.monitor) {
      const unknown = values.monitor.filter((id) => !monitors.some((m) => m.id === id));
      if (unknown.length > 0) throw new UsageError(`test: no monitor with id ${unknown.map((id) => `'${id}'`).join(', ')}`);
      monitors = monitors.filter((m) => values.monitor!.includes(m.id));
    }
    const maxSockets = intFlag('test', 'max-sockets', values['max-sockets'], 1, 1000);
    const outcomes = await probeRound(monitors, maxSockets === undefined ? {} : { maxSockets });
    const rows = monitors.map((monitor) => ({ monitor, outcome: outcomes.get(monitor.id)! }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows.map(({ monitor, outcome }) => ({ monitor: monitor.id, target: hostPort(monitor.host, monitor.port), outcome })), null, 2)}\n`);
    } else {
      const down = rows.filter((r) => !r.outcome.ok).length;
      process.stdout.write(`${outcomeTable(rows)}\n\n${rows.length - down} up, ${down} down\n`);
    }
    const placeholders = rows.filter((r) => !r.outcome.ok && r.outcome.errorClass === 'dns' && isPlaceholderHost(r.monitor.host)).map((r) => r.monitor.host);
    if (placeholders.length > 0) {
      const where = values.config === undefined
        ? `${source} holds the example's monitors: replace their hosts with your own targets, or give your monitors with --config FILE (.json, .ts or .js)`
        : `replace them in ${source} with your own targets`;
      process.stderr.write(`portquorum test: ${placeholders.length === 1 ? 'a host does' : `${placeholders.length} hosts do`} not resolve because ${placeholders.length === 1 ? 'it is a placeholder' : 'they are placeholders'} (${placeholders.join(', ')}); ${where}\n`);
    }
    return rows.every((r) => r.outcome.ok) ? EXIT.up : EXIT.down;
  },
};
