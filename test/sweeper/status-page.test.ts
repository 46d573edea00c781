// The sweeper keeps the status page current: on DynamoDB Local, through the real S3 client to a loopback S3 server,
// it writes the page and its JSON once, not again while nothing shown changes, again after a verdict changes; a cold
// sweeper asks the bucket what is there first; a failing bucket is logged and the sweep goes on.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3StatusPage } from '../../functions/shared/adapters/status-bucket';
import { historyItem } from '../../functions/shared/domain/history';
import { historyOf, readStatusPage, StatusPagePublisher } from '../../functions/shared/evaluation/status-page';
import { ORDERS, usePipelines } from '../support/pipeline';
import { startLoopbackS3, type LoopbackS3 } from '../support/s3-server';

const open = usePipelines();
const BUCKET = 'pq-status-test';
let s3: LoopbackS3;

beforeAll(async () => {
  s3 = await startLoopbackS3();
});
afterAll(() => s3.close());

const statusPage = () => new StatusPagePublisher(new S3StatusPage(BUCKET, { client: s3.client() }));
const writes = () => s3.requests.filter((r) => r.startsWith('PUT'));

describe('sweeper: status page', () => {
  it('writes the page and its JSON when what it shows changes, and only then', async () => {
    s3.requests.length = 0;
    const page = statusPage();
    const p = await open({ monitors: [ORDERS], statusPage: { title: 'Payments <status>' } }, { sweeper: { statusPage: page } });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    p.clock.now = p.clock.base + 2 * 60_000 + 30_000;
    expect((await p.sweep()).statusPage).toBe('written');
    // A cold publisher asks what is there first (nothing), then writes the data before the page.
    expect(s3.requests).toEqual([`HEAD /${BUCKET}/index.html`, `PUT /${BUCKET}/status.json`, `PUT /${BUCKET}/index.html`]);
    const html = s3.objects.get(`${BUCKET}/index.html`)!;
    expect(html.contentType).toBe('text/html; charset=utf-8');
    expect(html.cacheControl).toBe('public, max-age=60');
    expect(html.body).toContain('<h1>Payments &lt;status&gt;</h1>');
    expect(html.body).toContain('data-monitor="orders-db" data-verdict="UP"');
    const json = JSON.parse(s3.objects.get(`${BUCKET}/status.json`)!.body) as { rows: { name: string; verdict: string }[] };
    expect(json.rows.map((r) => [r.name, r.verdict])).toEqual([['orders-db', 'UP']]);
    expect(html.metadata['content-hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(s3.objects.get(`${BUCKET}/status.json`)!.metadata['content-hash']).toBe(html.metadata['content-hash']);

    // Nothing shown changed: no write, and no request at all (the warm sweeper remembers what it wrote).
    await p.writeRound(2, 'uuu');
    await p.drain();
    p.clock.now += 60_000;
    expect((await p.sweep()).statusPage).toBe('unchanged');
    expect(writes()).toHaveLength(2);
    expect(s3.requests).toHaveLength(3);

    // A DOWN changes it.
    await p.writeRound(3, 'ddd');
    await p.writeRound(4, 'ddd');
    await p.drain();
    p.clock.now += 60_000;
    expect((await p.sweep()).statusPage).toBe('written');
    expect(writes()).toHaveLength(4);
    expect(s3.objects.get(`${BUCKET}/index.html`)!.body).toContain('data-monitor="orders-db" data-verdict="DOWN"');
    expect(s3.objects.get(`${BUCKET}/index.html`)!.metadata['content-hash']).not.toBe(html.metadata['content-hash']);

    // A cold sweeper finds the same content in the bucket and writes nothing.
    const cold = statusPage();
    expect(await cold.update(p.table.store, p.fleet, p.clock.now + 1000)).toBe('unchanged');
    expect(writes()).toHaveLength(4);
  });

  it('writes an unchanged page again after an hour, so its time says the pipeline is alive', async () => {
    s3.requests.length = 0;
    const page = statusPage();
    const p = await open({ monitors: [ORDERS], statusPage: { title: 't' } });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    // The hour must not cross a UTC midnight: a new day is a new bar, so the page changes then whatever else does.
    const DAY = 86_400_000;
    const t0 = Math.floor(p.clock.now / DAY) === Math.floor((p.clock.now + 60 * 60_000) / DAY) ? p.clock.now : (Math.floor(p.clock.now / DAY) + 1) * DAY + 60_000;
    expect(await page.update(p.table.store, p.fleet, t0)).toBe('written');
    expect(await page.update(p.table.store, p.fleet, t0 + 59 * 60_000)).toBe('unchanged');
    expect(await page.update(p.table.store, p.fleet, t0 + 60 * 60_000)).toBe('written');
  });

  it('logs a bucket that fails and sweeps on; the next sweep writes the page', async () => {
    s3.requests.length = 0;
    const p = await open({ monitors: [ORDERS], statusPage: { title: 't' } }, { sweeper: { statusPage: statusPage() } });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    p.clock.now = p.clock.base + 2 * 60_000 + 30_000;
    s3.failing = true;
    try {
      const swept = await p.sweep();
      expect(swept.statusPage).toBe('failed');
      expect(swept.evaluation.evaluated).toBe(1);
    } finally {
      s3.failing = false;
    }
    expect(p.logs.find((l) => l.message.startsWith('Updating the status page failed'))).toMatchObject({ level: 'error' });
    expect(String(p.logs.find((l) => l.message.startsWith('Updating the status page failed'))!.extra!.error)).toContain(`bucket ${BUCKET}`);
    p.clock.now += 60_000;
    expect((await p.sweep()).statusPage).toBe('written');
  });
});

describe('the status page reads the history', () => {
  it('bars and lists past outages from the history; the sweeper reads settled days once, today\'s each time', async () => {
    const p = await open({ monitors: [ORDERS], statusPage: { title: 't' } });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.drain();
    const DAY = 86_400_000;
    const put = (at: number, to: 'DOWN' | 'UP') => p.table.client.send(new PutItemCommand({
      TableName: p.table.tableName,
      Item: marshall(historyItem({ event: 'transition', from: to === 'DOWN' ? 'UP' : 'DOWN', to, round: new Date(at).toISOString(), since: new Date(at).toISOString(), regions: [] }, 'orders-db', at, 400)),
    }));
    const threeDaysAgo = p.clock.now - 3 * DAY;
    await put(threeDaysAgo, 'DOWN');
    await put(threeDaysAgo + 20 * 60_000, 'UP');
    const source = historyOf(p.table.store, p.fleet, { cache: true });
    const page = async () => readStatusPage(p.table.store, p.fleet, p.clock.now, source);
    const first = await page();
    expect(first.incidents).toEqual([{ monitor: 'orders-db', from: new Date(threeDaysAgo).toISOString(), to: new Date(threeDaysAgo + 20 * 60_000).toISOString(), ongoing: false, minutes: 20 }]);
    expect(first.rows[0]!.days.find((d) => d.level === 'down')).toMatchObject({ downMinutes: 20 });

    // A late item in a settled day is not read again; one today is.
    await put(threeDaysAgo + 60 * 60_000, 'DOWN');
    await put(threeDaysAgo + 61 * 60_000, 'UP');
    await put(p.clock.now - 10 * 60_000, 'DOWN');
    await put(p.clock.now - 5 * 60_000, 'UP');
    const second = await page();
    expect(second.incidents.map((i) => i.minutes)).toEqual([5, 20]);
    // Uncached (the CLI, the local page), every day is read.
    expect((await readStatusPage(p.table.store, p.fleet, p.clock.now, historyOf(p.table.store, p.fleet))).incidents.map((i) => i.minutes)).toEqual([5, 1, 20]);
  });
});
