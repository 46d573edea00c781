// State shards: monitor state items spread over a fixed number of partition keys, so neither a wide outage's writes
// nor a sweep's reads land on one key.
//
// The model, at 100,000 monitors (the scale issue #13 asks for):
// - Items per key: 100,000 / 64 ≈ 1,563 state items (±40, one standard deviation of the hash), ~1 KB each with a
//   pending alert: ~1.5 MB a key, two Query pages.
// - A wide outage (every monitor DOWN in one round): each monitor's state is written with its alert pending, then
//   updated once the alert went out, ~2 write units each (items over 1 KB). An aggregator keeps WRITE_CONCURRENCY (32,
//   evaluation/concurrency.ts) writes in flight; at ~10 ms a write that is at most 3,200 writes/s an invocation,
//   spread by the hash over 64 keys: ~50 writes/s, ~100 WCU/s a key. Even ten invocations at once (stream shards ×
//   parallelization factor) stay at ~1,000 WCU/s a key, DynamoDB's per-partition limit, where one key would have
//   taken 6,400 WCU/s from one invocation alone.
// - The count is fixed for every fleet (not grown with it) so a fleet's growth never moves a monitor's state to
//   another key; 64 keys cost small fleets nothing but up to 64 one-unit Queries on a cold read.
import { probeShardOf } from './probe-shards';

/** How many partition keys monitor states spread over: fixed, whatever the fleet's size (see above). */
export const STATE_SHARDS = 64;

/** The state shard (0 … STATE_SHARDS-1) of a monitor: a jump consistent hash of its id, as probe shards use. */
export function stateShardOf(monitorId: string): number {
  return probeShardOf(monitorId, STATE_SHARDS);
}

/** Every state shard, 0 … STATE_SHARDS-1. */
export const ALL_STATE_SHARDS: readonly number[] = Array.from({ length: STATE_SHARDS }, (_, k) => k);

/** The state shards holding the given monitors' states, ascending, each once. */
export function stateShardsOf(monitorIds: Iterable<string>): number[] {
  const shards = new Set<number>();
  for (const id of monitorIds) shards.add(stateShardOf(id));
  return [...shards].sort((a, b) => a - b);
}
