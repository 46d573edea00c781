// `portquorum ack`: someone is on it — stop the reminders of a monitor's current DOWN (the next transition pages as usual).
import type { HistoryRecord } from '../../functions/shared/adapters/store';
import { suggest } from '../../functions/shared/domain/quote';
import { callerIdentity } from './identity';
import { openTable, TABLE_HELP, TABLE_OPTIONS, tableFailed } from './table-access';
import { EXIT, UsageError, parse } from './usage';

const HELP = `Usage: portquorum ack MONITOR [--reason TEXT] [table options]

Acknowledges the monitor's current DOWN: its reminders stop. The acknowledgement is keyed on that DOWN's
alert id, so the next transition (UP, or a later DOWN) pages as usual and reminds again. Shown in 'status'
and recorded in the history; 'by' is your AWS identity (STS GetCallerIdentity) with --region, else your OS
user name.

${TABLE_HELP}

Options:
  --reason TEXT      why (who is on it), shown in status and the history
  -h, --help         show this help

Exit status: 0 done, 2 bad usage (the monitor has no DOWN paged to acknowledge) or a table that cannot
be read or written.`;

export const command = {
  summary: "stop the reminders of a monitor's current DOWN",
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('ack', args, { ...TABLE_OPTIONS, reason: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError(`ack: name one monitor (got ${positionals.length === 0 ? 'none' : positionals.join(', ')})`);
    const id = positionals[0]!;
    const opened = await openTable('ack', values);
    if (typeof opened === 'number') return opened;
    const { client, store, fleet } = opened;
    try {
      const declared = fleet.monitors.map((m) => m.id);
      if (!declared.includes(id)) throw new UsageError(`ack: no monitor '${id}' is declared${suggest(id, declared)}`);
      let stored;
      let by: string;
      try {
        stored = await store.readMonitorState(id);
        by = await callerIdentity(opened);
      } catch (error) {
        return tableFailed('ack', opened, 'read', error);
      }
      const state = stored?.state;
      if (!state || state.verdict !== 'DOWN' || state.notified !== 'DOWN' || state.alertId === undefined) {
        const why = !state ? 'has no verdict yet' : state.verdict !== 'DOWN' ? `is ${state.verdict}` : 'is DOWN but its DOWN was not paged (held by a silence or a maintenance window)';
        throw new UsageError(`ack: monitor '${id}' ${why}: no DOWN to acknowledge`);
      }
      const now = Date.now();
      const ack = { alertId: state.alertId, by, ...(values.reason ? { reason: values.reason } : {}), at: new Date(now).toISOString() };
      const history: HistoryRecord = { monitor: id, at: now, unique: String(process.pid), fields: { event: 'ack', alertId: state.alertId, by, ...(values.reason ? { reason: values.reason } : {}) } };
      let outcome;
      try {
        outcome = await store.ackAlert(id, ack, history);
      } catch (error) {
        return tableFailed('ack', opened, 'write', error);
      }
      if (outcome === 'stale') throw new UsageError(`ack: monitor '${id}' changed while acknowledging (its DOWN ${state.alertId} is no longer the current page); see portquorum status`);
      process.stdout.write(`acknowledged ${id}'s DOWN ${state.alertId} by ${by}${values.reason ? `: ${values.reason}` : ''}: no more reminders for it\n`);
      return EXIT.up;
    } finally {
      client.destroy();
    }
  },
};
