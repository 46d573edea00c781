// Who watches the watcher: the probe regions watch the home pipeline's heartbeat (the sweeper writes it each sweep)
// and, when a quorum of them sees it stale while their own canaries are fine, page HOME_DOWN once on a fallback topic
// in another region; HOME_RECOVERED once when a newer heartbeat is seen. Pure: the probe's watchdog module does the I/O.
import { withSubject, type AlertMessage, type HomeEvidence } from './alert';

/** How the watchdog judges the heartbeat and counts votes (the construct's `watchdog` prop, resolved). */
export interface WatchdogSettings {
  /** The home region, named in the alerts. */
  homeRegion: string;
  /** A heartbeat older than this (or unreadable) is stale. */
  staleAfterMs: number;
  /** Probe regions that must see it stale at once (their votes current) to page HOME_DOWN. */
  quorum: number;
  /** A vote counts for this long after it was cast (a region that stopped voting stops counting). */
  voteTtlMs: number;
}

/** Defaults: stale after 5 minutes (five missed sweeps), a vote counts for 3 minutes (three probe invocations). */
export const WATCHDOG_DEFAULTS = { staleAfterMinutes: 5, voteTtlMs: 3 * 60_000 } as const;

/** The quorum of probe regions when none is declared: a majority of them. */
export function defaultWatchdogQuorum(probeRegions: number): number {
  return Math.floor(probeRegions / 2) + 1;
}

/** One probe region's view of the heartbeat, as it writes it to the fallback region's watchdog table. */
export interface WatchdogVote {
  region: string;
  /** Epoch ms the vote was cast. */
  at: number;
  /** The heartbeat was stale (or unreadable) while this region's canary was fine. */
  stale: boolean;
  /** Epoch ms of the heartbeat read (absent: none could be read). */
  heartbeatAt?: number;
}

/** The watchdog's verdict on the home pipeline, kept in the fallback region. */
export interface WatchdogState {
  status: 'UP' | 'DOWN';
  /** Epoch ms of the change to `status`. */
  since: number;
  /** The newest heartbeat any vote had seen when HOME_DOWN was paged: a heartbeat newer than this is the pipeline back. */
  lastHeartbeat?: number;
  version: number;
}

/**
 * This region's vote, or none: a stale heartbeat counts only while the region's own canary is fine (else its network,
 * not the home region, may be what is broken); a fresh one always counts, since only a working pipeline writes it.
 */
export function castVote(region: string, heartbeatAt: number | undefined, canaryOk: boolean, now: number, settings: Pick<WatchdogSettings, 'staleAfterMs'>): WatchdogVote | undefined {
  const stale = heartbeatAt === undefined || now - heartbeatAt > settings.staleAfterMs;
  if (stale && !canaryOk) return undefined;
  return { region, at: now, stale, ...(heartbeatAt !== undefined ? { heartbeatAt } : {}) };
}

/**
 * One step of the watchdog: HOME_DOWN when at least `quorum` current votes say stale (from UP, or no state yet), each
 * cast after the last change;
 * HOME_RECOVERED when a current vote saw a fresh heartbeat newer than the last one seen at HOME_DOWN. At most one alert
 * per step, and never the same kind twice in a row; the same votes again change nothing.
 */
export function nextWatchdog(previous: WatchdogState | undefined, votes: readonly WatchdogVote[], now: number, settings: WatchdogSettings): { state: WatchdogState; alert?: AlertMessage; changed: boolean } {
  const before: WatchdogState = previous ?? { status: 'UP', since: now, version: 0 };
  const current = votes.filter((v) => now - v.at <= settings.voteTtlMs && v.at <= now);
  // A stale vote cast before the last change is about the outage already paged (or the one just recovered from).
  const stale = current.filter((v) => v.stale && (previous === undefined || v.at > before.since)).map((v) => v.region).sort();
  const fresh = current.filter((v) => !v.stale).map((v) => v.region).sort();
  const seen = current.map((v) => v.heartbeatAt).filter((t): t is number => t !== undefined);
  const newest = seen.length > 0 ? Math.max(...seen) : undefined;
  const evidence = (): HomeEvidence => ({
    homeRegion: settings.homeRegion, ...(newest !== undefined ? { lastHeartbeat: new Date(newest).toISOString() } : {}),
    staleAfterSeconds: Math.round(settings.staleAfterMs / 1000), staleRegions: stale, freshRegions: fresh, quorum: settings.quorum,
  });
  const base = { schemaVersion: 1 as const, sequence: 0, cause: 'fleet' as const, at: new Date(now).toISOString(), round: new Date(now).toISOString(), regions: [] };

  if (before.status === 'UP' && stale.length >= settings.quorum) {
    const state: WatchdogState = { status: 'DOWN', since: now, ...(newest !== undefined ? { lastHeartbeat: newest } : {}), version: before.version + 1 };
    const alert = withSubject({
      ...base, alertId: `home:HOME_DOWN:${Math.floor(now / 1000)}`, kind: 'HOME_DOWN', verdict: 'DOWN', previousVerdict: 'UP',
      since: new Date(now).toISOString(), home: evidence(),
    });
    return { state, alert, changed: true };
  }
  if (before.status === 'DOWN') {
    const back = current.some((v) => !v.stale && v.heartbeatAt !== undefined && (before.lastHeartbeat === undefined || v.heartbeatAt > before.lastHeartbeat));
    if (back) {
      const state: WatchdogState = { status: 'UP', since: now, version: before.version + 1 };
      const alert = withSubject({
        ...base, alertId: `home:HOME_RECOVERED:${Math.floor(now / 1000)}`, kind: 'HOME_RECOVERED', verdict: 'UP', previousVerdict: 'DOWN',
        since: new Date(now).toISOString(), home: { ...evidence(), downSince: new Date(before.since).toISOString() },
      });
      return { state, alert, changed: true };
    }
  }
  return { state: before, changed: previous === undefined };
}
