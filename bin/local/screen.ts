// Turns the local fleet's events into what the user sees: the live table's model, or plain log lines.
import type { Writable } from 'node:stream';
import type { FleetConfig } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { formatInstant } from '../../functions/shared/domain/display';
import { hostPort } from '../../functions/shared/domain/net';
import type { RoundRecord } from '../../functions/shared/domain/record';
import type { FleetEvent } from './events';
import { describeFault } from './netns';
import { alertLines } from './sinks';
import { LiveDisplay, LogDisplay, type Display, type MonitorRow, type ViewModel } from './view';

/** Log lines from the real handlers worth showing; the rest (one per round or batch) stays in the region logs. */
const QUIET_MESSAGES = new Set(['Batch aggregated', 'Round probed', 'Sweep done', 'Swept']);

export class Screen {
  private readonly rows = new Map<string, MonitorRow>();
  /** Each monitor's own probe group (undefined: the public probes): the results its row shows. */
  private readonly groupOf = new Map<string, string | undefined>();
  private readonly events: string[] = [];
  private readonly faults: Record<string, string> = {};
  private readonly display: Display;
  private title: string;
  footer = 'Ctrl-C stops the fleet and everything it started.';

  constructor(private readonly config: FleetConfig, out: Writable & { isTTY?: boolean; columns?: number; rows?: number }, mode: 'auto' | 'live' | 'log', title: string) {
    this.title = title;
    for (const m of config.monitors) {
      this.groupOf.set(m.id, m.group);
      this.rows.set(m.id, { monitor: m.id, target: hostPort(m.host, m.port), verdict: 'UNKNOWN', regions: {} });
    }
    const live = mode === 'live' || (mode === 'auto' && out.isTTY === true);
    this.display = live ? new LiveDisplay(out, () => this.model()) : new LogDisplay(out);
  }

  get live(): boolean {
    return this.display.kind === 'live';
  }

  start(): void {
    this.display.start();
  }

  stop(): void {
    this.display.stop();
  }

  /** A line for the user (demo steps, start-up, shutdown). */
  say(line: string): void {
    this.note(line);
  }

  private note(line: string): void {
    this.events.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
    if (this.events.length > 50) this.events.splice(0, this.events.length - 50);
    this.display.log(line);
    this.display.changed();
  }

  model(): ViewModel {
    return {
      title: this.title,
      regions: this.config.regions,
      rows: [...this.rows.values()],
      faults: this.faults,
      events: this.events,
      footer: this.footer,
    };
  }

  /** What the alert sink for the terminal calls. */
  showAlert(alert: AlertMessage): void {
    if (this.display.kind === 'live') this.note(`ALERT ${alert.subject}`);
    else for (const line of alertLines(alert)) this.display.log(line);
  }

  handle(event: FleetEvent): void {
    switch (event.kind) {
      case 'round':
        return this.showRound(event.record);
      case 'alert':
        return this.showVerdict(event.alert);
      case 'fault':
        if (event.fault.kind === 'clear') delete this.faults[event.region];
        else this.faults[event.region] = describeFault(event.fault);
        this.display.changed();
        return;
      case 'target':
        this.note(`target '${event.name}' is now ${event.state === 'blackhole' ? 'blackholed' : event.state} in every region`);
        return;
      case 'invocation':
        return; // failures also arrive as error logs
      case 'log':
        return this.showLog(event);
    }
  }

  /** Each monitor's cell for the round's region: up with latency, or its error class (vetoed when the canary failed). */
  private showRound(record: RoundRecord): void {
    const vetoed = record.canary.status === 'down';
    const at = new Date(record.instant).toISOString();
    for (const [id, result] of Object.entries(record.results)) {
      // A probe group's result for a monitor whose reach names it is that vantage point's, not the region's cell.
      if (this.groupOf.get(id) !== record.group) continue;
      const row = this.rows.get(id);
      if (!row) continue;
      const previous = row.regions[record.region];
      if (previous && previous.at > at) continue; // an older round arriving late
      row.regions[record.region] = result.status === 'up'
        ? { ok: true, latencyMs: result.connectMs ?? result.totalMs, at }
        : { ok: false, detail: vetoed ? 'vetoed' : result.errorClass, latencyMs: result.totalMs, at };
    }
    this.display.changed();
  }

  private showVerdict(alert: AlertMessage): void {
    // An incident marks its members: down ones are in it, those back (or all, once resolved) are not.
    for (const member of alert.incident?.members ?? []) {
      const row = this.rows.get(member.monitor);
      if (row) row.incident = alert.kind !== 'INCIDENT_RESOLVED' && member.status === 'down';
    }
    const row = alert.monitor ? this.rows.get(alert.monitor.id) : undefined;
    if (row && alert.reach) {
      // A vantage point's news: the monitor's own verdict and since stay as they are.
      const { [alert.reach.group]: _previous, ...others } = row.reach ?? {};
      row.reach = alert.kind === 'REACH_BROKEN' ? { ...others, [alert.reach.group]: `${alert.reach.found} from ${alert.reach.group}` } : others;
    } else if (row && alert.kind !== 'REMINDER' && alert.kind !== 'CERT_EXPIRY') {
      row.verdict = alert.verdict;
      row.since = alert.since;
      if (alert.kind === 'FLAPPING') row.flapping = true;
      if (alert.kind === 'FLAPPING_SETTLED') row.flapping = false;
      if (alert.kind === 'EXPOSED') row.exposed = true;
      if (alert.kind === 'EXPOSURE_CLOSED') row.exposed = false;
      if (alert.kind === 'DIVERGED') row.diverged = true;
      if (alert.kind === 'CONVERGED') row.diverged = false;
    }
    this.display.changed();
  }

  /** Verdict changes become rows and lines; warnings and errors are shown; the handlers' routine lines stay in the logs. */
  private showLog(event: Extract<FleetEvent, { kind: 'log' }>): void {
    if (event.level === 'info' && QUIET_MESSAGES.has(event.message)) return;
    if (event.message === 'Verdict changed' && event.detail) {
      const d = event.detail as { monitor?: string; from?: string; to?: string; round?: string; since?: string; incident?: string };
      const row = d.monitor ? this.rows.get(d.monitor) : undefined;
      if (row && d.to) {
        row.verdict = d.to;
        // An incident's alerts name at most 20 members: each member's own change says whether it is down in one.
        if (d.incident !== undefined || d.to !== 'DOWN') row.incident = d.to === 'DOWN' && d.incident !== undefined;
        // The state's since, as status and the alert show it (the round evaluated may be a later one).
        row.since = d.since ?? d.round;
      }
      this.note(`${d.monitor}: ${d.from} → ${d.to}${row?.since ? ` (since ${formatInstant(row.since, Date.now())})` : ''}`);
      return;
    }
    if (event.level === 'info' && event.source !== 'local') return;
    const detail = event.detail && Object.keys(event.detail).length > 0 ? ` ${JSON.stringify(event.detail)}` : '';
    this.note(`${event.level === 'info' ? '' : `${event.level.toUpperCase()} `}[${event.source}] ${event.message}${detail}`.slice(0, 400));
  }
}
