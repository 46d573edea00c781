// `portquorum status`: each monitor's verdict, since when, every region's last evidence and the last transitions, from a table.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatInstant, formatMs } from '../../functions/shared/domain/display';
import { renderStatusPage } from '../../functions/shared/domain/status-page';
import { historyOf, readStatusPage } from '../../functions/shared/evaluation/status-page';
import { roundTimings } from './format';
import { readStatus, type FleetStatus, type RegionStatus } from './status-read';
import { openTable, TABLE_HELP, TABLE_OPTIONS, tableFailed } from './table-access';
import { EXIT, UsageError, parse } from './usage';

const HELP = `Usage: portquorum status [--state FILE | --endpoint URL | --region REGION] [--table NAME] [--config FILE] [--json] [--html FILE]

Reads the verdict state and the latest round results from a results table and prints, per monitor:
the verdict and since when, the verdict last paged, pending alerts, and each region's last result
(up with latency, down with its error class, vetoed when that region's canary failed); FLAPPING beside
the verdict while the monitor flaps (its DOWN/UP pages held); EXPOSED(regions) beside a private monitor
that public regions reach; INCIDENT beside a monitor down in an incident with others (paged by its
INCIDENT alerts); DIVERGED beside a monitor whose regions see different certificates, addresses or
server versions; REACH(closed from vpc) beside a monitor whose reach a probe group breaks (the port
closed where it must be open, or open where it must be closed); SILENCED(until …) while a silence
holds its pages, ACKED(by) when its current DOWN was acknowledged (no reminders). Also the silences
in force, which probe regions the fleet alert names as silent or vetoed, and the last pages raised
(transitions, reminders, fleet alerts; from the history in the table, the last 7 days, newest first).

${TABLE_HELP}

Options:
  --json             print JSON: { at, table, fleetOut, fleetPendingAlerts, silences: [{ target, by,
                     reason, until }], monitors: [{ monitor, target, verdict, since, notified,
                     lastAlertId, flappingSince, exposedFrom, incident, divergedViews, reachBroken,
                     silenced: { by, reason, until }, acked: { alertId, by, reason, at },
                     pendingAlerts, regions: { REGION: { status, class, code, latencyMs, round } } }],
                     transitions: [{ at, kind, verdict,
                     previousVerdict, subject, round, monitor }] }
  --html FILE        also write the status page to FILE: the one static page (no script, nothing
                     external) the sweeper publishes for a deployed fleet's statusPage and
                     'portquorum local' serves; its title and rows from the declarations' statusPage,
                     else every monitor
  -h, --help         show this help

Exit status: 0 every monitor UP, 1 any monitor not UP (DOWN, DEGRADED, UNKNOWN), exposed or with its
reach broken, 2 bad usage or a table that cannot be read (no local fleet running included).`;

const OPTIONS = {
  ...TABLE_OPTIONS,
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
    m.monitor, m.target, [
      m.verdict, ...(m.flappingSince ? ['FLAPPING'] : []), ...(m.exposedFrom ? [`EXPOSED(${m.exposedFrom.join(',')})`] : []), ...(m.incident ? ['INCIDENT'] : []),
      ...(m.divergedViews ? ['DIVERGED'] : []), ...(m.reachBroken ? [`REACH(${m.reachBroken.join(',')})`] : []),
      ...(m.silenced ? [`SILENCED(until ${formatInstant(m.silenced.until, now)})`] : []), ...(m.acked ? [`ACKED(${m.acked.by})`] : []),
    ].join(' '), m.since ? formatInstant(m.since, now) : '-',
    ...regions.map((r) => (m.regions[r] ? cell(m.regions[r]!) : '-')), String(m.pendingAlerts),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  const outRegions = Object.entries(status.fleetOut);
  out.push('', outRegions.length === 0 ? 'Fleet: every region reporting' : `Fleet: ${outRegions.map(([p, why]) => `${p} ${why}`).join(', ')}`);
  if (status.silences.length > 0) {
    out.push('', 'Silences:');
    for (const x of status.silences) out.push(`  ${x.target} until ${formatInstant(x.until, now)} by ${x.by}${x.reason ? `: ${x.reason}` : ''}`);
  }
  if (status.transitions.length > 0) {
    out.push('', 'Last pages (newest first):');
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
    const opened = await openTable('status', values);
    if (typeof opened === 'number') return opened;
    const { client, store, fleet, local } = opened;
    try {
      const now = Date.now();
      const status = await readStatus(store, fleet, { now });
      if (values.html) {
        const file = resolve(values.html);
        const html = renderStatusPage(await readStatusPage(store, fleet, now, historyOf(store, fleet)));
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
      return status.monitors.every((m) => m.verdict === 'UP' && !m.exposedFrom && !m.reachBroken) ? EXIT.up : EXIT.down;
    } catch (error) {
      return tableFailed('status', opened, 'read', error);
    } finally {
      client.destroy();
    }
  },
};
