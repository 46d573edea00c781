// `portquorum local --demo flapping`: a service that bounces every round. Its first changes page DOWN and UP as
// usual; at the fifth the monitor is FLAPPING (one alert, pages held); it then stays down and settles with one
// FLAPPING_SETTLED alert that pages DOWN. A steady service beside it never pages.
import type { FleetSpec } from '../../functions/shared/domain';
import { DEMO_INTERVAL_SECONDS, DEMO_REGIONS, type DemoControls, type DemoScenario } from './demo';
import { demoClock } from './demo-clock';
import { freePorts } from './targets';

/**
 * Thresholds lower than the defaults (40 / 20) so the demo flaps at its fifth change and settles 8 rounds after its
 * last: with the defaults it would take 7 changes and up to 16 quiet rounds.
 */
const FLAPPING = { enterPercent: 25, leavePercent: 25 };
/** Changes the timeline makes, one a round: down, up, down, up, down (then it stays down). */
const CHANGES = 5;

export const flappingDemo: DemoScenario = {
  summary: "a service bouncing every round: DOWN/UP pages, then one FLAPPING alert, pages held, and one FLAPPING_SETTLED (DOWN)",
  async plan() {
    const [bouncy, steady, canary] = await freePorts(3);
    const spec: FleetSpec = {
      regions: [...DEMO_REGIONS],
      homeRegion: 'eu-west-1',
      canary: { host: '127.0.0.1', port: canary!, timeoutMs: 1000 },
      monitorDefaults: { interval: DEMO_INTERVAL_SECONDS, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, timeoutMs: 2000, retries: 0, flapping: FLAPPING },
      monitors: [
        { id: 'bouncy', host: '127.0.0.1', port: bouncy!, tags: { team: 'demo' } },
        { id: 'steady', host: '127.0.0.1', port: steady!, tags: { team: 'demo' } },
      ],
    };
    return {
      spec,
      targets: [{ name: 'bouncy', kind: 'tcp', port: bouncy! }, { name: 'steady', kind: 'tcp', port: steady! }],
      canary: { name: 'canary', kind: 'tcp', port: canary! },
      title: `portquorum local — demo flapping: 3 regions, ${DEMO_INTERVAL_SECONDS} s rounds, quorum 2, flapping ${FLAPPING.enterPercent} % / ${FLAPPING.leavePercent} %`,
    };
  },
  async run(controls: DemoControls, signal: AbortSignal) {
    const clock = demoClock(controls, signal, DEMO_INTERVAL_SECONDS);
    if (!(await clock.at(0))) return;
    controls.say(`demo: 'bouncy' will go down and up every round (${DEMO_INTERVAL_SECONDS} s) for ${CHANGES} changes, then stay down`);
    for (let change = 1; change <= CHANGES; change += 1) {
      if (!(await clock.at(change * DEMO_INTERVAL_SECONDS))) return;
      const state = change % 2 === 1 ? 'down' : 'up';
      const note = change === CHANGES ? ` — the ${CHANGES}th change in 21 rounds: FLAPPING (pages held); it stays down now` : ` (change ${change})`;
      controls.say(`demo: 'bouncy' ${state}${note}`);
      await clock.act(() => controls.setTarget('bouncy', state));
    }
    const flapping = await controls.nextAlert('FLAPPING', 60_000, signal);
    if (signal.aborted) return;
    if (!flapping) controls.say('demo: no FLAPPING alert within a minute (see the aggregator lines above)');
    controls.say(`demo: 'bouncy' stays down; the flapping settles once the percent falls below ${FLAPPING.leavePercent} % (8 rounds), and FLAPPING_SETTLED pages DOWN`);
    const settled = await controls.nextAlert('FLAPPING_SETTLED', 5 * 60_000, signal);
    if (signal.aborted) return;
    controls.say(settled
      ? `demo: done — settled ${settled.verdict}; the fleet keeps running until Ctrl-C (try: portquorum status, portquorum local target bouncy up)`
      : 'demo: no FLAPPING_SETTLED within 5 minutes');
  },
};
