// `portquorum status`: each monitor's verdict, since when, every region's last evidence and the last transitions, from a table.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_TABLE_NAME, type FleetConfig } from '../../functions/shared/domain';
import { loadFleetConfig } from '../../functions/shared/adapters/fleet-config';
import { formatInstant, formatMs } from '../../functions/shared/domain/display';
import { TableStore } from '../../functions/shared/adapters/store';
import { renderStatusPage } from '../../functions/shared/domain/status-page';
import { readStatusPage } from '../../functions/shared/evaluation/status-page';
import { defaultStatePath, findRunningFleet } from '../local/state-file';
import { localClient } from '../local/dynamodb-local';
import { roundTimings } from './format';
import { readStatus, type FleetStatus, type RegionStatus } from './status-read';
import { loadFleetSpec } from './declarations';
import { EXIT, UsageError, parse } from './usage';

const HELP = `Usage: portquorum status [--state FILE | --endpoint URL | --region REGION] [--table NAME] [--config FILE] [--json] [--html FILE]

Reads the verdict state and the latest round results from a results table and prints, per monitor:
the verdict and since when, the verdict last paged, pending alerts, and each region's last result
(up with latency, down with its error class, vetoed when that region's canary failed); FLAPPING beside
the verdict while the monitor flaps (its DOWN/UP pages held); EXPOSED(regions) beside a private monitor
that public regions reach. Also which
probe regions the fleet alert names as silent or vetoed, and the last transitions (from the local
fleet's alerts file, when it has one).

Which table:
  (default)          the running local fleet ('portquorum local'), found through its state file
  --state FILE       the local fleet recorded in FILE (default ~/.portquorum/local.json)
  --endpoint URL     a DynamoDB endpoint, e.g. DynamoDB Local at http://127.0.0.1:8000
  --region REGION    a deployed fleet: the home region's table, with the default AWS credential
                     chain (environment, profile, SSO; an instance role only with
                     AWS_EC2_METADATA_DISABLED=false: the CLI never contacts the instance
                     metadata address unless asked)
  --table NAME       the table name (the stack output 'TableName'; default portquorum)

Options:
  --config FILE      declarations to match results against (default: the local fleet's own, else
                     bin/monitors.ts, the CDK app's monitors)
  --json             print JSON: { at, table, fleetOut, fleetPendingAlerts, monitors: [{ monitor,
                     target, verdict, since, notified, lastAlertId, flappingSince, exposedFrom, pendingAlerts, regions:
                     { REGION: { status, class, code, latencyMs, round } } }], transitions }
  --html FILE        also write the status page to FILE: the one static page (no script, nothing
                     external) the sweeper publishes for a deployed fleet's statusPage and
                     'portquorum local' serves; its title and rows from the declarations' statusPage,
                     else every monitor
  -h, --help         show this help

Exit status: 0 every monitor UP, 1 any monitor not UP (DOWN, DEGRADED, UNKNOWN) or exposed, 2 bad usage.`;

/** How to give the CLI credentials; the instance metadata service is off unless asked for (bin/portquorum.js). */
const NO_CREDENTIALS_HELP = 'give them as for the AWS CLI: AWS_PROFILE=NAME (after aws configure or aws sso login), or '
  + 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); on an EC2 instance with a role, set '
  + 'AWS_EC2_METADATA_DISABLED=false to let the CLI ask the instance metadata service';

/** The error and the errors it wraps (`cause`), outermost first. */
function causes(error: unknown): Error[] {
  const out: Error[] = [];
  for (let e = error; e instanceof Error && out.length < 10; e = e.cause) out.push(e);
  return out;
}

const OPTIONS = {
  state: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  table: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'string' },
} as const;

function cell(r: RegionStatus): string {
  switch (r.status) {
    case 'none':
      return 'no result';
    case 'up':
      return r.latencyMs === undefined ? 'up' : `up ${formatMs(r.latencyMs)}`;
    default:
      return `${r.status === 'vetoed' ? 'vetoed ' : ''}${r.class ?? 'down'}`;
  }
}

function table(status: FleetStatus, regions: string[]): string {
  const now = Date.parse(status.at);
  const header = ['MONITOR', 'TARGET', 'VERDICT', 'SINCE', ...regions, 'PENDING'];
  const rows = status.monitors.map((m) => [
    m.monitor, m.target, [m.verdict, ...(m.flappingSince ? ['FLAPPING'] : []), ...(m.exposedFrom ? [`EXPOSED(${m.exposedFrom.join(',')})`] : [])].join(' '), m.since ? formatInstant(m.since, now) : '-',
    ...regions.map((r) => (m.regions[r] ? cell(m.regions[r]!) : '-')), String(m.pendingAlerts),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  const outRegions = Object.entries(status.fleetOut);
  out.push('', outRegions.length === 0 ? 'Fleet: every region reporting' : `Fleet: ${outRegions.map(([p, why]) => `${p} ${why}`).join(', ')}`);
  if (status.transitions.length > 0) {
    out.push('', 'Last transitions (newest first):');
    for (const t of status.transitions) out.push(`  ${formatInstant(t.at, now)}  ${t.subject}`);
  }
  return out.join('\n');
}

export const command = {
  summary: "print each monitor's verdict and every region's last result from a table",
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('status', args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`status: unexpected argument '${positionals[0]}'`);
    if (values.endpoint && values.region) throw new UsageError('status: give --endpoint or --region, not both');
    if ((values.endpoint || values.region) && values.state) throw new UsageError('status: --state reads the local fleet; it cannot be combined with --endpoint or --region');

    let client: DynamoDBClient;
    let tableName = values.table ?? DEFAULT_TABLE_NAME;
    let fleet: FleetConfig | undefined;
    let alertsFile: string | undefined;
    // A bad --config is a usage error (exit 2) whatever else the command would have found.
    if (values.config) fleet = (await loadFleetSpec(values.config)).config;
    if (values.region) {
      client = new DynamoDBClient({ region: values.region });
    } else if (values.endpoint) {
      try {
        new URL(values.endpoint);
      } catch {
        throw new UsageError(`status: --endpoint '${values.endpoint}' is not a URL (e.g. http://127.0.0.1:8000)`);
      }
      client = localClient(values.endpoint);
    } else {
      const found = await findRunningFleet(resolve(values.state ?? defaultStatePath()));
      if ('error' in found) {
        process.stderr.write(`portquorum status: ${found.error}; for a deployed fleet use --region REGION [--table NAME]\n`);
        return EXIT.down;
      }
      client = localClient(found.state.endpoint, found.state.tableRegion);
      tableName = values.table ?? found.state.table;
      if (!values.config) fleet = loadFleetConfig(found.state.fleetFile);
      alertsFile = found.state.alertsFile;
    }
    fleet ??= (await loadFleetSpec(values.config)).config;

    try {
      const store = new TableStore(client, tableName);
      const now = Date.now();
      const status = await readStatus(store, fleet, { now, ...(alertsFile ? { alertsFile } : {}) });
      if (values.html) {
        const file = resolve(values.html);
        const html = renderStatusPage(await readStatusPage(store, fleet, now));
        try {
          await writeFile(file, html);
        } catch (error) {
          process.stderr.write(`portquorum status: cannot write the status page to ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
          return EXIT.usage;
        }
        process.stderr.write(`portquorum status: wrote the status page to ${file}\n`);
      }
      if (values.json) process.stdout.write(`${JSON.stringify(status, roundTimings, 2)}\n`);
      else process.stdout.write(`${table(status, fleet.regions)}\n`);
      return status.monitors.every((m) => m.verdict === 'UP' && !m.exposedFrom) ? EXIT.up : EXIT.down;
    } catch (error) {
      if (causes(error).some((e) => e.name === 'CredentialsProviderError')) {
        process.stderr.write(`portquorum status: no AWS credentials found to read table ${tableName} in ${values.region}: ${NO_CREDENTIALS_HELP}\n`);
        return EXIT.usage;
      }
      process.stderr.write(`portquorum status: reading table ${tableName} failed: ${(error as Error).message}\n`);
      return EXIT.down;
    } finally {
      client.destroy();
    }
  },
};
