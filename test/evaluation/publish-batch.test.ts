// Wide outages on DynamoDB Local with SNS mocked at the SDK: alerts go out in PublishBatch requests, entries SNS
// refuses (or a whole request that fails) are republished by the sweep, each monitor's alerts keep their order, and a
// pass that reaches its publish deadline carries the rest to the sweep, nothing lost or doubled.
//
// The many monitors here change to DEGRADED (connect time over degradedMs), not DOWN: DOWNs sharing their error in the
// same regions are one INCIDENT page by design (the incident book), and these tests are about the raw path below it.
import { PublishBatchCommand, PublishCommand, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { PublishLimiter } from '../../functions/shared/adapters/publish-rate';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { MonitorSpec } from '../../functions/shared/domain';
import { allSent, usePipelines, type Pipeline } from '../support/pipeline';

const open = usePipelines();

/** `count` monitors, each its own host, DEGRADED when a quorum connects in more than 500 ms. */
function monitors(count: number): MonitorSpec[] {
  return Array.from({ length: count }, (_, k) => ({
    id: `m${String(k).padStart(4, '0')}`, host: `10.1.${Math.floor(k / 250)}.${(k % 250) + 1}`, port: 5432, degradedMs: 500,
  }));
}

const key = (a: AlertMessage) => `${a.alertId}#${a.sequence}`;
const entryAlert = (entry: { Message?: string }) => JSON.parse(entry.Message!) as AlertMessage;

/**
 * Answers PublishBatch by `decide` (entry index, alert → sent or not) and keeps every alert SNS took, in order: what
 * subscribers received.
 */
function snsTaking(p: Pipeline, decide: (call: number, index: number, alert: AlertMessage) => boolean = () => true) {
  const delivered: AlertMessage[] = [];
  let calls = 0;
  p.sns.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => {
    const call = calls++;
    const entries = input.PublishBatchRequestEntries ?? [];
    const Successful: { Id: string; MessageId: string }[] = [];
    const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    entries.forEach((entry, index) => {
      const alert = entryAlert(entry);
      if (decide(call, index, alert)) {
        delivered.push(alert);
        Successful.push({ Id: entry.Id!, MessageId: `m-${call}-${index}` });
      } else {
        Failed.push({ Id: entry.Id!, Code: 'InternalError', Message: 'SNS could not take it', SenderFault: false });
      }
    });
    return { Successful, Failed };
  });
  // A lone alert goes with Publish (a group of one, which depends on when each monitor's earlier alert went): the
  // same decision applies, so a test never depends on how the alerts happened to be grouped.
  p.sns.on(PublishCommand).callsFake(async (input: { Message: string }) => {
    const call = calls++;
    const alert = JSON.parse(input.Message) as AlertMessage;
    if (!decide(call, 0, alert)) throw new Error('SNS could not take it');
    delivered.push(alert);
    return { MessageId: `m-${call}-single` };
  });
  return delivered;
}

/**
 * Two up rounds, then two slow ones: each monitor DEGRADED (a wide fleet's rounds take DynamoDB Local a while:
 * `drainMs`). Each round is drained before the next is written: the pipeline's
 * scripted clock jumps a minute with each round written, and a pass still publishing when that happens would see its
 * publish deadline (where a test sets one) pass at once (seen on a loaded machine: fewer alerts sent before it).
 */
async function degrade(p: Pipeline, drainMs = 100_000): Promise<void> {
  for (let i = 0; i < 4; i += 1) {
    await p.writeRound(i, i < 2 ? 'uuu' : 'ttt');
    await p.poller.drain(drainMs);
  }
}

async function pendingCount(p: Pipeline): Promise<number> {
  const states = await p.table.store.readMonitorStates();
  return [...states.values()].reduce((sum, s) => sum + Object.keys(s.pending).length, 0);
}

describe('wide outage: PublishBatch', () => {
  it('1,000 monitors DEGRADED in one round: exactly 1,000 alerts in at most 100 PublishBatch calls, none twice', async () => {
    const p = await open({ monitors: monitors(1000) }, { publishLimiter: new PublishLimiter({ perSecond: 5000, burst: 100 }) });
    const delivered = snsTaking(p);
    await degrade(p, 480_000);
    expect(delivered).toHaveLength(1000);
    expect(delivered.every((a) => a.kind === 'DEGRADED')).toBe(true);
    expect(new Set(delivered.map(key)).size).toBe(1000);
    expect(new Set(delivered.map((a) => a.monitor!.id)).size).toBe(1000);
    const batches = p.batches();
    expect(batches.length).toBeLessThanOrEqual(100);
    expect(Math.max(...batches.map((b) => b.PublishBatchRequestEntries!.length))).toBeLessThanOrEqual(10);
    // Each entry is what a Publish of the alert would have been: its subject, body and filterable attributes.
    const [entry] = batches[0]!.PublishBatchRequestEntries!;
    const alert = entryAlert(entry!);
    expect(entry).toMatchObject({ Subject: alert.subject, MessageAttributes: { kind: { DataType: 'String', StringValue: 'DEGRADED' }, monitor: { DataType: 'String', StringValue: alert.monitor!.id } } });
    expect(p.alerts()).toHaveLength(1000);
    expect(await pendingCount(p)).toBe(0);
    // A sweep afterwards finds nothing to send again.
    p.clock.now += 60_000;
    expect((await p.sweep()).republished).toBe(0);
    expect(delivered).toHaveLength(1000);
  }, 600_000);

  it('a PublishBatch that fails 3 of its 10 entries: those 3 go with the next sweep, the 7 are not sent again', async () => {
    const p = await open({ monitors: monitors(10) });
    const failing = new Set([2, 5, 7]);
    const delivered = snsTaking(p, (call, index) => call > 0 || !failing.has(index));
    await degrade(p);
    expect(p.batches()).toHaveLength(1);
    expect(delivered).toHaveLength(7);
    const refused = p.batches()[0]!.PublishBatchRequestEntries!.filter((_, k) => failing.has(k)).map((e) => key(entryAlert(e)));
    expect(p.logs.filter((l) => l.message === 'Alert publish failed; it stays pending for the sweeper')).toHaveLength(3);
    expect(await pendingCount(p)).toBe(3);
    // The refused entries' claims were given back: the sweep takes them at once, not after the aggregator's lease.
    p.clock.now += 20_000;
    const swept = await p.sweep();
    expect(swept.republished).toBe(3);
    expect(delivered.slice(7).map(key).sort()).toEqual([...refused].sort());
    expect(new Set(delivered.map(key)).size).toBe(10);
    expect(await pendingCount(p)).toBe(0);
    await p.sweep();
    expect(delivered).toHaveLength(10);
  }, 300_000);

  it('a PublishBatch request that throws: all its alerts stay pending and the sweep sends each once', async () => {
    const p = await open({ monitors: monitors(10) });
    p.sns.on(PublishBatchCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })).callsFake(allSent);
    await degrade(p);
    expect(p.batches()).toHaveLength(1);
    expect(p.logs.filter((l) => l.message === 'Alert publish failed; it stays pending for the sweeper')).toHaveLength(10);
    expect(await pendingCount(p)).toBe(10);
    p.clock.now += 20_000;
    expect((await p.sweep()).republished).toBe(10);
    const sent = p.batches()[1]!.PublishBatchRequestEntries!.map((e) => key(entryAlert(e)));
    const attempted = p.batches()[0]!.PublishBatchRequestEntries!.map((e) => key(entryAlert(e)));
    expect([...sent].sort()).toEqual([...attempted].sort());
    expect(await pendingCount(p)).toBe(0);
    await p.sweep();
    expect(p.batches()).toHaveLength(2);
  }, 300_000);
});

describe('wide outage: the publish deadline', () => {
  it('a pass that reaches its deadline mid-outage carries the rest, claims given back; the sweep delivers them, each once', async () => {
    const metrics = memoryMetrics();
    // One batch a second on the pipeline's own clock (the wait moves it), and the aggregator may publish for 2.5 s.
    let p!: Pipeline;
    const limiter = new PublishLimiter({ perSecond: 10, burst: 10 }, () => p.clock.now, async (ms) => void (p.clock.now += ms));
    p = await open({ monitors: monitors(100) }, { publishLimiter: limiter, aggregatorMetrics: metrics, aggregatorPublishDeadline: (startedAt) => startedAt + 2_500 });
    const delivered = snsTaking(p);
    await degrade(p);
    // The first batch at once, two more a second apart; the fourth would start after the deadline.
    expect(delivered).toHaveLength(30);
    const aggregated = p.logs.filter((l) => l.message === 'Batch aggregated').map((l) => l.extra!);
    expect(aggregated.reduce((sum, e) => sum + (e.alertsCarried as number), 0)).toBe(70);
    expect(metrics.values.AlertsCarried).toBe(70);
    const states = await p.table.store.readMonitorStates();
    const left = [...states.values()].flatMap((s) => Object.values(s.pending));
    expect(left).toHaveLength(70);
    expect(left.every((entry) => entry.claim === undefined)).toBe(true);
    p.clock.now += 20_000;
    const swept = await p.sweep();
    expect(swept).toMatchObject({ republished: 70, alertsCarried: 0 });
    expect(delivered).toHaveLength(100);
    expect(new Set(delivered.map(key)).size).toBe(100);
    expect(await pendingCount(p)).toBe(0);
  }, 300_000);
});

describe('wide outage: each monitor in order', () => {
  it("a monitor's UP never goes before its DEGRADED, nor in the same batch; one whose DEGRADED SNS refused waits with its UP", async () => {
    const p = await open({ monitors: monitors(12) });
    // The DEGRADED pages all fail first (SNS down, for batches and lone alerts alike), and stay pending unclaimed.
    p.sns.on(PublishBatchCommand).rejects(new Error('Service Unavailable'));
    p.sns.on(PublishCommand).rejects(new Error('Service Unavailable'));
    await degrade(p);
    expect(await pendingCount(p)).toBe(12);
    // SNS is back but refuses m0003's and m0007's DEGRADED once; then the monitors recover.
    const refusedOnce = new Set<string>();
    const delivered = snsTaking(p, (_call, _index, alert) => {
      if (alert.kind === 'DEGRADED' && ['m0003', 'm0007'].includes(alert.monitor!.id) && !refusedOnce.has(alert.monitor!.id)) {
        refusedOnce.add(alert.monitor!.id);
        return false;
      }
      return true;
    });
    for (let i = 4; i < 7; i += 1) await p.writeRound(i, 'uuu');
    await p.drain();
    const kindsOf = (id: string) => delivered.filter((a) => a.monitor!.id === id).map((a) => a.kind);
    expect(kindsOf('m0000')).toEqual(['DEGRADED', 'UP']);
    // The refused ones: nothing of theirs went after the refusal, their UP waits behind their DEGRADED.
    expect(kindsOf('m0003')).toEqual([]);
    expect(kindsOf('m0007')).toEqual([]);
    p.clock.now += 20_000;
    await p.sweep();
    for (const monitor of monitors(12)) expect(kindsOf(monitor.id)).toEqual(['DEGRADED', 'UP']);
    expect(new Set(delivered.map(key)).size).toBe(24);
    // No request ever carried two alerts of one monitor.
    for (const batch of p.batches()) {
      const ids = batch.PublishBatchRequestEntries!.map((e) => entryAlert(e).monitor!.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(await pendingCount(p)).toBe(0);
  }, 300_000);
});
