// Deadline helpers: every wait in the engine is raced against a cleared timer and the round's abort signal.

/** Resolves or rejects with `work`, or rejects with `onTimeout()` after `ms`, or with `onAbort()` when aborted. */
export function race<T>(work: Promise<T>, ms: number, onTimeout: () => Error, signal?: AbortSignal, onAbort?: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      work.catch(() => undefined);
      reject((onAbort ?? onTimeout)());
      return;
    }
    const abort = () => finish(() => reject((onAbort ?? onTimeout)()));
    const timer = setTimeout(() => finish(() => reject(onTimeout())), Math.max(0, ms));
    let done = false;
    function finish(settle: () => void): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      settle();
    }
    signal?.addEventListener('abort', abort, { once: true });
    // An abandoned `work` settles later when its socket is destroyed; `finish` ignores it then.
    work.then((value) => finish(() => resolve(value)), (error: unknown) => finish(() => reject(error)));
  });
}

/** Waits `ms`; resolves false early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise that resolves at `endAt` or on abort, with `cancel` to clear its timer once no longer needed. */
export function giveUpAt(endAt: number | undefined, now: () => number, signal?: AbortSignal): { promise: Promise<void>; cancel: () => void } {
  let cancel = () => undefined as void;
  const promise = new Promise<void>((resolve) => {
    const onAbort = () => resolve();
    const timer = endAt === undefined ? undefined : setTimeout(resolve, Math.max(0, endAt - now()));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) resolve();
    cancel = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  });
  return { promise, cancel };
}
