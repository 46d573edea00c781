// `portquorum local --demo watch`: watch mode. 'cache' is watched (watch: true) at 60 s rounds, so rounds alone
// would page about two minutes after it dies; each region holds a connection to it, and when the service dies (its
// listener closes and every connection is reset, as when the process is killed) the regions re-probe at once, fail,
// and write watch events: DOWN within about a second (cause watch). 'web' beside it is probed by rounds only. When
// 'cache' comes back, the next good round clears it (UP).
import type { FleetSpec } from '../../functions/shared/domain';
import { DEMO_REGIONS, sleep, type DemoControls, type DemoScenario } from './demo';
import { freePorts } from './targets';

const INTERVAL_SECONDS = 60;
/** Seconds into a minute at which the demo kills 'cache': the minute's round has found it up, the next is far. */
const KILL_AT_SECOND = 20;

export const watchDemo: DemoScenario = {
  summary: "watch mode: 'cache' (watch: true, 60 s rounds) is killed between rounds and paged DOWN within about a second (cause watch); UP at the next good round",
  async plan() {
    const [cache, web, canary] = await freePorts(3);
    const spec: FleetSpec = {
      regions: [...DEMO_REGIONS],
      homeRegion: 'eu-west-1',
      canary: { host: '127.0.0.1', port: canary!, timeoutMs: 1000 },
      monitorDefaults: { interval: INTERVAL_SECONDS, quorum: 2, failureThreshold: 2, recoveryThreshold: 1, timeoutMs: 2000, retries: 0, tags: { team: 'demo' } },
      monitors: [
        { id: 'cache', host: '127.0.0.1', port: cache!, watch: true },
        { id: 'web', host: '127.0.0.1', port: web!, preset: 'http' },
      ],
    };
    return {
      spec,
      targets: [{ name: 'cache', kind: 'tcp', port: cache! }, { name: 'web', kind: 'http', port: web! }],
      canary: { name: 'canary', kind: 'tcp', port: canary! },
      title: `portquorum local — demo watch: 3 regions, ${INTERVAL_SECONDS} s rounds, quorum 2; 'cache' is watched`,
    };
  },
  async run(controls: DemoControls, signal: AbortSignal) {
    // Two minute starts from now: the monitor has been UP for a round, and each region holds its connection.
    const killAt = (Math.floor(Date.now() / 60_000) + 2) * 60_000 + KILL_AT_SECOND * 1000;
    controls.say(`demo: 'cache' is watched: every region holds a connection to it between its ${INTERVAL_SECONDS} s rounds; rounds alone would page about 2 minutes after it dies. Killing it at ${new Date(killAt).toISOString().slice(11, 19)} UTC, ${KILL_AT_SECOND} s after a round`);
    if (!(await sleep(killAt - Date.now(), signal))) return;
    controls.say("demo: killing 'cache' (listener closed, every connection reset) — the regions re-probe at once and write watch events; DOWN within about a second");
    const killed = Date.now();
    try {
      await controls.setTarget('cache', 'down');
    } catch (error) {
      controls.say(`demo: step failed: ${(error as Error).message}`);
      return;
    }
    const down = await controls.nextAlert('DOWN', 90_000, signal);
    if (signal.aborted) return;
    controls.say(down
      ? `demo: DOWN ${((Date.now() - killed) / 1000).toFixed(1)} s after the kill (cause ${down.cause}; the next round would have been ${Math.round((killAt + 40_000 - killed) / 1000)} s away, and paging needs 2 of them)`
      : 'demo: no DOWN alert within 90 s (see the region logs in the run directory)');
    if (!(await sleep(10_000, signal))) return;
    controls.say("demo: bringing 'cache' back — the rounds clear the watch DOWN: UP at the next round that finds it up (up to a minute)");
    try {
      await controls.setTarget('cache', 'up');
    } catch (error) {
      controls.say(`demo: step failed: ${(error as Error).message}`);
      return;
    }
    const up = await controls.nextAlert('UP', 150_000, signal);
    if (signal.aborted) return;
    controls.say(up ? 'demo: done; the fleet keeps running until Ctrl-C (try: portquorum local target cache down)' : 'demo: no UP within 150 s');
  },
};
