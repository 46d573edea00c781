// The status page from a table: the states (one Query), the verdict history and silences (from a history source),
// the declarations' maintenance windows — rendered by the one renderer in domain/status-page.ts.
import type { FleetConfig, StatusPageSpec } from '../domain';
import { PAGE_DAYS, statusPageData, type PageSilence, type StatusPageData } from '../domain/status-page';
import { DAY_MS, startOfDay, type VerdictChange } from '../domain/uptime';
import type { TableStore } from '../adapters/store';

/** What the history holds for the page: each monitor's verdict changes and the silences, over [from, to). */
interface PageHistory {
  changes: Map<string, VerdictChange[]>;
  silences: PageSilence[];
}

/** Reads the history of [from, to) (epoch ms). */
export type HistorySource = (from: number, to: number) => Promise<PageHistory>;

/** No history kept: the bars start at each monitor's current verdict. */
const noHistory: HistorySource = async () => ({ changes: new Map(), silences: [] });

/** The page of a fleet that declares none (the local fleet, `portquorum status --html`): every monitor, this title. */
const DEFAULT_PAGE: StatusPageSpec = { title: 'Service status' };

/** The page's data at `at`, from the table's states and the history of the page's 90 days. */
export async function readStatusPage(store: TableStore, fleet: FleetConfig, at: number, history: HistorySource = noHistory): Promise<StatusPageData> {
  const from = startOfDay(at) - (PAGE_DAYS - 1) * DAY_MS;
  const [stored, past] = await Promise.all([store.readMonitorStates(), history(from, at + 1)]);
  const states = new Map([...stored].map(([id, s]) => [id, { verdict: s.state.verdict, since: s.state.since }]));
  return statusPageData({ spec: fleet.statusPage ?? DEFAULT_PAGE, at, monitors: fleet.monitors, states, changes: past.changes, silences: past.silences });
}
