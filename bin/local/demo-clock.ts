// The demos' clock: steps placed half-way between rounds (rounds start at :00, :10, …), so every region sees a change
// in the same round, and waits that end early when the demo stops.
import { sleep, type DemoControls } from './demo';

export interface DemoClock {
  /** Waits until `seconds` after the demo's start; false when the demo stopped meanwhile. */
  at(seconds: number): Promise<boolean>;
  /** Waits at least `seconds`, to the next half-way point between rounds; false when the demo stopped meanwhile. */
  after(seconds: number): Promise<boolean>;
  /** Runs a step, telling the user (not throwing) when it fails. */
  act(what: () => Promise<void>): Promise<void>;
}

export function demoClock(controls: Pick<DemoControls, 'say'>, signal: AbortSignal, intervalSeconds: number): DemoClock {
  const step = intervalSeconds * 1000;
  const start = Math.ceil((Date.now() - step / 2) / step) * step + step / 2;
  return {
    async at(seconds) {
      const wait = start + seconds * 1000 - Date.now();
      return wait <= 0 ? !signal.aborted : sleep(wait, signal);
    },
    async after(seconds) {
      const target = start + Math.ceil((Date.now() + seconds * 1000 - start) / step) * step;
      return this.at((target - start) / 1000);
    },
    async act(what) {
      try {
        await what();
      } catch (error) {
        controls.say(`demo: step failed: ${(error as Error).message}`);
      }
    },
  };
}
