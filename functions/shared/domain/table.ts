// The one definition of the results/state table, used by the CDK stack and by the local fleet.

export const TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Items expire through this attribute (epoch seconds). */
  ttlAttribute: 'ttl',
  /** The aggregator needs only the new image of each round item. */
  streamViewType: 'NEW_IMAGE',
  billingMode: 'PAY_PER_REQUEST',
  /** Attribute that says what an item is; the stream filter lets only round items through. */
  kindAttribute: 'kind',
  roundItemKind: 'round',
  /** A watch event (functions/shared/domain/watch.ts): the stream filter lets these through too. */
  watchItemKind: 'watch',
} as const;

/**
 * Partition of the items that keep stream records the aggregator reported as failed (functions/shared/adapters/
 * failed-records.ts), 14 days, so they can be explained or redriven after the stream's 24 h.
 */
export const FAILED_RECORDS_PK = 'failed';

/**
 * The home pipeline's heartbeat: one item the sweeper overwrites each sweep (`at`, epoch ms), which the probe regions'
 * watchdogs read (one GetItem an invocation, the only item of the table a probe may read).
 */
export const HEARTBEAT_KEY = { pk: 'heartbeat', sk: 'home' } as const;

/** Default table name; fixed (not generated) so probe stacks in other regions can name it without cross-region references. */
export const DEFAULT_TABLE_NAME = 'portquorum';
