// Monitor states kept by a warm aggregator between invocations, re-read only when the state generation moved.
import type { StoredState, TableStore } from '../adapters/store';
import type { MonitorState } from '../domain/verdict';
import { STATE_CACHE_MAX_AGE_MS } from '../deployment';

/**
 * Reading every monitor's state for every stream batch is most of the fleet's DynamoDB reads (~200 bytes a monitor,
 * strongly consistent, up to three batches a round), while states change only on transitions. Every evaluation pass
 * that changed states moves the table's state generation after its writes, so equal generations mean the cached
 * states are the stored ones;
 * the generation is read before the states, so a change racing the read moves it past the cached value.
 * The conditional write on each monitor's version still guards every change; `maxAgeMs` bounds how long a change
 * whose generation move failed could go unseen.
 */
export class StateCache {
  private cached: { generation: number; readAt: number; states: Map<string, StoredState<MonitorState>> } | undefined;

  constructor(private readonly store: Pick<TableStore, 'readStateGeneration' | 'readMonitorStates'>, private readonly maxAgeMs = STATE_CACHE_MAX_AGE_MS) {}

  /** The states, from the cache when no state changed since it was filled (one 1-unit read), else from the table. */
  async get(now: number): Promise<{ states: Map<string, StoredState<MonitorState>>; cached: boolean }> {
    const generation = await this.store.readStateGeneration();
    const cached = this.cached;
    if (cached && cached.generation === generation && now - cached.readAt < this.maxAgeMs) return { states: cached.states, cached: true };
    const states = await this.store.readMonitorStates();
    this.cached = { generation, readAt: now, states };
    return { states, cached: false };
  }

  /** After this process changed states (or failed midway): the next get reads them afresh. */
  invalidate(): void {
    this.cached = undefined;
  }
}
