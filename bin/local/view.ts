// What the local fleet shows: a live table redrawn in place on a TTY, plain log lines otherwise.
import type { Writable } from 'node:stream';
import { formatInstant, formatMs } from '../../functions/shared/domain/display';
import { clip, displayWidth, padEnd } from './width';

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
  /** Regions see different things (a DIVERGED alert, no CONVERGED yet). */
  diverged?: boolean;
  /** Down in an incident with other monitors (an INCIDENT alert named it; not back yet). */
  incident?: boolean;
  /** Vantage points whose reach is broken (a REACH_BROKEN alert, no REACH_RESTORED yet), by group: `closed from vpc`. */
  reach?: Record<string, string>;
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

/** ` REACH(closed from vpc)` beside a monitor whose reach a probe group breaks, as `portquorum status` shows it. */
function reachMark(row: MonitorRow, color: boolean): string {
  const broken = Object.keys(row.reach ?? {}).sort().map((group) => row.reach![group]!);
  return broken.length > 0 ? ` ${style('1;31', `REACH(${broken.join(',')})`, color)}` : '';
}

function cell(result: RegionResult | undefined, color: boolean): string {
  if (!result) return style('2', 'waiting', color);
  if (result.ok) return style('32', `up ${result.latencyMs === undefined ? '' : formatMs(result.latencyMs)}`.trim(), color);
  return style(result.detail === 'vetoed' ? '33' : '31', result.detail ?? 'down', color);
}

/** The terminal's size: columns and rows. */
export interface Size {
  columns: number;
  rows: number;
}

/** Lines under the table: a blank line, the events' heading, at least this many events, a blank line and the footer. */
const MIN_EVENTS = 2;
const MAX_EVENTS = 8;

/**
 * Renders the model as lines that fit the terminal: no line is wider than `size.columns - 1` (so the terminal never
 * wraps one, whatever the event text holds), and there are never more lines than `size.rows` (so it never scrolls).
 * When the table is too wide the TARGET column goes first; when there are too many monitors the last rows give way
 * to a line saying how many are not shown; events are cut to their newest that fit.
 */
export function render(model: ViewModel, color: boolean, size: Size = { columns: 120, rows: 40 }, now = Date.now()): string[] {
  const width = Math.max(10, size.columns - 1);
  const columns = [
    { title: 'MONITOR', cells: model.rows.map((r) => r.monitor) },
    { title: 'TARGET', cells: model.rows.map((r) => r.target), optional: true },
    ...model.regions.map((region) => ({ title: region, cells: model.rows.map((r) => cell(r.regions[region], color)) })),
    { title: 'VERDICT', cells: model.rows.map((r) => style(r.verdict === 'DOWN' ? '1;31' : r.verdict === 'UP' ? '1;32' : '1;33', r.verdict, color) + (r.flapping ? ` ${style('1;35', 'FLAPPING', color)}` : '') + (r.exposed ? ` ${style('1;31', 'EXPOSED', color)}` : '') + (r.incident ? ` ${style('1;35', 'INCIDENT', color)}` : '') + (r.diverged ? ` ${style('1;33', 'DIVERGED', color)}` : '') + reachMark(r, color)) },
    { title: 'SINCE', cells: model.rows.map((r) => (r.since ? formatInstant(r.since, now) : '-')) },
  ];
  const widthOf = (c: (typeof columns)[number]) => Math.max(displayWidth(c.title), ...c.cells.map(displayWidth));
  const tableWidth = (cs: typeof columns) => cs.reduce((sum, c) => sum + widthOf(c), 0) + 2 * (cs.length - 1);
  const shown = tableWidth(columns) > width ? columns.filter((c) => !c.optional) : columns;
  const widths = shown.map(widthOf);
  const line = (cells: string[]) => clip(cells.map((c, i) => padEnd(c, widths[i]!)).join('  ').trimEnd(), width);

  const faults = Object.entries(model.faults).filter(([region]) => model.regions.includes(region));
  const head = [
    clip(style('1', model.title, color), width),
    faults.length > 0 ? clip(style('33', `region faults: ${faults.map(([r, f]) => `${r} ${f}`).join(', ')}`, color), width) : '',
    style('1', line(shown.map((c) => c.title)), color),
  ];
  const tail = (events: string[]) => ['', style('1', clip('Recent alerts and events', width), color), ...events, '', clip(style('2', model.footer, color), width)];
  const eventLines = model.events.length === 0 ? ['  (none yet)'] : model.events.map((e) => clip(`  ${e}`, width));

  // Rows first (each monitor's verdict is what the view is for), keeping room for the newest events.
  const roomForRows = size.rows - head.length - tail([]).length - Math.min(MIN_EVENTS, eventLines.length);
  let rows = model.rows.map((_, i) => line(shown.map((c) => c.cells[i]!)));
  if (rows.length > roomForRows) {
    const keep = Math.max(0, roomForRows - 1);
    rows = [...rows.slice(0, keep), clip(style('2', `… and ${model.rows.length - keep} more monitors (portquorum status shows them all)`, color), width)];
  }
  const roomForEvents = Math.max(0, Math.min(MAX_EVENTS, size.rows - head.length - rows.length - tail([]).length));
  const lines = [...head, ...rows, ...tail(roomForEvents === 0 ? [] : eventLines.slice(-roomForEvents))];
  return lines.slice(0, Math.max(1, size.rows));
}

/** How output is shown: redrawn in place on a terminal, or one line per event for logs and pipes. */
export type Display = LiveDisplay | LogDisplay;

/** A terminal: where the live view draws, its size, and its resize events. */
export type Terminal = Writable & { columns?: number; rows?: number };

/**
 * Draws the table on the terminal's alternate screen (as top and less do), at most twice a second, rewriting only
 * the lines that changed since the last drawing; a resize redraws everything. On stop the normal screen comes back
 * with the last table printed once, so it stays in the scrollback.
 */
export class LiveDisplay {
  readonly kind = 'live';
  private drawn: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private readonly onResize = () => {
    this.drawn = [];
    this.out.write(`${ESC}2J`);
    this.dirty = true;
    this.flush();
  };

  constructor(private readonly out: Terminal, private readonly model: () => ViewModel) {}

  private size(): Size {
    return { columns: this.out.columns ?? 80, rows: this.out.rows ?? 24 };
  }

  start(): void {
    this.out.write(`${ESC}?1049h${ESC}?25l${ESC}H${ESC}2J`); // alternate screen, cursor hidden
    this.out.on('resize', this.onResize);
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
    const lines = render(this.model(), true, this.size());
    let text = '';
    lines.forEach((line, i) => {
      if (this.drawn[i] !== line) text += `${ESC}${i + 1};1H${line}${ESC}K`;
    });
    if (lines.length < this.drawn.length) text += `${ESC}${lines.length + 1};1H${ESC}J`;
    this.drawn = lines;
    if (text !== '') this.out.write(text);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.out.off('resize', this.onResize);
    const last = render(this.model(), true, { columns: this.size().columns, rows: Number.MAX_SAFE_INTEGER });
    this.out.write(`${ESC}?1049l${ESC}?25h${last.join('\n')}\n`);
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
