// `portquorum report`: uptime per monitor over a month or a period, by its quorum verdict, with the accounting stated.
import { historyDays } from '../../functions/shared/domain/history';
import { timelineSubjects, timelinesFromHistory } from '../../functions/shared/domain/history-timeline';
import { computeReport, reportCsv, reportMarkdown } from '../../functions/shared/domain/report';
import { isExposed } from '../../functions/shared/domain/verdict';
import { sinceFlag } from './duration';
import { openTable, TABLE_HELP, TABLE_OPTIONS, tableFailed } from './table-access';
import { EXIT, UsageError, parse } from './usage';

const HELP = `Usage: portquorum report [--month 2026-11 | --since WHEN [--until WHEN]] [--format md|csv|json] [--state FILE | --endpoint URL | --region REGION] [--table NAME] [--config FILE]

Prints each monitor's uptime over a period from the history kept in the table (transitions, silences)
and the declarations (maintenance windows), with the accounting stated in the output:
UP and DEGRADED count as up, DOWN as down; UNKNOWN (too few regions reporting, or no verdict yet),
maintenance and silenced time are counted in their own columns and left out of the ratio. Also the
outage count, the longest outage, the mean time to recovery, and each region's availability from its
results in the rounds that changed the verdict (the history keeps no region-only changes).

${TABLE_HELP}

Options:
  --month YYYY-MM    a calendar month, UTC (default: the last whole month)
  --since WHEN       the start instead: a duration back (30d) or a date or instant (2026-11-01)
  --until WHEN       the end with --since (default: now)
  --format FORMAT    md (default), csv (the accounting in a first '#' line), or json ({ from, to,
                     accounting, monitors: [{ monitor, uptime, upMs, degradedMs, downMs, unknownMs,
                     maintenanceMs, silencedMs, outages, longestOutageMs, mttrMs, regions }] })
  -h, --help         show this help

Exit status: 0 every monitor is UP now, 1 one is not (DOWN, DEGRADED, UNKNOWN) or is exposed, 2 bad
usage or a table that cannot be read (no local fleet running included).`;

const OPTIONS = {
  ...TABLE_OPTIONS,
  month: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  format: { type: 'string' },
} as const;

const FORMATS = ['md', 'csv', 'json'] as const;
/** Silences set this long before the period may still run into it. */
const SILENCE_LOOKBACK_MS = 7 * 86_400_000;

/** [from, to) of the flags: a month, or --since/--until, or the last whole month. */
function period(values: { month?: string | undefined; since?: string | undefined; until?: string | undefined }, now: number): { from: number; to: number } {
  if (values.month !== undefined) {
    if (values.since !== undefined || values.until !== undefined) throw new UsageError('report: give --month or --since/--until, not both');
    const m = /^(\d{4})-(\d{2})$/.exec(values.month);
    const month = m ? Number(m[2]) : 0;
    if (!m || month < 1 || month > 12) throw new UsageError(`report: --month '${values.month}' is not a month (e.g. 2026-11)`);
    const from = Date.UTC(Number(m[1]), month - 1, 1);
    if (from > now) throw new UsageError(`report: --month '${values.month}' has not begun`);
    return { from, to: Math.min(Date.UTC(Number(m[1]), month, 1), now) };
  }
  if (values.since !== undefined) {
    const from = sinceFlag('report', values.since, now);
    const to = values.until === undefined ? now : sinceFlag('report', values.until, now);
    if (to <= from) throw new UsageError(`report: --until '${values.until}' is not after --since '${values.since}'`);
    return { from, to };
  }
  if (values.until !== undefined) throw new UsageError('report: --until needs --since');
  const d = new Date(now);
  return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) };
}

export const command = {
  summary: 'print uptime per monitor over a month or a period, with the accounting stated',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('report', args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`report: unexpected argument '${positionals[0]}'`);
    const format = values.format ?? 'md';
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`report: --format '${format}' is not one of md, csv, json`);
    const now = Date.now();
    const window = period(values, now);
    const opened = await openTable('report', values);
    if (typeof opened === 'number') return opened;
    const { client, store, fleet } = opened;
    try {
      let events;
      let states;
      try {
        // From before the period (silences running into it) to now (the first change after it tells the verdict in it).
        [events, states] = await Promise.all([store.readHistory(historyDays(window.from - SILENCE_LOOKBACK_MS, now), timelineSubjects(fleet)), store.readMonitorStates()]);
      } catch (error) {
        return tableFailed('report', opened, 'read', error);
      }
      const timelines = timelinesFromHistory(events, fleet);
      // The state is the latest change, whether or not the history kept it.
      for (const [id, { state }] of states) {
        const list = timelines.changes.get(id) ?? [];
        if (state.since > 0 && !list.some((c) => c.at === state.since)) list.push({ at: state.since, verdict: state.verdict });
        timelines.changes.set(id, list);
      }
      const report = computeReport({
        window, monitors: fleet.monitors.map((m) => ({ id: m.id, maintenance: m.maintenance, regions: m.regions })),
        changes: timelines.changes, silences: timelines.silences, regions: timelines.regions,
      });
      process.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'csv' ? reportCsv(report) : reportMarkdown(report));
      return fleet.monitors.every((m) => {
        const state = states.get(m.id)?.state;
        return state?.verdict === 'UP' && !isExposed(state);
      }) ? EXIT.up : EXIT.down;
    } finally {
      client.destroy();
    }
  },
};
