// A bounded reader over a socket: it never holds more than `limit` bytes and pauses the socket when full.
import type { Duplex } from 'node:stream';

export type ReadEnd =
  | { kind: 'error'; error: Error }
  | { kind: 'eof' }
  | { kind: 'full' };

/**
 * Bytes past the limit are dropped and the socket paused, so a server that streams 10 MB costs one
 * kernel read and `limit` bytes of memory; the kernel's receive window then stops the sender.
 */
export class BoundedReader {
  private buffered: Buffer = Buffer.alloc(0);
  private ended = false;
  private overflowed = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  firstByteAt: number | undefined;

  private readonly onData = (chunk: Buffer) => {
    if (this.firstByteAt === undefined) this.firstByteAt = this.now();
    const room = this.limit - this.buffered.length;
    if (chunk.length > room) {
      this.overflowed = true;
      chunk = chunk.subarray(0, Math.max(0, room));
    }
    if (chunk.length > 0) this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    if (this.buffered.length >= this.limit || this.overflowed) this.stream.pause();
    this.notify();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (error: Error) => {
    this.error ??= error;
    this.notify();
  };

  constructor(
    private readonly stream: Duplex,
    readonly limit: number,
    private readonly now: () => number,
  ) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  /** Stops listening (before the socket is handed to a TLS layer); unread bytes are discarded on purpose. */
  detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.pause();
    this.buffered = Buffer.alloc(0);
  }

  /**
   * Waits until `complete(buffered)` returns how many bytes to consume. Resolves with those bytes, or
   * with the reason no more can come: error, end of stream, or the byte budget is full.
   */
  async take(complete: (buffered: Buffer) => number | undefined): Promise<{ bytes: Buffer } | { end: ReadEnd; pending: Buffer }> {
    for (;;) {
      const n = complete(this.buffered);
      if (n !== undefined) {
        const bytes = this.buffered.subarray(0, n);
        this.buffered = this.buffered.subarray(n);
        if (!this.overflowed && this.buffered.length < this.limit) this.stream.resume();
        return { bytes };
      }
      if (this.error) return { end: { kind: 'error', error: this.error }, pending: this.buffered };
      if (this.buffered.length >= this.limit || this.overflowed) return { end: { kind: 'full' }, pending: this.buffered };
      if (this.ended) return { end: { kind: 'eof' }, pending: this.buffered };
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Everything buffered so far, without consuming it. */
  peek(): Buffer {
    return this.buffered;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
