// `portquorum history`: the audit trail kept in the table — transitions, alerts and their deliveries, silences, acks.
import { HISTORY_DAYS_BOUNDS, historyDays, type HistoryEvent } from '../../functions/shared/domain/history';
import { formatMs } from '../../functions/shared/domain/display';
import { suggest } from '../../functions/shared/domain/quote';
import { isExposed } from '../../functions/shared/domain/verdict';
import { sinceFlag } from './duration';
import { roundTimings } from './format';
import { openTable, TABLE_HELP, TABLE_OPTIONS, tableFailed } from './table-access';
import { EXIT, UsageError, parse } from './usage';

const HELP = `Usage: portquorum history [MONITOR…] [--since 7d] [--regions] [--json] [--state FILE | --endpoint URL | --region REGION] [--table NAME] [--config FILE]

Prints the fleet's audit trail from its table, oldest first: every verdict change (with each region's
part in the round that decided it), every alert raised and what became of it (published when and by
which function, republished by the sweeper after a failure, failed with the error, held by a silence,
dropped from a full outbox), silences and acks. Kept 400 days by default (the construct prop historyDays).
With MONITOR names, only their events (and silences by a tag they carry).

${TABLE_HELP}

Options:
  --since WHEN       how far back: a duration (90m, 12h, 7d) or a date or instant (2026-11-01,
                     2026-11-01T08:00Z) (default 7d)
  --regions          also each region's own up/down changes (what the report's per-region
                     availability counts; a region failing alone changes no verdict)
  --json             print JSON: { from, to, table, events: [{ at, monitor, event, … }] } (the
                     item shapes are in docs/architecture.md, "History")
  -h, --help         show this help

Exit status: 0 every monitor shown is UP now, 1 one of them is not (DOWN, DEGRADED, UNKNOWN) or is
exposed, 2 bad usage or a table that cannot be read (no local fleet running included).`;

const OPTIONS = {
  ...TABLE_OPTIONS,
  since: { type: 'string' },
  regions: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const DAY_MS = 86_400_000;

/** One line of the table: when (UTC), monitor, what, details. */
function describe(e: HistoryEvent): [string, string] {
  switch (e.event) {
    case 'transition': {
      const regions = e.regions.map((r) => `${r.region} ${r.status === 'down' || r.status === 'vetoed' ? `${r.status === 'vetoed' ? 'vetoed ' : ''}${r.class ?? 'down'}` : r.status}${r.latencyMs !== undefined && r.status === 'up' ? ` ${formatMs(r.latencyMs)}` : ''}`);
      const held = e.silenced ? `, not paged: silenced by ${e.silenced.by} until ${e.silenced.until.slice(0, 16).replace('T', ' ')} UTC` : e.maintenance ? ', not paged: maintenance window' : '';
      return [`${e.from} → ${e.to}`, `round ${e.round.slice(11, 19)}: ${regions.join(', ')}${held}`];
    }
    case 'alert': {
      const what = {
        pending: 'raised', held: 'held (silenced, not sent)', dropped: 'dropped undelivered (outbox full or replaced)',
        absorbed: `carried by ${e.incident ?? 'an incident'} (not sent on its own)`,
      }[e.disposition];
      return [`alert ${e.alertKind}${e.sequence > 0 ? ` #${e.sequence}` : ''}`, `${what}, ${e.cause}: ${e.subject} [${e.alertId}]`];
    }
    case 'delivery':
      return e.outcome === 'published'
        ? [`sent ${e.alertKind}${e.sequence > 0 ? ` #${e.sequence}` : ''}`, `published by the ${e.by === 'aggregate' ? 'aggregator' : e.by}${e.republished ? ' (republished: taken over from a pass that could not send it)' : ''} [${e.alertId}]`]
        : [`FAILED ${e.alertKind}${e.sequence > 0 ? ` #${e.sequence}` : ''}`, `publish by the ${e.by === 'aggregate' ? 'aggregator' : e.by} failed (stays pending): ${e.error ?? ''} [${e.alertId}]`];
    case 'silence':
      return ['silenced', `${e.target} until ${(e.until ?? '').slice(0, 16).replace('T', ' ')} UTC by ${e.by}${e.reason ? `: ${e.reason}` : ''}`];
    case 'unsilence':
      return ['unsilenced', `${e.target} by ${e.by}${e.reason ? `: ${e.reason}` : ''}`];
    case 'region':
      return [`${e.region} ${e.status}`, `round ${e.round.slice(11, 19)}: this region's own result${e.class ? ` (${e.class})` : ''}`];
    case 'ack':
      return ['acknowledged', `reminders stopped for ${e.alertId} by ${e.by}${e.reason ? `: ${e.reason}` : ''}`];
  }
}

function render(events: HistoryEvent[], from: number, table: string): string {
  const head = `History of table ${table} since ${new Date(from).toISOString().slice(0, 16).replace('T', ' ')} UTC: ${events.length} event${events.length === 1 ? '' : 's'}`;
  if (events.length === 0) return head;
  const rows = events.map((e) => [`${e.at.slice(0, 10)} ${e.at.slice(11, 19)}`, e.monitor, ...describe(e)]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [head, ...rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd())].join('\n');
}

export const command = {
  summary: 'print the audit trail: transitions, alerts and their deliveries, silences, acks',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('history', args, OPTIONS);
    const now = Date.now();
    const from = sinceFlag('history', values.since ?? '7d', now);
    if (now - from > HISTORY_DAYS_BOUNDS.max * DAY_MS) throw new UsageError(`history: --since '${values.since}' is more than ${HISTORY_DAYS_BOUNDS.max} days back (the longest history a fleet keeps)`);
    const opened = await openTable('history', values);
    if (typeof opened === 'number') return opened;
    const { client, store, fleet, tableName } = opened;
    try {
      const declared = fleet.monitors.map((m) => m.id);
      for (const name of positionals) {
        // A monitor no longer declared may still have history: said, not refused.
        if (!declared.includes(name)) process.stderr.write(`portquorum history: '${name}' is not a declared monitor${suggest(name, declared)}; showing what the table has for it\n`);
      }
      const wanted = new Set(positionals);
      const tagTargets = new Set(fleet.monitors.filter((m) => wanted.has(m.id)).flatMap((m) => Object.entries(m.tags).map(([k, v]) => `tag:${k}=${v}`)));
      let events: HistoryEvent[];
      let states;
      try {
        [events, states] = await Promise.all([store.readHistory(historyDays(from, now), wanted.size > 0 ? [...wanted, ...tagTargets] : undefined), store.readMonitorStates()]);
      } catch (error) {
        return tableFailed('history', opened, 'read', error);
      }
      events = events.filter((e) => e.at >= new Date(from).toISOString() && (values.regions === true || e.event !== 'region')
        && (wanted.size === 0 || wanted.has(e.monitor) || ((e.event === 'silence' || e.event === 'unsilence') && tagTargets.has(e.target))));
      if (values.json) process.stdout.write(`${JSON.stringify({ from: new Date(from).toISOString(), to: new Date(now).toISOString(), table: tableName, events }, roundTimings, 2)}\n`);
      else process.stdout.write(`${render(events, from, tableName)}\n`);
      const shown = wanted.size > 0 ? declared.filter((id) => wanted.has(id)) : declared;
      return shown.every((id) => {
        const state = states.get(id)?.state;
        return state?.verdict === 'UP' && !isExposed(state);
      }) ? EXIT.up : EXIT.down;
    } finally {
      client.destroy();
    }
  },
};
