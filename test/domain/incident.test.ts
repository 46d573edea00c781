// Correlated outages: DOWNs sharing a fact (or a dependsOn) become one INCIDENT; joiners are updates; every recovery
// is still announced, and the incident closes with one alert when all are back.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { alertMonitor } from '../../functions/shared/domain/alert';
import {
  assembleBook, bookAfter, correlate, emptyBook, factsOf, INCIDENT_FULL_LIST, INCIDENT_WINDOW_MS, MAX_LISTED_MEMBERS, PAGE_MEMBERS, planBookWrite,
  type CorrelationContext, type DownEvent, type IncidentBook, type SharedFact, type UpEvent,
} from '../../functions/shared/domain/incident';
import { monitor, T0 } from './helpers';

const MINUTE = 60_000;
const ids = ['db-a', 'db-b', 'db-c', 'cache', 'core-router', 'web'];
const monitors = new Map(ids.map((id) => [id, monitor({ id, host: '10.0.1.5', port: 5432 + ids.indexOf(id) })]));

function context(down: ReadonlySet<string> = new Set(), now = T0 + 10 * MINUTE, declared: readonly string[] = ids): CorrelationContext {
  return {
    now,
    isDown: (id) => down.has(id),
    describe: (id) => (declared.includes(id) && monitors.has(id) ? alertMonitor(monitors.get(id)!) : undefined),
  };
}
const address = (value: string): SharedFact => ({ kind: 'address', value });
const errors = (value: string): SharedFact => ({ kind: 'errors', value });
const down = (monitorId: string, round: number, facts: SharedFact[], dependsOn: string[] = []): DownEvent => ({
  kind: 'down', monitorId, round, facts, dependsOn, evidence: 'refused in 3/3 regions',
});
const up = (monitorId: string, round: number): UpEvent => ({ kind: 'up', monitorId, round });

describe('incident: the facts a DOWN shows', () => {
  it('reads the address the down regions connected to, the host, the group and the error classes with their regions', () => {
    const regions = [
      { region: 'us-east-1', class: 'refused', message: '10.0.1.5:5432: connection refused' },
      { region: 'eu-west-1', class: 'timeout', message: '10.0.1.5:5432: no answer within 3000 ms' },
    ];
    expect(factsOf({ host: 'db.example.internal', group: 'vpc' }, regions)).toEqual([
      { kind: 'address', value: '10.0.1.5' },
      { kind: 'host', value: 'db.example.internal' },
      { kind: 'group', value: 'vpc' },
      { kind: 'errors', value: 'refused+timeout@eu-west-1,us-east-1' },
    ]);
    // An IPv6 address in brackets; a DNS failure has no address (the host name still groups).
    expect(factsOf({ host: '::1' }, [{ region: 'us-east-1', class: 'refused', message: '[::1]:6379: connection refused' }])[0]).toEqual(address('::1'));
    expect(factsOf({ host: 'db.invalid' }, [{ region: 'us-east-1', class: 'dns', message: "dns: name not found 'db.invalid'" }]).map((f) => f.kind)).toEqual(['host', 'errors']);
    // Regions that connected to different addresses share no address.
    expect(factsOf({ host: 'db.invalid' }, [
      { region: 'us-east-1', class: 'refused', message: '10.0.0.1:5432: refused' }, { region: 'eu-west-1', class: 'refused', message: '10.0.0.2:5432: refused' },
    ]).map((f) => f.kind)).toEqual(['host', 'errors']);
  });
});

describe('incident: scripted', () => {
  const r1 = T0 + 2 * MINUTE;

  it('three DOWNs behind one address in one pass are one INCIDENT naming all three, and none pages alone', () => {
    const c = correlate(emptyBook(), ['db-a', 'db-b', 'db-c'].map((id) => down(id, r1, [address('10.0.1.5'), errors('refused@eu-west-1,us-east-1')])), context());
    expect(c.alerts.map((a) => a.kind)).toEqual(['INCIDENT']);
    const [incident] = c.alerts;
    expect(incident!.subject).toBe('INCIDENT — 3 monitors down, same address 10.0.1.5: db-a, db-b, db-c');
    expect(incident!.alertId).toBe(`incident:db-a:${r1 / 1000}`);
    expect(incident!.incident).toMatchObject({ fact: { kind: 'address', value: '10.0.1.5' }, memberCount: 3, stillDown: ['db-a', 'db-b', 'db-c'], severity: 'critical' });
    expect(incident!.incident!.members.map((m) => [m.monitor, m.status, m.target])).toEqual([
      ['db-a', 'down', '10.0.1.5:5432'], ['db-b', 'down', '10.0.1.5:5433'], ['db-c', 'down', '10.0.1.5:5434'],
    ]);
    expect([...c.decisions.values()]).toEqual(['absorbed', 'absorbed', 'absorbed']);
    expect(c.changed).toBe(true);
  });

  it('a lone DOWN pages; one sharing its fact within the window joins it as an update; after the window it pages alone', () => {
    const first = correlate(emptyBook(), [down('db-a', r1, [address('10.0.1.5')])], context());
    expect(first.alerts).toEqual([]);
    expect(first.decisions.get('db-a')).toBe('page');
    const second = correlate(first.book, [down('db-b', r1 + 2 * MINUTE, [address('10.0.1.5')])], context());
    expect(second.decisions.get('db-b')).toBe('absorbed');
    expect(second.alerts.map((a) => [a.kind, a.sequence, a.subject])).toEqual([
      ['INCIDENT_UPDATED', 1, 'INCIDENT_UPDATED — joined: db-b; 2 of 2 still down (same address 10.0.1.5)'],
    ]);
    const late = correlate(second.book, [down('db-c', r1 + INCIDENT_WINDOW_MS + MINUTE, [address('10.0.1.5')])], context());
    expect(late.decisions.get('db-c')).toBe('page');
    expect(late.alerts).toEqual([]);
  });

  it('never hides a recovery: each member back is an update naming it, and the last one closes the incident', () => {
    const opened = correlate(emptyBook(), ['db-a', 'db-b', 'db-c'].map((id) => down(id, r1, [address('10.0.1.5')])), context());
    const one = correlate(opened.book, [up('db-b', r1 + 3 * MINUTE)], context());
    expect(one.decisions.get('db-b')).toBe('absorbed');
    expect(one.alerts.map((a) => a.subject)).toEqual(['INCIDENT_UPDATED — back: db-b; 2 of 3 still down (same address 10.0.1.5)']);
    expect(one.alerts[0]!.incident).toMatchObject({ recovered: ['db-b'], stillDown: ['db-a', 'db-c'] });
    const rest = correlate(one.book, [up('db-a', r1 + 4 * MINUTE), up('db-c', r1 + 4 * MINUTE)], context());
    expect(rest.alerts.map((a) => [a.kind, a.verdict, a.sequence])).toEqual([['INCIDENT_RESOLVED', 'UP', 2]]);
    expect(rest.alerts[0]!.subject).toBe('INCIDENT_RESOLVED — all 3 monitors back (same address 10.0.1.5)');
    expect(rest.alerts[0]!.incident!.members.map((m) => [m.monitor, m.recovered])).toEqual([
      ['db-a', new Date(r1 + 4 * MINUTE).toISOString()], ['db-b', new Date(r1 + 3 * MINUTE).toISOString()], ['db-c', new Date(r1 + 4 * MINUTE).toISOString()],
    ]);
    expect(rest.book.incidents).toEqual([]);
  });

  it("a lone DOWN's recovery is its own UP page, and its book entry goes", () => {
    const first = correlate(emptyBook(), [down('db-a', r1, [address('10.0.1.5')])], context());
    const back = correlate(first.book, [up('db-a', r1 + MINUTE)], context());
    expect(back.decisions.get('db-a')).toBe('page');
    expect(back.alerts).toEqual([]);
    expect(back.book.incidents).toEqual([]);
  });

  it("dependsOn: while the router is DOWN, a dependent's DOWN joins its incident, in a later pass or in the same one", () => {
    const router = correlate(emptyBook(), [down('core-router', r1, [address('10.0.0.1')])], context());
    expect(router.decisions.get('core-router')).toBe('page');
    // Nothing in common with the router but the declaration, and long after the window.
    const web = correlate(router.book, [down('web', r1 + 30 * MINUTE, [address('10.0.9.9')], ['core-router'])], context(new Set(['core-router'])));
    expect(web.decisions.get('web')).toBe('absorbed');
    expect(web.alerts[0]!.incident!.members.find((m) => m.monitor === 'web')).toMatchObject({ via: 'dependsOn', dependsOn: 'core-router' });
    expect(web.alerts[0]!.subject).toBe('INCIDENT_UPDATED — joined: web; 2 of 2 still down (same address 10.0.0.1)');

    const together = correlate(emptyBook(), [down('web', r1, [address('10.0.9.9')], ['core-router']), down('core-router', r1, [address('10.0.0.1')])], context(new Set(['core-router', 'web'])));
    expect(together.decisions.get('core-router')).toBe('page');
    expect(together.decisions.get('web')).toBe('absorbed');
    expect(together.alerts.map((a) => a.kind)).toEqual(['INCIDENT_UPDATED']);
  });

  it('dependsOn a monitor that is DOWN but in no incident: it opens one around it, and the dependent does not page', () => {
    const c = correlate(emptyBook(), [down('web', r1, [address('10.0.9.9')], ['core-router'])], context(new Set(['core-router'])));
    expect(c.decisions.get('web')).toBe('absorbed');
    expect(c.alerts[0]!.incident).toMatchObject({ fact: { kind: 'dependsOn', value: 'core-router' }, joined: ['web'], stillDown: ['core-router', 'web'] });
  });

  it('a dependency that is UP does not hold the page back', () => {
    const c = correlate(emptyBook(), [down('web', r1, [address('10.0.9.9')], ['core-router'])], context());
    expect(c.decisions.get('web')).toBe('page');
  });

  it('groups on the strongest fact two DOWNs share', () => {
    const c = correlate(emptyBook(), [
      down('db-a', r1, [address('10.0.1.5'), errors('refused@us-east-1')]),
      down('db-b', r1, [address('10.0.1.5'), errors('refused@us-east-1')]),
      down('cache', r1, [address('10.0.2.7'), errors('refused@us-east-1')]),
      down('web', r1, [address('10.0.3.1'), errors('refused@us-east-1')]),
    ], context());
    expect(c.alerts.map((a) => [a.incident!.fact.kind, a.incident!.stillDown])).toEqual([['address', ['db-a', 'db-b']], ['errors', ['cache', 'web']]]);
  });

  it('a replayed pass adds nothing', () => {
    const events = ['db-a', 'db-b'].map((id) => down(id, r1, [address('10.0.1.5')]));
    const first = correlate(emptyBook(), events, context());
    const again = correlate(first.book, events, context());
    expect(again.alerts).toEqual([]);
    expect(again.changed).toBe(false);
    expect([...again.decisions.values()]).toEqual(['absorbed', 'absorbed']);
  });

  it('a member no longer declared counts as back, said so in the alert', () => {
    const opened = correlate(emptyBook(), ['db-a', 'db-b'].map((id) => down(id, r1, [address('10.0.1.5')])), context());
    const c = correlate(opened.book, [], context(new Set(), T0 + 20 * MINUTE, ids.filter((id) => id !== 'db-b')));
    expect(c.alerts[0]!.incident!.members.find((m) => m.monitor === 'db-b')).toMatchObject({ status: 'up', undeclared: true });
    expect(c.alerts[0]!.incident!.recovered).toEqual(['db-b']);
  });
});

describe('incident: properties', () => {
  // Each monitor alternates DOWN and UP; facts come from a small pool so groups form; dependsOn points to lower ids only.
  const script = fc.record({
    facts: fc.array(fc.constantFrom('10.0.1.5', '10.0.1.6', 'x'), { minLength: ids.length, maxLength: ids.length }),
    dependsOn: fc.array(fc.option(fc.nat({ max: ids.length - 1 }), { nil: undefined }), { minLength: ids.length, maxLength: ids.length }),
    passes: fc.array(fc.record({ flips: fc.subarray(ids, { minLength: 1 }), gapMinutes: fc.integer({ min: 1, max: 8 }) }), { minLength: 1, maxLength: 14 }),
  });

  it('every DOWN and every recovery is announced: its own page, or an incident alert naming it; replays add nothing', () => {
    fc.assert(fc.property(script, ({ facts, dependsOn, passes }) => {
      let book: IncidentBook = emptyBook();
      const isDown = new Set<string>();
      const absorbedDown = new Set<string>();
      let at = T0;
      for (const pass of passes) {
        at += pass.gapMinutes * MINUTE;
        const events = pass.flips.map((id): DownEvent | UpEvent => {
          const k = ids.indexOf(id);
          const on = dependsOn[k] !== undefined && dependsOn[k]! < k ? [ids[dependsOn[k]!]!] : [];
          return isDown.has(id) ? up(id, at) : down(id, at, [address(facts[k]!)], on);
        });
        for (const e of events) (e.kind === 'down' ? isDown.add(e.monitorId) : isDown.delete(e.monitorId));
        const c = correlate(book, events, context(isDown, at));
        for (const e of events) {
          const decision = c.decisions.get(e.monitorId);
          if (decision === 'page') continue;
          expect(decision).toBe('absorbed');
          const named = c.alerts.some((a) => (e.kind === 'up'
            ? a.incident!.recovered.includes(e.monitorId)
            : a.kind === 'INCIDENT' ? a.incident!.stillDown.includes(e.monitorId) : a.incident!.joined.includes(e.monitorId)));
          expect(named, `${e.kind} of ${e.monitorId} announced`).toBe(true);
        }
        // Closed only when nobody in it is down.
        for (const a of c.alerts) if (a.kind === 'INCIDENT_RESOLVED') expect(a.incident!.stillDown).toEqual([]);
        // The book holds only monitors that are down, and every one whose DOWN an incident carried (a lone DOWN's
        // entry may go once nobody can join it: its UP pages alone either way).
        for (const e of events) {
          if (e.kind === 'up') absorbedDown.delete(e.monitorId);
          else if (c.decisions.get(e.monitorId) === 'absorbed') absorbedDown.add(e.monitorId);
          else absorbedDown.delete(e.monitorId);
        }
        const inBook = new Set(c.book.incidents.flatMap((i) => i.members.filter((m) => m.up === undefined).map((m) => m.monitorId)));
        for (const id of inBook) expect(isDown.has(id), `${id} in the book is down`).toBe(true);
        for (const id of absorbedDown) expect(inBook.has(id), `${id}, absorbed, is in the book`).toBe(true);
        const replay = correlate(c.book, events.filter((e) => e.kind === 'down'), context(isDown, at));
        expect(replay.alerts).toEqual([]);
        book = c.book;
      }
    }), { numRuns: 300 });
  });
});

describe('incident: any size', () => {
  const r1 = T0 + 2 * MINUTE;
  const N = 100_000;
  const many = Array.from({ length: N }, (_, k) => `svc-${String(k).padStart(6, '0')}`);
  const manyMonitors = new Map(many.map((id, k) => [id, alertMonitor(monitor({ id, host: '10.0.1.5', port: 1024 + (k % 60_000) }))]));
  const wide: CorrelationContext = { now: r1 + MINUTE, isDown: () => false, describe: (id) => manyMonitors.get(id) };
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

  it('100,000 monitors down together: one INCIDENT of a few KB naming 20 and counting the rest; the book item stays small, each member page under 400 KB', () => {
    const c = correlate(emptyBook(), many.map((id) => down(id, r1, [address('10.0.1.5')])), wide);
    expect(c.alerts.map((a) => a.kind)).toEqual(['INCIDENT']);
    const alert = c.alerts[0]!;
    expect(bytes(alert)).toBeLessThan(16_000);
    expect(alert.incident).toMatchObject({ memberCount: N, downCount: N, unlisted: N - MAX_LISTED_MEMBERS, fullList: INCIDENT_FULL_LIST });
    expect(alert.incident!.members).toHaveLength(MAX_LISTED_MEMBERS);
    expect(alert.incident!.stillDown).toHaveLength(MAX_LISTED_MEMBERS);
    expect(alert.subject).toBe(`INCIDENT — ${N} monitors down, same address 10.0.1.5: svc-000000, svc-000001, svc-000002 +${N - 3}`);
    expect([...c.decisions.values()].every((d) => d === 'absorbed')).toBe(true);

    const write = planBookWrite(emptyBook(), c.book);
    expect(bytes(write.header)).toBeLessThan(2_000);
    expect(write.puts).toHaveLength(N / PAGE_MEMBERS);
    for (const page of write.puts) expect(bytes(page.members)).toBeLessThan(400_000);
    // Read back (the item and its pages), the book is the same; a page of another write is refused.
    const pages = new Map(write.puts.map((p) => [p.key, p]));
    expect(assembleBook(write.header, pages)!.book.incidents[0]!.members).toEqual(c.book.incidents[0]!.members);
    const stale = new Map(pages);
    stale.set(write.puts[7]!.key, { ...write.puts[7]!, version: 0 });
    expect(assembleBook(write.header, stale)).toBeUndefined();

    // One member back rewrites one page; all back resolve it in one alert that still names 20.
    const stored = bookAfter(c.book, write);
    const one = correlate(stored, [up('svc-054321', r1 + 3 * MINUTE)], wide);
    expect(one.alerts.map((a) => a.subject)).toEqual([`INCIDENT_UPDATED — back: svc-054321; ${N - 1} of ${N} still down (same address 10.0.1.5)`]);
    const oneWrite = planBookWrite(stored, one.book);
    expect(oneWrite.puts.map((p) => p.key)).toEqual([`${c.book.incidents[0]!.id}#${Math.floor(54_321 / PAGE_MEMBERS)}`]);
    const all = correlate(bookAfter(one.book, oneWrite), many.filter((id) => id !== 'svc-054321').map((id) => up(id, r1 + 4 * MINUTE)), wide);
    expect(all.alerts.map((a) => [a.kind, a.incident!.recoveredCount, a.incident!.downCount])).toEqual([['INCIDENT_RESOLVED', N - 1, 0]]);
    expect(bytes(all.alerts[0])).toBeLessThan(16_000);
    expect(all.book.incidents).toEqual([]);
    // Its pages go with the write that closes it, at most 20 a write; the rest are orphans later writes delete.
    const closing = planBookWrite(bookAfter(one.book, oneWrite), all.book);
    expect(closing.deletes).toHaveLength(20);
  });

  it('joiners of a 100,000-member incident are updates bounded the same way, and a replay of them adds nothing', () => {
    const first = correlate(emptyBook(), many.slice(0, 60_000).map((id) => down(id, r1, [address('10.0.1.5')])), wide);
    const rest = many.slice(60_000).map((id) => down(id, r1 + MINUTE, [address('10.0.1.5')]));
    const joined = correlate(first.book, rest, wide);
    expect(joined.alerts.map((a) => [a.kind, a.incident!.joinedCount, a.incident!.joined.length, a.incident!.memberCount])).toEqual([['INCIDENT_UPDATED', 40_000, MAX_LISTED_MEMBERS, N]]);
    expect(bytes(joined.alerts[0])).toBeLessThan(16_000);
    const again = correlate(joined.book, rest, wide);
    expect(again.alerts).toEqual([]);
    expect(again.changed).toBe(false);
  });
});
