// `portquorum notify-test`: a TEST alert through the real topic (deployed) or the local fleet's sinks, so a subscriber
// can check its filter policy end to end.
import { SNSClient } from '@aws-sdk/client-sns';
import { ALERT_KINDS, type AlertKind } from '../../functions/shared/domain';
import { FLEET_KINDS, testAlert } from '../../functions/shared/domain/alert';
import { suggest } from '../../functions/shared/domain/quote';
import { SnsPublisher } from '../../functions/shared/adapters/publisher';
import type { HistoryRecord } from '../../functions/shared/adapters/store';
import { sendControl } from '../local/control';
import { callerIdentity } from './identity';
import { openTable, TABLE_HELP, TABLE_OPTIONS, tableFailed } from './table-access';
import { EXIT, UsageError, parse } from './usage';

const KINDS = ALERT_KINDS.filter((k): k is Exclude<AlertKind, 'TEST'> => k !== 'TEST');

const HELP = `Usage: portquorum notify-test [--monitor ID] [--kind KIND] [--topic ARN] [table options]

Publishes one TEST alert, so a subscriber can check end to end that its filter policy lets the pages it
wants through: deployed (--region REGION --topic ARN), through the real alert topic; locally (the default),
to the running local fleet's sinks (terminal, --alerts-file, --webhook).

The body's kind is TEST (with test: { kind, by }), so nobody mistakes it for a page. Its message attributes
are those a real alert of --kind about --monitor carries — kind (the kind it stands in for, not TEST),
severity, monitor, verdict and tag.<key> (its first 5 tags) — plus test = "true": a policy matching
{"kind": ["DOWN"], "tag.team": ["payments"]} receives it; one that must never get tests can add
{"test": [{"exists": false}]}. Recorded in the history as a delivery by 'cli'.

${TABLE_HELP}

Options:
  --monitor ID       the monitor the test alert is about: its id, tags and severity (default: none, as a
                     fleet alert: monitor "fleet", severity "error")
  --kind KIND        the kind it stands in for: ${KINDS.join(', ')} (default DOWN)
  --topic ARN        the alert topic (the home stack's output AlertTopicArn); needed with --region
  -h, --help         show this help

Exit status: 0 published, 2 bad usage, a publish that failed, or a table that cannot be written.`;

export const command = {
  summary: 'publish a TEST alert through the topic or the local sinks, to check subscriptions',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values } = parse('notify-test', args, { ...TABLE_OPTIONS, monitor: { type: 'string' }, kind: { type: 'string' }, topic: { type: 'string' } }, false);
    const kind = (values.kind ?? 'DOWN') as Exclude<AlertKind, 'TEST'>;
    if (!KINDS.includes(kind)) throw new UsageError(`notify-test: --kind '${values.kind}' is not an alert kind${suggest(values.kind ?? '', KINDS)} (kinds: ${KINDS.join(', ')})`);
    if (values.region && !values.topic) throw new UsageError('notify-test: with --region, give the alert topic with --topic ARN (the home stack\'s output AlertTopicArn)');
    if (values.topic && !values.region) throw new UsageError('notify-test: --topic publishes to a deployed fleet\'s topic: give its home region with --region');
    if (values.endpoint) throw new UsageError('notify-test: --endpoint names a table, not where alerts go: use the running local fleet (the default) or --region with --topic');
    if (values.monitor && FLEET_KINDS.includes(kind)) throw new UsageError(`notify-test: ${kind} is about the fleet, not a monitor: leave out --monitor`);
    const opened = await openTable('notify-test', values);
    if (typeof opened === 'number') return opened;
    const { client, store, fleet } = opened;
    try {
      const declared = fleet.monitors.map((m) => m.id);
      const monitor = values.monitor === undefined ? undefined : fleet.monitors.find((m) => m.id === values.monitor);
      if (values.monitor !== undefined && !monitor) throw new UsageError(`notify-test: no monitor '${values.monitor}' is declared${suggest(values.monitor, declared)}`);
      let by: string;
      try {
        by = await callerIdentity(opened);
      } catch (error) {
        return tableFailed('notify-test', opened, 'write', error);
      }
      const at = Date.now();
      const alert = testAlert(kind, monitor, by, at);
      let where = 'the local fleet';
      let failure: string | undefined;
      if (opened.local) {
        const reply = await sendControl(opened.local.controlSocket, { op: 'notify', alert });
        if (reply.ok) where = `the local fleet's sinks (${reply.message.replace(/^delivered to /, '')})`;
        else failure = reply.error;
      } else {
        const sns = new SNSClient({ region: values.region! });
        where = `topic ${values.topic}`;
        try {
          await new SnsPublisher(sns, values.topic!).publish(alert);
        } catch (error) {
          failure = (error as Error).message;
        } finally {
          sns.destroy();
        }
      }
      const record: HistoryRecord = {
        monitor: monitor?.id ?? 'fleet', at, unique: String(process.pid),
        fields: { event: 'delivery', alertId: alert.alertId, sequence: 0, alertKind: 'TEST', outcome: failure === undefined ? 'published' : 'failed', by: 'cli', republished: false, ...(failure !== undefined ? { error: failure.slice(0, 500) } : {}) },
      };
      await store.recordHistory([record]);
      const [lost] = store.takeHistoryFailures();
      if (lost) process.stderr.write(`portquorum notify-test: the test alert's history record was not written: ${lost.error}\n`);
      if (failure !== undefined) {
        process.stderr.write(`portquorum notify-test: the test alert was not delivered: ${failure}\n`);
        return EXIT.unreadable;
      }
      process.stdout.write(`sent TEST alert ${alert.alertId} (standing in for ${kind}${monitor ? ` of ${monitor.id}` : ''}; attributes kind=${kind}, test=true) to ${where}\n`);
      return EXIT.up;
    } finally {
      client.destroy();
    }
  },
};
