// The home-region watchdog on DynamoDB Local: the real sweeper writes the heartbeat into the home table, three probe
// regions' watchdogs read it and vote in a second table (the fallback region's), and one HOME_DOWN, then one
// HOME_RECOVERED, goes to the fallback topic (SNS mocked at the SDK, as everywhere).
import { SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { watchdogFromEnv, watchHome, type HomeWatchdog } from '../../functions/probe/watchdog';
import { ENV } from '../../functions/shared/deployment';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { LOCAL_CREDENTIALS } from '../../bin/local/dynamodb-local';
import { useDynamoDbLocal } from '../support/dynamodb';
import { ORDERS, pipeline, REGIONS, TOPIC, type LogLine } from '../support/pipeline';

const db = useDynamoDbLocal();
const FALLBACK_TOPIC = 'arn:aws:sns:us-west-2:123456789012:portquorum-fallback-alerts';
const MINUTE = 60_000;

describe('home-region watchdog', () => {
  it('pages HOME_DOWN once when a quorum of probe regions sees the heartbeat stale, and HOME_RECOVERED once when it returns', async () => {
    const p = await pipeline(db, { monitors: [ORDERS] });
    const fallback = await db.createTable('pq-i17-watchdog');
    const logs: LogLine[] = [];
    const log = {
      debug: () => {}, info: () => {},
      warn: (message: string, extra?: Record<string, unknown>) => logs.push({ level: 'warn', message, ...(extra ? { extra } : {}) }),
      error: (message: string, extra?: Record<string, unknown>) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }),
    };
    try {
      const env = { [ENV.watchdogTable]: fallback.tableName, [ENV.watchdogRegion]: 'us-west-2', [ENV.fallbackTopicArn]: FALLBACK_TOPIC, [ENV.watchdogQuorum]: '2' };
      const watchdogs = new Map<string, HomeWatchdog>(REGIONS.map((region) => [region, watchdogFromEnv(env, region, p.fleet.homeRegion, p.table.store, log, {
        dynamodb: fallback.client, sns: new SNSClient({ region: 'us-west-2', credentials: LOCAL_CREDENTIALS }), now: () => p.clock.now,
      })!]));
      const fallbackAlerts = () => p.publishes().filter((x) => x.TopicArn === FALLBACK_TOPIC).map((x) => JSON.parse(x.Message!) as AlertMessage);
      const check = (region: string, canaryOk = true) => watchdogs.get(region)!.check(canaryOk);

      // Before the home pipeline's first sweep there is no heartbeat: no vote (a new deployment is not an outage).
      p.clock.now = p.clock.base - 10 * MINUTE;
      expect(await check('us-east-1')).toEqual({ heartbeat: 'none', vote: 'none' });
      // The home pipeline sweeps: a fresh heartbeat everywhere, the watchdog UP (written once), nothing paged.
      p.clock.now = p.clock.base;
      expect((await p.sweep()).heartbeat).toBe('written');
      p.clock.now += MINUTE;
      for (const region of REGIONS) expect(await check(region)).toEqual({ heartbeat: 'fresh', vote: 'fresh' });
      // Warm and UP: the steady state is the heartbeat read alone.
      expect(await check('us-east-1')).toEqual({ heartbeat: 'fresh', vote: 'none' });

      // The sweeper stops (the home pipeline is down). Past 5 minutes the heartbeat is stale: one region alone pages
      // nothing, a region whose own canary fails does not vote, the second stale vote pages HOME_DOWN.
      p.clock.now = p.clock.base + 5 * MINUTE + 30_000;
      expect(await check('us-east-1')).toEqual({ heartbeat: 'stale', vote: 'stale' });
      expect(await check('eu-west-1', false)).toEqual({ heartbeat: 'stale', vote: 'none' });
      expect(fallbackAlerts()).toEqual([]);
      p.clock.now += 10_000;
      expect(await check('ap-south-1')).toEqual({ heartbeat: 'stale', vote: 'stale', alert: 'HOME_DOWN' });
      const [down] = fallbackAlerts();
      expect(down).toMatchObject({ kind: 'HOME_DOWN', verdict: 'DOWN', home: { homeRegion: p.fleet.homeRegion, staleRegions: ['ap-south-1', 'us-east-1'], quorum: 2, lastHeartbeat: new Date(p.clock.base).toISOString() } });
      expect(p.publishes().find((x) => x.TopicArn === FALLBACK_TOPIC)!.MessageAttributes).toMatchObject({ kind: { DataType: 'String', StringValue: 'HOME_DOWN' }, monitor: { DataType: 'String', StringValue: 'fleet' } });
      // Every region keeps seeing it stale, minute after minute: still one page.
      for (let k = 1; k <= 3; k += 1) {
        p.clock.now += MINUTE;
        for (const region of REGIONS) expect((await check(region)).alert).toBeUndefined();
      }
      expect(fallbackAlerts().map((a) => a.kind)).toEqual(['HOME_DOWN']);
      // No watchdog alert went to the main topic: the home region's own topic is what may be down.
      expect(p.publishes().filter((x) => x.TopicArn === TOPIC && x.Subject!.startsWith('HOME_'))).toEqual([]);

      // The sweeper runs again: the first region to read the new heartbeat pages HOME_RECOVERED, once.
      p.clock.now += MINUTE;
      await p.sweep();
      p.clock.now += 20_000;
      expect(await check('eu-west-1')).toEqual({ heartbeat: 'fresh', vote: 'fresh', alert: 'HOME_RECOVERED' });
      for (const region of REGIONS) expect((await check(region)).alert).toBeUndefined();
      expect(fallbackAlerts().map((a) => a.kind)).toEqual(['HOME_DOWN', 'HOME_RECOVERED']);
      expect(fallbackAlerts()[1]!.home).toMatchObject({ freshRegions: expect.arrayContaining(['eu-west-1']), downSince: down!.since });
      // Then the stale votes standing (cast before the recovery) page nothing, and the warm watchdogs are quiet again.
      p.clock.now += MINUTE;
      await p.sweep();
      for (const region of REGIONS) expect((await check(region)).alert).toBeUndefined();
      expect(fallbackAlerts()).toHaveLength(2);
      expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
    } finally {
      await p.close();
      await fallback.dispose();
    }
  });

  it('a heartbeat that cannot be read counts as stale (the home table is what is down)', async () => {
    const p = await pipeline(db, { monitors: [ORDERS] });
    const fallback = await db.createTable('pq-i17-watchdog');
    const warns: string[] = [];
    const log = { debug: () => {}, info: () => {}, warn: (m: string) => warns.push(m), error: () => {} };
    try {
      const env = { [ENV.watchdogTable]: fallback.tableName, [ENV.watchdogRegion]: 'us-west-2', [ENV.fallbackTopicArn]: FALLBACK_TOPIC, [ENV.watchdogQuorum]: '1' };
      await p.sweep();
      await p.table.dispose();
      const w = watchdogFromEnv(env, 'us-east-1', p.fleet.homeRegion, p.table.store, log, { dynamodb: fallback.client, sns: new SNSClient({ region: 'us-west-2', credentials: LOCAL_CREDENTIALS }) })!;
      expect(await w.check(true)).toEqual({ heartbeat: 'unreadable', vote: 'stale', alert: 'HOME_DOWN' });
      expect(warns).toEqual(["The home pipeline's heartbeat could not be read; counted as stale"]);
      const down = p.publishes().filter((x) => x.TopicArn === FALLBACK_TOPIC).map((x) => JSON.parse(x.Message!) as AlertMessage);
      expect(down).toHaveLength(1);
      expect(down[0]!.subject).toBe(`HOME_DOWN — home region ${p.fleet.homeRegion}: no heartbeat readable (stale in us-east-1)`);
      // A probe without the watchdog's settings has no watchdog.
      expect(watchdogFromEnv({}, 'us-east-1', p.fleet.homeRegion, p.table.store, log)).toBeUndefined();
    } finally {
      await p.poller.stop();
      p.sns.restore();
      await fallback.dispose();
    }
  });

  it("is called by the probe with its invocation's canary (fine unless it failed in most rounds), and never fails the probe", async () => {
    const seen: boolean[] = [];
    const errors: string[] = [];
    const log = { debug: () => {}, info: () => {}, warn: () => {}, error: (m: string) => errors.push(m) };
    const watchdog = { check: async (canaryOk: boolean) => { seen.push(canaryOk); return { heartbeat: 'fresh' as const, vote: 'none' as const }; } };
    await watchHome(watchdog, [{ canary: 'down' }, { canary: 'up' }, { canary: 'down' }], log, 'us-east-1');
    await watchHome(watchdog, [{ canary: 'down' }, { canary: 'up' }], log, 'us-east-1');
    await watchHome(watchdog, [{ canary: 'none' }], log, 'us-east-1');
    expect(seen).toEqual([false, true, true]);
    await watchHome({ check: async () => { throw new Error('fallback region unreachable'); } }, [{ canary: 'up' }], log, 'us-east-1');
    expect(errors).toEqual(['The home pipeline watchdog failed; the next invocation checks again']);
  });
});
