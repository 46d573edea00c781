// The outbox's bound, as a pure function: what stays pending in a state item when alerts cannot be delivered.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PendingAlert } from '../../functions/shared/adapters/store';
import { withSubject, type AlertMessage } from '../../functions/shared/domain/alert';
import { enqueue, inOrder, MAX_PENDING_ALERTS, MAX_PENDING_BYTES } from '../../functions/shared/evaluation/outbox';

const CLAIM = { owner: 'aggregate:test', until: 0 };

function alert(kind: 'DOWN' | 'UP' | 'REMINDER' | 'CERT_EXPIRY', minute: number, sequence = 0, message = 'connect ECONNREFUSED'): AlertMessage {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  const verdict = kind === 'UP' ? 'UP' : 'DOWN';
  return withSubject({
    schemaVersion: 1, alertId: `orders-db:${kind === 'REMINDER' ? 'DOWN' : kind}:${minute}`, sequence, kind,
    cause: kind === 'REMINDER' ? 'reminder' : 'transition', at, round: at, since: at,
    monitor: { id: 'orders-db', host: '10.0.1.5', port: 5432, target: '10.0.1.5:5432', tags: {}, severity: 'critical' },
    verdict, previousVerdict: verdict === 'UP' ? 'DOWN' : 'UP',
    regions: [{ region: 'us-east-1', status: 'down', class: 'refused', phase: 'connect', latencyMs: 1, message }], quorum: 2,
  });
}

/** Feeds alerts one state write at a time, as the aggregator and the sweeper record them; returns the pending kinds in order. */
function feed(alerts: AlertMessage[]): { pending: Record<string, PendingAlert>; dropped: string[] } {
  let pending: Record<string, PendingAlert> = {};
  const dropped: string[] = [];
  alerts.forEach((a, i) => {
    const out = enqueue(pending, [a], i * 60_000, CLAIM);
    pending = out.pending;
    dropped.push(...out.dropped.map((d) => `${d.alert.kind}:${d.why}`));
  });
  return { pending, dropped };
}

const kinds = (pending: Record<string, PendingAlert>) => inOrder(pending).map(([, e]) => `${e.alert.kind}${e.alert.sequence || ''}`);

describe('outbox bound', () => {
  it('a newer reminder replaces an older unsent one', () => {
    const { pending, dropped } = feed([alert('DOWN', 0), alert('REMINDER', 0, 1), alert('REMINDER', 0, 2), alert('REMINDER', 0, 3)]);
    expect(kinds(pending)).toEqual(['DOWN', 'REMINDER3']);
    expect(dropped).toEqual(['REMINDER:replaced', 'REMINDER:replaced']);
  });

  it('keeps a DOWN superseded by UP, in order, and drops the reminders between them', () => {
    const { pending } = feed([alert('DOWN', 0), alert('REMINDER', 0, 1), alert('UP', 5)]);
    expect(kinds(pending)).toEqual(['DOWN', 'UP']);
  });

  it('keeps a certificate warning beside a reminder', () => {
    const { pending } = feed([alert('DOWN', 0), alert('REMINDER', 0, 1), alert('CERT_EXPIRY', 2)]);
    expect(kinds(pending)).toEqual(['DOWN', 'REMINDER1', 'CERT_EXPIRY']);
  });

  it('a target flapping through a long outage keeps the newest pages, the last one always', () => {
    const flaps = Array.from({ length: 40 }, (_, i) => alert(i % 2 === 0 ? 'DOWN' : 'UP', i));
    const { pending, dropped } = feed(flaps);
    expect(Object.keys(pending)).toHaveLength(MAX_PENDING_ALERTS);
    expect(kinds(pending).at(-1)).toBe('UP');
    expect(inOrder(pending)[0]![1].alert.alertId).toBe('orders-db:DOWN:30');
    expect(dropped).toHaveLength(30);
  });

  it('bounds the bytes too, whatever the evidence carries', () => {
    const big = Array.from({ length: 8 }, (_, i) => alert(i % 2 === 0 ? 'DOWN' : 'UP', i, 0, 'x'.repeat(20_000)));
    const { pending } = feed(big);
    const bytes = Object.values(pending).reduce((n, e) => n + JSON.stringify(e.alert).length, 0);
    expect(bytes).toBeLessThanOrEqual(MAX_PENDING_BYTES);
    expect(kinds(pending).at(-1)).toBe('UP');
  });

  it('property: whatever is raised, the outbox stays bounded, holds at most one reminder, keeps the newest alert, and keeps order', () => {
    const raised = fc.array(fc.constantFrom('DOWN', 'UP', 'REMINDER', 'CERT_EXPIRY') as fc.Arbitrary<'DOWN' | 'UP' | 'REMINDER' | 'CERT_EXPIRY'>, { maxLength: 200 });
    fc.assert(fc.property(raised, (list) => {
      const alerts = list.map((k, i) => alert(k, i, k === 'REMINDER' ? i + 1 : 0));
      const { pending } = feed(alerts);
      const entries = inOrder(pending);
      expect(entries.length).toBeLessThanOrEqual(MAX_PENDING_ALERTS);
      expect(entries.filter(([, e]) => e.alert.kind === 'REMINDER').length).toBeLessThanOrEqual(1);
      if (alerts.length > 0) expect(entries.at(-1)![1].alert).toEqual(alerts.at(-1));
      // In the order raised: what remains is a subsequence of what was fed.
      const fed = alerts.map((a) => `${a.alertId}#${a.sequence}`);
      const kept = entries.map(([key]) => fed.indexOf(key));
      expect(kept).toEqual([...kept].sort((a, b) => a - b));
    }), { numRuns: 200 });
  });
});
