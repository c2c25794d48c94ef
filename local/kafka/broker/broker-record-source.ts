import { Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { fetchRecords } from '../../../functions/adapters/kafka/fetch-records';
import type { MskRecord } from '../../../functions/core/kafka-record';
import type { RecordSource } from '../record-source';

export interface GroupMemberOptions {
  readonly bootstrap: string;
  readonly topic: string;
  readonly groupId: string;
  readonly clientId?: string;
  /** How long the group waits for a silent member (a crashed consumer) before reassigning its partitions. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Called for a commit the broker refused; the records are then redelivered. */
  readonly onCommitError?: (error: unknown) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A broker answers a fetch early when records arrive; this bounds one wait within the batching window. */
const MAX_FETCH_WAIT_MS = 500;

/**
 * One member of a consumer group reading one topic from a real broker.
 *
 * Two clients: `member` joins the group (heartbeats, assignment, commits) and
 * `reader` fetches and lists offsets, so a long fetch never delays a
 * heartbeat or a rebalance. Positions start at the group's committed offset
 * (the earliest offset when the group has none, like TRIM_HORIZON) and are
 * reloaded from the committed offsets whenever the assignment changes: after
 * a rebalance a partition restarts exactly where its last owner committed.
 */
export class BrokerRecordSource implements RecordSource {
  private readonly positions = new Map<number, number>();
  /** Fetched records not yet delivered, per partition; the first one is at positions[p]. */
  private readonly buffered = new Map<number, MskRecord[]>();
  /** What this member committed last, per partition it owns. */
  private readonly ownCommits = new Map<number, number>();
  private assignmentChanged = true;

  private constructor(
    readonly topic: string,
    private readonly member: Consumer,
    private readonly reader: Consumer,
    private readonly onCommitError: (error: unknown) => void,
  ) {
    member.on('consumer:group:join', () => {
      this.assignmentChanged = true;
    });
  }

  static async join(options: GroupMemberOptions): Promise<BrokerRecordSource> {
    const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
    const clientId = options.clientId ?? `local-esm-${options.topic}`;
    const member = new Consumer({
      clientId,
      groupId: options.groupId,
      bootstrapBrokers: [options.bootstrap],
      sessionTimeout,
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: options.heartbeatIntervalMs ?? Math.max(100, Math.floor(sessionTimeout / 10)),
    });
    const reader = new Consumer({
      clientId: `${clientId}-reader`,
      groupId: options.groupId,
      bootstrapBrokers: [options.bootstrap],
    });
    member.topics.trackAll(options.topic);
    await member.joinGroup({});
    return new BrokerRecordSource(options.topic, member, reader, options.onCommitError ?? (() => {}));
  }

  /** Partitions of the topic this member owns now. */
  owned(): number[] {
    return this.member.assignments?.find((a) => a.topic === this.topic)?.partitions ?? [];
  }

  async fetch(max: number, waitMs: number): Promise<MskRecord[]> {
    if (this.assignmentChanged) await this.reloadPositions();
    const deadline = Date.now() + waitMs;
    let fetched = false;
    for (;;) {
      const available = [...this.buffered.values()].reduce((n, records) => n + records.length, 0);
      const remaining = deadline - Date.now();
      if (available >= max || (fetched && remaining <= 0)) return this.take(max);
      if (this.positions.size === 0) {
        // Nothing assigned (yet): wait out the window instead of asking the broker for nothing.
        await sleep(Math.max(10, Math.min(remaining, 100)));
        fetched = true;
        continue;
      }
      const more = await fetchRecords(
        this.reader,
        this.topic,
        [...this.positions.keys()].map((partition) => ({ partition, offset: this.fetchOffset(partition) })),
        Math.max(0, Math.min(remaining, MAX_FETCH_WAIT_MS)),
      );
      fetched = true;
      // A rebalance during the fetch makes what it returned stale.
      if (this.assignmentChanged) return [];
      for (const [partition, records] of more) {
        this.buffered.set(partition, [...(this.buffered.get(partition) ?? []), ...records]);
      }
    }
  }

  seek(partition: number, offset: number): void {
    if (!this.positions.has(partition)) return;
    this.positions.set(partition, offset);
    this.buffered.delete(partition);
  }

  /**
   * Commits only partitions this member still owns: after a rebalance the new
   * owner starts from the committed offset, and this member's late commit
   * must not move it.
   */
  async commit(offsets: ReadonlyMap<number, number>): Promise<void> {
    const owned = new Set(this.owned());
    const mine = [...offsets].filter(([partition]) => owned.has(partition));
    if (mine.length === 0) return;
    try {
      await this.member.commit({
        offsets: mine.map(([partition, offset]) => ({
          topic: this.topic,
          partition,
          offset: BigInt(offset),
          leaderEpoch: -1,
        })),
      });
      for (const [partition, offset] of mine) this.ownCommits.set(partition, offset);
    } catch (error) {
      this.onCommitError(error);
      this.assignmentChanged = true;
    }
  }

  /**
   * End offsets minus the group's committed offsets, across the topic. A
   * committed offset below what this member itself committed for a partition
   * it owns is a former owner's late commit; it is committed again, which is
   * safe because this member processed everything below its own commit.
   */
  async lag(): Promise<number> {
    const [ends, committed] = await Promise.all([
      this.reader.listOffsets({ topics: [this.topic], timestamp: ListOffsetTimestamps.LATEST }),
      this.committedOffsets(),
    ]);
    const starts = await this.reader.listOffsets({
      topics: [this.topic],
      timestamp: ListOffsetTimestamps.EARLIEST,
    });
    const end = ends.get(this.topic) ?? [];
    const start = starts.get(this.topic) ?? [];
    const behind = new Map<number, number>();
    for (const [partition, own] of this.ownCommits) {
      if ((committed.get(partition) ?? -1) < own && this.positions.has(partition)) behind.set(partition, own);
    }
    if (behind.size > 0) await this.commit(behind);
    let lag = 0;
    for (let p = 0; p < end.length; p++) {
      const from = Math.max(behind.get(p) ?? committed.get(p) ?? -1, Number(start[p] ?? 0));
      lag += Math.max(0, Number(end[p] ?? 0) - from);
    }
    return lag;
  }

  async close(): Promise<void> {
    await this.member.close().catch(() => undefined);
    await this.reader.close().catch(() => undefined);
  }

  private async committedOffsets(): Promise<Map<number, number>> {
    const metadata = (await this.reader.metadata({ topics: [this.topic] })).topics.get(this.topic);
    const partitions = Array.from({ length: metadata?.partitionsCount ?? 0 }, (_, p) => p);
    const listed = await this.reader.listCommittedOffsets({ topics: [{ topic: this.topic, partitions }] });
    const offsets = listed.get(this.topic) ?? [];
    return new Map(partitions.map((p) => [p, Number(offsets[p] ?? -1n)]));
  }

  private async reloadPositions(): Promise<void> {
    this.assignmentChanged = false;
    const owned = this.owned();
    const [committed, starts] = await Promise.all([
      this.committedOffsets(),
      this.reader.listOffsets({ topics: [this.topic], timestamp: ListOffsetTimestamps.EARLIEST }),
    ]);
    const earliest = starts.get(this.topic) ?? [];
    this.positions.clear();
    this.buffered.clear();
    this.ownCommits.clear();
    for (const partition of owned) {
      const offset = committed.get(partition) ?? -1;
      this.positions.set(partition, offset >= 0 ? offset : Number(earliest[partition] ?? 0));
    }
  }

  /** Where the broker should continue for a partition: after what is buffered, else at the position. */
  private fetchOffset(partition: number): number {
    const queue = this.buffered.get(partition);
    return queue?.length
      ? (queue[queue.length - 1] as MskRecord).offset + 1
      : (this.positions.get(partition) ?? 0);
  }

  private take(max: number): MskRecord[] {
    const records: MskRecord[] = [];
    for (const partition of [...this.positions.keys()].sort((a, b) => a - b)) {
      const queue = this.buffered.get(partition);
      if (!queue?.length || records.length >= max) continue;
      const batch = queue.splice(0, max - records.length);
      records.push(...batch);
      this.positions.set(partition, (batch[batch.length - 1] as MskRecord).offset + 1);
    }
    return records;
  }
}
