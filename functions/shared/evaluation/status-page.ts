// The status page from a table: the states (one Query), the verdict history and silences (from a history source),
// the declarations' maintenance windows — rendered by the one renderer in domain/status-page.ts.
import { createHash } from 'node:crypto';
import { historyDayKey, historyDays, type HistoryEvent } from '../domain/history';
import { timelineSubjects, timelinesFromHistory } from '../domain/history-timeline';
import type { FleetConfig, HomeFleetConfig, StatusPageSpec } from '../domain';
import { PAGE_DAYS, pageContent, renderStatusPage, statusPageData, type PageSilence, type StatusPageData, type StatusPageInput } from '../domain/status-page';
import { DAY_MS, startOfDay, type VerdictChange } from '../domain/uptime';
import type { StatusPageSink } from '../adapters/status-bucket';
import type { StoredState, TableStore } from '../adapters/store';
import type { MonitorState } from '../domain/verdict';

/** What the history holds for the page: each monitor's verdict changes and the silences, over [from, to). */
interface PageHistory {
  changes: Map<string, VerdictChange[]>;
  silences: PageSilence[];
}

/** Reads the history of [from, to) (epoch ms). */
export type HistorySource = (from: number, to: number) => Promise<PageHistory>;

/**
 * The table's history as the page reads it: verdict changes and silences (see domain/history-timeline.ts). With
 * `cache` (the sweeper, each minute), days before yesterday are read once and kept: only today's and yesterday's
 * partitions (each day's history shards that hold the fleet's monitors, at most 16, and its legacy key) are queried
 * again, so the page costs at most 34 small queries a minute, not up to 1,649 (97 days).
 */
export function historyOf(store: TableStore, fleet: Pick<HomeFleetConfig, 'monitors'>, options: { cache?: boolean } = {}): HistorySource {
  const kept = new Map<string, HistoryEvent[]>();
  return async (from, to) => {
    // Silences set up to a week before may still run into the page's days.
    const days = historyDays(from - 7 * DAY_MS, to);
    const settled = new Set(historyDays(from - 7 * DAY_MS, to - 2 * DAY_MS));
    const fresh = options.cache ? days.filter((d) => !kept.has(d)) : days;
    // One read of every fresh day (its Queries bounded in the store), sorted out by day for the cache: an event is
    // stored under the day of its own instant.
    const read = new Map<string, HistoryEvent[]>(fresh.map((d) => [d, []]));
    // Only the history shards the fleet's monitors and their tags' silences are in (all of them in a large fleet).
    for (const e of await store.readHistory(fresh, timelineSubjects(fleet))) read.get(historyDayKey(Date.parse(e.at)))?.push(e);
    if (options.cache) {
      for (const d of kept.keys()) if (!days.includes(d)) kept.delete(d);
      for (const [d, events] of read) if (settled.has(d)) kept.set(d, events);
    }
    const events = options.cache ? days.flatMap((d) => kept.get(d) ?? read.get(d) ?? []) : [...read.values()].flat();
    const { changes, silences } = timelinesFromHistory(events, fleet);
    return {
      changes,
      silences: [...silences].flatMap(([monitor, spans]) => spans.map((s) => ({ monitors: [monitor], from: s.from, until: s.to }))),
    };
  };
}

/** No history kept: the bars start at each monitor's current verdict. */
const noHistory: HistorySource = async () => ({ changes: new Map(), silences: [] });

/** What the page needs of the declarations (the home functions' fleet.json has it too). */
type PageFleet = Pick<FleetConfig, 'statusPage'> & { monitors: StatusPageInput['monitors'] };

/** The page of a fleet that declares none (the local fleet, `portquorum status --html`): every monitor, this title. */
const DEFAULT_PAGE: StatusPageSpec = { title: 'Service status' };

/**
 * The page's data at `at`, from the table's states (or those the caller just read: the sweeper's) and the history of
 * the page's 90 days.
 */
export async function readStatusPage(
  store: TableStore, fleet: PageFleet, at: number, history: HistorySource = noHistory, states?: ReadonlyMap<string, StoredState<MonitorState>>,
): Promise<StatusPageData> {
  const from = startOfDay(at) - (PAGE_DAYS - 1) * DAY_MS;
  const [stored, past] = await Promise.all([states ?? store.readMonitorStates(), history(from, at + 1)]);
  const verdicts = new Map([...stored].map(([id, s]) => [id, { verdict: s.state.verdict, since: s.state.since }]));
  return statusPageData({ spec: fleet.statusPage ?? DEFAULT_PAGE, at, monitors: fleet.monitors, states: verdicts, changes: past.changes, silences: past.silences });
}

/** A page unchanged for this long is written again anyway, so its "checked" time says the pipeline is alive. */
const REWRITE_AFTER_MS = 3_600_000;

/**
 * Keeps the status page in its sink current: renders it from the states the sweep read, and writes it only when what
 * it shows changed (the hash of its JSON without the render time) or it is an hour old. Remembers the last write while
 * the function stays warm; a cold one asks the sink once.
 */
export class StatusPagePublisher {
  private last: { hash: string; at: number } | undefined;
  private known = false;

  constructor(private readonly sink: StatusPageSink, private readonly history: HistorySource = noHistory) {}

  /** Returns whether it wrote. */
  async update(store: TableStore, fleet: PageFleet, at: number, states?: ReadonlyMap<string, StoredState<MonitorState>>): Promise<'written' | 'unchanged'> {
    const data = await readStatusPage(store, fleet, at, this.history, states);
    const hash = createHash('sha256').update(pageContent(data)).digest('hex');
    if (!this.known) {
      this.last = await this.sink.current();
      this.known = true;
    }
    if (this.last && this.last.hash === hash && at - this.last.at < REWRITE_AFTER_MS) return 'unchanged';
    await this.sink.write({ html: renderStatusPage(data), json: `${JSON.stringify(data, null, 2)}\n`, hash });
    this.last = { hash, at };
    return 'written';
  }
}
