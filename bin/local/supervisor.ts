// The parts the local fleet starts (processes, namespaces, sockets, files) and their stop in reverse order of start,
// each given a deadline; plus the last-resort hook that leaves no child or namespace behind when the process exits.
import { killDescendantsSync } from './proc';

/** One thing the fleet started, and how to undo it. */
export interface Part {
  /** Names it in messages, e.g. `the region workers`. */
  readonly name: string;
  /** Stops it; by `deadline` (epoch ms) it should be gone, forced if it must be. May say how (e.g. what it abandoned). */
  stop(deadline: number): Promise<string | void>;
  /** When the process exits without stop() (a crash, process.exit): undo what must not outlive it, synchronously. */
  abandon?(): void;
}

/** How one part's stop went: what a shutdown report prints, one line per part. */
export interface PartStopped {
  name: string;
  ms: number;
  /** What the part said about its stop (e.g. a batch abandoned at the deadline). */
  note?: string;
  error?: Error;
}

export interface SupervisorOptions {
  /** Each part's share of the shutdown. @default 5000 */
  stopWithinMs?: number;
  /** The whole shutdown's bound: no part's deadline lies beyond it. @default 20000 */
  stopAllWithinMs?: number;
  /** A part whose stop failed (the others are stopped all the same). */
  onStopFailed?: (name: string, error: Error) => void;
  /** Each part as it is stopped (or failed to stop): one line per part for the user. */
  onStopped?: (stopped: PartStopped) => void;
}

/** How long after its deadline a part's stop is waited for before the shutdown moves on without it. */
const OVERRUN_MS = 500;

export class Supervisor {
  private readonly parts: Part[] = [];
  private stopping = false;
  private resolveStopped!: () => void;
  private report: Promise<PartStopped[]> | undefined;
  /** Resolves once every part has been stopped. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private readonly onExit = () => this.abandon();

  constructor(private readonly options: SupervisorOptions = {}) {
    process.on('exit', this.onExit);
  }

  /** Whether stop() has begun: parts stop restarting what dies. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Records a started part; it is stopped before every part added earlier. */
  add<P extends Part>(part: P): P {
    this.parts.push(part);
    return part;
  }

  /** Stops every part, last started first; safe to call twice (the second call waits for the first). */
  stop(): Promise<PartStopped[]> {
    if (this.report) return this.report;
    this.stopping = true;
    this.report = this.stopAll().finally(() => {
      process.off('exit', this.onExit);
      this.resolveStopped();
    });
    return this.report;
  }

  private async stopAll(): Promise<PartStopped[]> {
    const report: PartStopped[] = [];
    const allBy = Date.now() + (this.options.stopAllWithinMs ?? 20_000);
    for (const part of [...this.parts].reverse()) {
      const started = Date.now();
      const deadline = Math.min(started + (this.options.stopWithinMs ?? 5000), allBy);
      let stopped: PartStopped;
      try {
        const note = await withinDeadline(part, deadline);
        stopped = { name: part.name, ms: Date.now() - started, ...(note ? { note } : {}) };
      } catch (error) {
        stopped = { name: part.name, ms: Date.now() - started, error: error as Error };
        this.options.onStopFailed?.(part.name, error as Error);
      }
      report.push(stopped);
      this.options.onStopped?.(stopped);
    }
    return report;
  }

  /** Last resort at exit: every descendant killed, then each part's own synchronous undo. */
  private abandon(): void {
    killDescendantsSync();
    for (const part of [...this.parts].reverse()) {
      try {
        part.abandon?.();
      } catch {
        // best effort: the process is exiting
      }
    }
  }
}

/** A part's stop, given up on (with its abandon() run) shortly after its deadline, so one stuck part cannot hold the rest. */
async function withinDeadline(part: Part, deadline: number): Promise<string | void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + OVERRUN_MS, 'late')));
  try {
    const outcome = await Promise.race([part.stop(deadline).then((note) => ({ note })), late]);
    if (outcome === 'late') {
      part.abandon?.();
      throw new Error(`did not stop by its deadline; left to the exit hook`);
    }
    return outcome.note;
  } finally {
    clearTimeout(timer);
  }
}
