// Watch mode in a probe invocation: one idle connection held per watched monitor, and an immediate re-probe when the
// peer closes or resets it. A failed re-probe is written at once as a watch event; a good one (a server that drops
// idle clients) is no event, and the watcher reconnects, backing off when the drops come within seconds.
import { connect as netConnect, type Socket } from 'node:net';
import type { ProbeOutcome, ResolvedMonitor } from '../shared/domain';
import { toRoundResult } from '../shared/domain/record';
import type { WatchEvent, WatchResult } from '../shared/domain/watch';
import type { Log } from '../shared/adapters/observability';

/** Budget of a re-probe: a dead process refuses or resets at once; a frozen one is a timeout by then. */
export const WATCH_REPROBE_BUDGET_MS = 2000;
/** Drops closer together than this are a pattern (idle limits, a crash loop): the reconnect backs off. */
const QUICK_DROP_MS = 10_000;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** Re-probes at once: a server that dies closes every held connection to it together. */
const REPROBE_CONCURRENCY = 16;

export interface WatcherDeps {
  region: string;
  group?: string;
  /** Probes one monitor once, within the budget (the engine's probeRound, no retries). */
  reprobe: (monitor: ResolvedMonitor, budgetMs: number) => Promise<ProbeOutcome | undefined>;
  /** Writes a watch event into the probe's own watch partition (TableStore.writeWatchEvent). */
  write: (event: WatchEvent) => Promise<void>;
  log: Log;
  now: () => number;
  /** Most connections held at once; watched monitors beyond it are probed by rounds only (and logged). */
  maxHeld: number;
  /** Opens an idle connection. @default node:net connect */
  connect?: (host: string, port: number) => Socket;
}

interface Drops {
  last: number;
  backoffMs: number;
  timer?: NodeJS.Timeout;
}

/** What one invocation's watcher did (logged with the invocation's summary). */
export interface WatchSummary {
  held: number;
  drops: number;
  reprobesOk: number;
  events: number;
  eventWriteFailures: number;
  overCap: number;
}

export class Watcher {
  private readonly held = new Map<string, Socket>();
  private readonly drops = new Map<string, Drops>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly connect: (host: string, port: number) => Socket;
  private reprobesRunning = 0;
  private readonly reprobeQueue: (() => void)[] = [];
  private closing = false;
  readonly summary: WatchSummary = { held: 0, drops: 0, reprobesOk: 0, events: 0, eventWriteFailures: 0, overCap: 0 };

  constructor(private readonly deps: WatcherDeps) {
    this.connect = deps.connect ?? ((host, port) => netConnect({ host, port }));
  }

  /** Connections held now (they count against the invocation's file descriptors). */
  get size(): number {
    return this.held.size;
  }

  /**
   * After a round: holds a connection for each watched monitor whose probe succeeded and that holds none (and is not
   * backing off), to the address that probe reached.
   */
  hold(monitors: readonly ResolvedMonitor[], outcomes: ReadonlyMap<string, ProbeOutcome>): void {
    if (this.closing) return;
    for (const monitor of monitors) {
      if (monitor.watch !== true || this.held.has(monitor.id) || this.drops.get(monitor.id)?.timer) continue;
      const outcome = outcomes.get(monitor.id);
      if (!outcome?.ok || !outcome.portOpen) continue;
      this.open(monitor, outcome.address ?? monitor.host);
    }
  }

  private open(monitor: ResolvedMonitor, address: string): void {
    if (this.closing || this.held.has(monitor.id)) return;
    if (this.held.size >= this.deps.maxHeld) {
      this.summary.overCap += 1;
      return;
    }
    const socket = this.connect(address, monitor.port);
    this.held.set(monitor.id, socket);
    this.summary.held += 1;
    // Whatever the server sends (a banner, a greeting) is read and dropped; the connection is only listened to.
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (this.held.get(monitor.id) === socket) this.held.delete(monitor.id);
      if (!this.closing) this.track(this.dropped(monitor, address));
    });
  }

  /** The held connection closed or was reset (or could not be opened): re-probe at once, and act on what it says. */
  private async dropped(monitor: ResolvedMonitor, address: string): Promise<void> {
    this.summary.drops += 1;
    const outcome = await this.limited(() => this.deps.reprobe({ ...monitor, retries: 0 }, WATCH_REPROBE_BUDGET_MS));
    const at = this.deps.now();
    if (outcome?.ok) {
      this.summary.reprobesOk += 1;
      this.reconnectLater(monitor, address, at);
      return;
    }
    const result = (outcome ? toRoundResult(outcome) : {
      status: 'down', errorClass: 'timeout', phase: 'connect', totalMs: WATCH_REPROBE_BUDGET_MS, code: 'NO_OUTCOME', message: 'the re-probe returned no outcome',
    }) as WatchResult;
    const event: WatchEvent = { monitor: monitor.id, region: this.deps.region, ...(this.deps.group ? { group: this.deps.group } : {}), at, result };
    // No reconnect: the next round that finds the monitor up holds a connection again, so a dead service is
    // re-probed at most once a round.
    try {
      await this.deps.write(event);
      this.summary.events += 1;
      this.deps.log.warn('Watch event: the held connection closed and the re-probe failed', {
        region: this.deps.region, group: this.deps.group, monitor: monitor.id, class: result.errorClass, phase: result.phase, code: result.code,
      });
    } catch (error) {
      this.summary.eventWriteFailures += 1;
      this.deps.log.error('Writing a watch event failed; the next round reports the monitor', {
        region: this.deps.region, group: this.deps.group, monitor: monitor.id, error: (error as Error).message,
      });
    }
  }

  /** A good re-probe: reconnect, at once after a lone drop, backing off (1 s, 2 s … 30 s) while drops come quickly. */
  private reconnectLater(monitor: ResolvedMonitor, address: string, at: number): void {
    const previous = this.drops.get(monitor.id);
    const quick = previous !== undefined && at - previous.last < QUICK_DROP_MS;
    const backoffMs = quick ? Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, previous.backoffMs * 2)) : 0;
    const drops: Drops = { last: at, backoffMs };
    this.drops.set(monitor.id, drops);
    if (backoffMs === 0) {
      this.open(monitor, address);
      return;
    }
    drops.timer = setTimeout(() => {
      delete drops.timer;
      this.open(monitor, address);
    }, backoffMs);
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.reprobesRunning >= REPROBE_CONCURRENCY) await new Promise<void>((resolve) => this.reprobeQueue.push(resolve));
    this.reprobesRunning += 1;
    try {
      return await work();
    } finally {
      this.reprobesRunning -= 1;
      this.reprobeQueue.shift()?.();
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.deps.log.error('Watching failed', { region: this.deps.region, error: error instanceof Error ? error.message : String(error) });
    }).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Ends the watch: closes every held connection (no event for those), and waits for re-probes and writes under way. */
  async close(): Promise<WatchSummary> {
    this.closing = true;
    for (const drops of this.drops.values()) if (drops.timer) clearTimeout(drops.timer);
    for (const socket of this.held.values()) socket.destroy();
    this.held.clear();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    return this.summary;
  }
}
