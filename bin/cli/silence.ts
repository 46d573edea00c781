// `portquorum silence` and `unsilence`: hold a monitor's pages (by id or by tag) until an instant, without a deploy.
import type { FleetConfig, ResolvedMonitor } from '../../functions/shared/domain';
import type { HistoryRecord } from '../../functions/shared/adapters/store';
import { suggest } from '../../functions/shared/domain/quote';
import { covers, targetText, type Silence, type SilenceTarget } from '../../functions/shared/domain/silence';
import { durationFlag } from './duration';
import { callerIdentity } from './identity';
import { openTable, TABLE_HELP, TABLE_OPTIONS, tableFailed } from './table-access';
import { EXIT, UsageError, parse } from './usage';

/** The longest silence: past it, change the declaration (`maintenance`) instead. */
const MAX_SILENCE_MS = 30 * 86_400_000;

const SILENCE_HELP = `Usage: portquorum silence MONITOR… | --tag KEY=VALUE --for DURATION [--reason TEXT] [table options]
       portquorum silence --list [--json] [table options]

Silences monitors (by id, or every monitor carrying a tag) until DURATION from now, without a deploy: their
verdicts and history go on, their pages and reminders stop (EXPOSED and EXPOSURE_CLOSED still page, saying
they were raised in a silence). A page a silence held is in the history with the silence; when the silence
ends on a verdict other than the one last paged, one alert says so (cause 'silence-ended'). Silencing a
target again replaces its silence; 'portquorum unsilence' ends it early. Silences show in 'status' and in
'history'; 'by' is your AWS identity (STS GetCallerIdentity) with --region, else your OS user name.

${TABLE_HELP}

Options:
  --tag KEY=VALUE    silence every monitor with this tag (now and any declared later); repeatable
  --for DURATION     how long: 30m, 2h, 1h30m, 3d (at most 30d)
  --reason TEXT      why, shown with the silence and in alerts raised during it
  --list             print the silences in force (--json: { at, silences: [{ target, by, reason,
                     since, until, monitors }] })
  -h, --help         show this help

Exit status: 0 done, 2 bad usage or a table that cannot be read or written.`;

const UNSILENCE_HELP = `Usage: portquorum unsilence MONITOR… | --tag KEY=VALUE [--reason TEXT] [table options]

Ends the silences of these monitors (or of a tag) now; recorded in the history. When a monitor's verdict is
not the one last paged, the next evaluation (within a minute) pages it with cause 'silence-ended'.

${TABLE_HELP}

Options:
  --tag KEY=VALUE    the tag silence to end; repeatable
  --reason TEXT      why, in the history
  -h, --help         show this help

Exit status: 0 done, 2 bad usage or a table that cannot be read or written.`;

/** The targets named: monitors by id (each must be declared), tags as KEY=VALUE (some monitor must carry each). */
function targetsOf(command: string, fleet: FleetConfig, ids: string[], tags: string[]): SilenceTarget[] {
  const declared = fleet.monitors.map((m) => m.id);
  const targets: SilenceTarget[] = [];
  for (const id of ids) {
    if (!declared.includes(id)) throw new UsageError(`${command}: no monitor '${id}' is declared${suggest(id, declared)}`);
    targets.push({ monitor: id });
  }
  for (const tag of tags) {
    const at = tag.indexOf('=');
    if (at <= 0) throw new UsageError(`${command}: --tag '${tag}' is not KEY=VALUE (e.g. --tag team=payments)`);
    const target = { tag: { key: tag.slice(0, at), value: tag.slice(at + 1) } };
    if (!fleet.monitors.some((m) => m.tags[target.tag.key] === target.tag.value)) {
      const values = [...new Set(fleet.monitors.map((m) => m.tags[target.tag.key]).filter((v) => v !== undefined))];
      throw new UsageError(`${command}: no declared monitor has tag ${target.tag.key}=${target.tag.value}${values.length > 0 ? ` (${target.tag.key} values: ${values.join(', ')})` : ''}`);
    }
    targets.push(target);
  }
  if (targets.length === 0) throw new UsageError(`${command}: name monitors, or a tag with --tag KEY=VALUE`);
  return targets;
}

function covered(silence: Pick<Silence, 'target'>, monitors: readonly ResolvedMonitor[]): string[] {
  return monitors.filter((m) => covers({ ...silence, by: '', since: 0, until: 0 }, m)).map((m) => m.id);
}

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export const command = {
  summary: 'hold the pages of monitors (or a tag) for a while, without a deploy; --list shows silences',
  help: SILENCE_HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('silence', args, {
      ...TABLE_OPTIONS, tag: { type: 'string', multiple: true }, for: { type: 'string' }, reason: { type: 'string' }, list: { type: 'boolean' }, json: { type: 'boolean' },
    });
    if (values.list) {
      if (positionals.length > 0 || values.tag || values.for || values.reason) throw new UsageError('silence: --list takes no monitors, --tag, --for or --reason');
    } else {
      if (values.json) throw new UsageError('silence: --json goes with --list');
      if (values.for === undefined) throw new UsageError('silence: say how long with --for (e.g. --for 2h)');
    }
    const forMs = values.for === undefined ? 0 : durationFlag('silence', 'for', values.for, MAX_SILENCE_MS, '30 days (change the declaration\'s maintenance windows instead)');
    const opened = await openTable('silence', values);
    if (typeof opened === 'number') return opened;
    const { client, store, fleet } = opened;
    try {
      const now = Date.now();
      if (values.list) {
        let silences: Silence[];
        try {
          silences = (await store.readSilences()).filter((s) => s.until > now).sort((a, b) => a.until - b.until);
        } catch (error) {
          return tableFailed('silence', opened, 'read', error);
        }
        const rows = silences.map((s) => ({ target: targetText(s.target), by: s.by, ...(s.reason ? { reason: s.reason } : {}), since: new Date(s.since).toISOString(), until: new Date(s.until).toISOString(), monitors: covered(s, fleet.monitors) }));
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ at: new Date(now).toISOString(), silences: rows }, null, 2)}\n`);
        } else if (rows.length === 0) {
          process.stdout.write('No silence in force.\n');
        } else {
          for (const r of rows) process.stdout.write(`${r.target} until ${utc(Date.parse(r.until))} by ${r.by}${r.reason ? `: ${r.reason}` : ''} (${r.monitors.length > 0 ? r.monitors.join(', ') : 'no declared monitor'})\n`);
        }
        return EXIT.up;
      }
      const targets = targetsOf('silence', fleet, positionals, values.tag ?? []);
      let by: string;
      try {
        by = await callerIdentity(opened);
      } catch (error) {
        return tableFailed('silence', opened, 'write', error);
      }
      const until = now + forMs;
      for (const target of targets) {
        const silence: Silence = { target, by, ...(values.reason ? { reason: values.reason } : {}), since: now, until };
        const history: HistoryRecord = {
          monitor: 'monitor' in target ? target.monitor : targetText(target), at: now, unique: String(process.pid),
          fields: { event: 'silence', target: targetText(target), by, ...(values.reason ? { reason: values.reason } : {}), until: new Date(until).toISOString() },
        };
        try {
          await store.putSilence(silence, history);
        } catch (error) {
          return tableFailed('silence', opened, 'write', error);
        }
        const monitors = 'tag' in target ? ` (${covered(silence, fleet.monitors).join(', ')})` : '';
        process.stdout.write(`silenced ${targetText(target)}${monitors} until ${utc(until)} by ${by}${values.reason ? `: ${values.reason}` : ''}\n`);
      }
      return EXIT.up;
    } finally {
      client.destroy();
    }
  },
};

export const unsilenceCommand = {
  summary: 'end silences now',
  help: UNSILENCE_HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('unsilence', args, { ...TABLE_OPTIONS, tag: { type: 'string', multiple: true }, reason: { type: 'string' } });
    const opened = await openTable('unsilence', values);
    if (typeof opened === 'number') return opened;
    const { client, store, fleet } = opened;
    try {
      const targets = targetsOf('unsilence', fleet, positionals, values.tag ?? []);
      const now = Date.now();
      let silences: Silence[];
      let by: string;
      try {
        silences = (await store.readSilences()).filter((s) => s.until > now);
        by = await callerIdentity(opened);
      } catch (error) {
        return tableFailed('unsilence', opened, 'read', error);
      }
      for (const target of targets) {
        const text = targetText(target);
        const current = silences.find((s) => targetText(s.target) === text);
        if (current) {
          const history: HistoryRecord = {
            monitor: 'monitor' in target ? target.monitor : text, at: now, unique: String(process.pid),
            fields: { event: 'unsilence', target: text, by, ...(values.reason ? { reason: values.reason } : {}) },
          };
          try {
            // Ended now, not deleted: the item goes with its TTL, and nothing needs DeleteItem.
            await store.putSilence({ ...current, until: now }, history);
          } catch (error) {
            return tableFailed('unsilence', opened, 'write', error);
          }
          process.stdout.write(`ended the silence of ${text} (set by ${current.by}, until ${utc(current.until)})\n`);
        } else {
          process.stdout.write(`${text} had no silence in force\n`);
        }
        if ('monitor' in target) {
          const monitor = fleet.monitors.find((m) => m.id === target.monitor)!;
          for (const other of silences.filter((s) => 'tag' in s.target && covers(s, monitor))) {
            process.stdout.write(`  ${target.monitor} is still silenced by ${targetText(other.target)} until ${utc(other.until)} (portquorum unsilence --tag ${targetText(other.target).slice(4)})\n`);
          }
        }
      }
      return EXIT.up;
    } finally {
      client.destroy();
    }
  },
};
