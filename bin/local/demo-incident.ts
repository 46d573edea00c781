// `portquorum local --demo incident`: three services behind one address (a database, its cache and its queue) fail
// together → one INCIDENT naming all three, no DOWN page each; the API in front of the database (dependsOn) fails a
// round later and joins it (INCIDENT_UPDATED); the cache comes back (an update naming it), then the rest (one
// INCIDENT_RESOLVED). A service beside them never pages.
import type { FleetSpec } from '../../functions/shared/domain';
import { DEMO_INTERVAL_SECONDS, DEMO_REGIONS, type DemoControls, type DemoScenario } from './demo';
import { demoClock } from './demo-clock';
import { freePorts } from './targets';

/** The services that fail together: one host, three ports. */
const INCIDENT_MEMBERS = ['orders-db', 'orders-cache', 'orders-queue'] as const;

export const incidentDemo: DemoScenario = {
  summary: 'three services behind one address fail together: one INCIDENT (no DOWN page each); a dependent joins it (INCIDENT_UPDATED); one INCIDENT_RESOLVED when all are back',
  async plan() {
    const [db, cache, queue, api, web, canary] = await freePorts(6);
    const spec: FleetSpec = {
      regions: [...DEMO_REGIONS],
      homeRegion: 'eu-west-1',
      canary: { host: '127.0.0.1', port: canary!, timeoutMs: 1000 },
      monitorDefaults: { interval: DEMO_INTERVAL_SECONDS, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, timeoutMs: 2000, retries: 0, tags: { team: 'demo' } },
      monitors: [
        { id: 'orders-db', host: '127.0.0.1', port: db! },
        { id: 'orders-cache', host: '127.0.0.1', port: cache!, severity: 'warning' },
        { id: 'orders-queue', host: '127.0.0.1', port: queue! },
        { id: 'orders-api', host: '127.0.0.1', port: api!, preset: 'http', dependsOn: ['orders-db'] },
        { id: 'web', host: '127.0.0.1', port: web!, preset: 'http' },
      ],
    };
    return {
      spec,
      targets: [
        { name: 'orders-db', kind: 'tcp', port: db! },
        { name: 'orders-cache', kind: 'tcp', port: cache! },
        { name: 'orders-queue', kind: 'tcp', port: queue! },
        { name: 'orders-api', kind: 'http', port: api! },
        { name: 'web', kind: 'http', port: web! },
      ],
      canary: { name: 'canary', kind: 'tcp', port: canary! },
      title: `portquorum local — demo incident: 3 regions, ${DEMO_INTERVAL_SECONDS} s rounds, quorum 2; orders-db, -cache and -queue share 127.0.0.1`,
    };
  },
  async run(controls: DemoControls, signal: AbortSignal) {
    const clock = demoClock(controls, signal, DEMO_INTERVAL_SECONDS);
    const set = (names: readonly string[], state: 'up' | 'down') => clock.act(async () => {
      for (const name of names) await controls.setTarget(name, state);
    });
    if (!(await clock.at(0))) return;
    controls.say(`demo: all services up; in ${DEMO_INTERVAL_SECONDS} s ${INCIDENT_MEMBERS.join(', ')} (one address, 127.0.0.1) go down together`);
    if (!(await clock.at(DEMO_INTERVAL_SECONDS))) return;
    controls.say(`demo: taking ${INCIDENT_MEMBERS.join(', ')} down — one INCIDENT naming all three (same address), no DOWN page each`);
    await set(INCIDENT_MEMBERS, 'down');
    const incident = await controls.nextAlert('INCIDENT', 60_000, signal);
    if (signal.aborted) return;
    if (!incident) controls.say('demo: no INCIDENT alert within a minute (see the aggregator lines above)');
    if (!(await clock.after(DEMO_INTERVAL_SECONDS))) return;
    controls.say("demo: 'orders-api' (dependsOn: ['orders-db']) goes down too — it joins the incident (INCIDENT_UPDATED), no page");
    await set(['orders-api'], 'down');
    if (!(await controls.nextAlert('INCIDENT_UPDATED', 60_000, signal)) && !signal.aborted) controls.say('demo: no INCIDENT_UPDATED within a minute');
    if (!(await clock.after(DEMO_INTERVAL_SECONDS))) return;
    controls.say("demo: 'orders-cache' comes back — an INCIDENT_UPDATED names it, the others still down");
    await set(['orders-cache'], 'up');
    if (!(await controls.nextAlert('INCIDENT_UPDATED', 60_000, signal)) && !signal.aborted) controls.say('demo: no INCIDENT_UPDATED within a minute');
    if (!(await clock.after(DEMO_INTERVAL_SECONDS))) return;
    controls.say('demo: the rest come back — one INCIDENT_RESOLVED listing each recovery');
    await set(['orders-db', 'orders-queue', 'orders-api'], 'up');
    const resolved = await controls.nextAlert('INCIDENT_RESOLVED', 60_000, signal);
    if (signal.aborted) return;
    controls.say(resolved ? 'demo: done; the fleet keeps running until Ctrl-C (try: portquorum status)' : 'demo: no INCIDENT_RESOLVED within a minute');
  },
};
