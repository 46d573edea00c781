// Monitor states kept by a warm aggregator or sweeper between invocations, per state shard, each re-read only when
// its shard's counter in the state generation moved.
import type { StoredState, TableStore } from '../adapters/store';
import type { MonitorState } from '../domain/verdict';
import { ALL_STATE_SHARDS, STATE_SHARDS, stateShardOf } from '../domain/state-shards';
import { STATE_CACHE_MAX_AGE_MS } from '../deployment';

interface CachedShard {
  /** The shard's generation counter when it was read. */
  generation: number;
  readAt: number;
  states: Map<string, StoredState<MonitorState>>;
}

/**
 * Reading every monitor's state for every stream batch would be most of the fleet's DynamoDB reads (~200 bytes a
 * monitor, strongly consistent, up to three batches a round), while states change only on transitions. Every
 * evaluation pass that changed states moves the counters of the shards it changed after its writes, so an equal
 * counter means the cached states of that shard are the stored ones; the generation is read before the states, so a
 * change racing the read moves the counter past the cached value.
 * The conditional write on each monitor's version still guards every change; `maxAgeMs` bounds how long a change
 * whose generation move failed could go unseen.
 */
export class StateCache {
  private readonly shards = new Map<number, CachedShard>();

  constructor(private readonly store: Pick<TableStore, 'readStateGeneration' | 'readMonitorStates'>, private readonly maxAgeMs = STATE_CACHE_MAX_AGE_MS) {}

  /**
   * The states of the given shards (default all), by monitor id: one 1-unit read of the generation, then a read of
   * only those shards not cached, whose counter moved, or that aged out. `read`: the shards read from the table.
   * The map is the caller's own (its changes do not reach the cache).
   */
  async get(now: number, shards: readonly number[] = ALL_STATE_SHARDS): Promise<{ states: Map<string, StoredState<MonitorState>>; cached: boolean; read: number[] }> {
    const generation = await this.store.readStateGeneration();
    const read = [...new Set(shards)].filter((k) => {
      const cached = this.shards.get(k);
      return !cached || cached.generation !== (generation[k] ?? 0) || now - cached.readAt >= this.maxAgeMs;
    });
    if (read.length > 0) {
      // Every shard at once is a full read (which also looks at the legacy partition afresh).
      const fresh = await this.store.readMonitorStates(read.length === STATE_SHARDS ? undefined : read);
      const byShard = new Map(read.map((k) => [k, new Map<string, StoredState<MonitorState>>()]));
      for (const [id, stored] of fresh) byShard.get(stateShardOf(id))?.set(id, stored);
      for (const k of read) this.shards.set(k, { generation: generation[k] ?? 0, readAt: now, states: byShard.get(k)! });
    }
    const states = new Map<string, StoredState<MonitorState>>();
    for (const k of shards) for (const [id, stored] of this.shards.get(k)!.states) states.set(id, stored);
    return { states, cached: read.length === 0, read };
  }

  /** After this process failed midway (or changed shards it must not trust): the next get reads them afresh. @default all */
  invalidate(shards?: readonly number[]): void {
    if (shards === undefined) this.shards.clear();
    else for (const k of shards) this.shards.delete(k);
  }
}
