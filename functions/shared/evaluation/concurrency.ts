// Bounded concurrency for the evaluation's state writes and publishes (the pool itself: domain/concurrency.ts).

/**
 * State writes and publishes in flight at once. One at a time, a fleet's first round (every monitor's first state)
 * or a wide outage (thousands of transitions) would take minutes and outlive the function's timeout.
 */
export const WRITE_CONCURRENCY = 32;
/** Publish requests in flight at once (each a PublishBatch of up to 10 alerts, paced by the publish rate). */
export const PUBLISH_CONCURRENCY = 16;
