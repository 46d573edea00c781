// Incidents through the real stream on DynamoDB Local: monitors failing together page once, every recovery is
// announced, dependents join their dependency's incident, and two passes racing never page twice for one cause.
import { describe, expect, it } from 'vitest';
import { claimFor } from '../../functions/shared/evaluation/publish';
import { evaluateMonitors } from '../../functions/shared/evaluation/evaluate';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import type { HomeDeps } from '../../functions/shared/adapters/home-deps';
import { historyDays } from '../../functions/shared/domain/history';
import { ORDERS, usePipelines } from '../support/pipeline';

const open = usePipelines();
/** Three services on one host (the pipeline's refused results name 10.0.1.5 as the address). */
const DB = ORDERS;
const CACHE = { id: 'orders-cache', host: '10.0.1.5', port: 6379, severity: 'warning' as const };
const QUEUE = { id: 'orders-queue', host: '10.0.1.5', port: 5672 };

describe('incidents through the real stream', () => {
  it('three monitors behind one address going DOWN in one round page one INCIDENT, and one INCIDENT_RESOLVED when all are back', async () => {
    const p = await open({ monitors: [DB, CACHE, QUEUE] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.writeRound(2, 'ddd');
    await p.writeRound(3, 'ddd');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['INCIDENT']);
    const [incident] = p.publishes();
    expect(incident!.Subject).toBe('INCIDENT — 3 monitors down, same address 10.0.1.5: orders-cache, orders-db, orders-queue');
    expect(incident!.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'INCIDENT' },
      severity: { DataType: 'String', StringValue: 'critical' },
      monitor: { DataType: 'String', StringValue: 'incident' },
      verdict: { DataType: 'String', StringValue: 'DOWN' },
    });
    // Each monitor's own state says DOWN, paged (by the incident).
    for (const id of ['orders-db', 'orders-cache', 'orders-queue']) {
      expect((await p.table.store.readMonitorState(id))!.state).toMatchObject({ verdict: 'DOWN', notified: 'DOWN' });
    }
    expect((await p.table.store.readIncidentBook())!.state.incidents).toHaveLength(1);

    await p.writeRound(4, 'uuu');
    await p.writeRound(5, 'uuu');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['INCIDENT', 'INCIDENT_RESOLVED']);
    expect(p.alerts()[1]!.incident!.members.map((m) => [m.monitor, m.status])).toEqual([['orders-cache', 'up'], ['orders-db', 'up'], ['orders-queue', 'up']]);
    expect((await p.table.store.readIncidentBook())!.state.incidents).toEqual([]);
    expect(p.failures).toEqual([]);
  });

  it('a member back before the others is named by an INCIDENT_UPDATED; a later joiner within the window too', async () => {
    const p = await open({ monitors: [DB, CACHE, QUEUE] });
    await p.writeRound(0, { 'orders-db': 'uuu', 'orders-cache': 'uuu', 'orders-queue': 'uuu' });
    await p.writeRound(1, { 'orders-db': 'uuu', 'orders-cache': 'uuu', 'orders-queue': 'uuu' });
    await p.writeRound(2, { 'orders-db': 'ddd', 'orders-cache': 'ddd', 'orders-queue': 'uuu' });
    await p.writeRound(3, { 'orders-db': 'ddd', 'orders-cache': 'ddd', 'orders-queue': 'ddd' });
    await p.drain();
    await p.writeRound(4, { 'orders-db': 'ddd', 'orders-cache': 'uuu', 'orders-queue': 'ddd' });
    await p.writeRound(5, { 'orders-db': 'ddd', 'orders-cache': 'uuu', 'orders-queue': 'ddd' });
    await p.drain();
    expect(p.alerts().map((a) => `${a.kind} ${a.sequence}`)).toEqual(['INCIDENT 0', 'INCIDENT_UPDATED 1', 'INCIDENT_UPDATED 2']);
    expect(p.alerts()[1]!.incident).toMatchObject({ joined: ['orders-queue'], stillDown: ['orders-cache', 'orders-db', 'orders-queue'] });
    expect(p.alerts()[2]!.incident).toMatchObject({ recovered: ['orders-cache'], stillDown: ['orders-db', 'orders-queue'] });
    expect(p.publishes()[2]!.Subject).toBe('INCIDENT_UPDATED — back: orders-cache; 2 of 3 still down (same address 10.0.1.5)');
  });

  it("dependsOn: the router pages DOWN alone; the service behind it joins the router's incident instead of paging", async () => {
    const router = { id: 'core-router', host: '10.0.0.1', port: 22 };
    const web = { id: 'web', host: 'web.example.invalid', port: 443, dependsOn: ['core-router'] };
    const p = await open({ monitors: [router, web] });
    await p.writeRound(0, 'uuu');
    await p.writeRound(1, 'uuu');
    await p.writeRound(2, { 'core-router': 'ddd', web: 'uuu' });
    await p.writeRound(3, { 'core-router': 'ddd', web: 'uuu' });
    await p.drain();
    await p.writeRound(4, { 'core-router': 'ddd', web: 'ddd' });
    await p.writeRound(5, { 'core-router': 'ddd', web: 'ddd' });
    await p.drain();
    expect(p.alerts().map((a) => `${a.kind} ${a.monitor?.id ?? a.incident?.joined.join(',')}`)).toEqual(['DOWN core-router', 'INCIDENT_UPDATED web']);
    expect(p.alerts()[1]!.incident!.members.find((m) => m.monitor === 'web')).toMatchObject({ via: 'dependsOn', dependsOn: 'core-router' });
    // The router comes back first: the update names it; web's UP closes the incident.
    await p.writeRound(6, { 'core-router': 'uuu', web: 'ddd' });
    await p.writeRound(7, { 'core-router': 'uuu', web: 'ddd' });
    await p.drain();
    await p.writeRound(8, 'uuu');
    await p.writeRound(9, 'uuu');
    await p.drain();
    expect(p.alerts().map((a) => a.kind)).toEqual(['DOWN', 'INCIDENT_UPDATED', 'INCIDENT_UPDATED', 'INCIDENT_RESOLVED']);
    expect(p.alerts()[2]!.incident!.recovered).toEqual(['core-router']);
  });

  it('two passes racing on one cause page once: the one that loses the book write joins the incident the other opened', async () => {
    const p = await open({ monitors: [DB, CACHE] });
    await p.poller.stop();
    for (const [i, codes] of ['uuu', 'uuu', 'ddd', 'ddd'].entries()) await p.writeRound(i, codes);
    const instant = p.clock.base + 3 * 60_000;
    const publishes: string[] = [];
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const deps: HomeDeps = {
      fleet: p.fleet, store: p.table.store, log: quiet, metrics: memoryMetrics(),
      publisher: { publish: async (alert) => void publishes.push(alert.kind) },
    };
    const [a, b] = await Promise.all([
      evaluateMonitors(deps, [{ monitor: p.fleet.monitors[0]!, instant }], p.clock.now, { claim: claimFor('aggregate', p.clock.now) }),
      evaluateMonitors(deps, [{ monitor: p.fleet.monitors[1]!, instant }], p.clock.now, { claim: claimFor('aggregate', p.clock.now) }),
    ]);
    expect([...a.failures, ...b.failures]).toEqual([]);
    // One page (a DOWN) and one update, whichever pass won; never two DOWN pages.
    expect(publishes.sort()).toEqual(['DOWN', 'INCIDENT_UPDATED']);
    expect((await p.table.store.readIncidentBook())!.state.incidents[0]!.members.map((m) => m.monitorId).sort()).toEqual(['orders-cache', 'orders-db']);
  });
});

describe('an incident of any size through DynamoDB Local', () => {
  it('4,500 monitors behind one address going DOWN in one round: one INCIDENT naming 20, the book in member pages, every member back closes it', { timeout: 600_000 }, async () => {
    // The book once kept every member in its one item (~95 B each): past ~4,000 members DynamoDB refused it (400 KB).
    const N = 4_500;
    const monitors = Array.from({ length: N }, (_, k) => ({ id: `payments-api-replica-${String(k).padStart(4, '0')}`, host: '10.0.1.5', port: 1024 + k }));
    const p = await open({ monitors });
    const drain = () => p.poller.drain(300_000);
    await p.writeRound(0, 'ddd');
    await p.writeRound(1, 'ddd');
    await drain();
    expect(p.failures).toEqual([]);
    expect(p.alerts().map((a) => a.kind)).toEqual(['INCIDENT']);
    const [incident] = p.alerts();
    expect(incident!.incident).toMatchObject({ memberCount: N, downCount: N, unlisted: N - 20 });
    expect(incident!.incident!.members).toHaveLength(20);
    expect(Buffer.byteLength(p.publishes()[0]!.Message!)).toBeLessThan(16_000);
    const book = (await p.table.store.readIncidentBook())!;
    expect(book.state.incidents).toHaveLength(1);
    expect(book.state.incidents[0]!.members).toHaveLength(N);
    expect(book.state.incidents[0]!.pageVersions).toHaveLength(Math.ceil(N / 400));
    // Each member's history says which incident carried its DOWN.
    const history = await p.table.store.readHistory(historyDays(p.clock.base, p.clock.now));
    const absorbed = history.filter((e) => e.event === 'alert' && e.disposition === 'absorbed');
    expect(absorbed).toHaveLength(N);
    expect(new Set(absorbed.map((e) => (e as { incident?: string }).incident))).toEqual(new Set([incident!.incident!.id]));

    await p.writeRound(2, 'uuu');
    await p.writeRound(3, 'uuu');
    await drain();
    expect(p.failures).toEqual([]);
    expect(p.alerts().map((a) => a.kind)).toEqual(['INCIDENT', 'INCIDENT_RESOLVED']);
    expect(p.alerts()[1]!.incident).toMatchObject({ memberCount: N, downCount: 0, recoveredCount: N });
    // Closed: the book is empty, and its member pages are gone (20 with the closing write, the rest with later ones).
    const after = (await p.table.store.readIncidentBook())!;
    expect(after.state.incidents).toEqual([]);
    expect(after.orphans.length).toBe(Math.ceil(N / 400) - 20 > 0 ? Math.ceil(N / 400) - 20 : 0);
  });
});
