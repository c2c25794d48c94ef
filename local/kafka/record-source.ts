import type { MskRecord } from '../../functions/core/kafka-record';

/**
 * Where an event source mapping reads one topic from: the in-process topic of
 * the simulator or a consumer-group member on a real broker. A source keeps
 * a position per partition it owns; the mapping moves it back (seek) to
 * redeliver and commits what was processed.
 */
export interface RecordSource {
  readonly topic: string;
  /**
   * Records from the position of each owned partition onward, in offset order
   * per partition, at most `max`; waits up to `waitMs` for more when fewer are
   * available. The positions move past what is returned.
   */
  fetch(max: number, waitMs: number): Promise<MskRecord[]>;
  /** The next fetch of this partition starts at `offset`. */
  seek(partition: number, offset: number): void;
  /** Every record below `offset` of each partition is processed; the group's committed offset moves there. */
  commit(offsets: ReadonlyMap<number, number>): Promise<void>;
  /** Records of the topic the group has not committed yet, across all partitions. */
  lag(): Promise<number>;
  close(): Promise<void>;
}
