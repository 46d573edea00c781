// One alert of every kind, produced by the real verdict machines from scripted rounds: the README's examples.
// `npx tsx test/docs/alert-examples.ts` prints them; test/docs/readme.test.ts checks the README shows exactly these.
import { fileURLToPath } from 'node:url';
import { ALERT_KINDS, resolveFleet, type AlertKind } from '../../functions/shared/domain';
import { alertMonitor, testAlert, type AlertMessage } from '../../functions/shared/domain/alert';
import { correlate, emptyBook, factsOf, type DownEvent } from '../../functions/shared/domain/incident';
import { next, nextFleet, type MonitorState, type RoundEvidence } from '../../functions/shared/domain/verdict';
import { nextWatchdog } from '../../functions/shared/domain/watchdog';
import type { RoundResult } from '../../functions/shared/domain/record';
import type { WatchEvent } from '../../functions/shared/domain/watch';
import { graceMs } from '../../functions/shared/domain/rounds';
import { monitor, runRounds, T0 } from '../domain/helpers';

function only(alerts: AlertMessage[], kind: AlertKind): AlertMessage {
  const found = alerts.filter((a) => a.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} alert, got ${found.length}`);
  return found[0]!;
}

export function alertExamples(): Record<AlertKind, AlertMessage> {
  const orders = monitor({ tags: { team: 'payments', env: 'prod' }, renotifyMinutes: 30, runbook: 'https://wiki.example.com/runbooks/orders-db' });
  // Two rounds up, two down (failureThreshold 2), 30 minutes down (a reminder), two up again.
  const outage = runRounds(orders, ['uuu', 'uuu', 'ddu', 'ddu', ...Array<string>(30).fill('ddu'), 'uuu', 'uuu']);
  const slow = runRounds(monitor({ id: 'search', host: 'search.example.internal', port: 9200, degradedMs: 500, severity: 'warning' }), ['uuu', 'ttt', 'ttu']);
  const cert = runRounds(monitor({ id: 'www', host: 'www.example.com', port: 443, tls: { minDaysValid: 14 } }), ['uuu', 'xxx']);
  // A port that answers one round and refuses the next (thresholds 1/1), then stays down.
  const bouncing = monitor({ id: 'edge-lb', host: 'edge.example.com', port: 443, failureThreshold: 1, recoveryThreshold: 1, tags: { team: 'edge' } });
  const bounce = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'uuu' : 'ddd'));
  const flapping = runRounds(bouncing, ['uuu', 'uuu', ...bounce, ...Array<string>(17).fill('ddd')]);
  // A database that must stay private, reachable from one region for two rounds (o: it answered), then closed.
  const exposedDb = monitor({ id: 'billing-db', host: 'db.example.com', port: 5432, exposure: 'private', severity: 'warning', tags: { team: 'payments' } });
  const exposure = runRounds(exposedDb, ['uuu', 'uuu', 'uou', 'uou', 'uuu', 'uuu']);
  const at = T0 + 10 * 60_000;
  const degraded = nextFleet({ notified: {}, version: 3, createdAt: T0 }, { instant: at - 120_000, silent: ['ap-south-1'], vetoed: ['eu-west-1'], unknownMonitors: ['orders-db'] }, at);
  const recovered = nextFleet(degraded.state, { instant: at + 180_000, silent: [], vetoed: [], unknownMonitors: [] }, at + 300_000);
  // The home region's pipeline stopped: two of three probe regions (quorum 2) see its heartbeat stale for 5 minutes,
  // one HOME_DOWN on the fallback topic; then a newer heartbeat, one HOME_RECOVERED.
  const watch = { homeRegion: 'eu-west-1', staleAfterMs: 5 * 60_000, quorum: 2, voteTtlMs: 3 * 60_000 };
  const beat = T0 + 20 * 60_000;
  const homeDown = nextWatchdog(undefined, [
    { region: 'us-east-1', at: beat + 6 * 60_000 + 4_000, stale: true, heartbeatAt: beat },
    { region: 'ap-south-1', at: beat + 6 * 60_000 + 9_000, stale: true, heartbeatAt: beat },
  ], beat + 6 * 60_000 + 9_000, watch);
  const homeBack = nextWatchdog(homeDown.state, [
    { region: 'us-east-1', at: beat + 14 * 60_000 + 3_000, stale: false, heartbeatAt: beat + 14 * 60_000 },
    { region: 'ap-south-1', at: beat + 13 * 60_000 + 8_000, stale: true, heartbeatAt: beat },
  ], beat + 14 * 60_000 + 3_000, watch);
  // Three services behind one address refused in every region in the same round: one INCIDENT. Then the API in front
  // of the database (dependsOn) goes DOWN and joins it, the cache comes back, and finally all of them are back.
  const services = [
    monitor({ id: 'orders-db', tags: { team: 'payments' } }),
    monitor({ id: 'orders-cache', port: 6379, severity: 'warning', tags: { team: 'payments' } }),
    monitor({ id: 'orders-queue', port: 5672, tags: { team: 'payments' } }),
    monitor({ id: 'orders-api', host: 'api.example.internal', port: 443, dependsOn: ['orders-db'], tags: { team: 'payments' } }),
  ];
  const byId = new Map(services.map((m) => [m.id, m]));
  const downAt = (id: string, round: number, cls = 'refused'): DownEvent => {
    const m = byId.get(id)!;
    const regions = m.regions.map((region) => ({ region, class: cls, message: `${m.host}:${m.port}: connection refused` }));
    return { kind: 'down', monitorId: id, round, facts: factsOf(m, regions), dependsOn: m.dependsOn ?? [], evidence: `${cls} in 3/3 regions` };
  };
  const down = new Set<string>();
  const context = (now: number) => ({ now, isDown: (id: string) => down.has(id), describe: (id: string) => (byId.has(id) ? alertMonitor(byId.get(id)!) : undefined) });
  const r0 = T0 + 2 * 60_000;
  ['orders-db', 'orders-cache', 'orders-queue'].forEach((id) => down.add(id));
  const incident = correlate(emptyBook(), ['orders-db', 'orders-cache', 'orders-queue'].map((id) => downAt(id, r0)), context(r0 + 75_000));
  down.add('orders-api');
  const joined = correlate(incident.book, [downAt('orders-api', r0 + 120_000, 'timeout')], context(r0 + 195_000));
  down.delete('orders-cache');
  const partly = correlate(joined.book, [{ kind: 'up', monitorId: 'orders-cache', round: r0 + 600_000 }], context(r0 + 675_000));
  const resolved = correlate(partly.book, ['orders-db', 'orders-queue', 'orders-api'].map((id) => ({ kind: 'up' as const, monitorId: id, round: r0 + 900_000 })), context(r0 + 975_000));
  // A CDN edge in eu-west-1 serving last year's certificate for three rounds, then the new one.
  const edge = monitor({ id: 'www', host: 'www.example.com', port: 443, tls: true, tags: { team: 'edge' } });
  const fresh = 'cert 3f2a9c1d0b7e6a55 R11 until 2027-03-01 · addr 203.0.113.10';
  const stale = 'cert 9d0c44e1a2b3c4d5 R10 until 2026-12-20 · addr 203.0.113.10';
  const up = (view?: string): RoundResult => ({ status: 'up', connectMs: 21, totalMs: 48, certDays: 88, ...(view ? { view } : {}) });
  const views: (string | undefined)[][] = [[fresh, stale, fresh], [], [], [undefined, fresh, undefined], []];
  const edgeRounds: RoundEvidence[] = views.map((cells, i) => ({
    instant: T0 + i * 60_000,
    reports: Object.fromEntries(edge.regions.map((r, k) => [r, { result: up(cells[k]), canary: { status: 'up', connectMs: 2, totalMs: 2 } }])),
  }));
  let edgeState: MonitorState | undefined;
  const divergence: AlertMessage[] = [];
  edgeRounds.forEach((r, i) => {
    const step = next(edgeState, { monitor: edge, rounds: edgeRounds.slice(Math.max(0, i - 3), i + 1) }, r.instant + graceMs(60));
    edgeState = step.state;
    divergence.push(...step.alerts);
  });
  // A database that must be reachable from inside the VPC (probe group `vpc`, two regions) and closed from the
  // internet: its security group loses the VPC's rule for three rounds (refused from inside), then gets it back.
  const ledger = resolveFleet({
    regions: orders.regions, groups: { vpc: { regions: ['us-east-1', 'eu-west-1'] } },
    monitors: [{ id: 'ledger-db', host: '10.0.2.7', port: 5432, reach: { vpc: 'open', public: 'closed' }, tags: { team: 'payments' } }],
  }).monitors[0]!;
  const closed: RoundResult = { status: 'up', totalMs: 3 };
  const refused: RoundResult = { status: 'down', errorClass: 'refused', phase: 'connect', connectMs: 1, totalMs: 1, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.2.7:5432' };
  const inside = ['uu', 'uu', 'dd', 'dd', 'dd', 'uu', 'uu'];
  const ledgerRounds: RoundEvidence[] = inside.map((cells, i) => ({
    instant: T0 + i * 60_000,
    reports: Object.fromEntries(ledger.regions.map((r) => [r, { result: closed, canary: { status: 'up', connectMs: 2, totalMs: 2 } }])),
    vantages: { vpc: Object.fromEntries(['us-east-1', 'eu-west-1'].map((r, k) => [r, { result: cells[k] === 'u' ? up() : refused, canary: { status: 'none' } }])) },
  }));
  let ledgerState: MonitorState | undefined;
  const reach: AlertMessage[] = [];
  ledgerRounds.forEach((r, i) => {
    const step = next(ledgerState, { monitor: ledger, rounds: ledgerRounds.slice(Math.max(0, i - 3), i + 1) }, r.instant + graceMs(60));
    ledgerState = step.state;
    reach.push(...step.alerts);
  });
  const examples: Record<AlertKind, AlertMessage> = {
    DOWN: only(outage.alerts, 'DOWN'),
    UP: only(outage.alerts, 'UP'),
    REMINDER: only(outage.alerts, 'REMINDER'),
    DEGRADED: only(slow.alerts, 'DEGRADED'),
    CERT_EXPIRY: only(cert.alerts, 'CERT_EXPIRY'),
    FLEET_DEGRADED: only(degraded.alerts, 'FLEET_DEGRADED'),
    FLEET_RECOVERED: only(recovered.alerts, 'FLEET_RECOVERED'),
    HOME_DOWN: homeDown.alert!,
    HOME_RECOVERED: homeBack.alert!,
    FLAPPING: only(flapping.alerts, 'FLAPPING'),
    FLAPPING_SETTLED: only(flapping.alerts, 'FLAPPING_SETTLED'),
    EXPOSED: only(exposure.alerts, 'EXPOSED'),
    EXPOSURE_CLOSED: only(exposure.alerts, 'EXPOSURE_CLOSED'),
    INCIDENT: only(incident.alerts, 'INCIDENT'),
    INCIDENT_UPDATED: only(joined.alerts, 'INCIDENT_UPDATED'),
    INCIDENT_RESOLVED: only(resolved.alerts, 'INCIDENT_RESOLVED'),
    DIVERGED: only(divergence, 'DIVERGED'),
    CONVERGED: only(divergence, 'CONVERGED'),
    REACH_BROKEN: only(reach, 'REACH_BROKEN'),
    REACH_RESTORED: only(reach, 'REACH_RESTORED'),
    // `portquorum notify-test --monitor orders-db --kind DOWN`, run by someone with these credentials.
    TEST: testAlert('DOWN', orders, 'arn:aws:iam::123456789012:user/ana', T0 + 40 * 60_000),
  };
  for (const kind of ALERT_KINDS) if (!examples[kind]) throw new Error(`no example for ${kind}`);
  return examples;
}

/**
 * A DOWN that watch mode brought forward (cause `watch`): a watched Redis whose process died 25 s into a minute
 * round; two regions' held connections were reset and their re-probes refused within a second.
 */
export function watchDownExample(): AlertMessage {
  const cache = monitor({ id: 'orders-cache', host: 'cache.example.internal', port: 6379, preset: 'redis', watch: true, tags: { team: 'payments' } });
  const run = runRounds(cache, ['uuu', 'uuu']);
  const at = T0 + 120_000 + 25_400;
  const refused = (region: string, offset: number): WatchEvent => ({
    monitor: cache.id, region, at: at + offset,
    result: { status: 'down', errorClass: 'refused', phase: 'connect', connectMs: 1, totalMs: 1, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.4.7:6379' },
  });
  const step = next(run.state, { monitor: cache, rounds: run.history, watch: [refused('us-east-1', 0), refused('eu-west-1', 310)] }, at + 900);
  return only(step.alerts, 'DOWN');
}

/** The order a reader wants: what it is, what it says, about what, then the evidence (unlisted fields last). */
const FIELD_ORDER = ['schemaVersion', 'alertId', 'sequence', 'kind', 'cause', 'subject', 'verdict', 'previousVerdict', 'at', 'round', 'since', 'monitor', 'quorum', 'degradedMs', 'cert', 'fleet', 'home', 'flapping', 'exposure', 'incident', 'divergence', 'reach', 'regions'];

/** JSON a person can read in a README: one line per top-level field, one line per element of a list of objects. */
function readableJson(value: Record<string, unknown>): string {
  const rank = (key: string) => (FIELD_ORDER.indexOf(key) + FIELD_ORDER.length + 1) % (FIELD_ORDER.length + 1);
  const lines = Object.entries(value).sort(([a], [b]) => rank(a) - rank(b)).map(([key, v]) => {
    const head = `  ${JSON.stringify(key)}: `;
    if (Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'object' && e !== null)) {
      return `${head}[\n${v.map((e) => `    ${JSON.stringify(e)}`).join(',\n')}\n  ]`;
    }
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).some((e) => Array.isArray(e) && e.some((x) => typeof x === 'object'))) {
      // An object holding a list of objects (an incident's members): one line per field, one per element.
      const inner = Object.entries(v).map(([k, e]) => (Array.isArray(e) && e.length > 0 && e.every((x) => typeof x === 'object' && x !== null)
        ? `    ${JSON.stringify(k)}: [\n${e.map((x) => `      ${JSON.stringify(x)}`).join(',\n')}\n    ]`
        : `    ${JSON.stringify(k)}: ${JSON.stringify(e)}`));
      return `${head}{\n${inner.join(',\n')}\n  }`;
    }
    return head + JSON.stringify(v);
  });
  return `{\n${lines.join(',\n')}\n}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [kind, alert] of Object.entries(alertExamples())) console.log(`#### ${kind}\n\n\`\`\`json\n${readableJson(alert as unknown as Record<string, unknown>)}\n\`\`\`\n`);
  console.log(`#### DOWN (watch mode)\n\n\`\`\`json\n${readableJson(watchDownExample() as unknown as Record<string, unknown>)}\n\`\`\`\n`);
}
