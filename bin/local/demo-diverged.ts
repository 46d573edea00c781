// `portquorum local --demo diverged`: one region's namespace serves a stale certificate on the same port (a CDN edge
// left behind) → after 2 rounds one DIVERGED alert with each region's view side by side; served the current one again
// → one CONVERGED. The monitor stays UP throughout: no DOWN or UP page. Needs --netns (each region its own loopback).
import type { FleetSpec } from '../../functions/shared/domain';
import { DEMO_INTERVAL_SECONDS, DEMO_REGIONS, type DemoControls, type DemoScenario } from './demo';
import { demoClock } from './demo-clock';
import { freePorts } from './targets';

/** The one region whose namespace serves the stale certificate. */
export const STALE_REGION = 'ap-southeast-1';
/** Rounds in a row the regions must disagree before DIVERGED (the default is 3). */
const DIVERGED_ROUNDS = 2;

export const divergedDemo: DemoScenario = {
  summary: `${STALE_REGION}'s namespace serves a stale certificate: one DIVERGED alert with each region's view side by side, then CONVERGED (needs --netns)`,
  async plan() {
    const [www, canary] = await freePorts(2);
    const spec: FleetSpec = {
      regions: [...DEMO_REGIONS],
      homeRegion: 'eu-west-1',
      canary: { host: '127.0.0.1', port: canary!, timeoutMs: 1000 },
      monitorDefaults: { interval: DEMO_INTERVAL_SECONDS, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, timeoutMs: 2000, retries: 0 },
      monitors: [
        // The demo certificates are self-signed: the view (fingerprint, issuer, expiry) is what is compared, not trust.
        { id: 'www', host: '127.0.0.1', port: www!, tls: { verify: false, servername: 'www.demo.invalid' }, divergedRounds: DIVERGED_ROUNDS, tags: { team: 'demo' } },
      ],
    };
    return {
      spec,
      // Two servers on one port, never both up in one namespace: the current certificate, and the stale one.
      targets: [
        { name: 'www', kind: 'tls', port: www!, certificate: 'current' },
        { name: 'www-stale', kind: 'tls', port: www!, certificate: 'stale', initial: 'down' },
      ],
      canary: { name: 'canary', kind: 'tcp', port: canary! },
      title: `portquorum local — demo diverged: 3 regions, ${DEMO_INTERVAL_SECONDS} s rounds; 'www' must look the same from every region`,
    };
  },
  async run(controls: DemoControls, signal: AbortSignal) {
    if (!controls.regionFaults.supported) {
      controls.say(`demo: the diverged demo serves another certificate in one region's namespace only, which needs --netns: ${controls.regionFaults.reason}. The fleet keeps running until Ctrl-C.`);
      return;
    }
    const clock = demoClock(controls, signal, DEMO_INTERVAL_SECONDS);
    if (!(await clock.at(0))) return;
    controls.say(`demo: 'www' serves the same certificate to every region; in ${DEMO_INTERVAL_SECONDS} s ${STALE_REGION} is served a stale one`);
    if (!(await clock.at(DEMO_INTERVAL_SECONDS))) return;
    controls.say(`demo: ${STALE_REGION}'s namespace now serves the stale certificate — still UP everywhere, but after ${DIVERGED_ROUNDS} rounds: DIVERGED`);
    await clock.act(async () => {
      await controls.setTargetIn(STALE_REGION, 'www', 'down');
      await controls.setTargetIn(STALE_REGION, 'www-stale', 'up');
    });
    const diverged = await controls.nextAlert('DIVERGED', 90_000, signal);
    if (signal.aborted) return;
    if (!diverged) controls.say('demo: no DIVERGED alert within 90 s (see the aggregator lines above)');
    if (!(await clock.after(DEMO_INTERVAL_SECONDS))) return;
    controls.say(`demo: ${STALE_REGION} is served the current certificate again — CONVERGED once its view matches`);
    await clock.act(async () => {
      await controls.setTargetIn(STALE_REGION, 'www-stale', 'down');
      await controls.setTargetIn(STALE_REGION, 'www', 'up');
    });
    const converged = await controls.nextAlert('CONVERGED', 60_000, signal);
    if (signal.aborted) return;
    controls.say(converged ? 'demo: done; the fleet keeps running until Ctrl-C (try: portquorum status)' : 'demo: no CONVERGED within a minute');
  },
};
