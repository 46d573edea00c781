// `portquorum local --demo exposure`: a database port declared private, closed in every region, opens in one
// region's network namespace only → one EXPOSED alert (critical) naming that region, the address and the banner;
// closed again → one EXPOSURE_CLOSED. No DOWN or UP page. Needs --netns (each region its own loopback).
import type { FleetSpec } from '../../functions/shared/domain';
import { DEMO_INTERVAL_SECONDS, DEMO_REGIONS, type DemoControls, type DemoScenario } from './demo';
import { demoClock } from './demo-clock';
import { freePorts } from './targets';

/** The one region that will reach the private port. */
export const EXPOSED_REGION = 'us-east-1';

export const exposureDemo: DemoScenario = {
  summary: `a private database port opens in ${EXPOSED_REGION}'s namespace only: one EXPOSED alert (critical, region, address, banner), then EXPOSURE_CLOSED (needs --netns)`,
  async plan() {
    const [db, web, canary] = await freePorts(3);
    const spec: FleetSpec = {
      regions: [...DEMO_REGIONS],
      homeRegion: 'eu-west-1',
      canary: { host: '127.0.0.1', port: canary!, timeoutMs: 1000 },
      monitorDefaults: { interval: DEMO_INTERVAL_SECONDS, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, timeoutMs: 2000, retries: 0 },
      monitors: [
        { id: 'billing-db', host: '127.0.0.1', port: db!, exposure: 'private', severity: 'warning', tags: { team: 'demo' } },
        { id: 'web', host: '127.0.0.1', port: web!, preset: 'http', tags: { team: 'demo' } },
      ],
    };
    return {
      spec,
      // The database greets like an SSH server would, so the alert shows what answered; it starts closed everywhere.
      targets: [{ name: 'billing-db', kind: 'banner', port: db!, initial: 'down' }, { name: 'web', kind: 'http', port: web! }],
      canary: { name: 'canary', kind: 'tcp', port: canary! },
      title: `portquorum local — demo exposure: 3 regions, ${DEMO_INTERVAL_SECONDS} s rounds; 'billing-db' must stay private`,
    };
  },
  async run(controls: DemoControls, signal: AbortSignal) {
    if (!controls.regionFaults.supported) {
      controls.say(`demo: the exposure demo opens a port in one region's namespace only, which needs --netns: ${controls.regionFaults.reason}. The fleet keeps running until Ctrl-C.`);
      return;
    }
    const clock = demoClock(controls, signal, DEMO_INTERVAL_SECONDS);
    if (!(await clock.at(0))) return;
    controls.say("demo: 'billing-db' (exposure: 'private') is closed in every region; in 10 s it opens in us-east-1 only");
    if (!(await clock.at(DEMO_INTERVAL_SECONDS))) return;
    controls.say(`demo: opening 'billing-db' in ${EXPOSED_REGION}'s namespace only — one region is enough: EXPOSED within a round`);
    await clock.act(() => controls.setTargetIn(EXPOSED_REGION, 'billing-db', 'up'));
    const exposed = await controls.nextAlert('EXPOSED', 60_000, signal);
    if (signal.aborted) return;
    if (!exposed) controls.say('demo: no EXPOSED alert within a minute (see the aggregator lines above)');
    if (!(await clock.after(DEMO_INTERVAL_SECONDS))) return;
    controls.say(`demo: closing 'billing-db' in ${EXPOSED_REGION} again — EXPOSURE_CLOSED after a round with no region connecting`);
    await clock.act(() => controls.setTargetIn(EXPOSED_REGION, 'billing-db', 'down'));
    const closed = await controls.nextAlert('EXPOSURE_CLOSED', 60_000, signal);
    if (signal.aborted) return;
    controls.say(closed ? 'demo: done; the fleet keeps running until Ctrl-C (try: portquorum status)' : 'demo: no EXPOSURE_CLOSED within a minute');
  },
};
