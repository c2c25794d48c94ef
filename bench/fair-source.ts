import type { MskRecord } from '../functions/core/kafka-record';
import type { SimulatedTopic } from '../local/kafka/esm-simulator';
import type { RecordSource } from '../local/kafka/record-source';

/**
 * A consumer of some partitions of a simulated topic that is being written
 * while it is read. A fetch shares the batch between the owned partitions and
 * starts one partition further each time: filling from the lowest partition up
 * (as the in-process source does) would starve the last ones under a backlog.
 */
export class FairSource implements RecordSource {
  private readonly positions = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private turn = 0;

  constructor(
    private readonly simulated: SimulatedTopic,
    private readonly owned: ReadonlyArray<number>,
  ) {
    for (const p of owned) {
      this.positions.set(p, 0);
      this.committed.set(p, 0);
    }
  }

  get topic(): string {
    return this.simulated.name;
  }

  async fetch(max: number): Promise<MskRecord[]> {
    const order = this.owned.map((_, i) => this.owned[(i + this.turn) % this.owned.length] as number);
    this.turn++;
    const share = Math.ceil(max / this.owned.length);
    const records: MskRecord[] = [];
    // First an equal share each, then whatever room is left, in the same order.
    for (const limit of [share, max]) {
      for (const p of order) {
        const room = Math.min(limit, max - records.length);
        if (room <= 0) break;
        const from = this.positions.get(p) as number;
        const slice = (this.simulated.logs[p] as MskRecord[]).slice(from, from + room);
        records.push(...slice);
        this.positions.set(p, from + slice.length);
      }
    }
    return records;
  }

  seek(partition: number, offset: number): void {
    this.positions.set(partition, offset);
  }

  async commit(offsets: ReadonlyMap<number, number>): Promise<void> {
    for (const [p, offset] of offsets) this.committed.set(p, offset);
  }

  async lag(): Promise<number> {
    return this.pending();
  }

  pending(): number {
    let n = 0;
    for (const p of this.owned)
      n += (this.simulated.logs[p] as MskRecord[]).length - (this.committed.get(p) as number);
    return n;
  }

  async close(): Promise<void> {}
}
