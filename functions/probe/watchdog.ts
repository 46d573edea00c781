// The probe region's watchdog on the home pipeline: once an invocation it reads the heartbeat (one small read), and
// only when that is stale, or was lately, or the watchdog is not known UP, it votes in the fallback region's table and
// steps the watchdog (domain/watchdog.ts); the region that moves the state publishes the one HOME_DOWN or HOME_RECOVERED
// on the fallback topic. Called from the probe handler after its rounds; never fails the probe.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { required } from '../shared/adapters/env';
import { SnsPublisher, type AlertPublisher } from '../shared/adapters/publisher';
import type { Log } from '../shared/adapters/observability';
import type { TableStore } from '../shared/adapters/store';
import { WatchdogTable } from '../shared/adapters/watchdog-table';
import { ENV } from '../shared/deployment';
import { castVote, nextWatchdog, WATCHDOG_DEFAULTS, type WatchdogSettings } from '../shared/domain/watchdog';

/** A pending alert older than this was left by a region that died before publishing it: publish it again. */
const REPUBLISH_AFTER_MS = 30_000;

export interface HomeWatchdogDeps {
  region: string;
  settings: WatchdogSettings;
  /** The home table's heartbeat (epoch ms), undefined when there is none; throws when it cannot be read. */
  readHeartbeat: () => Promise<number | undefined>;
  table: Pick<WatchdogTable, 'putVote' | 'readVotes' | 'readState' | 'writeState' | 'clearPending'>;
  /** The fallback topic. */
  publisher: AlertPublisher;
  log: Log;
  /** @default Date.now */
  now?: () => number;
}

export interface WatchdogCheck {
  /** none: no heartbeat written yet (the home pipeline has not swept since it was deployed): no vote. */
  heartbeat: 'fresh' | 'stale' | 'unreadable' | 'none';
  /** What this region voted (none: its canary failed while the heartbeat was stale, or nothing needed a vote). */
  vote: 'stale' | 'fresh' | 'none';
  /** The alert this region raised and published (at most one). */
  alert?: 'HOME_DOWN' | 'HOME_RECOVERED';
}

export class HomeWatchdog {
  private readonly now: () => number;
  /** This container's last vote was stale: it must be overwritten once the heartbeat is fresh again. */
  private votedStale = false;
  /** The watchdog's status as this container last saw it (unknown after a cold start). */
  private status: 'UP' | 'DOWN' | undefined;

  constructor(private readonly deps: HomeWatchdogDeps) {
    this.now = deps.now ?? Date.now;
  }

  async check(canaryOk: boolean): Promise<WatchdogCheck> {
    const { region, settings, log } = this.deps;
    const now = this.now();
    const read = await this.deps.readHeartbeat().then((at) => ({ at }), (error: unknown) => {
      log.warn("The home pipeline's heartbeat could not be read; counted as stale", { region, error: (error as Error).message });
      return { at: undefined, unreadable: true };
    });
    // No heartbeat item at all: the home pipeline has not swept yet (just deployed, or starting locally): no vote.
    if (read.at === undefined && !('unreadable' in read)) return { heartbeat: 'none', vote: 'none' };
    const heartbeatAt = read.at;
    const vote = castVote(region, heartbeatAt, canaryOk, now, settings);
    const heartbeat = heartbeatAt === undefined ? 'unreadable' : now - heartbeatAt > settings.staleAfterMs ? 'stale' : 'fresh';
    // The steady state costs the one read above: a fresh heartbeat, no stale vote of ours standing, the watchdog UP.
    if (!vote?.stale && !this.votedStale && this.status === 'UP') return { heartbeat, vote: 'none' };

    if (vote) {
      await this.deps.table.putVote(vote);
      this.votedStale = vote.stale;
    }
    const [votes, stored] = await Promise.all([this.deps.table.readVotes(), this.deps.table.readState()]);
    if (stored?.pending && now - stored.pending.since > REPUBLISH_AFTER_MS) {
      await this.deps.publisher.publish(stored.pending.alert);
      await this.deps.table.clearPending(stored.state.version, stored.pending.alert.alertId);
      log.warn('Published a watchdog alert another region left pending', { region, alertId: stored.pending.alert.alertId, kind: stored.pending.alert.kind });
    }
    const step = nextWatchdog(stored?.state, votes, now, settings);
    const result: WatchdogCheck = { heartbeat, vote: vote ? (vote.stale ? 'stale' : 'fresh') : 'none' };
    if (!step.changed) {
      this.status = step.state.status;
      return result;
    }
    const written = await this.deps.table.writeState(step.state, stored?.state.version ?? 0, step.alert ? { alert: step.alert, since: now } : undefined);
    if (written === 'conflict') {
      // Another region moved the watchdog first; it publishes. The next invocation sees its state.
      this.status = undefined;
      return result;
    }
    this.status = step.state.status;
    if (!step.alert) return result;
    log.error(`Home pipeline watchdog: ${step.alert.subject}`, { region, alertId: step.alert.alertId, kind: step.alert.kind });
    await this.deps.publisher.publish(step.alert);
    await this.deps.table.clearPending(step.state.version, step.alert.alertId);
    return { ...result, alert: step.alert.kind as 'HOME_DOWN' | 'HOME_RECOVERED' };
  }
}

/** The watchdog's check, with this invocation's canary (fine when it failed in at most half its rounds); never throws. */
export async function watchHome(watchdog: Pick<HomeWatchdog, 'check'>, rounds: readonly { canary: string }[], log: Log, region: string): Promise<void> {
  const probed = rounds.filter((r) => r.canary !== 'none');
  const canaryOk = probed.filter((r) => r.canary === 'down').length * 2 <= probed.length;
  try {
    const check = await watchdog.check(canaryOk);
    if (check.heartbeat !== 'fresh' || check.alert) log.info('Home pipeline watchdog', { region, canaryOk, ...check });
  } catch (error) {
    log.error('The home pipeline watchdog failed; the next invocation checks again', { region, error: (error as Error).message });
  }
}

/** The watchdog when the stack configured one (its table, region and fallback topic); else none. */
export function watchdogFromEnv(env: NodeJS.ProcessEnv, region: string, homeRegion: string, store: Pick<TableStore, 'readHeartbeat'>, log: Log, options: { dynamodb?: DynamoDBClient; sns?: SNSClient; now?: () => number } = {}): HomeWatchdog | undefined {
  const tableName = env[ENV.watchdogTable];
  const topicArn = env[ENV.fallbackTopicArn];
  const fallbackRegion = env[ENV.watchdogRegion];
  if (!tableName || !topicArn || !fallbackRegion) return undefined;
  return new HomeWatchdog({
    region,
    settings: {
      homeRegion,
      staleAfterMs: Number(env[ENV.watchdogStaleAfterMinutes] ?? WATCHDOG_DEFAULTS.staleAfterMinutes) * 60_000,
      quorum: Number(required(env, ENV.watchdogQuorum)),
      voteTtlMs: WATCHDOG_DEFAULTS.voteTtlMs,
    },
    readHeartbeat: () => store.readHeartbeat(),
    table: new WatchdogTable(options.dynamodb ?? new DynamoDBClient({ region: fallbackRegion, maxAttempts: 3 }), tableName),
    publisher: new SnsPublisher(options.sns ?? new SNSClient({ region: fallbackRegion }), topicArn),
    log,
    ...(options.now ? { now: options.now } : {}),
  });
}
