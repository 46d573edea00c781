// Round items read once per evaluation pass, whichever monitors need them.
import type { RoundPartition, RoundRecord } from '../domain/record';
import type { Log } from '../adapters/observability';
import type { TableStore } from '../adapters/store';

/** Round items read once per evaluation pass, whichever monitors need them. */
export class RoundCache {
  private readonly rounds = new Map<number, Promise<RoundRecord[]>>();
  /** `partitions`: every probe's round partition (roundPartitions(fleet)); a round is read from all of them. */
  constructor(private readonly store: TableStore, private readonly log: Log, private readonly partitions: readonly RoundPartition[]) {}

  get(instant: number): Promise<RoundRecord[]> {
    let round = this.rounds.get(instant);
    if (!round) {
      round = this.store.readRound(instant, this.partitions).then(({ records, unreadable }) => {
        for (const u of unreadable) this.log.error('Unreadable round item skipped', { item: u.key, error: u.error });
        return records;
      });
      this.rounds.set(instant, round);
    }
    return round;
  }

  /** Forgets everything (after a conflict the rounds may have grown). */
  clear(): void {
    this.rounds.clear();
  }
}
