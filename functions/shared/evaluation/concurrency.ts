// Bounded concurrency for the evaluation's state writes and publishes.

/**
 * State writes and publishes in flight at once. One at a time, a fleet's first round (every monitor's first state)
 * or a wide outage (thousands of transitions) would take minutes and outlive the function's timeout.
 */
export const WRITE_CONCURRENCY = 32;
/** Publish requests in flight at once (each a PublishBatch of up to 10 alerts, paced by the publish rate). */
export const PUBLISH_CONCURRENCY = 16;

/** Runs `work` on every item with at most `limit` running at once; rejects with the first failure once all settled. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
