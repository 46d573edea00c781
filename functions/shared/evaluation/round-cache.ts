// Round items read once per evaluation pass, whichever monitors need them.
import type { RoundPartition, RoundRecord } from '../domain/record';
import type { Log } from '../adapters/observability';
import type { TableStore } from '../adapters/store';

/** One round instant's items as read, with the items that hold each monitor's result. */
export interface ReadRound {
  /** Every readable item of the round, in the order the partitions were read. */
  records: RoundRecord[];
  /**
   * The items holding a result for each monitor id (an own key of `results`), in the order of `records`: a monitor's
   * evidence looks at these few instead of every item of the round (a round at 100,000 monitors has ~200 items).
   */
  byMonitor: Map<string, RoundRecord[]>;
}

/** The items of `records` that hold each monitor's result, in their order. */
export function indexByMonitor(records: readonly RoundRecord[]): Map<string, RoundRecord[]> {
  const byMonitor = new Map<string, RoundRecord[]>();
  for (const record of records) {
    for (const id of Object.keys(record.results)) {
      const holding = byMonitor.get(id);
      if (holding) holding.push(record);
      else byMonitor.set(id, [record]);
    }
  }
  return byMonitor;
}

/** Round items read once per evaluation pass, whichever monitors need them. */
export class RoundCache {
  private readonly rounds = new Map<number, Promise<ReadRound>>();
  /** The rounds read so far, once their read settled: evidence of a round already read is taken without waiting. */
  private readonly settled = new Map<number, ReadRound>();
  /** `partitions`: every probe's round partition (roundPartitions(fleet)); a round is read from all of them. */
  constructor(private readonly store: TableStore, private readonly log: Log, private readonly partitions: readonly RoundPartition[]) {}

  /** The round's items (read once). */
  async get(instant: number): Promise<RoundRecord[]> {
    return (await this.read(instant)).records;
  }

  /** The round's items with their index by monitor (read once). */
  read(instant: number): Promise<ReadRound> {
    let round = this.rounds.get(instant);
    if (!round) {
      const reading = this.store.readRound(instant, this.partitions).then(({ records, unreadable }) => {
        for (const u of unreadable) this.log.error('Unreadable round item skipped', { item: u.key, error: u.error });
        const read = { records, byMonitor: indexByMonitor(records) };
        // Only while this read is still the cache's (a clear() meanwhile forgets it).
        if (this.rounds.get(instant) === reading) this.settled.set(instant, read);
        return read;
      });
      round = reading;
      this.rounds.set(instant, round);
    }
    return round;
  }

  /** The round if its read has settled already, else undefined. */
  peek(instant: number): ReadRound | undefined {
    return this.settled.get(instant);
  }

  /** Forgets everything (after a conflict the rounds may have grown). */
  clear(): void {
    this.rounds.clear();
    this.settled.clear();
  }
}
