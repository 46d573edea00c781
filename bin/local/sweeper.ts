// The real sweeper on the wall clock, as EventBridge's rate(1 minute) runs it in AWS (never two sweeps at once).
import type { FleetConfig } from '../../functions/shared/domain';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import type { AlertPublisher } from '../../functions/shared/adapters/publisher';
import type { TableStore } from '../../functions/shared/adapters/store';
import { createSweeperHandler } from '../../functions/sweeper/handler';
import { handlerLog, type Say } from './events';
import type { Part } from './supervisor';

/** A sweep starts this long after each period boundary, as scheduled invocations land a little after it. */
const AFTER_BOUNDARY_MS = 500;

export interface SweeperOptions {
  fleet: FleetConfig;
  store: TableStore;
  publisher: AlertPublisher;
  say: Say;
  /** @default 60 (the deployed schedule, rate(1 minute)) */
  everySeconds?: number;
}

export function startSweeper(options: SweeperOptions): Part {
  // A sweep abandoned at the stop's deadline fails as DynamoDB Local stops: that is the stop itself, not news.
  let abandoned = false;
  const say: Say = (...line) => {
    if (!abandoned) options.say(...line);
  };
  const log = handlerLog(say, 'sweeper');
  const sweep = createSweeperHandler({ fleet: options.fleet, store: options.store, publisher: options.publisher, log, metrics: memoryMetrics() });
  const schedule = onWallClock((options.everySeconds ?? 60) * 1000, () => sweep({ time: new Date().toISOString() }).catch((error: Error) =>
    log.error('Sweep failed; the next one tries again', { error: error.message })));
  return {
    name: 'the sweeper schedule',
    async stop(deadline) {
      if ((await schedule.stop(deadline)) === 'finished') return undefined;
      abandoned = true;
      return 'the sweep in hand was abandoned at the deadline (the next run sweeps again)';
    },
  };
}

/**
 * Runs `run` (which reports its own failures) at every period boundary of the wall clock, one run at a time; stop()
 * waits for the run in hand, until its deadline (epoch ms) if given, and says whether it finished or was abandoned.
 */
export function onWallClock(periodMs: number, run: () => Promise<unknown>): { stop(deadline?: number): Promise<'finished' | 'abandoned'> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = running.then(run);
      tick();
    }, periodMs - (Date.now() % periodMs) + AFTER_BOUNDARY_MS);
  };
  tick();
  return {
    async stop(deadline) {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (deadline === undefined) {
        await running;
        return 'finished';
      }
      let late: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        running.then(() => 'finished' as const),
        new Promise<'abandoned'>((resolve) => (late = setTimeout(resolve, Math.max(0, deadline - Date.now()), 'abandoned'))),
      ]);
      clearTimeout(late);
      return outcome;
    },
  };
}
