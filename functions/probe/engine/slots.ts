// A counting semaphore over open sockets, so a round never exceeds the descriptor budget.

export class SocketSlots {
  private open = 0;
  private readonly waiting: Array<() => void> = [];
  /** Highest number of slots held at once (for tests and metrics). */
  peak = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`maxSockets must be a positive integer, got ${capacity}`);
  }

  /** Waits for a free slot; resolves false when the wait is given up (deadline or abort) first. */
  acquire(giveUp?: Promise<void>): Promise<boolean> {
    if (this.open < this.capacity) {
      this.take();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let settled = false;
      const grant = () => {
        settled = true;
        this.take();
        resolve(true);
      };
      this.waiting.push(grant);
      giveUp?.then(() => {
        if (settled) return;
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      });
    });
  }

  release(): void {
    this.open -= 1;
    const next = this.waiting.shift();
    if (next) next();
  }

  private take(): void {
    this.open += 1;
    if (this.open > this.peak) this.peak = this.open;
  }
}
