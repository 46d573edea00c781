// What the local fleet shows: a live table redrawn in place on a TTY, plain log lines otherwise.
import type { Writable } from 'node:stream';

/** One region's last result for one monitor, as read from the round items on the stream. */
interface RegionResult {
  ok: boolean;
  /** Error class when down, e.g. `refused`; `vetoed` when the region's canary failed. */
  detail?: string;
  latencyMs?: number;
  /** Round time (ISO). */
  at: string;
}

export interface MonitorRow {
  monitor: string;
  target: string;
  verdict: string;
  since?: string;
  /** The monitor flaps (a FLAPPING alert, no FLAPPING_SETTLED yet): its DOWN/UP pages are held. */
  flapping?: boolean;
  /** A private monitor some region reached (an EXPOSED alert, no EXPOSURE_CLOSED yet). */
  exposed?: boolean;
  regions: Record<string, RegionResult | undefined>;
}

export interface ViewModel {
  title: string;
  regions: string[];
  rows: MonitorRow[];
  /** Region → fault description (absent = healthy). */
  faults: Record<string, string>;
  /** Last alerts and notable events, newest last. */
  events: string[];
  footer: string;
}

const ESC = '\u001b[';
const style = (code: string, text: string, color: boolean) => (color ? `${ESC}${code}m${text}${ESC}0m` : text);

function hhmmss(iso: string | undefined): string {
  return iso ? iso.slice(11, 19) : '-';
}

function cell(result: RegionResult | undefined, color: boolean): string {
  if (!result) return style('2', 'waiting', color);
  if (result.ok) return style('32', `up ${result.latencyMs === undefined ? '' : `${result.latencyMs < 10 ? result.latencyMs.toFixed(1) : Math.round(result.latencyMs)}ms`}`.trim(), color);
  return style(result.detail === 'vetoed' ? '33' : '31', result.detail ?? 'down', color);
}

/** Renders the model as lines (no trailing newline), padded so columns line up. */
function render(model: ViewModel, color: boolean, width = 120): string[] {
  const header = ['MONITOR', 'TARGET', ...model.regions.map((r) => (model.faults[r] ? `${r} (${model.faults[r]})` : r)), 'VERDICT', 'SINCE'];
  const rows = model.rows.map((row) => [
    row.monitor,
    row.target,
    ...model.regions.map((r) => cell(row.regions[r], color)),
    style(row.verdict === 'DOWN' ? '1;31' : row.verdict === 'UP' ? '1;32' : '1;33', row.verdict, color) + (row.flapping ? ` ${style('1;35', 'FLAPPING', color)}` : '') + (row.exposed ? ` ${style('1;31', 'EXPOSED', color)}` : ''),
    hhmmss(row.since),
  ]);
  // eslint-disable-next-line no-control-regex
  const visible = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i]!))));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(Math.max(0, widths[i]! - visible(c)))).join('  ').trimEnd();
  const clip = (text: string) => (visible(text) > width && !text.includes(ESC) ? `${text.slice(0, width - 1)}…` : text);
  return [
    style('1', model.title, color),
    '',
    style('1', line(header), color),
    ...rows.map(line),
    '',
    style('1', 'Recent alerts and events', color),
    ...(model.events.length === 0 ? ['  (none yet)'] : model.events.slice(-8).map((e) => `  ${clip(e)}`)),
    '',
    style('2', model.footer, color),
  ];
}

/** How output is shown: redrawn in place on a terminal, or one line per event for logs and pipes. */
export type Display = LiveDisplay | LogDisplay;

/** Redraws the whole table at most twice a second, moving the cursor back up instead of scrolling. */
export class LiveDisplay {
  readonly kind = 'live';
  private lastLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(private readonly out: Writable & { columns?: number }, private readonly model: () => ViewModel) {}

  start(): void {
    this.out.write(`${ESC}?25l`); // hide the cursor while redrawing
    this.timer = setInterval(() => this.flush(), 500);
    this.timer.unref();
    this.dirty = true;
    this.flush();
  }

  /** Events show up in the table's event list; the redraw picks them up. */
  log(_line: string): void {
    this.dirty = true;
  }

  changed(): void {
    this.dirty = true;
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const lines = render(this.model(), true, this.out.columns ?? 120);
    let text = this.lastLines > 0 ? `${ESC}${this.lastLines}F` : '';
    text += lines.map((l) => `${l}${ESC}K`).join('\n') + `\n${ESC}J`;
    this.lastLines = lines.length;
    this.out.write(text);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.dirty = true;
    this.flush();
    this.out.write(`${ESC}?25h`);
  }
}

/** Plain timestamped lines: alerts, faults, verdict changes and region problems (not every round). */
export class LogDisplay {
  readonly kind = 'log';

  constructor(private readonly out: Writable) {}

  start(): void {}

  log(line: string): void {
    this.out.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  }

  changed(): void {}

  stop(): void {}
}
